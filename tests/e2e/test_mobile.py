"""A phone-sized screen shows a usable dashboard: nothing wider than the screen, the navbar
folds into a toggler that opens, a touch's done button can be tapped, Chinese renders."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from touches import build as touch_services
from touches.models import Touch

from ..factories import ClientFactory, TeamFactory, UserFactory
from .checks import HORIZONTAL_OVERFLOW, assert_no_horizontal_scroll, assert_page_sound

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}

# Two different CJK characters drawn with the page's font: with no Chinese font both come
# out as the same empty box (tofu), so equal pixels mean Chinese does not render.
CJK_GLYPHS_DIFFER = """() => {
  const font = getComputedStyle(document.body).fontFamily;
  const draw = (ch) => {
    const c = document.createElement("canvas");
    c.width = c.height = 40;
    const g = c.getContext("2d");
    g.font = "32px " + font;
    g.fillText(ch, 2, 34);
    return Array.from(g.getImageData(0, 0, 40, 40).data).join(",");
  };
  return draw("王") !== draw("芳") && draw("王") !== draw(" ");
}"""


def test_phone_dashboard_is_usable(new_page):
    today = timezone.localdate()
    agent = UserFactory(username="zhang.wei", team=TeamFactory(name="上海一部"))
    client = ClientFactory(owner=agent, name="王芳", birth_date=today.replace(year=1984))
    for n in range(3):  # a few more rows, one with a long name, to fill the screen
        ClientFactory(
            owner=agent,
            name=f"欧阳{'长' * 12 * n}名字{n}",
            birth_date=today.replace(year=1988 + 4 * n),  # leap years: 29 February too
        )
    touch_services.touch_build_now(today=today)
    touch = Touch.objects.get(client=client, kind="birthday")

    page = new_page(user=agent, **PHONE)
    page.goto("/")  # waits for the load event: scripts have run
    row = page.locator(f"#touch-{touch.pk}")
    expect(row).to_contain_text("王芳")
    assert page.evaluate("typeof window.htmx") == "object"

    assert_page_sound(page)
    assert_no_horizontal_scroll(page)
    assert page.evaluate(CJK_GLYPHS_DIFFER), "Chinese characters render as empty boxes"

    # The navbar is folded behind its toggler, which opens it.
    toggler = page.locator(".navbar-toggler")
    menu = page.locator("#main-nav")
    expect(toggler).to_be_visible()
    expect(menu.get_by_role("link", name="客户", exact=True)).to_be_hidden()
    toggler.tap()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(menu).to_have_class(re.compile(r"(^|\s)show(\s|$)"))  # opened, not still opening
    clients_link = menu.get_by_role("link", name="客户", exact=True)
    expect(clients_link).to_be_visible()
    expect(menu.get_by_role("link", name="保单", exact=True)).to_be_visible()
    assert page.evaluate(HORIZONTAL_OVERFLOW)["scroll"] <= 390
    toggler.tap()
    expect(clients_link).to_be_hidden()
    expect(toggler).to_have_attribute("aria-expanded", "false")

    # The done button is on screen, big enough to tap, and works.
    done = row.locator("form[hx-post] button[type=submit]")
    done.scroll_into_view_if_needed()
    expect(done).to_be_visible()
    expect(done).to_be_in_viewport()
    box = done.bounding_box()
    assert box and box["height"] >= 28 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    with page.expect_response(lambda r: r.url.endswith(f"/touches/{touch.pk}/done/")):
        done.tap()
    expect(row.locator(".badge.text-bg-success")).to_be_visible()
    touch.refresh_from_db()
    assert touch.status == Touch.Status.DONE
    assert page.evaluate(HORIZONTAL_OVERFLOW)["scroll"] <= 390

    # A form page fits too (its sticky Save bar once stuck out past both edges).
    page.goto("/clients/new/")
    expect(page.locator("form.client-form .form-actions")).to_be_visible()
    assert_page_sound(page)
    assert_no_horizontal_scroll(page)
