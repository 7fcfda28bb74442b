"""Persistency (继续率) against a cohort computed by hand: reinstated, paid up, surrendered,
sold by others, cancelled in the cooling-off period, and a 29 February issue date."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from discipline import summary
from discipline.selectors.team import team_service
from discipline.services import service_summary_refresh
from policies.models import Policy, PolicyStatusChange
from referrals.periods import Period

from .factories import ClientFactory
from .policy_factories import PolicyFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 6, 15)
S = Policy.Status


def moved(policy, on: datetime.date, frm: str, to: str, hour: int = 12) -> None:
    PolicyStatusChange.objects.create(
        policy=policy,
        from_status=frm,
        to_status=to,
        at=datetime.datetime(on.year, on.month, on.day, hour, tzinfo=SHANGHAI),
    )


def policy(owner, effective, status, premium="10000", frequency="annual", **extra):
    p = PolicyFactory(
        holder=ClientFactory(owner=owner),
        effective_date=effective,
        status=status,
        premium=Decimal(premium),
        payment_frequency=frequency,
        **extra,
    )
    moved(p, effective, "", S.IN_FORCE, hour=9)
    return p


@pytest.fixture
def cohort(owner, teammate):
    """February 2024 for `owner`; by hand:
    A 29 Feb, ¥10,000: lapses 2025-03-30, the day after its 13th month (29 Mar): kept at 13,
      lost at 25.
    B 10 Feb, ¥1,000 a month (¥12,000 a year): lapsed Oct 2024, reinstated Jan 2025: kept
      at both.
    C 5 Feb, ¥5,000: paid up Jan 2025: kept at both.
    D 15 Feb, ¥8,000: surrendered Dec 2024, after its cooling-off: lost at both.
    G 3 Feb, ¥6,000: lapsed 20 Feb 2025, before its 13th month (3 Mar), reinstated April:
      lost at 13, kept at 25.
    Left out: E (sold by others), F (surrendered within its cooling-off period), H (an
    application never issued).
    Cohort: 5 policies, ¥41,000. 13 months: A, B, C = 3 (¥27,000). 25 months: B, C, G = 3
    (¥23,000)."""
    a = policy(owner, datetime.date(2024, 2, 29), S.LAPSED)
    moved(a, datetime.date(2025, 3, 30), S.IN_FORCE, S.LAPSED)
    b = policy(owner, datetime.date(2024, 2, 10), S.REINSTATED, "1000", "monthly")
    moved(b, datetime.date(2024, 10, 1), S.IN_FORCE, S.LAPSED)
    moved(b, datetime.date(2025, 1, 10), S.LAPSED, S.REINSTATED)
    c = policy(owner, datetime.date(2024, 2, 5), S.PAID_UP, "5000")
    moved(c, datetime.date(2025, 1, 1), S.IN_FORCE, S.PAID_UP)
    d = policy(owner, datetime.date(2024, 2, 15), S.SURRENDERED, "8000")
    d.cooling_off_end = datetime.date(2024, 3, 1)
    d.save()
    moved(d, datetime.date(2024, 12, 1), S.IN_FORCE, S.SURRENDERED)
    policy(owner, datetime.date(2024, 2, 20), S.IN_FORCE, "50000", sold_by_others=True)
    f = policy(owner, datetime.date(2024, 2, 12), S.SURRENDERED, "70000")
    f.cooling_off_end = datetime.date(2024, 2, 27)
    f.save()
    moved(f, datetime.date(2024, 2, 25), S.IN_FORCE, S.SURRENDERED)
    g = policy(owner, datetime.date(2024, 2, 3), S.REINSTATED, "6000")
    moved(g, datetime.date(2025, 2, 20), S.IN_FORCE, S.LAPSED)
    moved(g, datetime.date(2025, 4, 1), S.LAPSED, S.REINSTATED)
    PolicyFactory(
        holder=ClientFactory(owner=owner),
        effective_date=datetime.date(2024, 2, 21),
        status=S.PENDING,
    )
    # The teammate's policy of the same month, kept: counted for the teammate only.
    policy(teammate, datetime.date(2024, 2, 1), S.IN_FORCE, "3000")


def test_cohort_by_hand(owner, teammate, cohort):
    figures = summary.cohort_figures(today=TODAY)
    mine = figures[(owner.id, datetime.date(2024, 2, 1))]
    assert mine["policies"] == 5
    assert mine["premium"] == Decimal("41000")
    assert (mine["reached_13"], mine["kept_13"]) == (5, 3)
    assert mine["kept_13_premium"] == Decimal("27000")
    assert (mine["reached_25"], mine["kept_25"]) == (5, 3)
    assert mine["kept_25_premium"] == Decimal("23000")
    theirs = figures[(teammate.id, datetime.date(2024, 2, 1))]
    assert (theirs["policies"], theirs["kept_13"], theirs["kept_25"]) == (1, 1, 1)


def test_a_point_not_yet_reached_is_not_counted(owner, cohort):
    # On 2025-03-15 the 13th months of A (29 Mar) and D (15 Mar, today: not over yet) have
    # not passed; those of G (3 Mar), C (5 Mar) and B (10 Mar) have.
    mine = summary.cohort_figures(today=datetime.date(2025, 3, 15))[
        (owner.id, datetime.date(2024, 2, 1))
    ]
    assert (mine["reached_13"], mine["kept_13"]) == (3, 2)  # B, C kept; G lost
    assert mine["reached_25"] == 0


def test_the_summary_and_the_team_page_read_the_cohort(client, owner, teammate, manager, cohort):
    with time_machine.travel(datetime.datetime(2026, 6, 15, 3, tzinfo=SHANGHAI), tick=False):
        service_summary_refresh(TODAY)
        # The 13-month figure of March 2025 is the cohort of February 2024, the 25-month
        # figure of March 2026 too.
        stats = team_service(
            agents=[owner, teammate],
            period=Period(datetime.date(2025, 3, 1), datetime.date(2026, 3, 31)),
            today=TODAY,
        )
        row = stats.rows[0]
        assert (row.persistency.reached_13, row.persistency.kept_13) == (5, 3)
        assert row.persistency.rate_13 == 60.0
        assert row.persistency.rate_13_premium == round(27000 * 100 / 41000, 1)
        assert row.persistency.rate_25_premium == round(23000 * 100 / 41000, 1)
        march25 = next(m for m in stats.trend if m.month == datetime.date(2025, 3, 1))
        assert march25.persistency.kept_13 == 4  # owner's 3 and the teammate's 1
        assert stats.total.persistency.reached_25 == 6

        client.force_login(manager)
        page = client.get(
            reverse("team_service:overview"), {"start": "2025-03-01", "end": "2026-03-31"}
        )
        assert page.status_code == 200
        assert stats.rows[0].persistency.rate_13 is not None
        assert "60.0%" in page.content.decode()
