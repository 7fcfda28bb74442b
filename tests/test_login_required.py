"""Every page needs a login, except an explicit short list. Walks the URL resolver, so a
URL added later is covered without touching this test."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {
    "/accounts/login/",
    "/healthz",
    "/i18n/setlang/",
    "/calendar/1.ics",  # the secret token is the credential; an unknown one is a 404
}


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def concrete(route: str) -> str:
    """A URL for a route, with 1 for every converter and regexes made literal."""
    import re

    url = re.sub(r"<(?:\w+:)?\w+>", "1", route)
    url = url.replace("^", "").replace("$", "").replace("\\Z", "")
    url = re.sub(r"\(\?P<\w+>[^)]*\)", "1", url)
    return "/" + url


def app_routes():
    for route in walk(get_resolver().url_patterns):
        if route.startswith("admin/") or route.startswith("static/"):
            continue  # the admin has its own login; static files are public by design
        yield concrete(route)


@pytest.mark.django_db
@pytest.mark.parametrize("url", sorted(set(app_routes())))
def test_anonymous_needs_login(client, url):
    response = client.get(url)
    if url in PUBLIC:
        assert response.status_code in (200, 302, 404, 405)
        return
    assert response.status_code == 302, url
    assert response["Location"].startswith("/accounts/login/?next=")


def test_public_list_is_current():
    assert set(app_routes()) >= PUBLIC
