"""An agent's day in a real browser: log in through the form, add a client whose birthday is
today and a policy whose rider expires in 30 days, the nightly build runs, both touches are
on the dashboard, one is marked done by htmx and shows on the client's timeline."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Client, Interaction
from policies.models import Policy
from touches import build as touch_services
from touches.models import Touch

from ..factories import PASSWORD, TeamFactory, UserFactory
from ..policy_factories import InsurerFactory
from .checks import assert_page_sound

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_adds_client_and_policy_then_works_the_dashboard(new_page, live_server):
    today = timezone.localdate()
    # 1984 is a leap year, so a 29 February today still has its birthday.
    birth_date = today.replace(year=1984)
    rider_expiry = today + timedelta(days=30)
    agent = UserFactory(username="li.na", team=TeamFactory(name="上海一部"))
    insurer = InsurerFactory(name="平安人寿")
    page = new_page()

    # Log in through the form, typing like a person.
    page.goto("/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    page.locator("#id_username").press_sequentially("li.na")
    page.locator("#id_password").press_sequentially(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.wait_for_load_state()
    expect(page.locator("nav.navbar")).to_contain_text("li.na")
    # The tab title is the page's name, not markup (the row templates once leaked into it).
    expect(page).to_have_title(re.compile(r"^工作台 · [^<>]+$"))
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("typeof window.bootstrap") == "object"

    # A new client whose birthday is today.
    page.get_by_role("link", name="新建客户").click()
    expect(page).to_have_url(f"{live_server.url}/clients/new/")
    assert_page_sound(page)
    page.locator("#id_name").press_sequentially("李秀英")
    page.locator("#id_birth_date").fill(birth_date.isoformat())
    page.locator("#id_mobile").press_sequentially("13912345678")
    page.locator("#id_stage").select_option(Client.Stage.CLIENT)
    page.locator("form.client-form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("李秀英")
    client = Client.objects.get(owner=agent, name="李秀英")
    assert client.birth_date == birth_date
    expect(page).to_have_url(f"{live_server.url}/clients/{client.pk}/")

    # A policy for the client, with a rider that expires in 30 days.
    page.locator("#client-policies").get_by_role("link", name="新建保单").click()
    expect(page).to_have_url(f"{live_server.url}/policies/new/?holder={client.pk}")
    expect(page.locator("#id_holder")).to_have_value(str(client.pk))
    assert_page_sound(page)
    page.locator("#id_insurer").select_option(str(insurer.pk))
    page.locator("#id_number").fill("PA-2026-0001")
    page.locator("#id_product_name").fill("平安福终身寿险")
    page.locator("#id_policy_type").select_option(Policy.Type.LIFE)
    page.locator("#id_status").select_option(Policy.Status.IN_FORCE)
    page.locator("#id_sum_assured").fill("500000")
    page.locator("#id_premium").fill("12000")
    page.locator("#id_payment_frequency").select_option(Policy.Frequency.ANNUAL)
    page.locator("#id_payment_term_years").fill("20")
    page.locator("#id_coverage_kind").select_option(Policy.Coverage.WHOLE_LIFE)
    effective = today - timedelta(days=100)
    page.locator("#id_effective_date").fill(effective.isoformat())
    rider = page.locator("#riders-forms .formset-form").first
    rider.locator("[name='riders-0-name']").fill("附加住院医疗")
    rider.locator("[name='riders-0-sum_assured']").fill("20000")
    rider.locator("[name='riders-0-premium']").fill("600")
    rider.locator("[name='riders-0-start_date']").fill(effective.isoformat())
    rider.locator("[name='riders-0-expiry_date']").fill(rider_expiry.isoformat())
    page.locator("form.policy-form button[type=submit]").click()
    policy = Policy.objects.get(number="PA-2026-0001")
    expect(page).to_have_url(f"{live_server.url}/policies/{policy.pk}/")
    assert policy.holder == client and policy.owner == agent
    assert [(r.name, r.expiry_date) for r in policy.riders.all()] == [
        ("附加住院医疗", rider_expiry)
    ]

    # The nightly build.
    touch_services.touch_build_now(today=today)
    birthday = Touch.objects.get(client=client, kind="birthday")
    expiry = Touch.objects.get(client=client, kind="rider_expiry")
    assert expiry.due_date == today  # 30 days' lead

    # Both touches on the dashboard.
    page.goto("/")
    birthday_row = page.locator(f"#touch-{birthday.pk}")
    expiry_row = page.locator(f"#touch-{expiry.pk}")
    expect(birthday_row).to_contain_text("李秀英")
    expect(birthday_row).to_contain_text("生日")
    expect(expiry_row).to_contain_text("李秀英")
    expect(expiry_row).to_contain_text("附加险到期")
    expect(expiry_row).to_contain_text("附加住院医疗")
    assert_page_sound(page)

    # Done by htmx: the row is swapped in place, the page does not navigate.
    page.evaluate("window.__sameDocument = true")
    url = page.url
    with page.expect_response(lambda r: r.url.endswith(f"/touches/{birthday.pk}/done/")) as done:
        birthday_row.locator("form[hx-post] button[type=submit]").click()
    assert done.value.status == 200
    assert done.value.request.headers.get("hx-request") == "true"
    expect(birthday_row).to_have_class(has_class("touch-done"))
    expect(birthday_row.locator(".badge.text-bg-success")).to_be_visible()
    expect(expiry_row.locator("form[hx-post] button[type=submit]")).to_be_visible()
    assert page.url == url
    assert page.evaluate("window.__sameDocument === true")
    birthday.refresh_from_db()
    assert birthday.status == Touch.Status.DONE and birthday.interaction_id

    # The contact is on the client's timeline.
    page.get_by_role("link", name="李秀英").first.click()
    expect(page).to_have_url(f"{live_server.url}/clients/{client.pk}/")
    interaction = Interaction.objects.get(client=client)
    assert interaction.pk == birthday.interaction_id
    history = page.locator("#timeline").locator("section", has_text="联系记录")
    expect(history).to_contain_text(interaction.summary)
    expect(history).to_contain_text("生日")
    assert_page_sound(page)


def has_class(name: str) -> re.Pattern:
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")
