"""The follow-up of an introduction: a week on, ask both clients how it went (the deck:
whether it works out or not, the client thanks you). One touch per client, until the
outcome is recorded."""

from datetime import timedelta

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from touches.registry import (
    BuildScope,
    OccasionKind,
    Priority,
    occasion_rows,
    on_day,
    register_occasion,
    register_touch_action,
    source_of,
)

from .models import FOLLOW_UP_DAYS, FOLLOW_UP_KIND, Introduction

SOURCE_PREFIX = "intro"


def follow_ups(scope: BuildScope) -> list:
    made = Introduction.objects.filter(
        introduced_on=scope.occasion - timedelta(days=FOLLOW_UP_DAYS),
        outcome=Introduction.Outcome.PENDING,
    )
    # A business introduction names the offer; matchmaking names nothing (it is private).
    label = Coalesce(F("offer__title"), Value(""))
    return [
        occasion_rows(
            made,
            owner="owner_id",
            client=column,
            occasion=on_day(scope.occasion),
            source=source_of(SOURCE_PREFIX),
            label=label,
        )
        for column in ("client_a_id", "client_b_id")
    ]


register_occasion(
    OccasionKind(
        key=FOLLOW_UP_KIND,
        label=_("Introduction follow-up"),
        source=follow_ups,
        lead_configurable=False,
        late_catch=True,
        priority=Priority.NORMAL,
        greeting=_("{name}, how did the introduction go? I hope it was useful."),
        greeting_styles={
            "warm": _("{name}, how did it go with the introduction? Tell me everything!"),
            "elder": _(
                "{name}, how did things go with the person I introduced? I hope it was of some "
                "help to you."
            ),
        },
        order=98,
    )
)

# The follow-up card links to the page where the outcome is recorded (which closes both).
register_touch_action(
    "introduction_outcome",
    _("Record how it went"),
    lambda touch: reverse("introductions:index") + "#introductions",
    kinds=[FOLLOW_UP_KIND],
)
