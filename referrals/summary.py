"""The team figures kept by month: `ReferralMonth` rows per agent and month, so the manager's
team page sums a few rows for whole past months instead of every referral (the current month,
and the days of a period that do not make whole months, are computed live and added:
`selectors.team.team_referral_stats`).

`referral_months_build` (the nightly beat task `build-referral-months`) rebuilds, in three
grouped queries and one upsert on (agent, month):
- every month from the first dated row to the current one that has no build made after the
  month ended (a first run, missed nights: caught up whatever their number),
- every month changed since its build (`ReferralMonthChange`),
- the current month, each night.
It is idempotent: a second run writes the same figures. Rows of a rebuilt month that no
longer have figures are deleted, so the table always equals a fresh computation.

`referral_months_touch` marks (agent, month) pairs of past months whose figures a write
changed; the page reads such a month live until the next build. The referral services call
it, and a deleted referral, ask or step marks its month (a post_delete receiver, which also
sees the rows a deleted client takes with them). Writes outside this app that move referral
rows between agents in bulk mark the months of the rows they move, for both agents (a
handover: handover.services).

The same build keeps, for the top referrers, each referrer's referrals per (agent, month)
(`ReferralMonthReferrer`, the months rebuilt replaced) and their sum per (agent, referrer)
over every kept month (`ReferralReferrerTotal`, rewritten for the referrers of those
months): a period's top five is not the sum of monthly top fives, but a referrer's count
is, and the totals tell the page which few referrers can rank
(`selectors.top_referrers`). "Deepest chain" is stored as the month's MAX, and a period's
is the MAX of its months', which is exact.
"""

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from .models import (
    Referral,
    ReferralMonth,
    ReferralMonthBuild,
    ReferralMonthChange,
    ReferralMonthReferrer,
    ReferralReferrerTotal,
    ReferralRequest,
    ReferralStageChange,
)
from .periods import months_between
from .selectors.team import SUMMED, MonthStart, month_end, month_figures
from .selectors.top_referrers import Ranges, in_ranges

FIGURES = list(SUMMED)


def _first_day() -> datetime.date | None:
    days = [
        Referral.objects.aggregate(d=Min("given_on"))["d"],
        ReferralRequest.objects.aggregate(d=Min("asked_on"))["d"],
        ReferralStageChange.objects.aggregate(d=Min("feedback_due"))["d"],
    ]
    days = [d for d in days if d is not None]
    return min(days) if days else None


def months_to_build(*, today: datetime.date) -> list[datetime.date]:
    """The months the next build rewrites (see the module's docstring), oldest first."""
    this_month = months_between(start=today, end=today)[0]
    built = dict(ReferralMonthBuild.objects.values_list("month", "built_at"))
    changed = dict(
        ReferralMonthChange.objects.values("month")
        .annotate(last=Max("changed_at"))
        .order_by()
        .values_list("month", "last")
    )
    # From the first dated row, or an older month built or changed (its rows may be gone).
    first = min(d for d in (_first_day(), *built, *changed, this_month) if d is not None)
    months = months_between(start=first, end=today)
    return [
        m
        for m in months
        if m == this_month
        or m not in built
        or timezone.localdate(built[m]) <= month_end(m)
        or (m in changed and changed[m] >= built[m])
    ]


def _ranges(months: list[datetime.date]) -> list[tuple[datetime.date, datetime.date]]:
    """Whole months as date ranges, neighbours joined."""
    ranges: list[tuple[datetime.date, datetime.date]] = []
    for month in months:
        if ranges and ranges[-1][1] + datetime.timedelta(days=1) == month:
            ranges[-1] = (ranges[-1][0], month_end(month))
        else:
            ranges.append((month, month_end(month)))
    return ranges


