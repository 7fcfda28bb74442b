"""The manager's landing page: `/` for a manager is the team overview (today's touches done
and open, what is overdue, referrers owed feedback, per agent and in total), for their own
teams and sub-teams only; an agent keeps their dashboard; the menus follow the role."""

import datetime
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agentcrm.accounts.models import User
from touches.models import Touch
from touches.selectors_team import team_overview

from .factories import ClientFactory, CommitmentFactory, TeamFactory, UserFactory
from .referral_factories import ReferralFactory, ReferralStageChangeFactory
from .touch_factories import TouchFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 24)
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOON = datetime.datetime(2026, 11, 24, 12, tzinfo=SHANGHAI)


def at(day: date, hour: int) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def day_of(agent, *, done_today=0, open_today=0, overdue=0, promises=0, owed=0, late=0):
    """Give `agent` a day of work: each figure is made of its own touches, promises and
    stage changes, plus some that must not count."""
    client = ClientFactory(owner=agent, name=f"{agent.username}的客户")
    for n in range(done_today):
        TouchFactory(
            client=client, status=Touch.Status.DONE, closed_at=at(TODAY, 9), source=f"d{n}"
        )
    for n in range(open_today):
        TouchFactory(client=client, due_date=TODAY, source=f"o{n}")
    for n in range(overdue):
        TouchFactory(client=client, due_date=TODAY - datetime.timedelta(days=n + 1), source=f"l{n}")
    for n in range(promises):
        CommitmentFactory(client=client, due_date=TODAY - datetime.timedelta(days=n + 1))
    for n in range(owed):
        due = TODAY - datetime.timedelta(days=1) if n < late else TODAY + datetime.timedelta(days=2)
        ReferralStageChangeFactory(referral=ReferralFactory(referrer=client), feedback_due=due)
    # None of these counts: done yesterday, skipped, due tomorrow, a kept promise, a promise
    # due today, a report already made.
    TouchFactory(
        client=client,
        status=Touch.Status.DONE,
        closed_at=at(TODAY, 0) - datetime.timedelta(minutes=1),
        source="yesterday",
    )
    TouchFactory(client=client, status=Touch.Status.SKIPPED, closed_at=at(TODAY, 9), source="s")
    TouchFactory(client=client, due_date=TODAY + datetime.timedelta(days=1), source="tomorrow")
    CommitmentFactory(client=client, due_date=TODAY - datetime.timedelta(days=3), done_date=TODAY)
    CommitmentFactory(client=client, due_date=TODAY)
    ReferralStageChangeFactory(
        referral=ReferralFactory(referrer=client),
        feedback_due=TODAY - datetime.timedelta(days=5),
        reported_at=at(TODAY, 8),
    )


def figures(row) -> dict:
    return {
        "done_today": row.done_today,
        "open_today": row.open_today,
        "overdue_touches": row.overdue_touches,
        "overdue_promises": row.overdue_promises,
        "feedback_owed": row.feedback_owed,
        "feedback_late": row.feedback_late,
    }


@pytest.fixture
def sub_team(team):
    return TeamFactory(name="上海一部二组", parent=team)


@pytest.fixture
def sub_agent(sub_team):
    return UserFactory(username="sub_agent", team=sub_team)


@pytest.fixture
def other_manager(outsider):
    manager = UserFactory(username="other_manager", role=User.Role.MANAGER)
    outsider.team.manager = manager
    outsider.team.save()
    return manager


def test_figures_per_agent_and_in_total(manager, owner, teammate, sub_agent, outsider):
    day_of(owner, done_today=2, open_today=3, overdue=1, promises=2, owed=3, late=1)
    day_of(teammate, done_today=1, overdue=2)
    day_of(sub_agent, open_today=1, owed=1, late=1)
    day_of(outsider, done_today=5, open_today=5, overdue=5, promises=5, owed=5, late=5)
    with time_machine.travel(NOON):
        overview = team_overview(manager=manager, today=TODAY)
    by_name = {row.agent.username: figures(row) for row in overview.rows}
    # The sub-team's agent is there; the other team's is not; the manager is no row.
    assert set(by_name) == {"owner", "teammate", "sub_agent"}
    assert by_name["owner"] == {
        "done_today": 2,
        "open_today": 3,
        "overdue_touches": 1,
        "overdue_promises": 2,
        "feedback_owed": 3,
        "feedback_late": 1,
    }
    assert by_name["teammate"] == {
        "done_today": 1,
        "open_today": 0,
        "overdue_touches": 2,
        "overdue_promises": 0,
        "feedback_owed": 0,
        "feedback_late": 0,
    }
    assert by_name["sub_agent"]["open_today"] == 1 and by_name["sub_agent"]["feedback_late"] == 1
    assert figures(overview.total) == {
        "done_today": 3,
        "open_today": 4,
        "overdue_touches": 3,
        "overdue_promises": 2,
        "feedback_owed": 4,
        "feedback_late": 2,
    }
    assert overview.total.overdue == 5


