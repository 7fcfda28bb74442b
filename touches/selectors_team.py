"""The manager's landing page (`/` for a manager): the day of each agent of their teams and
sub-teams, and the team's total.

Per agent: today's touches done and still open, what is overdue (open touches past their
day, promises past their date) and the referrers still owed a report on their referral.
Counts only: a manager never sees the clients behind them (the agents' client files are
theirs alone), and never another team's agents (`team_members_for_manager`).

A fixed set of queries, whatever the number of agents: the teams level by level and the
agents (agentcrm.accounts.selectors), then one grouped query each for the touches, the
promises (clients.selectors) and the report-backs (referrals.selectors.team).
"""

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q
from django.utils import timezone

from agentcrm.accounts.models import User
from agentcrm.accounts.selectors import team_members_for_manager
from clients.selectors import overdue_commitments_by_owner
from referrals.selectors.team import feedback_owed

from .models import Touch
from .selectors import reachable

OPEN, DONE = Touch.Status.OPEN, Touch.Status.DONE


@dataclass
class AgentDay:
    """One agent's figures (or, with no agent, the team's total)."""

    agent: User | None = None
    done_today: int = 0
    open_today: int = 0
    overdue_touches: int = 0
    overdue_promises: int = 0
    feedback_owed: int = 0
    feedback_late: int = 0

    @property
    def overdue(self) -> int:
        return self.overdue_touches + self.overdue_promises

    @property
    def today_total(self) -> int:
        return self.done_today + self.open_today


FIGURES = tuple(f.name for f in fields(AgentDay) if f.name != "agent")


@dataclass
class TeamOverview:
    today: date
    rows: list[AgentDay]
    total: AgentDay

    @property
    def has_agents(self) -> bool:
        return bool(self.rows)


def _day_bounds(today: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(today, time.min))
    return start, timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))


def touch_counts_by_owner(*, owner_ids: Iterable[int], today: date) -> dict[int, dict[str, int]]:
    """{agent id: done today, open due today, open overdue}: one grouped query over the
    agents' touches about clients they still own (as each agent's dashboard counts them)."""
    start, end = _day_bounds(today)
    done_today = Q(status=DONE, closed_at__gte=start, closed_at__lt=end)
    open_due = Q(status=OPEN) & reachable()
    rows = (
        Touch.objects.filter(owner_id__in=list(owner_ids), client__owner_id=F("owner_id"))
        .filter(done_today | Q(status=OPEN, due_date__lte=today))
        .values("owner_id")
        .annotate(
            done_today=Count("pk", filter=done_today),
            open_today=Count("pk", filter=open_due & Q(due_date=today)),
            overdue_touches=Count("pk", filter=open_due & Q(due_date__lt=today)),
        )
        .order_by()
    )
    return {row.pop("owner_id"): row for row in rows}


def team_overview(*, manager: User, today: date) -> TeamOverview:
    """Each agent of the manager's teams and sub-teams with their figures for `today`, and
    the total. An agent (or a manager of no team) gets no rows."""
    agents = list(team_members_for_manager(user=manager).select_related("team"))
    ids = [agent.pk for agent in agents]
    touches = touch_counts_by_owner(owner_ids=ids, today=today) if ids else {}
    promises = overdue_commitments_by_owner(owner_ids=ids, today=today) if ids else {}
    feedback = feedback_owed(owner_ids=ids, today=today) if ids else {}
    rows = []
    for agent in agents:
        owed, late = feedback.get(agent.pk, (0, 0))
        rows.append(
            AgentDay(
                agent=agent,
                **touches.get(agent.pk, {}),
                overdue_promises=promises.get(agent.pk, 0),
                feedback_owed=owed,
                feedback_late=late,
            )
        )
    total = AgentDay(**{name: sum(getattr(row, name) for row in rows) for name in FIGURES})
    return TeamOverview(today=today, rows=rows, total=total)
