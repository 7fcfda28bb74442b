"""The policies' occasion kinds, registered with the touch engine on import (the engine's
`autodiscover_modules("occasions")` imports this module).

Every query starts from the policy-side table and reaches the holder through its foreign
key: the holder is the client the agent talks to, whoever is insured.
"""

import re

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Concat, Left
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
)

from .models import Payout, Policy, PremiumPayment, Rider
from .selectors.policy import PREMIUM_PAYING_STATUSES

ACTIVE = Policy.ACTIVE_STATUSES
# A policy touch's label keeps the product and the policy number apart ("平安福|P123"): the
# dashboard shows both, a greeting (sent by SMS or WeChat) names the product only.
NUMBER_SEPARATOR = "|"
_DIGIT = re.compile(r"\d")


def _policy_label(prefix: str = ""):
    return Left(
        Concat(F(f"{prefix}product_name"), Value(NUMBER_SEPARATOR), F(f"{prefix}number")), 200
    )


def _split(stored: str, legacy: str) -> tuple[str, str]:
    """(what, number) of a stored label; a label written before the separator was used
    ("平安福 P123") is split at its last `legacy` separator when a digit follows it."""
    what, sep, number = stored.rpartition(NUMBER_SEPARATOR)
    if sep:
        return what, number
    what, sep, number = stored.rpartition(legacy)
    if sep and _DIGIT.search(number):
        return what, number
    return stored, ""


def policy_display_label(stored: str) -> str:
    """ "平安福|P123" → "平安福 P123" on the dashboard."""
    product, number = _split(stored, " ")
    return f"{product} {number}".strip()


def policy_greeting_label(stored: str) -> str:
    """ "平安福|P123" → "平安福" in a greeting: the number stays in the CRM."""
    return _split(stored, " ")[0]


def request_display_label(stored: str) -> str:
    """ "补交发票|P123" → "补交发票 · P123" on the dashboard."""
    action, number = _split(stored, " · ")
    return f"{action} · {number}" if number else action


def request_greeting_label(stored: str) -> str:
    return _split(stored, " · ")[0]


def _policies(prefix: str = "") -> Q:
    return contactable(f"{prefix}holder__")


def _annotate(qs: QuerySet, *, policy: str, occasion, source, label) -> QuerySet:
    """Occasion rows for the policy's holder: the client the agent talks to."""
    return occasion_rows(
        qs,
        owner=f"{policy}owner_id",
        client=f"{policy}holder_id",
        occasion=occasion,
        source=source,
        label=label,
    )


def anniversaries(scope: BuildScope) -> list[QuerySet]:
    from agentcrm.core.calendar import solar_keys_on

    day = scope.occasion
    qs = Policy.objects.filter(
        _policies(),
        status__in=ACTIVE,
        anniversary_md__in=solar_keys_on(day),
        effective_date__lt=day.replace(month=1, day=1),  # not in its first year
    )
    return [
        _annotate(qs, policy="", occasion=day, source=source_of("policy"), label=_policy_label())
    ]


def rider_expiries(scope: BuildScope) -> list[QuerySet]:
    qs = Rider.objects.filter(
        _policies("policy__"), policy__status__in=ACTIVE, expiry_date=scope.occasion
    )
    return [
        _annotate(
            qs,
            policy="policy__",
            occasion=F("expiry_date"),
            source=source_of("rider"),
            label=Left("name", 200),
        )
    ]


def payouts_due(scope: BuildScope) -> list[QuerySet]:
    qs = Payout.objects.filter(_policies("policy__"), claimed=False, date=scope.occasion).exclude(
        policy__status__in=(Policy.Status.SURRENDERED, Policy.Status.LAPSED)
    )
    return [
        _annotate(
            qs,
            policy="policy__",
            occasion=F("date"),
            source=source_of("payout"),
            label=_policy_label("policy__"),
        )
    ]


def _policy_date(qs: QuerySet, column: str, scope: BuildScope) -> list[QuerySet]:
    """Policies whose stored `column` date is the occasion: one touch per policy."""
    return [
        _annotate(
            qs.filter(**{column: scope.occasion}),
            policy="",
            occasion=F(column),
            source=source_of("policy"),
            label=_policy_label(),
        )
    ]


def premiums_due(scope: BuildScope) -> list[QuerySet]:
    paying = Policy.objects.filter(_policies(), status__in=PREMIUM_PAYING_STATUSES)
    return _policy_date(paying, "premium_next_due", scope)


def grace_endings(scope: BuildScope) -> list[QuerySet]:
    paying = Policy.objects.filter(_policies(), status__in=PREMIUM_PAYING_STATUSES)
    return _policy_date(paying, "premium_grace_end", scope)


def cooling_off_endings(scope: BuildScope) -> list[QuerySet]:
    kept = Policy.objects.filter(_policies()).exclude(status=Policy.Status.SURRENDERED)
    return _policy_date(kept, "cooling_off_end", scope)


