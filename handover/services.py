"""Handing over a departing agent's whole book to one or several agents of the team.

Everything moves in one transaction: clients (with their family, dates, timeline and
promises, which hang off the client), policies, service requests, referrals and the asks for
them, and the client's touches. The departing agent is switched off and signed out in the
same transaction. A referral chain is never split between agents (a referral links two
records of one agent), nor is a household (a policy's holder and its insured, when the
insured is a client of their own: the policy goes with the holder and must not point at
another agent's client), so a split hands over whole groups, balanced by number of clients.

Records that stay with the departing agent on purpose are listed in STAYS: their settings
and their import files. A test checks that every model with an `owner` is in one list or
the other, so a model added later cannot be forgotten silently.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from agentcrm.accounts.services import user_deactivate
from agentcrm.core.history import history_record
from clients.models import Client, Tag
from clients.services import merge_rows_back, merge_rows_move
from policies.models import Policy
from referrals.models import Referral, ReferralRequest, ReferralStageChange
from referrals.summary import referral_months_touch
from servicing.models import ServiceRequest
from touches.models import Touch
from touches.registry import touches_rebuild_for_clients

from .models import Handover, HandoverClient

# "app_label.Model" of every model with an `owner`, by what a handover does with it.
MOVES = {
    "clients.Client",
    "clients.Tag",  # copied by name to the new agent, never shared
    "policies.Policy",
    "servicing.ServiceRequest",
    "referrals.Referral",
    "referrals.ReferralRequest",
    "referrals.ReferralStageChange",
    "touches.Touch",
}
STAYS = {
    # A merge can be undone by the agent who made it; a handover ends that (the new agent
    # gets the merged client as it is).
    "clients.ClientMerge",
    "spreadsheets.ImportJob",  # the departing agent's uploaded files
    "touches.TouchPreference",  # personal settings
    "touches.FestivalPreference",
    "touches.GreetingTemplate",
    "touches.CalendarFeed",
    "touches.DigestPreference",  # their own morning email
    "touches.ContactCadence",  # their own contact rhythm per tier
    # The departing agent's own history and settings: what they gave, hosted, sent and
    # introduced stays theirs (the client's offers and needs hang off the client and move
    # with it); the service figures are per agent by definition.
    "gifts.Gift",
    "gifts.GiftIdeas",
    "gifts.GiftCap",
    "events.Event",
    "campaigns.Campaign",
    "introductions.Introduction",
    "discipline.ServiceMonth",
    "discipline.ServiceMonthKind",
    "discipline.ServiceMonthBand",
    "discipline.PersistencyCohort",
    "discipline.CommissionRate",
}


@dataclass(frozen=True)
class Plan:
    """Which clients go to which agent: {agent id: [client ids]}."""

    assignment: dict[int, list[int]]

    @property
    def client_count(self) -> int:
        return sum(len(ids) for ids in self.assignment.values())


def _chains(*, agent: User) -> list[list[int]]:
    """The agent's clients grouped so that a referral chain and a household (holder and
    insured of a policy) stay in one group; largest first."""
    ids = list(Client.objects.filter(owner=agent).order_by("id").values_list("id", flat=True))
    parent = {i: i for i in ids}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    edges = [
        *Referral.objects.filter(owner=agent).values_list("referrer_id", "referred_id"),
        *Policy.objects.filter(holder__owner=agent, insured_client__isnull=False)
        .exclude(insured_client_id=F("holder_id"))
        .values_list("holder_id", "insured_client_id"),
    ]
    for a, b in edges:
        if a in parent and b in parent:
            parent[root(a)] = root(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in ids:
        groups[root(i)].append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def handover_plan(*, from_agent: User, to_agents: list[User]) -> Plan:
    """Split the book: each chain (or single client) to the agent with the fewest clients so
    far; ties go to the agent listed first. Deterministic, so the preview is what happens."""
    if not to_agents:
        raise ValidationError(_("Choose at least one agent to take over the book."))
    load = {agent.pk: 0 for agent in to_agents}
    order = [agent.pk for agent in to_agents]
    assignment: dict[int, list[int]] = {pk: [] for pk in order}
    for group in _chains(agent=from_agent):
        target = min(order, key=lambda pk: (load[pk], order.index(pk)))
        assignment[target].extend(group)
        load[target] += len(group)
    return Plan(assignment=assignment)


def _check(from_agent: User, to_agents: list[User]) -> None:
    if any(agent.pk == from_agent.pk for agent in to_agents):
        raise ValidationError(_("The departing agent cannot take over their own book."))
    if any(not agent.is_active for agent in to_agents):
        raise ValidationError(_("Only active agents can take over a book."))
    if len({agent.pk for agent in to_agents}) != len(to_agents):
        raise ValidationError(_("Each agent can be chosen once."))


def _move_tags(*, from_agent: User, to_agent: User, client_ids: list[int]) -> None:
    """Give the new agent tags of the same names and point the clients at them."""
    through = Client.tags.through
    links = through.objects.filter(client_id__in=client_ids, tag__owner=from_agent)
    names = dict(links.values_list("tag_id", "tag__name").distinct())
    for old_id, name in names.items():
        tag, _created = Tag.objects.get_or_create(owner=to_agent, name=name)
        links.filter(tag_id=old_id).update(tag_id=tag.pk)


def _referral_months_touch(*, from_agent: User, to_agent: User, client_ids) -> None:
    """The bulk UPDATEs below move referral rows between agents without the referral
    services: mark the months those rows count in, for both agents, so the team page reads
    them live until the next build instead of the previous build's owners."""
    days = {
        *Referral.objects.filter(owner=from_agent, referred_id__in=client_ids).values_list(
            "given_on", flat=True
        ),
        *ReferralRequest.objects.filter(owner=from_agent, client_id__in=client_ids).values_list(
            "asked_on", flat=True
        ),
        *ReferralStageChange.objects.filter(
            owner=from_agent, referral__referred_id__in=client_ids
        ).values_list("feedback_due", flat=True),
    }
    referral_months_touch(rows=[(a.pk, day) for day in days for a in (from_agent, to_agent)])