def referral_months_build(*, today: datetime.date | None = None) -> dict:
    """Rebuild the months due (see the module's docstring). Returns what it did."""
    today = today or timezone.localdate()
    started = timezone.now()
    months = months_to_build(today=today)
    figures = month_figures(owner_ids=None, ranges=_ranges(months), today=today)
    with transaction.atomic():
        keep = set(figures)
        gone = [
            pk
            for pk, owner_id, month in ReferralMonth.objects.filter(month__in=months).values_list(
                "pk", "agent_id", "month"
            )
            if (owner_id, month) not in keep
        ]
        if gone:
            ReferralMonth.objects.filter(pk__in=gone).delete()
        ReferralMonth.objects.bulk_create(
            list(figures.values()),
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["agent", "month"],
            update_fields=FIGURES,
        )
        ReferralMonthBuild.objects.bulk_create(
            [ReferralMonthBuild(month=m, built_at=started) for m in months],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["month"],
            update_fields=["built_at"],
        )
        referrers = _build_referrers(months=months, ranges=_ranges(months))
        # Marks older than this build are answered by it.
        ReferralMonthChange.objects.filter(month__in=months, changed_at__lt=started).delete()
    return {
        "months": len(months),
        "rows": len(figures),
        "removed": len(gone),
        "referrer_rows": referrers,
    }


def month_referrer_counts(*, ranges: Ranges) -> dict[tuple[int, datetime.date, int], int]:
    """{(agent, month, referrer): referrals given} over the date ranges, from the referrals:
    what the build keeps in `ReferralMonthReferrer` (one grouped query)."""
    if not ranges:
        return {}
    rows = (
        Referral.objects.filter(in_ranges("given_on", ranges))
        .annotate(month=MonthStart("given_on"))
        .values("owner_id", "month", "referrer_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("owner_id", "month", "referrer_id", "n")
    )
    return {(a, m, r): n for a, m, r, n in rows}


# Referrer ids per IN list (SQLite limits a statement's parameters).
_CHUNK = 5000


def _build_referrers(*, months: list[datetime.date], ranges: Ranges) -> int:
    """Replace the months' `ReferralMonthReferrer` rows and rewrite the totals of every
    referrer who had or has a row in them. Returns the rows written."""
    counts = month_referrer_counts(ranges=ranges)
    rows = ReferralMonthReferrer.objects.filter(month__in=months)
    touched = set(rows.values_list("referrer_id", flat=True))
    rows.delete()
    ReferralMonthReferrer.objects.bulk_create(
        [
            ReferralMonthReferrer(agent_id=a, month=m, referrer_id=r, given=n)
            for (a, m, r), n in counts.items()
        ],
        batch_size=5000,
    )
    touched |= {r for _a, _m, r in counts}
    ordered = sorted(touched)
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        totals = (
            ReferralMonthReferrer.objects.filter(referrer_id__in=chunk)
            .values("agent_id", "referrer_id")
            .annotate(n=Sum("given"))
            .order_by()
            .values_list("agent_id", "referrer_id", "n")
        )
        made = [ReferralReferrerTotal(agent_id=a, referrer_id=r, given=n) for a, r, n in totals]
        ReferralReferrerTotal.objects.filter(referrer_id__in=chunk).delete()
        ReferralReferrerTotal.objects.bulk_create(made, batch_size=5000)
    return len(counts)


def referral_months_touch(*, rows: Iterable[tuple[int, datetime.date | None]]) -> None:
    """Mark the past months of these (agent, day) pairs as changed now: the page computes
    them live until the next build. Days in the current month or later need no mark (the
    page never reads them from the summary). One upsert."""
    this_month = months_between(start=timezone.localdate(), end=timezone.localdate())[0]
    pairs = {
        (owner_id, day.replace(day=1))
        for owner_id, day in rows
        if day is not None and day < this_month
    }
    if not pairs:
        return
    now = timezone.now()
    ReferralMonthChange.objects.bulk_create(
        [ReferralMonthChange(agent_id=o, month=m, changed_at=now) for o, m in sorted(pairs)],
        update_conflicts=True,
        unique_fields=["agent", "month"],
        update_fields=["changed_at"],
    )


def month_row_deleted(day_field: str):
    """A post_delete receiver marking the deleted row's month (`day_field`: its date)."""

    def receiver(sender, instance, **kwargs) -> None:
        referral_months_touch(rows=[(instance.owner_id, getattr(instance, day_field))])

    return receiver
