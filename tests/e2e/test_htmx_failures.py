"""Every htmx action shows its failure: a message in Chinese, and the control goes back to
what the server still has (a tick that did not save does not stay ticked)."""

import pytest
from playwright.sync_api import expect

from servicing.models import DeliveryTick

from ..factories import ClientFactory, TeamFactory, UserFactory
from ..policy_factories import PolicyFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.mark.parametrize("screen", [{}, PHONE], ids=["desktop", "phone"])
def test_a_tick_the_server_refused_is_unticked_and_explained(new_page, screen):
    agent = UserFactory(username="li.na", team=TeamFactory(name="北京二部"))
    policy = PolicyFactory(owner=agent, holder=ClientFactory(owner=agent, name="赵敏"))
    page = new_page(user=agent, **screen)
    page.goto(f"/policies/{policy.pk}/delivery/")
    box = page.locator("#delivery-item-explain_cover input[type=checkbox]").first
    if not box.count():
        box = page.locator(".delivery-item input[type=checkbox]").first
    expect(box).not_to_be_checked()

    # The server fails on the next tick.
    page.route("**/delivery/tick/", lambda route: route.fulfill(status=500, body="boom"))
    box.click()
    notice = page.locator("#htmx-failure")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("没有保存")
    expect(box).not_to_be_checked()
    assert not DeliveryTick.objects.filter(delivery__policy=policy).exists()
    page.screenshot(path=f"var/test-artifacts/htmx-failure-{'phone' if screen else 'desktop'}.png")
    new_page.problems.failed_responses.clear()  # the 500 was ours

    # The network is gone: the same.
    page.unroute("**/delivery/tick/")
    notice.locator("[data-failure-close]").click()
    expect(notice).to_be_hidden()
    page.route("**/delivery/tick/", lambda route: route.abort())
    box.click()
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("连不上服务器")
    expect(box).not_to_be_checked()

    # Back to normal: the tick saves and stays.
    page.unroute("**/delivery/tick/")
    # Wait for the server's answer: a tick still being written when the test ends holds a
    # row lock that deadlocks the database flush of the teardown.
    with page.expect_response("**/delivery/tick/"):
        box.click()
    expect(page.locator(".delivery-item input[type=checkbox]:checked").first).to_be_visible()
