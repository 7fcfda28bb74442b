"""A client merge (clients.services.client_merge), the policies' part: the absorbed client's
policies as holder or as insured move to the kept client, and back on undo. Registered as a
merge mover (touches.registry) in PoliciesConfig.ready()."""

from collections.abc import Mapping

from agentcrm.core.history import REASON_MERGE, REASON_MERGE_UNDONE, history_record
from clients.models import Client
from clients.services import merge_rows_back, merge_rows_move

from ..models import Policy

__all__ = ["policies_merge_move", "policies_merge_undo"]

ROLES = ("holder", "insured_client")


def policies_merge_move(kept: Client, other: Client, choices: Mapping[str, str]) -> dict:
    moved = {
        role: merge_rows_move(Policy.objects.filter(**{role: other}), key=role, kept=kept)
        for role in ROLES
    }
    ids = {pk for role in ROLES for pk in moved[role]}
    history_record(instances=Policy.objects.filter(pk__in=ids), reason=REASON_MERGE)
    return moved


def policies_merge_undo(kept: Client, other: Client, moved: Mapping[str, list[int]]) -> None:
    for role in ROLES:
        merge_rows_back(Policy, key=role, ids=moved.get(role), kept=kept, other=other)
    ids = {pk for role in ROLES for pk in moved.get(role, ())}
    history_record(instances=Policy.objects.filter(pk__in=ids), reason=REASON_MERGE_UNDONE)
