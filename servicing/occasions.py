"""The after-sales occasion kinds, registered with the touch engine on import (the engine's
`autodiscover_modules("occasions")` imports this module): the next step of an open claim or
servicing request, on the day it is set for.

The touch goes to the policy's holder, the client the agent talks to. A saved request
rebuilds its holder's touches of these kinds; so does a saved policy (its trigger, in
policies.occasions, names them).
"""

from datetime import date
from urllib.parse import urlencode

from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat, Left
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clients.selectors import contactable
from policies.models import Policy
from policies.occasions import NUMBER_SEPARATOR, request_display_label, request_greeting_label
from touches.registry import (
    BuildScope,
    OccasionKind,
    Priority,
    occasion_rows,
    register_client_trigger,
    register_occasion,
    register_touch_action,
    source_of,
)

from .models import ServiceRequest


def _request_actions(scope: BuildScope, kind: str) -> list[QuerySet]:
    qs = ServiceRequest.objects.filter(
        contactable("policy__holder__"),
        kind=kind,
        closed_on__isnull=True,
        next_action_date=scope.occasion,
    )
    return [
        occasion_rows(
            qs,
            owner="policy__owner_id",
            client="policy__holder_id",
            occasion=F("next_action_date"),
            source=source_of("request"),
            # "next action|number": the row shows both, a greeting the next action only.
            label=Left(Concat(F("next_action"), Value(NUMBER_SEPARATOR), F("policy__number")), 200),
        )
    ]


def claim_actions(scope: BuildScope) -> list[QuerySet]:
    return _request_actions(scope, ServiceRequest.Kind.CLAIM)


def servicing_actions(scope: BuildScope) -> list[QuerySet]:
    return _request_actions(scope, ServiceRequest.Kind.SERVICING)


_REQUEST_LABEL = {"display_label": request_display_label, "greeting_label": request_greeting_label}

KINDS = (
    OccasionKind(
        key="claim_action",
        label=_("Claim follow-up"),
        source=claim_actions,
        lead_configurable=False,
        priority=Priority.URGENT,
        greeting=_("{name}, an update on your claim: {label}"),
        greeting_styles={
            "warm": _("{name}, news on your claim: {label}"),
            "elder": _(
                "{name}, an update on your claim: {label}. Please don't worry; I am following "
                "it closely."
            ),
        },
        order=66,
        **_REQUEST_LABEL,
    ),
    OccasionKind(
        key="servicing_action",
        label=_("Servicing follow-up"),
        source=servicing_actions,
        lead_configurable=False,
        priority=Priority.HIGH,
        greeting=_("{name}, an update on your policy request: {label}"),
        greeting_styles={
            "warm": _("{name}, news on your policy request: {label}"),
            "elder": _(
                "{name}, an update on your policy request: {label}. Please don't worry; I am "
                "taking care of it."
            ),
        },
        order=67,
        **_REQUEST_LABEL,
    ),
)


def _via_policy(request: ServiceRequest) -> tuple[int, int] | None:
    row = Policy.objects.filter(pk=request.policy_id).values_list("holder_id", "owner_id").first()
    return tuple(row) if row else None


for _kind in KINDS:
    register_occasion(_kind)
register_client_trigger(ServiceRequest, _via_policy, kinds=["claim_action", "servicing_action"])


def _review_url(source: str, occasion: date) -> str | None:
    """The new-review page of the anniversary's policy, for that year's anniversary (the
    touch comes a week ahead: the review is the coming anniversary's, not last year's)."""
    prefix, _sep, pk = source.partition(":")
    if prefix != "policy" or not pk.isdigit():
        return None
    path = reverse("policies:review_create", kwargs={"pk": int(pk)})
    return f"{path}?{urlencode({'anniversary': occasion.isoformat()})}"


register_touch_action(
    "annual_review",
    _("Start annual review"),
    lambda touch: _review_url(touch.source, touch.occasion_date),
    kinds=["policy_anniversary"],
)
