"""The touch list's "report back to the referrer" occasion (转介绍反馈).

When a referred prospect is contacted, met, won or lost, the referrer is owed word of it by
the stage change's `feedback_due` (three days by default). The touch is for the referrer,
falls due on that deadline (it shows among the coming touches from the day of the change,
because saving the change rebuilds the referrer's touches), and disappears from later builds
once reported.
"""

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat, Left, Substr
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.selectors import contactable
from touches.registry import (
    BuildScope,
    OccasionKind,
    Priority,
    occasion_rows,
    register_client_trigger,
    register_occasion,
    source_of,
    touch_done,
)

from .models import ReferralStageChange, Stage
from .services import FEEDBACK_KIND, on_touch_done

LABEL_SEPARATOR = "|"


def feedback_owed(scope: BuildScope) -> list[QuerySet]:
    return [
        occasion_rows(
            ReferralStageChange.objects.filter(
                contactable("referral__referrer__"),
                feedback_due=scope.occasion,
                reported_at__isnull=True,
            ),
            owner="owner_id",
            client="referral__referrer_id",
            occasion="feedback_due",
            source=source_of("refstage"),
            label=Left(
                Concat(F("referral__referred__name"), Value(LABEL_SEPARATOR), F("to_stage")), 200
            ),
        )
    ]


SOURCE_PREFIX = "refstage:"


def feedback_prospect():
    """The referral a feedback touch is about (its source is "refstage:<stage change>"):
    the dashboard shows the reports owed on one prospect as one card, the latest stage."""
    stage_change = Cast(Substr(OuterRef("source"), len(SOURCE_PREFIX) + 1), IntegerField())
    return Subquery(
        ReferralStageChange.objects.filter(pk=stage_change).values("referral_id")[:1],
        output_field=IntegerField(),
    )


def feedback_label(stored: str) -> str:
    """'王芳|met' → '王芳: Met' in the reader's language (王芳：已见面)."""
    name, _sep, stage = stored.rpartition(LABEL_SEPARATOR)
    if stage in Stage.values:
        return gettext("%(name)s: %(stage)s") % {"name": name, "stage": Stage(stage).label}
    return stored


def _client_of(change: ReferralStageChange) -> tuple[int, int] | None:
    if change.feedback_due is None:
        return None
    return change.referral.referrer_id, change.owner_id


register_occasion(
    OccasionKind(
        key=FEEDBACK_KIND,
        label=_("Report back to the referrer"),
        source=feedback_owed,
        lead_configurable=False,
        priority=Priority.HIGH,
        greeting=_(
            "{name}, a quick word on the friend you introduced ({label}). Thank you again "
            "for your trust!"
        ),
        greeting_styles={
            "warm": _(
                "{name}, a quick update on the friend you introduced ({label}). Thank you so "
                "much for thinking of me!"
            ),
            "elder": _(
                "{name}, let me tell you how things are going with the friend you introduced "
                "({label}). Thank you for your trust and kindness."
            ),
        },
        order=85,
        display_label=feedback_label,
        merge_key=feedback_prospect,
    )
)
register_client_trigger(ReferralStageChange, _client_of, kinds=[FEEDBACK_KIND])
touch_done.connect(on_touch_done, weak=False, dispatch_uid="referrals-feedback-touch-done")
