"""The ask for referrals as a guided sequence on a phone: the deck's six steps one at a time,
with its words; names at step 3 and "还有其他朋友吗？" at step 4; a refused submit comes back to
the step to correct with what was typed; the last step saves everything at once. Without
JavaScript every step shows and the one button records the ask."""

import pytest
from playwright.sync_api import expect

from clients.models import Client
from referrals.models import Referral, ReferralRequest

from ..factories import ClientFactory, TeamFactory, UserFactory
from .checks import assert_no_horizontal_scroll, assert_page_sound

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def visible_step(form) -> str:
    # Waits for the script (at the end of the page) to have hidden the other steps.
    expect(form.locator(".ask-step:visible")).to_have_count(1)
    return form.locator(".ask-step:visible").get_attribute("data-step")


def test_the_six_steps_one_at_a_time_on_a_phone(new_page, live_server):
    agent = UserFactory(username="li.na", team=TeamFactory(name="上海一部"))
    referrer = ClientFactory(owner=agent, name="陈静", stage="client")
    page = new_page(user=agent, **PHONE)
    page.goto(f"/referrals/ask/?client={referrer.pk}")
    form = page.locator("form.referral-request-form")
    expect(form.locator(".ask-step:visible")).to_have_count(1)
    assert visible_step(form) == "1"
    expect(form.locator("#ask-step-1")).to_contain_text("你觉得我刚才跟你讲解的这份计划怎么样？")
    expect(form.locator("[data-ask-submit]")).to_be_hidden()
    assert_page_sound(page)
    assert_no_horizontal_scroll(page)

    form.locator("[data-ask-next]").click()
    expect(form.locator("#ask-step-2")).to_contain_text("很高兴看到你的认可")
    form.locator("[data-ask-next]").click()
    step3 = form.locator("#ask-step-3")
    expect(step3).to_contain_text(
        "如果你下个月要去北京旅行，要你约三个朋友和你一起去，你会约哪三位呢？"
    )
    expect(step3.locator("#ask-objection")).to_contain_text("一定保密")
    assert_no_horizontal_scroll(page)
    step3.locator("[name='people-0-name']").fill("张琴")
    step3.locator("[name='people-0-occupation']").fill("医生")
    step3.locator("[name='people-0-mobile']").fill("12345")  # a bad number
    step3.locator("[name='people-1-name']").fill("王力")

    form.locator("[data-ask-next]").click()
    step4 = form.locator("#ask-step-4")
    expect(step4).to_contain_text("还有其他朋友吗？")
    step4.locator("[data-formset-add]").click()
    step4.locator("[name='people-3-name']").fill("周全")
    form.locator("[data-ask-next]").click()
    expect(form.locator("#ask-step-5")).to_be_visible()
    form.locator("[name=notes]").fill("在客户家里聊的")
    form.locator("[data-ask-next]").click()
    expect(form.locator("#ask-step-6")).to_contain_text("都会第一时间告诉你情况")
    expect(form.locator("[data-ask-next]")).to_be_hidden()
    form.locator("[data-ask-submit]").click()

    # Refused: nothing saved; back on step 3 with the message in Chinese and the words kept.
    form = page.locator("form.referral-request-form")
    expect(page.locator(".alert-danger").first).to_contain_text("未保存")
    assert visible_step(form) == "3"
    expect(form.locator("[name='people-0-name']")).to_have_value("张琴")
    expect(form.locator("[name='people-0-mobile']")).to_have_value("12345")
    assert not ReferralRequest.objects.exists()
    assert Client.objects.filter(owner=agent).count() == 1

    form.locator("[name='people-0-mobile']").fill("13700001111")
    for _step in range(3):
        form.locator("[data-ask-next]").click()
    expect(form.locator("[name=notes]")).to_have_value("在客户家里聊的")
    form.locator("[data-ask-submit]").click()
    expect(page).to_have_url(f"{live_server.url}/clients/{referrer.pk}/")
    ask = ReferralRequest.objects.get()
    assert (ask.names_given, ask.notes) == (3, "在客户家里聊的")
    names = set(Referral.objects.values_list("referred__name", flat=True))
    assert names == {"张琴", "王力", "周全"}


def test_without_javascript_every_step_shows(new_page, live_server):
    agent = UserFactory(username="zhao.lei", team=TeamFactory(name="上海一部"))
    referrer = ClientFactory(owner=agent, name="陈静", stage="client")
    page = new_page(user=agent, java_script_enabled=False, **PHONE)
    page.goto(f"/referrals/ask/?client={referrer.pk}")
    form = page.locator("form.referral-request-form")
    expect(form.locator(".ask-step:visible")).to_have_count(6)
    expect(form.locator("[data-ask-next]")).to_be_hidden()
    assert_no_horizontal_scroll(page)
    form.locator("[name='people-0-name']").fill("张琴")
    form.locator("[data-ask-submit]").click()
    expect(page).to_have_url(f"{live_server.url}/clients/{referrer.pk}/")
    assert ReferralRequest.objects.get().names_given == 1