URGENT, HIGH, NORMAL = Priority.URGENT, Priority.HIGH, Priority.NORMAL
# Kinds labelled "product|number" (or "next action|number"): both words on the dashboard,
# the product (or the action) alone in a greeting.
_POLICY_LABEL = {"display_label": policy_display_label, "greeting_label": policy_greeting_label}
KINDS = (
    OccasionKind(
        key="policy_anniversary",
        dated=True,
        label=_("Policy anniversary"),
        source=anniversaries,
        default_lead_days=7,
        priority=NORMAL,
        greeting=_(
            "{name}, your policy {label} turns another year old soon. Shall we meet for the "
            "annual policy review?"
        ),
        greeting_styles={
            "warm": _(
                "{name}, your {label} is a year older soon! Shall we find a time for its "
                "yearly check-up?"
            ),
            "elder": _(
                "{name}, your policy {label} will soon be another year old. I would like to "
                "visit you for the annual policy review; when would suit you?"
            ),
        },
        order=60,
        **_POLICY_LABEL,
    ),
    OccasionKind(
        key="rider_expiry",
        dated=True,
        label=_("Rider expiry"),
        source=rider_expiries,
        default_lead_days=30,
        priority=HIGH,
        greeting=_("{name}, your rider {label} expires soon; let's talk about renewing it."),
        greeting_styles={
            "warm": _(
                "{name}, your rider {label} is about to expire; shall we talk about renewing it?"
            ),
            "elder": _(
                "{name}, your rider {label} expires soon. I will come and explain the renewal "
                "to you; when would suit you?"
            ),
        },
        order=61,
    ),
    OccasionKind(
        key="payout_due",
        dated=True,
        label=_("Payout to claim"),
        source=payouts_due,
        default_lead_days=30,
        priority=HIGH,
        greeting=_("{name}, a payout of your policy {label} is due soon; I will help you claim."),
        greeting_styles={
            "warm": _(
                "{name}, good news: a payout from your {label} is due soon! I'll help you claim it."
            ),
            "elder": _(
                "{name}, a payout from your policy {label} is due soon. I will take care of the "
                "paperwork for you; you need not worry."
            ),
        },
        order=62,
        **_POLICY_LABEL,
    ),
    OccasionKind(
        key="premium_due",
        label=_("Premium due"),
        source=premiums_due,
        default_lead_days=15,
        priority=HIGH,
        greeting=_("{name}, a friendly reminder: the premium of {label} is due soon."),
        greeting_styles={
            "warm": _("{name}, just a quick reminder: the premium of your {label} is due soon."),
            "elder": _(
                "{name}, a reminder: the premium of your policy {label} is due soon. If paying "
                "it is any trouble, I can help you."
            ),
        },
        order=63,
        **_POLICY_LABEL,
    ),
    OccasionKind(
        key="grace_ending",
        label=_("Grace period ending"),
        source=grace_endings,
        default_lead_days=7,
        priority=URGENT,
        greeting=_(
            "{name}, the premium of {label} is still unpaid and its grace period ends soon; "
            "after that the cover lapses."
        ),
        greeting_styles={
            "warm": _(
                "{name}, the premium of your {label} is still unpaid and the grace period ends "
                "soon; please pay it in time so your cover doesn't lapse."
            ),
            "elder": _(
                "{name}, the premium of your policy {label} has not been paid yet and the grace "
                "period ends soon; after that the cover lapses. I can come and help you pay it."
            ),
        },
        order=64,
        **_POLICY_LABEL,
    ),
    OccasionKind(
        key="cooling_off_end",
        dated=True,
        label=_("Cooling-off period ending"),
        source=cooling_off_endings,
        default_lead_days=2,
        priority=HIGH,
        greeting=_("{name}, any questions about your new policy {label}? I am happy to help."),
        greeting_styles={
            "warm": _("{name}, any questions about your new {label}? Just ask me any time!"),
            "elder": _(
                "{name}, do you have any questions about your new policy {label}? I can come "
                "and explain it to you again."
            ),
        },
        order=65,
        **_POLICY_LABEL,
    ),
)


def _via_policy(obj) -> tuple[int, int] | None:
    row = Policy.objects.filter(pk=obj.policy_id).values_list("holder_id", "owner_id").first()
    return tuple(row) if row else None


# What a policy's own row feeds; a payment moves its due dates and may bring it back in force.
# The last two are the servicing app's request follow-ups (servicing.occasions), which reach
# the policy's holder: named here because a model has one trigger, and the policy's is here.
POLICY_KINDS = [
    "policy_anniversary",
    "rider_expiry",
    "payout_due",
    "premium_due",
    "grace_ending",
    "cooling_off_end",
    "claim_action",
    "servicing_action",
]

for _kind in KINDS:
    register_occasion(_kind)
register_client_trigger(
    Policy, lambda policy: (policy.holder_id, policy.owner_id), kinds=POLICY_KINDS
)
register_client_trigger(PremiumPayment, _via_policy, kinds=POLICY_KINDS)
register_client_trigger(Rider, _via_policy, kinds=["rider_expiry"])
register_client_trigger(Payout, _via_policy, kinds=["payout_due"])
