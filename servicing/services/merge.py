"""A client merge (clients.services.client_merge), the servicing part: the absorbed client's
annual reviews move to the kept client, except a review of an anniversary the kept client
already has (one review per household and anniversary), which stays with the merged record.
Registered as a merge mover (touches.registry) in ServicingConfig.ready()."""

from collections.abc import Mapping

from django.db.models import Exists, OuterRef

from clients.models import Client
from clients.services import merge_rows_back, merge_rows_move

from ..models import AnnualReview

__all__ = ["reviews_merge_move", "reviews_merge_undo"]


def reviews_merge_move(kept: Client, other: Client, choices: Mapping[str, str]) -> dict:
    clash = AnnualReview.objects.filter(household=kept, anniversary=OuterRef("anniversary"))
    rows = AnnualReview.objects.filter(household=other).exclude(Exists(clash))
    return {"reviews": merge_rows_move(rows, key="household", kept=kept)}


def reviews_merge_undo(kept: Client, other: Client, moved: Mapping[str, list[int]]) -> None:
    merge_rows_back(AnnualReview, key="household", ids=moved.get("reviews"), kept=kept, other=other)
