"""The campaign touch kind. Its touches are written when the agent creates a campaign
(`campaigns.services.campaign_create`, one INSERT … SELECT through
`touches.build.touches_insert_rows`), never by the nightly build: the source gives nothing.

The touch's label is "title|message": the dashboard shows the title, and the greeting is the
message, its {称呼} filled per client (`touches.greetings.greeting_for` fills the
placeholders a label carries)."""

from django.utils.translation import gettext_lazy as _

from touches.registry import OccasionKind, Priority, register_occasion

from .models import CAMPAIGN_KIND

LABEL_SEPARATOR = "|"


def campaign_label(*, title: str, message: str) -> str:
    return f"{title.replace(LABEL_SEPARATOR, ' ')}{LABEL_SEPARATOR}{message}"[:200]


def _title(stored: str) -> str:
    return stored.partition(LABEL_SEPARATOR)[0]


def _message(stored: str) -> str:
    return stored.partition(LABEL_SEPARATOR)[2]


register_occasion(
    OccasionKind(
        key=CAMPAIGN_KIND,
        label=_("Campaign"),
        source=lambda scope: [],
        lead_configurable=False,
        late_catch=False,
        priority=Priority.NORMAL,
        greeting="{label}",
        display_label=_title,
        greeting_label=_message,
        order=97,
    )
)
