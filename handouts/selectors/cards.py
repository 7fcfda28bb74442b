"""What a greeting card shows for a touch: the design of its occasion and the greeting the
dashboard would send, in the client's style and 称呼 (touches.greetings)."""

from dataclasses import dataclass

from agentcrm.accounts.models import User
from touches.greetings import FESTIVAL_KIND, festival_key, greeting_for, touch_label
from touches.models import Touch
from touches.rows import greeting_templates_for_user
from touches.selectors import get_touch_for_user

from ..cards import CARD_KINDS, Design, design_for


@dataclass(frozen=True)
class Card:
    touch: Touch
    design: Design
    greeting: str
    agent_name: str


def get_card_touch_for_user(*, user: User, pk: int) -> Touch:
    """The touch if it is the user's (else 404, touches' own rule) and of a greeting kind
    (else 404 too: there is no card for a premium due)."""
    from django.http import Http404

    touch = get_touch_for_user(user=user, pk=pk)
    if touch.kind not in CARD_KINDS:
        raise Http404("no card for this kind of touch")
    return touch


def card_for(*, touch: Touch, user: User) -> Card:
    festival = festival_key(touch) if touch.kind == FESTIVAL_KIND else ""
    design = design_for(
        touch.kind, festival, touch_label(touch) if touch.kind == FESTIVAL_KIND else ""
    )
    greeting = greeting_for(touch, greeting_templates_for_user(user=user))
    name = user.display_name or user.get_full_name() or user.username
    return Card(touch=touch, design=design, greeting=greeting, agent_name=name)
