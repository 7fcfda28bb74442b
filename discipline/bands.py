"""Contacts per client by premium band (the deck: 不能忽视小客户): the one definition the
agent's own /service/ panel (`selectors.own.small_clients`) and the nightly summary
(`ServiceMonthBand`, read by /team/service/) both run, so the two always agree.

As of a day D (a month's last day, or the day of the run for the month under way):
- the clients: stage client (prospects left out), not merged, created on or before D and
  not archived by D;
- a client's premium: the annualised premium of the client's own policies (sold by the
  client's agent, not 保单托管 "sold by others"), in effect by D and in an in-force status
  (Policy.ACTIVE_STATUSES: in force, grace, reinstated, paid up) at the end of D: the
  status the first move after D (status history) left, or with no move since, the status
  now (so the day of the run reads the policies as they stand, whatever their history);
  the client's band from BANDS;
- contacts: the client's contacts (clients.Interaction) dated in the 12 months up to D;
  under the floor: fewer than MIN_CONTACTS_A_YEAR of them.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agentcrm.core.calendar import years_before
from clients.models import Client, Interaction
from policies.models import Policy, PolicyStatusChange

from . import backend
from .summary import annual_premium_sql, fetch_rows, month_end

MIN_CONTACTS_A_YEAR = 2
# (key, label, upper bound of the annualised premium, exclusive; None: no bound). A client
# with no premium in force is "none" whatever the bound.
BANDS = (
    ("none", _("No policy in force"), Decimal(0)),
    ("small", _("Under ¥5,000"), Decimal(5000)),
    ("medium", _("¥5,000–20,000"), Decimal(20000)),
    ("large", _("¥20,000–50,000"), Decimal(50000)),
    ("top", _("¥50,000 and more"), None),
)
BAND_KEYS = tuple(key for key, _label, _upper in BANDS)
BAND_LABELS = {key: label for key, label, _upper in BANDS}
ACTIVE = tuple(str(s) for s in Policy.ACTIVE_STATUSES)


class BandRates:
    """Contacts per client and the share under the floor, from `clients`, `contacts` and
    `below_floor` (one band's, or the sum of all)."""

    clients: int
    contacts: int
    below_floor: int

    @property
    def per_client(self) -> float | None:
        return round(self.contacts / self.clients, 1) if self.clients else None

    @property
    def below_pct(self) -> float | None:
        return round(self.below_floor * 100 / self.clients, 1) if self.clients else None


@dataclass
class BandCell(BandRates):
    """One band's figures (the agent's own page, a manager's row or the total)."""

    key: str
    clients: int = 0
    contacts: int = 0
    below_floor: int = 0

    @property
    def label(self) -> str:
        return str(BAND_LABELS[self.key])


_CLIENT = Client._meta.db_table
_INTERACTION = Interaction._meta.db_table
_POLICY = Policy._meta.db_table
_STATUS = PolicyStatusChange._meta.db_table


def band_case_sql(premium: str) -> str:
    """SQL: the band key of an annualised premium expression."""
    whens = " ".join(
        f"WHEN {premium} < {upper} THEN '{key}'" for key, _label, upper in BANDS[1:] if upper
    )
    return f"(CASE WHEN {premium} <= 0 THEN 'none' {whens} ELSE '{BANDS[-1][0]}' END)"


def days_sql(days: Iterable[tuple[datetime.date, datetime.date]]) -> str:
    """SQL: a derived table d(month, last_day, since, after_at) of (key, day D) pairs;
    `since` is D a year back (contacts count after it); `after_at` the local midnight that
    ends D (a status move at or after it came later)."""
    lit = backend.date_literal

    def end_of(day: datetime.date) -> str:
        after = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
        return backend.moment_literal(timezone.make_aware(after))

    return " UNION ALL ".join(
        f"SELECT {lit(key)} AS month, {lit(day)} AS last_day,"
        f" {lit(years_before(day, 1))} AS since, {end_of(day)} AS after_at"
        for key, day in days
    )


def client_rows_sql(*, days: str, owner_ids=None) -> str:
    """SQL: `WITH …` common tables ending in `banded(owner_id, client_id, month,
    premium, contacts, band)`, one row per client and day of `days` (see `days_sql`); the caller
    appends its SELECT … FROM banded. One statement whatever the number of agents or days."""
    own = "NOT p.sold_by_others" + (
        "" if owner_ids is None else f" AND {backend.in_ids('p.owner_id', owner_ids)}"
    )
    owners = "" if owner_ids is None else f" AND {backend.in_ids('c.owner_id', owner_ids)}"
    active = ", ".join(f"'{s}'" for s in ACTIVE)
    premium = "COALESCE(prem.premium, 0)"
    return f"""WITH d AS ({days}),
        pol AS (
          SELECT p.id, p.holder_id, p.status, p.effective_date,
            {annual_premium_sql()} AS annual
          FROM {_POLICY} p JOIN {_CLIENT} h ON h.id = p.holder_id AND h.owner_id = p.owner_id
          WHERE {own}),
        later AS (
          SELECT s.policy_id, d.month,
            COALESCE(NULLIF(s.from_status, ''), s.to_status) AS status,
            ROW_NUMBER() OVER (PARTITION BY s.policy_id, d.month ORDER BY s.at, s.id) AS n
          FROM d JOIN {_STATUS} s ON s.at >= d.after_at
          JOIN pol ON pol.id = s.policy_id),
        prem AS (
          SELECT pol.holder_id, d.month, SUM(pol.annual) AS premium
          FROM d JOIN pol ON pol.effective_date <= d.last_day
          LEFT JOIN later ON later.policy_id = pol.id AND later.month = d.month
            AND later.n = 1
          WHERE COALESCE(later.status, pol.status) IN ({active})
          GROUP BY 1, 2),
        cnt AS (
          SELECT i.client_id, d.month, COUNT(*) AS n
          FROM d JOIN {_INTERACTION} i ON i.date > d.since AND i.date <= d.last_day
          JOIN {_CLIENT} c ON c.id = i.client_id
          WHERE c.stage = 'client'{owners}
          GROUP BY 1, 2),
        banded AS (
          SELECT c.owner_id, c.id AS client_id, d.month, {premium} AS premium,
            COALESCE(cnt.n, 0) AS contacts, {band_case_sql(premium)} AS band
          FROM d JOIN {_CLIENT} c ON {backend.local_date("c.created_at")} <= d.last_day
          LEFT JOIN prem ON prem.holder_id = c.id AND prem.month = d.month
          LEFT JOIN cnt ON cnt.client_id = c.id AND cnt.month = d.month
          WHERE c.merged_into_id IS NULL AND c.stage = 'client'
            AND (c.archived_at IS NULL OR {backend.local_date("c.archived_at")} > d.last_day)
            {owners})"""


BAND_FIELDS = ("clients", "contacts", "below_floor")


def band_figures(
    *, months: Iterable[datetime.date], today: datetime.date, owner_ids=None
) -> dict[tuple, dict]:
    """{(owner, month, band): {clients, contacts, below_floor}} as of each month's last day
    (today for the month under way; months after today are left out)."""
    pairs = [(m, min(month_end(m), today)) for m in sorted(set(months)) if m <= today]
    if not pairs:
        return {}
    sql = f"""{client_rows_sql(days=days_sql(pairs), owner_ids=owner_ids)}
        SELECT owner_id, month, band, COUNT(*), SUM(contacts),
          COUNT(*) FILTER (WHERE contacts < {int(MIN_CONTACTS_A_YEAR)})
        FROM banded GROUP BY 1, 2, 3"""
    return {
        (owner, backend.as_date(month), band): {
            "clients": clients,
            "contacts": int(contacts or 0),
            "below_floor": below,
        }
        for owner, month, band, clients, contacts, below in fetch_rows(sql, None)
    }
