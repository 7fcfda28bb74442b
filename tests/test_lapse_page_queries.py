"""The lapse guard's pages cost a fixed number of queries whatever the rows on them (no query
per policy, holder, insurer, agent or contact), and the pager counts from the page's own
totals rather than a second COUNT(*) over the whole queue."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discipline.models import CommissionRate
from discipline.selectors import lapse
from policies.models import Insurer, Policy

from .factories import ClientFactory, InteractionFactory
from .policy_factories import PolicyFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 15)
NOON = datetime.datetime(2026, 6, 15, 12, tzinfo=ZoneInfo("Asia/Shanghai"))


def add_at_risk(owners, n: int, *, first: int = 0) -> None:
    """`n` policies at risk per agent, each with its own holder, insurer and last contact,
    in the three stages, half of them with a commission rate."""
    for owner in owners:
        for i in range(first, first + n):
            insurer = Insurer.objects.create(name=f"{owner.username} 人寿 {i}")
            holder = ClientFactory(owner=owner, mobile=f"+8613800{owner.pk:03d}{i:03d}")
            InteractionFactory(client=holder, date=TODAY - datetime.timedelta(days=i + 1))
            status, due = [
                (Policy.Status.IN_FORCE, TODAY + datetime.timedelta(days=5 + i)),
                (Policy.Status.GRACE, TODAY - datetime.timedelta(days=3 + i)),
                (Policy.Status.LAPSED, TODAY - datetime.timedelta(days=90 + i)),
            ][i % 3]
            p = PolicyFactory(
                owner=owner,
                holder=holder,
                insurer=insurer,
                premium=Decimal(1000 + i),
                status=status,
                effective_date=datetime.date(2023, 1, 1),
            )
            Policy.objects.filter(pk=p.pk).update(
                premium_next_due=due, premium_grace_end=due + datetime.timedelta(days=60)
            )
            if i % 2:
                CommissionRate.objects.create(owner=owner, insurer=insurer, rate=Decimal(10))


def page_queries(client, url: str) -> tuple[list[str], str]:
    with time_machine.travel(NOON, tick=False), CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries], response.content.decode()


@pytest.mark.parametrize(
    ("url", "who"),
    [(reverse("discipline:lapse"), "owner"), (reverse("team_service:lapse"), "manager")],
)
def test_lapse_pages_queries_do_not_grow_with_rows(client, owner, teammate, manager, url, who):
    client.force_login({"owner": owner, "manager": manager}[who])
    add_at_risk([owner, teammate], 2)
    few, body = page_queries(client, url)
    assert body.count("data-policy=") == (2 if who == "owner" else 4)
    add_at_risk([owner, teammate], 7, first=2)
    more, body = page_queries(client, url)
    assert body.count("data-policy=") == (9 if who == "owner" else 18)
    assert len(more) == len(few), "\n".join(more)
    # The pager's count is the totals' sum: no COUNT(*) over the queue beside them.
    assert not [sql for sql in more if sql.startswith('SELECT COUNT(*) AS "__count"')]


def test_lapse_pager_count_is_the_queue_length_per_stage(client, owner, teammate, manager):
    add_at_risk([owner, teammate], 6)
    client.force_login(manager)
    ids = [owner.pk, teammate.pk]
    for stage in ("", *lapse.STAGES):
        url = reverse("team_service:lapse") + (f"?stage={stage}" if stage else "")
        _queries, body = page_queries(client, url)
        shown = body.count("data-policy=")
        assert shown == lapse.lapse_queue(owner_ids=ids, today=TODAY, stage=stage).count()
        assert shown == (12 if not stage else 4)
        # The count line (English msgid: "%(counter)s policies"), whatever the language.
        assert f">{shown} " in body.replace("\n", "").replace("  ", "")


def test_the_rows_alone_for_htmx_still_count(client, owner):
    add_at_risk([owner], 3)
    client.force_login(owner)
    with time_machine.travel(NOON, tick=False):
        rows = client.get(reverse("discipline:lapse"), headers={"HX-Request": "true"})
    body = rows.content.decode()
    assert body.count("data-policy=") == 3 and 'id="lapse-totals"' not in body
    assert rows.context["page"].paginator.count == 3
