"""The service view's writes: the nightly summary, tonight's lapses turned into touches, the
agent's commission rates and the lapse guard's one-click actions (through clients' services).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.core.models import JobMarker
from agentcrm.core.services import job_marker_record_success
from clients.models import Client, Commitment, Interaction
from clients.services import commitment_create, interaction_create
from policies.models import Insurer, Policy, PolicyStatusChange
from touches.models import Touch
from touches.registry import touches_rebuild_for_clients

from . import backend, bands, summary
from .models import (
    CommissionRate,
    PersistencyCohort,
    ServiceMonth,
    ServiceMonthBand,
    ServiceMonthKind,
)

SUMMARY_JOB = "service_summary"
LAPSE_KIND = "policy_lapsed"


# --- the nightly steps ----------------------------------------------------------------------


def lapses_raise_touches(day: datetime.date) -> dict[str, int]:
    """Nightly, after policies fell into lapse: build the "policy lapsed" touch of every
    policy that lapsed today for its holder (bulk-write rule, touches.registry section 9)."""
    lapsed_today = PolicyStatusChange.objects.filter(
        to_status=Policy.Status.LAPSED, at__date=day
    ).values("policy__holder_id")
    if not lapsed_today.exists():
        return {}
    with transaction.atomic():
        return touches_rebuild_for_clients(client_ids=lapsed_today, kinds=[LAPSE_KIND], today=day)


def _dirty_months(*, since: datetime.datetime, since_day: datetime.date, day: datetime.date):
    """The months whose figures may have changed since the last run: every month from the
    last run's to today's, and the months of the rows written or closed since (a touch done
    late, a promise kept late, a contact logged with an earlier date, which also changes the
    next 12 months' silent clients). Two grouped statements."""
    months = set(summary.months_from(since_day, day))
    params = {"since": connection.ops.adapt_datetimefield_value(since), "since_day": since_day}
    changed = summary.fetch_rows(
        f"""SELECT DISTINCT {backend.month_of("occasion_date")}
          FROM {Touch._meta.db_table} WHERE closed_at >= %(since)s OR created_at >= %(since)s
        UNION
        SELECT DISTINCT {backend.month_of("due_date")}
          FROM {Commitment._meta.db_table}
          WHERE created_at >= %(since)s OR done_date >= %(since_day)s""",
        params,
    )
    contacts_since = summary.fetch_rows(
        f"""SELECT DISTINCT {backend.month_of("date")}
          FROM {Interaction._meta.db_table} WHERE created_at >= %(since)s""",
        params,
    )
    for (month,) in changed:
        month = backend.as_date(month)
        if month <= day:
            months.add(month)
    for (month,) in contacts_since:
        month = backend.as_date(month)
        for back in range(13):
            later = summary.month_start(month, back=-back)
            if later <= day:
                months.add(later)
    # The premium bands read a policy's effective date, premium and dated status history,
    # and a client's archive day: a policy written since (a status set with an earlier day,
    # an old policy entered late) or a client archived with an earlier day changes every
    # month from then on. One statement.
    (first,) = summary.fetch_rows(
        "SELECT "
        + backend.least(
            f"""(SELECT MIN({backend.month_of("effective_date")})
                FROM {Policy._meta.db_table}
                WHERE created_at >= %(since)s OR updated_at >= %(since)s)""",
            f"""(SELECT MIN({backend.month_of(backend.local_date("at"))})
                FROM {PolicyStatusChange._meta.db_table}
                WHERE policy_id IN (SELECT id FROM {Policy._meta.db_table}
                                    WHERE updated_at >= %(since)s))""",
            f"""(SELECT MIN({backend.month_of(backend.local_date("archived_at"))})
                FROM {Client._meta.db_table} WHERE updated_at >= %(since)s)""",
        ),
        params,
    )
    band_from = backend.as_date(first[0])
    band_months = set(months)
    if band_from is not None and band_from <= day:
        band_months.update(summary.months_from(band_from, day))
    return sorted(months), sorted(band_months)


def _history_start() -> datetime.date | None:
    first = summary.fetch_rows(
        "SELECT "
        + backend.least(
            f"(SELECT MIN(occasion_date) FROM {Touch._meta.db_table})",
            f"(SELECT MIN(date) FROM {Interaction._meta.db_table})",
            f"(SELECT MIN(due_date) FROM {Commitment._meta.db_table})",
            f"(SELECT MIN({backend.local_date('created_at')}) FROM {Client._meta.db_table})",
            f"(SELECT MIN({backend.local_date('at')}) FROM {PolicyStatusChange._meta.db_table})",
        ),
        None,
    )
    return backend.as_date(first[0][0])


@transaction.atomic
def service_summary_write(*, months, day: datetime.date, band_months=None) -> None:
    """Replace the summary rows of `months` (every agent) with a fresh computation as of
    `day`, the premium-band rows of `band_months` (default: `months`), and every
    persistency cohort. Idempotent: the same day gives the same rows."""
    band_months = months if band_months is None else band_months
    by_band = bands.band_figures(months=band_months, today=day)
    ServiceMonthBand.objects.filter(month__in=band_months).delete()
    ServiceMonthBand.objects.bulk_create(
        ServiceMonthBand(owner_id=owner, month=month, band=band, **values)
        for (owner, month, band), values in by_band.items()
    )
    figures, kinds = summary.month_figures(months=months, today=day)
    ServiceMonth.objects.filter(month__in=months).delete()
    ServiceMonthKind.objects.filter(month__in=months).delete()
    ServiceMonth.objects.bulk_create(
        ServiceMonth(owner_id=owner, month=month, **values)
        for (owner, month), values in figures.items()
    )
    ServiceMonthKind.objects.bulk_create(
        ServiceMonthKind(owner_id=owner, month=month, kind=kind, **values)
        for (owner, month, kind), values in kinds.items()
    )
    cohorts = summary.cohort_figures(today=day)
    PersistencyCohort.objects.all().delete()
    PersistencyCohort.objects.bulk_create(
        PersistencyCohort(owner_id=owner, month=month, **values)
        for (owner, month), values in cohorts.items()
    )


def service_summary_refresh(day: datetime.date, *, full: bool = False) -> list[datetime.date]:
    """Nightly: bring the summary up to `day`. The months changed since the last completed
    run are recomputed (a run missed or two is caught up by the same rule, since the last
    run's day is older); the first run, or `full`, recomputes the whole history. Returns the
    months written."""
    marker = JobMarker.objects.filter(name=SUMMARY_JOB).first()
    if full or marker is None or marker.last_completed_day is None:
        start = _history_start()
        months = band_months = summary.months_from(start, day) if start else []
    else:
        since_day = min(marker.last_completed_day, day)
        since = marker.last_success_at or timezone.make_aware(
            datetime.datetime.combine(since_day, datetime.time.min)
        )
        months, band_months = _dirty_months(since=since, since_day=since_day, day=day)
    service_summary_write(months=months, day=day, band_months=band_months)
    job_marker_record_success(name=SUMMARY_JOB, day=day)
    return months


# --- commission rates -----------------------------------------------------------------------


@transaction.atomic
def commission_rate_set(
    *, owner, insurer: Insurer, product_name: str = "", rate
) -> CommissionRate | None:
    """Set (or with rate None, remove) the agent's commission rate for a product of an
    insurer, or for the insurer as a whole (product blank)."""
    product_name = (product_name or "").strip()
    if rate is None:
        CommissionRate.objects.filter(
            owner=owner, insurer=insurer, product_name=product_name
        ).delete()
        return None
    if not 0 <= rate <= 100:
        raise ValidationError(_("Enter a rate between 0 and 100%."))
    obj, _created = CommissionRate.objects.update_or_create(
        owner=owner, insurer=insurer, product_name=product_name, defaults={"rate": rate}
    )
    return obj


# --- the lapse guard's actions ----------------------------------------------------------------


def lapse_contact_log(*, policy: Policy, by, summary_text: str, on: datetime.date | None = None):
    """Log a call about the unpaid premium on the holder's timeline."""
    text = summary_text.strip() or _("Called about the unpaid premium of %(product)s") % {
        "product": policy.product_name
    }
    return interaction_create(
        client=policy.holder,
        kind=Interaction.Kind.CALL,
        on=on or timezone.localdate(),
        summary=text[:500],
        user=by,
    )


def lapse_promise(*, policy: Policy, due_date: datetime.date, description: str = ""):
    """Promise the holder help with the premium by a day (a clients.Commitment, which makes
    its own touch)."""
    text = description.strip() or _("Help pay the premium of %(product)s") % {
        "product": policy.product_name
    }
    return commitment_create(client=policy.holder, description=text[:500], due_date=due_date)
