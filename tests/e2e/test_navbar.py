"""The menu on a laptop holds on one line in Chinese and in English (it once wrapped every
label onto two lines at 1280 px), groups the weekly pages under 客户加温 and 更多, and folds
behind its toggler below 1200 px."""

import re

import pytest
from playwright.sync_api import expect

from ..factories import UserFactory
from .checks import assert_no_horizontal_scroll

pytestmark = pytest.mark.django_db(transaction=True)

ONE_LINE_PX = 64  # the navbar's height with one row of links


def nav_height(page) -> float:
    return page.evaluate("document.querySelector('nav.navbar').getBoundingClientRect().height")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_agent_menu_is_one_line_at_1280(new_page, live_server, language):
    agent = UserFactory(display_name="王丽华")
    page = new_page(user=agent)
    page.goto("/")
    if language == "en":
        page.locator("button[name=language][value=en]").click()
        page.wait_for_load_state()
        expect(page.locator("h1")).to_have_text("Today's plan")
    assert nav_height(page) <= ONE_LINE_PX
    assert_no_horizontal_scroll(page)
    # Each label on one line: no link is taller than a single line of text.
    heights = page.evaluate(
        "[...document.querySelectorAll('#main-nav .nav-link')]"
        ".filter(a => a.offsetParent).map(a => a.getBoundingClientRect().height)"
    )
    assert heights and max(heights) <= 48, heights


def test_the_warming_pages_open_from_their_menu(new_page, live_server):
    page = new_page(user=UserFactory())
    page.goto("/")
    menu = page.locator("#main-nav")
    expect(menu.get_by_role("link", name="客户联谊会")).to_be_hidden()
    page.locator("#nav-warming").click()
    expect(menu.get_by_role("link", name="活动通知")).to_be_visible()
    expect(menu.get_by_role("link", name="牵线介绍")).to_be_visible()
    menu.get_by_role("link", name="客户联谊会").click()
    expect(page).to_have_url(f"{live_server.url}/events/")
    # The page's group is marked in the menu.
    expect(page.locator("#nav-warming")).to_have_class(re.compile(r"(^|\s)active(\s|$)"))
    page.locator("#nav-more").click()
    menu.get_by_role("link", name="导入").click()
    expect(page).to_have_url(f"{live_server.url}/policies/import/")


def test_below_1200_px_the_menu_folds(new_page, live_server):
    page = new_page(user=UserFactory(), viewport={"width": 1024, "height": 768})
    page.goto("/")
    expect(page.locator(".navbar-toggler")).to_be_visible()
    expect(page.locator("#main-nav")).to_be_hidden()
    assert_no_horizontal_scroll(page)