@transaction.atomic
def handover_execute(
    *, from_agent: User, to_agents: list[User], by: User, reason: str = ""
) -> Handover:
    """Hand the whole book over as `handover_plan` splits it, switch the departing agent off
    and build the new agents' introduction touches. All or nothing."""
    # Lock the departing agent: a second handover of the same book waits, then finds it empty.
    from_agent = User.objects.select_for_update().get(pk=from_agent.pk)
    _check(from_agent, to_agents)
    plan = handover_plan(from_agent=from_agent, to_agents=to_agents)
    if plan.client_count == 0 and not from_agent.is_active:
        raise ValidationError(_("This agent's book has already been handed over."))
    today = timezone.localdate()
    handover = Handover.objects.create(from_agent=from_agent, by=by, reason=reason.strip()[:255])
    policies_moved = 0
    for to_agent in to_agents:
        ids = plan.assignment[to_agent.pk]
        if not ids:
            continue
        _move_tags(from_agent=from_agent, to_agent=to_agent, client_ids=ids)
        Client.objects.filter(owner=from_agent, pk__in=ids).update(owner=to_agent)
        policies_moved += Policy.objects.filter(owner=from_agent, holder_id__in=ids).update(
            owner=to_agent
        )
        ServiceRequest.objects.filter(owner=from_agent, policy__holder_id__in=ids).update(
            owner=to_agent
        )
        _referral_months_touch(from_agent=from_agent, to_agent=to_agent, client_ids=ids)
        Referral.objects.filter(owner=from_agent, referred_id__in=ids).update(owner=to_agent)
        ReferralStageChange.objects.filter(owner=from_agent, referral__referred_id__in=ids).update(
            owner=to_agent
        )
        ReferralRequest.objects.filter(owner=from_agent, client_id__in=ids).update(owner=to_agent)
        # All of the client's touches, done ones too: the same occasion is not owed twice.
        Touch.objects.filter(owner=from_agent, client_id__in=ids).update(owner=to_agent)
        HandoverClient.objects.bulk_create(
            HandoverClient(
                handover=handover,
                client_id=client_id,
                from_agent=from_agent,
                to_agent=to_agent,
                changed_on=today,
            )
            for client_id in ids
        )
    _history(plan, by=by, reason=handover.reason)
    Handover.objects.filter(pk=handover.pk).update(
        clients_moved=plan.client_count, policies_moved=policies_moved
    )
    user_deactivate(user=from_agent)
    # The bulk-write rule (touches.registry, section 9): the moved clients' touches in the
    # built window, the new agents' introductions among them, commit with the move.
    touches_rebuild_for_clients(
        client_ids=[i for group in plan.assignment.values() for i in group], today=today
    )
    handover.refresh_from_db()
    return handover


def _history(plan: Plan, *, by: User, reason: str) -> None:
    """Audit rows for the moved clients and policies (the moves are UPDATEs, which
    simple-history does not see)."""
    ids = [i for group in plan.assignment.values() for i in group]
    why = _("Book handover") + (f": {reason}" if reason else "")
    history_record(instances=Client.objects.filter(pk__in=ids), user=by, reason=why)
    history_record(instances=Policy.objects.filter(holder_id__in=ids), user=by, reason=why)


# --- A client merge (clients.services.client_merge) -------------------------------------------


def agent_changes_merge_move(kept: Client, other: Client, choices) -> dict:
    """The absorbed client's record of earlier agents moves to the kept client (a merge
    mover, registered in HandoverConfig.ready())."""
    rows = HandoverClient.objects.filter(client=other)
    return {"agent_changes": merge_rows_move(rows, key="client", kept=kept)}


def agent_changes_merge_undo(kept: Client, other: Client, moved) -> None:
    ids = moved.get("agent_changes")
    merge_rows_back(HandoverClient, key="client", ids=ids, kept=kept, other=other)
