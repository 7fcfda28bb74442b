"""The agent's own service page (/service/): the deck's pitfalls of after-sales service
(售后服务部的误区) as figures, from the agent's own book. Each function runs one query,
whatever the size of the book; the manager's drill-down shows the same through the
service-page panels (`discipline.panels`).

- Whole days with one client: a client contacted more than WHOLE_DAY_CONTACTS times in
  one week (Monday to Sunday) of the period.
- Not keeping it up: touches done per week over the last WEEKS weeks; the streak is the
  run of weeks up to the last full one with at least one touch done; it is broken when
  the last full week has none (or under half the average of the four weeks before it)
  after a streak of at least three weeks.
- Neglecting small clients: every client at least MIN_CONTACTS_A_YEAR contacts in the 12
  months up to the period's end, whatever their premium; contacts per client by premium
  band, and the clients below the floor (the definition: `discipline.bands`, shared with
  the nightly summary the manager's page reads).
"""

import datetime
from dataclasses import dataclass, field

from clients.models import Client, Interaction
from touches.models import Touch

from .. import backend, bands
from ..bands import MIN_CONTACTS_A_YEAR
from ..summary import fetch_rows

WHOLE_DAY_CONTACTS = 3
WEEKS = 12


@dataclass
class WholeDay:
    client_id: int
    name: str
    mobile: str
    week: datetime.date
    contacts: int


def whole_days(*, agent, start: datetime.date, end: datetime.date, limit: int = 20):
    """(weeks with a client contacted more than WHOLE_DAY_CONTACTS times, the first `limit`
    of them, most contacts first)."""
    rows = fetch_rows(
        f"""SELECT i.client_id, c.name, c.mobile, {backend.week_of("i.date")},
              COUNT(*), COUNT(*) OVER ()
            FROM {Interaction._meta.db_table} i JOIN {Client._meta.db_table} c
              ON c.id = i.client_id
            WHERE c.owner_id = %s AND i.date BETWEEN %s AND %s
            GROUP BY 1, 2, 3, 4 HAVING COUNT(*) > %s
            ORDER BY 5 DESC, 4 DESC LIMIT %s""",
        [agent.pk, start, end, WHOLE_DAY_CONTACTS, limit],
    )
    total = rows[0][5] if rows else 0
    return total, [WholeDay(r[0], r[1], r[2] or "", backend.as_date(r[3]), r[4]) for r in rows]


@dataclass
class Weekly:
    weeks: list[tuple[datetime.date, int]]
    streak: int = 0
    broken: bool = False
    broken_after: int = 0  # the streak's length before it broke


def weekly_touches(*, agent, today: datetime.date) -> Weekly:
    """Touches done per week over the last WEEKS full weeks and the week under way."""
    this_week = today - datetime.timedelta(days=today.weekday())
    first = this_week - datetime.timedelta(weeks=WEEKS)
    done = {
        backend.as_date(week): n
        for week, n in fetch_rows(
            f"""SELECT {backend.week_of(backend.local_date("closed_at"))}, COUNT(*)
                FROM {Touch._meta.db_table}
                WHERE owner_id = %s AND status = 'done' AND closed_at >= %s
                GROUP BY 1""",
            [agent.pk, backend.local_midnight(first)],
        )
    }
    weeks = [
        (first + datetime.timedelta(weeks=n), done.get(first + datetime.timedelta(weeks=n), 0))
        for n in range(WEEKS + 1)
    ]
    full = [n for _w, n in weeks[:-1]]  # the week under way is not judged yet
    weekly = Weekly(weeks=weeks)
    last, before = full[-1], full[-5:-1]
    streak = 0
    for n in reversed(full):
        if n == 0:
            break
        streak += 1
    weekly.streak = streak
    average = sum(before) / len(before) if before else 0
    if last == 0 or (average and last < average / 2):
        run = 0
        for n in reversed(full[:-1]):
            if n == 0:
                break
            run += 1
        if run >= 3:
            weekly.broken, weekly.broken_after = True, run
    return weekly


@dataclass
class SmallClients:
    bands: list[bands.BandCell]
    below: list[tuple] = field(default_factory=list)  # (id, name, mobile, premium, contacts)
    below_total: int = 0
    clients: int = 0


def small_clients(*, agent, end: datetime.date, limit: int = 50) -> SmallClients:
    """Contacts in the 12 months up to `end` per client, by premium band; the clients under
    MIN_CONTACTS_A_YEAR, the smallest premium first (the ones most easily forgotten)."""
    rows = fetch_rows(
        f"""{bands.client_rows_sql(days=bands.days_sql([(end, end)]), owner_ids=[agent.pk])}
            SELECT b.client_id, c.name, c.mobile, b.premium, b.contacts, b.band
            FROM banded b JOIN {Client._meta.db_table} c ON c.id = b.client_id
            ORDER BY 4, 5, 1""",
        None,
    )
    by_key = {key: bands.BandCell(key) for key in bands.BAND_KEYS}
    result = SmallClients(bands=list(by_key.values()), clients=len(rows))
    for client_id, name, mobile, premium, contacts, key in rows:
        premium = backend.as_decimal(premium)
        band = by_key[key]
        band.clients += 1
        band.contacts += contacts
        if contacts < MIN_CONTACTS_A_YEAR:
            band.below_floor += 1
            result.below_total += 1
            if len(result.below) < limit:
                result.below.append((client_id, name, mobile or "", premium, contacts))
    return result
