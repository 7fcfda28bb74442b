"""On a phone, a birthday touch's card: the dashboard's 贺卡 link opens it, one tap shares the
image (the Web Share API with a file where the browser has it, a download where not), and
the page then offers to mark the touch done."""

import time
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from touches import build as touch_services
from touches.models import Touch

from ..factories import ClientFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
# A phone browser with file sharing: records what was shared instead of opening the sheet.
SHARE_STUB = """
window.__shared = [];
navigator.canShare = (data) => !!(data && data.files && data.files.length);
navigator.share = (data) => {
  window.__shared.push({
    names: data.files.map((f) => f.name), types: data.files.map((f) => f.type),
    sizes: data.files.map((f) => f.size), text: data.text,
  });
  return Promise.resolve();
};
"""


def _wait_for(page, expression: str, timeout: float = 10.0) -> None:
    """Poll `expression` until it is true. (page.wait_for_function evaluates its predicate
    with eval inside the page, which the Content-Security-Policy refuses.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"not true within {timeout} s: {expression}"
        page.wait_for_timeout(100)


def _birthday_touch():
    today = timezone.localdate()
    agent = UserFactory(username="li.ming", team=TeamFactory(name="上海一部"), display_name="李明")
    client = ClientFactory(
        owner=agent, name="王芳", salutation="王姐", birth_date=today.replace(year=1984)
    )
    touch_services.touch_build_now(today=today)
    return agent, Touch.objects.get(client=client, kind="birthday")


def test_card_shares_in_one_tap_and_offers_done(new_page):
    agent, touch = _birthday_touch()
    page = new_page(user=agent, **PHONE)
    page.add_init_script(SHARE_STUB)
    page.goto("/")
    page.locator(f"#touch-{touch.pk} details.touch-more summary").tap()  # 更多
    link = page.locator(f"#touch-{touch.pk} a[href='/touches/{touch.pk}/card/']")
    expect(link).to_be_visible()
    link.click()
    expect(page.locator("#card-image")).to_be_visible()
    _wait_for(page, "document.getElementById('card-image').naturalWidth > 0")
    assert page.evaluate("document.getElementById('card-image').naturalWidth") == 750
    done = page.locator("#card-done")
    expect(done).to_be_hidden()
    page.locator("#card-share").tap()
    _wait_for(page, "window.__shared.length === 1")
    shared = page.evaluate("window.__shared[0]")
    assert shared["types"] == ["image/png"] and shared["sizes"][0] > 10_000
    assert "王姐" in shared["text"]
    expect(done).to_be_visible()
    with page.expect_navigation():
        done.locator("button[type=submit]").tap()
    assert page.url.endswith("/") and "/card/" not in page.url  # back on the dashboard
    touch.refresh_from_db()
    assert touch.status == Touch.Status.DONE


def test_card_downloads_where_files_cannot_be_shared(new_page):
    agent, touch = _birthday_touch()
    page = new_page(user=agent, accept_downloads=True, **PHONE)
    page.add_init_script("navigator.canShare = undefined; navigator.share = undefined;")
    page.goto(f"/touches/{touch.pk}/card/")
    _wait_for(page, "document.getElementById('card-image').naturalWidth > 0")
    with page.expect_download() as info:
        page.locator("#card-share").tap()
    download = info.value
    assert download.suggested_filename.endswith(".png")
    path = download.path()
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    expect(page.locator("#card-done")).to_be_visible()
