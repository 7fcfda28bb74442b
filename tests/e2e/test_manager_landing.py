"""A manager signs in through the form and lands on the team overview: the team's figures
for today, links to the team pages, none of the agents' menus; on a desktop and on a phone,
where nothing is wider than the screen."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agentcrm.accounts.models import User
from touches.models import Touch

from ..factories import PASSWORD, ClientFactory, CommitmentFactory, TeamFactory, UserFactory
from ..referral_factories import ReferralFactory, ReferralStageChangeFactory
from ..touch_factories import TouchFactory
from .checks import assert_no_horizontal_scroll, assert_page_sound
from .test_mobile import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

AGENT_MENUS = ("客户", "承诺", "保单", "保全与理赔", "转介绍", "导入")


def team_with_a_day():
    """manager1's team (agent1, agent2) and a sub-team (agent3), with today's work; and
    another team whose figures must not show."""
    today = timezone.localdate()
    now = timezone.now()
    team = TeamFactory(name="上海一部")
    manager = UserFactory(username="manager1", role=User.Role.MANAGER, team=team)
    team.manager = manager
    team.save()
    sub_team = TeamFactory(name="上海一部二组", parent=team)
    agents = [
        UserFactory(username="agent1", display_name="李娜", team=team),
        UserFactory(username="agent2", display_name="张伟", team=team),
        UserFactory(username="agent3", display_name="欧阳长名字的代理人", team=sub_team),
    ]
    for n, agent in enumerate(agents):
        client = ClientFactory(owner=agent, name=f"客户{n}")
        TouchFactory(client=client, status=Touch.Status.DONE, closed_at=now, due_date=today)
        TouchFactory(client=client, due_date=today, source=f"open{n}")
        TouchFactory(client=client, due_date=today - timedelta(days=3), source=f"late{n}")
        CommitmentFactory(client=client, due_date=today - timedelta(days=2))
        ReferralStageChangeFactory(
            referral=ReferralFactory(referrer=client), feedback_due=today - timedelta(days=1)
        )
    outsider = UserFactory(username="agent9", display_name="外队代理人", team=TeamFactory())
    outside_client = ClientFactory(owner=outsider, name="外队客户")
    for n in range(5):
        TouchFactory(client=outside_client, due_date=today, source=f"out{n}")
    return manager, agents


def log_in(page, live_server, username):
    page.goto("/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    page.locator("#id_username").press_sequentially(username)
    page.locator("#id_password").press_sequentially(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.wait_for_load_state()


def check_overview(page, agents):
    expect(page).to_have_title(re.compile(r"^团队概览 · [^<>]+$"))
    expect(page.locator("h1")).to_have_text("团队概览")
    total = page.locator("#team-total")
    expect(total.locator('[data-figure="done_today"]')).to_have_text("3")
    expect(total.locator('[data-figure="open_today"]')).to_have_text("3")
    expect(total.locator('[data-figure="overdue"]')).to_have_text("6")
    expect(total.locator('[data-figure="feedback_owed"]')).to_have_text("3")
    rows = page.locator("#team-agents tbody tr")
    expect(rows).to_have_count(3)
    for agent in agents:
        expect(page.locator(f'#team-agents tr[data-agent="{agent.pk}"]')).to_contain_text(
            str(agent)
        )
    body = page.locator("body")
    expect(body).not_to_contain_text("外队代理人")
    expect(body).not_to_contain_text("客户0")  # counts only, no client of the agents
    pages = page.locator("#team-pages")
    expect(pages.get_by_role("link", name="团队转介绍")).to_be_visible()
    expect(pages.get_by_role("link", name="客户移交")).to_be_visible()
    assert_page_sound(page)


def check_menus(menu):
    expect(menu.get_by_role("link", name="团队概览", exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name="团队转介绍", exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name="客户移交", exact=True)).to_be_visible()
    for name in AGENT_MENUS:
        expect(menu.get_by_role("link", name=name, exact=True)).to_have_count(0)


def test_manager_lands_on_the_team_overview(new_page, live_server):
    manager, agents = team_with_a_day()
    page = new_page()
    log_in(page, live_server, "manager1")
    check_overview(page, agents)
    check_menus(page.locator("#main-nav"))
    assert_no_horizontal_scroll(page)

    # The team pages open from it.
    page.locator("#team-pages").get_by_role("link", name="团队转介绍").click()
    expect(page).to_have_url(f"{live_server.url}/team/referrals/")
    assert_page_sound(page)


def test_manager_lands_on_the_team_overview_on_a_phone(new_page, live_server):
    manager, agents = team_with_a_day()
    page = new_page(**PHONE)
    log_in(page, live_server, "manager1")
    check_overview(page, agents)
    assert_no_horizontal_scroll(page)
    # The four totals sit two by two, on the screen.
    for figure in ("done_today", "open_today", "overdue", "feedback_owed"):
        box = page.locator(f'#team-total [data-figure="{figure}"]').bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, figure

    # The folded menu holds the team's pages and none of the agents'.
    toggler = page.locator(".navbar-toggler")
    menu = page.locator("#main-nav")
    toggler.tap()
    expect(menu).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    check_menus(menu)
    assert_no_horizontal_scroll(page)
