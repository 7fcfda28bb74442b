"""Contacts per client by premium band for the manager (/team/service/, its drill-down and
export), from the nightly summary (ServiceMonthBand): two grouped queries whatever the
number of agents. The figures are those at the period's last month's end (the day of the
last run for the month under way), as the agent's own page counts them (`discipline.bands`).
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Sum

from agentcrm.accounts.models import User

from ..bands import BAND_KEYS, MIN_CONTACTS_A_YEAR, BandCell, BandRates
from ..models import ServiceMonthBand


@dataclass
class Bands(BandRates):
    """One agent's (or the total's) clients by band, in BANDS order."""

    cells: list[BandCell] = field(default_factory=lambda: [BandCell(k) for k in BAND_KEYS])

    def cell(self, key: str) -> BandCell:
        return self.cells[BAND_KEYS.index(key)]

    def add(self, other: "Bands") -> None:
        for mine, theirs in zip(self.cells, other.cells, strict=True):
            mine.clients += theirs.clients
            mine.contacts += theirs.contacts
            mine.below_floor += theirs.below_floor

    @property
    def clients(self) -> int:
        return sum(c.clients for c in self.cells)

    @property
    def contacts(self) -> int:
        return sum(c.contacts for c in self.cells)

    @property
    def below_floor(self) -> int:
        return sum(c.below_floor for c in self.cells)


@dataclass
class TeamBands:
    by_agent: dict[int, Bands]
    total: Bands
    # (month, clients, under the floor) of every month of the period, all agents.
    trend: list[tuple[datetime.date, int, int]]
    floor: int = MIN_CONTACTS_A_YEAR


def team_bands(*, agents: Sequence[User], months: Sequence[datetime.date]) -> TeamBands:
    ids = [a.id for a in agents]
    by_agent = {a.id: Bands() for a in agents}
    for r in ServiceMonthBand.objects.filter(owner_id__in=ids, month=months[-1]).values(
        "owner_id", "band", "clients", "contacts", "below_floor"
    ):
        if r["band"] not in BAND_KEYS:  # a band since retired: rebuilt the next night
            continue
        cell = by_agent[r["owner_id"]].cell(r["band"])
        cell.clients, cell.contacts, cell.below_floor = (
            r["clients"],
            r["contacts"],
            r["below_floor"],
        )
    total = Bands()
    for bands in by_agent.values():
        total.add(bands)
    sums = {
        r["month"]: (r["clients"] or 0, r["below"] or 0)
        for r in ServiceMonthBand.objects.filter(owner_id__in=ids, month__in=months)
        .values("month")
        .annotate(clients=Sum("clients"), below=Sum("below_floor"))
        .order_by()
    }
    trend = [(m, *sums.get(m, (0, 0))) for m in months]
    return TeamBands(by_agent=by_agent, total=total, trend=trend)
