"""Writes of the handouts: the snapshot of the review shown at an annual review."""

from typing import Any

from django.db import transaction

from agentcrm.accounts.models import User

from .models import ReviewSnapshot


@transaction.atomic
def review_snapshot_save(*, review, data: dict[str, Any], by: User) -> ReviewSnapshot:
    """Keep `data` (review_data's dict) as what the household was shown at `review`; saving
    again replaces it."""
    snapshot, _ = ReviewSnapshot.objects.update_or_create(
        review=review, defaults={"data": data, "saved_by": by}
    )
    return snapshot
