"""`manage.py seed_demo`: a nested team, five logins and two agents' books.

Deterministic: names, numbers and every choice come from fixed per-agent seeds; dates are
laid out around the day the seed runs (`timezone.localdate()`), so the dashboard always has
birthdays this week, overdue and upcoming promises, and contacts over the past year.

Idempotent: users and teams are found by username / name and created only when missing (a
password is set only when the user is created); an agent's book is seeded only when the agent
has no clients yet, inside one transaction, so a second run creates nothing.

A new book is built in a fixed order, in that one transaction: the clients
(`builders.clients`), then each of `DEMO_STEPS`: the policies (`builders.policies`), then
the referrals (`builders.referrals`), which need the policies: a referred client who holds
one is "won" with it; last the service history (`builders.service`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone

from agentcrm.accounts.models import Team, User
from clients.models import Client
from clients.services import COMMITMENT_KIND
from discipline.services import service_summary_refresh
from referrals.services import FEEDBACK_KIND
from touches.build import touch_build_now, touch_rebuild_collected
from touches.models import Touch
from touches.services import touch_done
from touches.triggers import rebuilds_collected

from .builders.clients import AgentPlan, seed_agent_clients
from .builders.conversion import seed_agent_conversion
from .builders.events import seed_agent_events
from .builders.gifts import seed_agent_gifts
from .builders.policies import seed_agent_policies
from .builders.referrals import seed_agent_referrals
from .builders.service import seed_agent_service
from .builders.warming import seed_agent_warming

DEMO_PASSWORD = "agentcrm-demo"

PARENT_TEAM = "华东区"
TEAM = "上海一部"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    team: str | None
    is_staff: bool = False
    is_superuser: bool = False


DEMO_USERS = [
    DemoUser("director1", "李总监", User.Role.MANAGER, PARENT_TEAM),
    DemoUser("manager1", "张经理", User.Role.MANAGER, TEAM),
    DemoUser("agent1", "王丽华", User.Role.AGENT, TEAM),
    DemoUser("agent2", "陈志强", User.Role.AGENT, TEAM),
    DemoUser("admin", "系统管理员", User.Role.ADMIN, None, is_staff=True, is_superuser=True),
]

AGENT_PLANS = [
    AgentPlan("agent1", 20240601, (0, 3), 5, 2, 4),
    AgentPlan("agent2", 20240602, (1, 6), 2, 4, 3),
]

# fn(agent, today) -> how many (main) rows it created for the agent's new book. They run in
# this order, right after the book's clients.
DemoStep = Callable[[User, date], int]
DEMO_STEPS: dict[str, DemoStep] = {
    "policies": seed_agent_policies,
    "referrals": seed_agent_referrals,  # after the policies: a referred client is won with one
    # Dates every client before their first policy, adds the prospects who did not buy.
    "conversion": seed_agent_conversion,
    # The deck's warming practices: introductions and campaigns (they read the policies).
    "warming": seed_agent_warming,
    # After the book is complete: events invite its clients (a guest becomes a referral),
    # gifts go to its clients.
    "events": seed_agent_events,
    "gifts": seed_agent_gifts,
}
# The service history the manager's service pages and the lapse guard read (issue 15):
# persistency cohorts, the lapse guard's policies and 14 months of closed touches. Last, so
# the steps above never see its policies (a referral is won, a campaign aimed, with the
# book's own); the seed builds the service summary after the books.
SERVICE_STEP: DemoStep = seed_agent_service
DEMO_STEPS["service"] = SERVICE_STEP


@dataclass
class SeedReport:
    teams_created: list[str] = field(default_factory=list)
    teams_present: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    users_present: list[str] = field(default_factory=list)
    clients_created: dict[str, int] = field(default_factory=dict)
    clients_present: dict[str, int] = field(default_factory=dict)
    # username -> {demo step name: rows it created}, for the books created by this run
    steps_created: dict[str, dict[str, int]] = field(default_factory=dict)
    logins: list[User] = field(default_factory=list)
    touches_built: int = 0


def seed_demo() -> SeedReport:
    """Create whatever part of the demo is missing. Safe to run any number of times."""
    report = SeedReport()
    with transaction.atomic():
        users = _seed_users_and_teams(report)
    today = timezone.localdate()
    # One set-based build at the end, not a rebuild task per saved object (on SQLite those
    # kept the worker and the database busy for many minutes after `make run` started).
    with rebuilds_collected() as collected:
        for plan in AGENT_PLANS:
            created, present, steps = seed_agent_book(users[plan.username], plan=plan, today=today)
            if created:
                report.clients_created[plan.username] = created
                report.steps_created[plan.username] = steps
            else:
                report.clients_present[plan.username] = present
    # The touch list of the week around today: the new books in the days already built,
    # then the days not built yet, for every agent.
    report.touches_built = touch_rebuild_collected(collected=collected, today=today)
    report.touches_built += touch_build_now(today=today)
    # An agent who used the app until yesterday: the past days' list worked through, a few
    # things left over (it once opened on 54 overdue touches).
    for username in report.clients_created:
        demo_past_days_worked(users[username], today=today)
    # The service summary the team pages read, as the nightly run keeps it.
    service_summary_refresh(today, full=True)
    report.logins = [users[u.username] for u in DEMO_USERS]
    return report


# How many of the past days' touches stay open: the most recent of a few kinds, so the first
# morning shows what an overdue touch looks like without a pile of them.
LEFT_OVER = 4
# Touches that follow a record's own state (a promise, feedback owed, a claim or servicing
# request waiting on the agent, a policy in grace): marking them done would not move the
# record, and the demo's overdue ones are deliberate, so they stay open.
RECORD_KINDS = frozenset(
    {COMMITMENT_KIND, FEEDBACK_KIND, "claim_action", "servicing_action", "grace_ending"}
)


def demo_past_days_worked(agent: User, *, today: date) -> int:
    """Mark done, as the agent would have, the open touches due before `today`, except the
    most recent one of each of `LEFT_OVER` kinds and those of `RECORD_KINDS`. Each goes
    through `touch_done`, so the contact is on the client's timeline and the client's last
    contact date stays true."""
    overdue = (
        Touch.objects.filter(owner=agent, status=Touch.Status.OPEN, due_date__lt=today)
        .exclude(kind__in=RECORD_KINDS)
        .select_related("client")
        .order_by("-due_date", "-pk")
    )
    kept: set[str] = set()
    done = 0
    worked: dict[date, list[int]] = defaultdict(list)
    for touch in overdue:
        if touch.kind not in kept and len(kept) < LEFT_OVER:
            kept.add(touch.kind)
            continue
        if touch_done(touch=touch, by=agent, on=touch.due_date):
            done += 1
            worked[touch.due_date].append(touch.pk)
    # Closed on the day they were worked (touch_done stamps now): the service figures count
    # them done on time, as they were, not a year of late touches.
    for day, ids in worked.items():
        closed = timezone.make_aware(datetime.combine(day, time(18)))
        Touch.objects.filter(pk__in=ids).update(closed_at=closed)
    return done


# --- users and teams -------------------------------------------------------------------


def _team(name: str, report: SeedReport) -> Team:
    team = Team.objects.filter(name=name).order_by("pk").first()
    if team is None:
        team = Team.objects.create(name=name)
        report.teams_created.append(name)
    else:
        report.teams_present.append(name)
    return team


def _user(spec: DemoUser, team: Team | None, report: SeedReport) -> User:
    user = User.objects.filter(username=spec.username).first()
    if user is not None:
        report.users_present.append(spec.username)
        return user
    user = User(
        username=spec.username,
        display_name=spec.display_name,
        role=spec.role,
        team=team,
        email=f"{spec.username}@example.com",
        is_staff=spec.is_staff,
        is_superuser=spec.is_superuser,
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    report.users_created.append(spec.username)
    return user


def _seed_users_and_teams(report: SeedReport) -> dict[str, User]:
    """华东区 (director1) contains 上海一部 (manager1, agent1, agent2). Existing teams only
    get a missing manager or parent filled in; existing users are left as they are."""
    teams = {PARENT_TEAM: _team(PARENT_TEAM, report), TEAM: _team(TEAM, report)}
    users = {spec.username: _user(spec, teams.get(spec.team), report) for spec in DEMO_USERS}
    parent, team = teams[PARENT_TEAM], teams[TEAM]
    if parent.manager_id is None:
        parent.manager = users["director1"]
        parent.save(update_fields=["manager"])
    changed = []
    if team.manager_id is None:
        team.manager = users["manager1"]
        changed.append("manager")
    if team.parent_id is None and parent.parent_id != team.pk:
        team.parent = parent
        changed.append("parent")
    if changed:
        team.save(update_fields=changed)
    return users


# --- one agent's book ----------------------------------------------------------------------


def seed_agent_book(
    agent: User, *, plan: AgentPlan, today: date
) -> tuple[int, int, dict[str, int]]:
    """Seed `agent`'s clients unless they have some, then run the demo steps for the new book,
    in order. Returns (clients created, clients already present, {step: rows created})."""
    with transaction.atomic():
        # Serialises concurrent runs on PostgreSQL; a no-op on SQLite (one writer anyway).
        User.objects.select_for_update().filter(pk=agent.pk).first()
        present = Client.objects.filter(owner=agent).count()
        if present:
            return 0, present, {}
        created = seed_agent_clients(agent, plan=plan, today=today)
        steps = {name: fn(agent, today) for name, fn in DEMO_STEPS.items()}
        return created, 0, steps
