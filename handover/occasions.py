"""The new agent's "introduce yourself" touch after a handover (孤儿单): the deck's answer to
"the agent may soon quit" is that a client is never left without an agent who calls."""

from datetime import timedelta

from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce, Left, NullIf
from django.utils.translation import gettext_lazy as _

from clients.selectors import contactable
from touches.registry import (
    BuildScope,
    OccasionKind,
    Priority,
    occasion_rows,
    register_occasion,
    source_of,
)

from .models import HandoverClient

# A touch is made on any build day this long after the handover (the first one wins), so a
# handover on a day already built is still caught by the rebuild or the next nightly run.
WINDOW_DAYS = 30


def introductions(scope: BuildScope) -> list[QuerySet]:
    return [
        occasion_rows(
            HandoverClient.objects.filter(
                contactable("client__"),
                client__owner_id=F("to_agent_id"),  # still theirs
                changed_on__lte=scope.due,
                changed_on__gte=scope.due - timedelta(days=WINDOW_DAYS),
            ),
            owner="to_agent_id",
            client="client_id",
            occasion="changed_on",
            source=source_of("handover"),
            label=Left(
                Coalesce(
                    NullIf(F("from_agent__display_name"), Value("")), F("from_agent__username")
                ),
                200,
            ),
        )
    ]


register_occasion(
    OccasionKind(
        key="agent_introduction",
        label=_("Introduce yourself (new agent)"),
        source=introductions,
        lead_configurable=False,
        priority=Priority.HIGH,
        greeting=_(
            "{name}, hello! I am your new insurance adviser, taking over from {label}. "
            "Your policies and service are in my hands from now on; call me any time."
        ),
        greeting_styles={
            "warm": _(
                "{name}, hello! I'm your new insurance adviser, taking over from {label}. I'll "
                "look after your policies from now on; call me whenever you need anything!"
            ),
            "elder": _(
                "{name}, hello! I am your new insurance adviser, taking over from {label}. I "
                "will look after your policies and service from now on; whenever you need "
                "anything, call me and I will come to you."
            ),
        },
        order=5,
    )
)
