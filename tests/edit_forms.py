"""Posting an edit form as a browser does: with the version of the record the page was
opened on (agentcrm.core.versions), which every edit form requires."""

import re

VERSION = re.compile(r'name="_version" value="([0-9a-f]+)"')


def version_on(http, url: str) -> str:
    """The version the edit form at `url` carries when opened now."""
    page = http.get(url)
    assert page.status_code == 200, page.status_code
    found = VERSION.search(page.content.decode())
    assert found, f"no version on the form at {url}"
    return found.group(1)


def versioned(http, url: str, data: dict) -> dict:
    """`data` with the version of the form at `url` as opened now."""
    return {**data, "_version": version_on(http, url)}
