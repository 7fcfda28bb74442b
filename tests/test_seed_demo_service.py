"""`seed_demo` with its service history (demo.builders.service, the last demo step): the
manager's /team/service/ and the agent's /service/ and /lapse/ show a realistic history the
first time they are opened: persistency cohorts, a discipline trend over the past months,
the lapse guard's three stages; and the past touches it writes are closed, mostly on time."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from agentcrm.accounts.models import User
from demo.builders.service import NUMBER_PREFIX
from discipline.selectors import lapse
from policies.models import Policy
from touches.models import Touch

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def seeded():
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=StringIO())
        yield


def test_the_team_service_page_shows_a_history(client, seeded):
    client.force_login(User.objects.get(username="manager1"))
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("team_service:overview"))
    assert page.status_code == 200
    stats = page.context["stats"]
    assert {r.agent.username for r in stats.rows} >= {"agent1", "agent2"}
    total = stats.total
    # Cohorts 14 to 30 months old: a 13-month figure below 100% (some lapsed), and some
    # reaching 25 months.
    assert total.persistency.reached_13 >= 40
    assert 60 <= total.persistency.rate_13 < 100
    assert total.persistency.reached_25 > 0
    # Every month of the trend has touches due, most done on time, some late or skipped.
    months = [m for m in stats.trend if m.discipline.touches_due]
    assert len(months) >= 10
    assert 60 <= total.discipline.touches_on_time_pct <= 95
    assert total.discipline.touches_late and total.discipline.touches_skipped
    assert total.discipline.lapses > 0


def test_the_agent_pages_show_their_history(client, seeded):
    agent = User.objects.get(username="agent1")
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        assert client.get(reverse("discipline:service")).status_code == 200
        queue = client.get(reverse("discipline:lapse"))
    assert queue.status_code == 200
    counts = lapse.lapse_counts(owner_ids=[agent.pk], today=TODAY)[""]
    assert counts.due_soon >= 3 and counts.grace >= 2 and counts.past_grace >= 1
    assert counts.commission_at_risk > 0  # agent1 entered a rate for one insurer


def test_the_service_history_is_closed_and_consistent(seeded):
    history = Touch.objects.filter(source__startswith="demo-history:")
    assert history.count() > 500
    assert not history.filter(status=Touch.Status.OPEN).exists()
    assert not history.filter(closed_at=None).exists()
    done = history.filter(status=Touch.Status.DONE).count()
    assert done > 0.8 * history.count()
    # Each policy's status history ends on its status; a lapse lies after its grace end.
    for policy in Policy.objects.filter(number__startswith=NUMBER_PREFIX):
        steps = list(policy.status_history.order_by("at", "id"))
        assert steps[-1].to_status == policy.status, policy.number
        if policy.status == Policy.Status.LAPSED:
            lapsed_on = steps[-1].at.astimezone(ZoneInfo("Asia/Shanghai")).date()
            assert lapsed_on > policy.premium_grace_end, policy.number
