"""The annual review's snapshots: the one kept for a review, the one before it, and what
changed between them (cover per person and type, issues raised and resolved)."""

from decimal import Decimal
from typing import Any

from ..models import ReviewSnapshot
from .review import COVER_LABELS, COVER_TYPES


def snapshot_of(*, review) -> ReviewSnapshot | None:
    return ReviewSnapshot.objects.filter(review=review).first()


def previous_snapshot(*, review) -> ReviewSnapshot | None:
    """The household's latest snapshot from an earlier anniversary."""
    return (
        ReviewSnapshot.objects.filter(
            review__household_id=review.household_id,
            review__household__owner_id=review.household.owner_id,
            review__anniversary__lt=review.anniversary,
        )
        .order_by("-review__anniversary")
        .first()
    )


def changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list]:
    """What changed from `old` to `new` (both review_data dicts)."""
    before = {p["key"]: p for p in old.get("people", [])}
    cover = []
    for person in new.get("people", []):
        was = before.get(person["key"])
        for kind in COVER_TYPES:
            now = Decimal(person["cover"][kind]["sum"])
            then = Decimal(was["cover"][kind]["sum"]) if was else Decimal(0)
            if now != then:
                cover.append(
                    {
                        "name": person["name"],
                        "cover": str(COVER_LABELS[kind]),
                        "before": str(then),
                        "after": str(now),
                    }
                )
    old_issues = {i["text"] for i in old.get("issues", [])}
    new_issues = {i["text"] for i in new.get("issues", [])}
    return {
        "cover": cover,
        "resolved": sorted(old_issues - new_issues),
        "raised": sorted(new_issues - old_issues),
        "joined": [p["name"] for p in new.get("people", []) if p["key"] not in before],
    }