def test_done_today_is_todays_local_day(manager, owner):
    client = ClientFactory(owner=owner)
    # 23:30 in Shanghai on the 23rd is 15:30 UTC: yesterday, locally.
    TouchFactory(
        client=client,
        status=Touch.Status.DONE,
        closed_at=at(TODAY, 0).replace(day=23, hour=23, minute=30),
        source="late-evening",
    )
    # 00:30 in Shanghai on the 24th is still the 23rd in UTC: today, locally.
    TouchFactory(
        client=client,
        status=Touch.Status.DONE,
        closed_at=at(TODAY, 0).replace(minute=30),
        source="past-midnight",
    )
    overview = team_overview(manager=manager, today=TODAY)
    assert overview.rows[0].done_today == 1


def test_touches_about_clients_handed_on_or_archived_do_not_count(manager, owner, teammate):
    client = ClientFactory(owner=owner)
    moved = TouchFactory(client=client, due_date=TODAY)
    archived = ClientFactory(owner=owner, archived_at=at(TODAY, 8))
    TouchFactory(client=archived, due_date=TODAY)
    CommitmentFactory(client=archived, due_date=TODAY - datetime.timedelta(days=1))
    client.owner = teammate
    client.save()
    assert moved.owner == owner
    rows = {r.agent.username: r for r in team_overview(manager=manager, today=TODAY).rows}
    assert rows["owner"].open_today == 0 and rows["owner"].overdue_promises == 0
    assert rows["teammate"].open_today == 0


def test_queries_do_not_grow_with_agents(manager, team, sub_team):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            overview = team_overview(manager=manager, today=TODAY)
        assert overview.rows
        return len(queries.captured_queries)

    day_of(UserFactory(username="a0", team=team), done_today=1, overdue=1, promises=1, owed=1)
    few = count()
    for n in range(1, 8):
        agent = UserFactory(username=f"a{n}", team=team if n % 2 else sub_team)
        day_of(agent, done_today=1, open_today=1, overdue=1, promises=1, owed=2, late=1)
    assert count() == few
    # The teams (roots, one level, the end of the walk), the agents, touches, promises,
    # report-backs.
    assert few == 7


def test_manager_lands_on_the_overview(as_user, manager, owner, teammate):
    day_of(owner, done_today=2, open_today=1, overdue=1, promises=1, owed=1, late=1)
    with time_machine.travel(NOON):
        response = as_user(manager).get("/")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "touches/team_overview.html"
    body = response.content.decode()
    assert "团队概览" in body
    assert reverse("team_referrals:overview") in body and reverse("handover:start") in body
    assert reverse("team_referrals:agent", args=[owner.pk]) in body
    # Counts only: no client of the agents shows.
    assert "owner的客户" not in body
    html = response.content.decode()
    total = html[html.index('id="team-total"') : html.index('id="team-agents"')]
    assert 'data-figure="done_today">2<' in total
    assert 'data-figure="open_today">1<' in total
    assert 'data-figure="overdue">2<' in total  # a touch and a promise
    assert 'data-figure="feedback_owed">1<' in total
    assert "其中 1 条已过期限" in total


def test_manager_sees_no_agent_menus(as_user, manager):
    body = as_user(manager).get("/").content.decode()
    for url in (
        reverse("clients:list"),
        reverse("clients:commitments"),
        reverse("policies:list"),
        reverse("service_requests:list"),
        reverse("referrals:list"),
        reverse("imports:index"),
    ):
        assert f'href="{url}"' not in body, url
    assert f'href="{reverse("team_referrals:overview")}"' in body


def test_agent_keeps_the_dashboard_and_sees_no_team_menus(as_user, owner, client_obj):
    TouchFactory(client=client_obj, due_date=TODAY)
    with time_machine.travel(NOON):
        response = as_user(owner).get("/")
    assert [t.name for t in response.templates][0] == "touches/dashboard.html"
    body = response.content.decode()
    assert "王芳" in body
    assert f'href="{reverse("clients:list")}"' in body
    assert reverse("team_referrals:overview") not in body
    assert reverse("handover:start") not in body
    # The calendar subscription is a click away.
    assert reverse("calendar_feed:settings") in body


def test_another_teams_manager_sees_nothing_of_this_team(
    as_user, owner, teammate, outsider, other_manager
):
    day_of(owner, done_today=4, open_today=4)
    day_of(outsider, done_today=1)
    overview = team_overview(manager=other_manager, today=TODAY)
    assert [row.agent.username for row in overview.rows] == ["outsider"]
    assert overview.total.done_today == 1 and overview.total.open_today == 0
    with time_machine.travel(NOON):
        body = as_user(other_manager).get("/").content.decode()
    assert str(owner) not in body and str(teammate) not in body
    assert reverse("team_referrals:agent", args=[owner.pk]) not in body


def test_a_manager_of_no_team_sees_an_empty_overview(as_user, owner):
    lonely = UserFactory(username="lonely", role=User.Role.MANAGER)
    day_of(owner, done_today=1)
    assert team_overview(manager=lonely, today=TODAY).rows == []
    body = as_user(lonely).get("/").content.decode()
    assert "你的团队还没有代理人" in body and str(owner) not in body


def test_an_agent_gets_no_rows_from_the_overview(owner, teammate):
    day_of(teammate, done_today=1)
    assert team_overview(manager=owner, today=TODAY).rows == []
