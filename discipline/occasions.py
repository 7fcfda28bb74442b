"""The "policy lapsed" touch: a policy that fell into lapse (the nightly move, or a status set
by hand) asks the agent to call the holder about reinstating it (复效), on the day it lapsed.
Built for tonight's lapses by `services.lapses_raise_touches` right after the move."""

from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat, Left
from django.utils.translation import gettext_lazy as _

from clients.selectors import contactable
from policies.models import Policy, PolicyStatusChange
from touches.registry import (
    BuildScope,
    OccasionKind,
    Priority,
    occasion_rows,
    register_occasion,
    source_of,
)

LAPSE_KIND = "policy_lapsed"


def lapses(scope: BuildScope) -> list[QuerySet]:
    qs = PolicyStatusChange.objects.filter(
        contactable("policy__holder__"),
        to_status=Policy.Status.LAPSED,
        policy__status=Policy.Status.LAPSED,  # still lapsed: a reinstated one needs no call
        at__date=scope.occasion,
    )
    return [
        occasion_rows(
            qs,
            owner="policy__owner_id",
            client="policy__holder_id",
            occasion=scope.occasion,
            source=source_of("policy", "policy_id"),
            label=Left(Concat(F("policy__product_name"), Value("|"), F("policy__number")), 200),
        )
    ]


def _display(stored: str) -> str:
    return stored.replace("|", " ")


def _greeting(stored: str) -> str:
    return stored.partition("|")[0]


register_occasion(
    OccasionKind(
        key=LAPSE_KIND,
        label=_("Policy lapsed"),
        source=lapses,
        lead_configurable=False,
        priority=Priority.URGENT,
        greeting=_(
            "{name}, the premium of {label} was not paid in time and the policy has lapsed. "
            "It can still be reinstated; let me help you with it."
        ),
        greeting_styles={
            "warm": _(
                "{name}, your {label} has lapsed because the premium wasn't paid in time. "
                "Don't worry, it can be reinstated; I'll help you!"
            ),
            "elder": _(
                "{name}, the premium of your policy {label} was not paid in time and the "
                "policy has lapsed. It can still be reinstated; I will come and help you."
            ),
        },
        order=66,
        display_label=_display,
        greeting_label=_greeting,
    )
)
