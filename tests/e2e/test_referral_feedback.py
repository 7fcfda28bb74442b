"""A referral recorded at policy delivery, and the "report back to the referrer" touch that
appears once the prospect is contacted."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from referrals.models import Context, Referral, Stage
from referrals.services import FEEDBACK_DAYS, FEEDBACK_KIND
from touches import build as touch_services
from touches.models import Touch

from ..factories import ClientFactory, TeamFactory, UserFactory
from ..policy_factories import PolicyFactory
from .checks import assert_page_sound

pytestmark = pytest.mark.django_db(transaction=True)


def test_referral_at_delivery_then_feedback_touch(new_page, live_server):
    today = timezone.localdate()
    agent = UserFactory(username="wang.lei", team=TeamFactory(name="上海一部"))
    referrer = ClientFactory(owner=agent, name="陈静", mobile="+8613911112222")
    policy = PolicyFactory(holder=referrer, number="PA-DELIVERY-01", product_name="金福年金")
    touch_services.touch_build_now(today=today)  # last night's build: the week is built
    assert not Touch.objects.filter(kind=FEEDBACK_KIND).exists()
    page = new_page(user=agent)

    # Delivery, step 4: ask for referrals.
    page.goto(f"/policies/{policy.pk}/delivery/")
    step = page.locator("#delivery-steps [data-link-point=referrals]")
    expect(step).to_have_count(1)
    assert_page_sound(page)
    step.get_by_role("link").click()
    expect(page).to_have_url(
        f"{live_server.url}/referrals/ask/?client={referrer.pk}&policy={policy.pk}&context=delivery"
    )
    form = page.locator("form.referral-request-form")
    expect(form.locator("[name=client]")).to_have_value(str(referrer.pk))
    expect(form.locator("[name=context]")).to_have_value(Context.DELIVERY)
    expect(form.locator(".linked-policy")).to_contain_text("PA-DELIVERY-01")
    assert_page_sound(page)

    # The guided ask: step 1 shows first; "next" twice reaches the names (step 3).
    expect(form.locator("#ask-step-1")).to_be_visible()
    form.locator("[data-ask-next]").click()
    form.locator("[data-ask-next]").click()
    expect(form.locator("#ask-step-3")).to_be_visible()

    # One name with a phone, then on to step 6, which records the ask.
    person = form.locator(".person-row").first
    person.locator("[name='people-0-name']").press_sequentially("赵敏")
    person.locator("[name='people-0-mobile']").press_sequentially("13700001111")
    for _step in range(3):
        form.locator("[data-ask-next]").click()
    form.locator(".form-actions button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/clients/{referrer.pk}/")
    referral = Referral.objects.select_related("referred", "request").get(referrer=referrer)
    assert referral.referred.name == "赵敏"
    assert str(referral.referred.mobile) == "+8613700001111"
    assert referral.context == Context.DELIVERY
    assert referral.request.policy_id == policy.pk
    assert referral.stage == Stage.NEW

    # Open the referral from the client's page and mark the prospect contacted.
    page.locator("#client-referrals").get_by_role("link", name="赵敏").click()
    expect(page).to_have_url(f"{live_server.url}/referrals/{referral.pk}/")
    stage_form = page.locator("#stage-form")
    stage_form.locator("[name=to_stage]").select_option(Stage.CONTACTED)
    stage_form.locator("[name=note]").fill("电话联系，约下周见面")
    stage_form.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/referrals/{referral.pk}/")
    expect(page.locator("#referral-feedback .feedback-owed")).to_have_count(1)
    assert_page_sound(page)
    referral.refresh_from_db()
    assert referral.stage == Stage.CONTACTED

    # Saving the change rebuilt the referrer's touches (on commit, Celery eager in tests):
    # the report-back touch is on the touch list now, not tomorrow; the day's plan shows it
    # on its deadline (the plan groups by the occasion, and this kind has no lead).
    feedback = Touch.objects.get(kind=FEEDBACK_KIND, client=referrer)
    assert feedback.occasion_date == today + timedelta(days=FEEDBACK_DAYS)
    page.goto("/touches/?group=later")
    row = page.locator(f"#touch-{feedback.pk}")
    expect(row).to_contain_text("陈静")
    expect(row).to_contain_text("赵敏")
    expect(row.locator("form[hx-post] button[type=submit]")).to_be_visible()
    assert_page_sound(page)
