"""Premium won, shared by the chain and the influence figures: a person's premium won is the
annualised premium of the won policies they hold (see the package's docstring), the agent's own
only (`Policy.objects.own()`: never policies sold by others)."""

from decimal import Decimal

from clients.models import Client
from policies.models import Policy

PAYMENTS_PER_YEAR = {
    Policy.Frequency.ANNUAL: 1,
    Policy.Frequency.SEMI_ANNUAL: 2,
    Policy.Frequency.QUARTERLY: 4,
    Policy.Frequency.MONTHLY: 12,
    Policy.Frequency.SINGLE: 1,
}
WON_STATUSES = (
    *Policy.ACTIVE_STATUSES,
    Policy.Status.MATURED,
    Policy.Status.TERMINATED_CLAIM,
)

_POLICY = Policy._meta.db_table
_CLIENT = Client._meta.db_table


def _won_by_holder_sql(*, owner_id: int, holders_sql: str = "", period=None) -> tuple[str, list]:
    """SQL for (holder_id, policies, premium) of the won policies of `owner_id`, grouped by
    holder; `holders_sql` narrows the holders (a `SELECT client_id FROM …` of the CTE),
    `period` (start, end) the effective dates."""
    cases = " ".join(f"WHEN %s THEN {int(n)}" for n in PAYMENTS_PER_YEAR.values())
    params: list = [str(frequency) for frequency in PAYMENTS_PER_YEAR]
    statuses = ", ".join("%s" for _ in WON_STATUSES)
    sql = (
        f"SELECT p.holder_id, COUNT(*) AS policies,"
        f" SUM(p.premium * CASE p.payment_frequency {cases} ELSE 1 END) AS premium"
        f" FROM {_POLICY} p WHERE p.owner_id = %s AND p.status IN ({statuses})"
        # Policies sold by others (保单托管) are the family's, not the agent's business won.
        " AND NOT p.sold_by_others"
    )
    params += [owner_id, *(str(s) for s in WON_STATUSES)]
    if holders_sql:
        sql += f" AND p.holder_id IN ({holders_sql})"
    if period:
        start, end = period
        if start:
            sql += " AND p.effective_date >= %s"
            params.append(start)
        if end:
            sql += " AND p.effective_date <= %s"
            params.append(end)
    return sql + " GROUP BY p.holder_id", params


def _money(value) -> Decimal:
    """SQLite sums decimals as floats: bring every sum back to cents."""
    if value is None:
        return Decimal("0.00")
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(Decimal("0.01"))
