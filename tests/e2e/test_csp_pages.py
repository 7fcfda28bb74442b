"""The pages whose scripts and sizes moved out of the templates (Content-Security-Policy, no
inline script or style attribute) still work in a real browser, and the browser refuses
nothing on them (new_page fails the test on any CSP report in the console)."""

import pytest
from playwright.sync_api import expect

from ..factories import ClientFactory, UserFactory
from ..policy_factories import PolicyFactory
from ..referral_factories import ReferralFactory
from .checks import assert_page_sound

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_policy_is_refused_inline_and_the_moved_scripts_run(new_page):
    agent = UserFactory(username="agent.csp")
    holder = ClientFactory(owner=agent, name="王芳")
    referral = ReferralFactory(referrer=holder)
    policy = PolicyFactory(holder=holder)
    page = new_page(user=agent)

    # The header reaches the browser: an inline script added now is refused and reported.
    response = page.goto("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.evaluate(
        """() => { const s = document.createElement("div");
                   s.innerHTML = '<img src="x.png" onerror="window.__ran = 1">';
                   document.body.append(s); }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__ran") is None
    new_page.problems.csp_violations.clear()  # caused on purpose

    # referral_stage.js: the stage form shows the lost reason only for "lost".
    page.goto(f"/referrals/{referral.pk}/")
    assert_page_sound(page)
    lost = page.locator("#stage-form [data-stage-only=lost]").first
    expect(lost).to_be_hidden()
    page.locator("#stage-form [name=to_stage]").select_option("lost")
    expect(lost).to_be_visible()

    # The delivery progress bar gets its width from data-progress through app.js.
    page.goto(f"/policies/{policy.pk}/delivery/")
    assert_page_sound(page)
    bar = page.locator("#delivery-progress .progress-bar")
    expect(bar).to_have_attribute("data-progress", "0")
    assert (
        page.evaluate(
            "() => document.querySelector('#delivery-progress .progress-bar').style.width"
        )
        == "0%"
    )

    # service_request_form.js: choosing a kind narrows the categories.
    page.goto(f"/service-requests/new/?policy={policy.pk}")
    assert_page_sound(page)
    before = page.locator("#id_category option").count()
    kinds = page.locator("#id_kind option").evaluate_all("(os) => os.map((o) => o.value)")
    chosen = next(k for k in kinds if k)
    page.locator("#id_kind").select_option(chosen)
    assert page.locator("#id_category option").count() < before

    # source_chart.js draws the chart.
    page.goto("/referrals/sources/")
    assert_page_sound(page)
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('source-chart'))"
    )
