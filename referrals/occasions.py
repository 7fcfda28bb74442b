"""The touch list's "report back to the referrer" occasion (转介绍反馈).

When a referred prospect is contacted, met, won or lost, the referrer is owed word of it by
the stage change's `feedback_due` (three days by default). The touch is for the referrer,
falls due on that deadline (it shows among the coming touches from the day of the change,
because saving the change rebuilds the referrer's touches), and disappears from later builds
once reported.
"""

from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat, Left
from django.utils.translation import gettext_lazy as _

from agentcrm.touches.registry import (
    BuildScope,
    OccasionKind,
    register_client_trigger,
    register_occasion,
    touch_done,
)
from clients.occasions import contactable, source_of

from .models import ReferralStageChange, Stage
from .services import FEEDBACK_KIND, on_touch_done

HIGH = 2  # Touch.Priority.HIGH
LABEL_SEPARATOR = "|"


def feedback_owed(scope: BuildScope) -> list[QuerySet]:
    return [
        ReferralStageChange.objects.filter(
            contactable("referral__referrer__"),
            feedback_due=scope.occasion,
            reported_at__isnull=True,
        ).annotate(
            t_owner=F("owner_id"),
            t_client=F("referral__referrer_id"),
            t_occasion=F("feedback_due"),
            t_source=source_of("refstage"),
            t_label=Left(
                Concat(F("referral__referred__name"), Value(LABEL_SEPARATOR), F("to_stage")), 200
            ),
        )
    ]


def feedback_label(stored: str) -> str:
    """'王芳|met' → '王芳: Met' in the reader's language."""
    name, _sep, stage = stored.rpartition(LABEL_SEPARATOR)
    if stage in Stage.values:
        return f"{name}: {Stage(stage).label}"
    return stored


def _client_of(change: ReferralStageChange) -> tuple[int, int] | None:
    if change.feedback_due is None:
        return None
    return change.referral.referrer_id, change.owner_id


def register() -> None:
    register_occasion(
        OccasionKind(
            key=FEEDBACK_KIND,
            label=_("Report back to the referrer"),
            source=feedback_owed,
            lead_configurable=False,
            priority=HIGH,
            greeting=_(
                "{name}, a quick word on the friend you introduced ({label}). Thank you again "
                "for your trust!"
            ),
            order=85,
            display_label=feedback_label,
        )
    )
    register_client_trigger(ReferralStageChange, _client_of)
    touch_done.connect(on_touch_done, weak=False, dispatch_uid="referrals-feedback-touch-done")
