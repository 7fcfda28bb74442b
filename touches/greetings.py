"""What a touch says: its label for people, the greeting to send and gift ideas.

Pure functions over a touch, its client and the agent's greeting templates: no queries.
The selectors load the templates once per page and call these for every row.
"""

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

from django.utils.translation import gettext_lazy as _

from clients.models import LifeEvent, Segment

from .festivals import FESTIVALS_BY_KEY
from .registry import occasion_kind

FESTIVAL_KIND = "festival"
# Kinds whose label is a LifeEvent.Kind value rather than free text.
LIFE_EVENT_LABEL_KINDS = frozenset({"life_event", "hospital_visit"})
PLACEHOLDERS = ("name", "festival", "label")
# A placeholder-looking word in braces: {name}, {nmae}. Chinese text in braces is left alone.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# The deck: books and magazines chosen by segment (managers: management and investment;
# women: fashion and beauty; expectant mothers: parenting; students: study aids; small
# children: picture books).
GIFT_IDEAS: dict[str, tuple] = {
    Segment.Code.MANAGER: (_("A book on management"), _("A book on investing")),
    Segment.Code.WOMAN: (_("A fashion or beauty magazine"),),
    Segment.Code.EXPECTANT_MOTHER: (_("A parenting book"),),
    Segment.Code.STUDENT: (_("Study aids"),),
    Segment.Code.YOUNG_CHILD: (_("A picture book for the child"),),
}
# Occasions where a small gift is part of the touch; other kinds show no gift ideas.
GIFT_KINDS = frozenset({"birthday", "family_birthday", "wedding_anniversary", FESTIVAL_KIND})

# (kind, festival key or "") -> the agent's own text.
Templates = Mapping[tuple[str, str], str]


def festival_key(touch) -> str:
    """The festival a festival touch is for ("" for other kinds)."""
    if touch.kind != FESTIVAL_KIND:
        return ""
    return touch.source.partition(":")[2] or touch.label


def touch_label(touch) -> str:
    """The touch's "about" text as people read it: a festival's or a life event's name."""
    if touch.kind == FESTIVAL_KIND:
        festival = FESTIVALS_BY_KEY.get(festival_key(touch))
        return str(festival.label) if festival else touch.label
    if touch.kind in LIFE_EVENT_LABEL_KINDS and touch.label in LifeEvent.Kind.values:
        return str(LifeEvent.Kind(touch.label).label)
    registered = occasion_kind(touch.kind)
    if registered and registered.display_label:
        return registered.display_label(touch.label)
    return touch.label


def kind_label(kind: str) -> str:
    registered = occasion_kind(kind)
    return str(registered.label) if registered else kind


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace {name}, {festival} and {label}; anything else in braces (a typo such as
    {nmae}, a stray brace) is left exactly as written. Never raises, unlike str.format,
    which fails on a lone brace and would let {name.__class__} reach attributes."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in `text` that greetings do not fill, in order of appearance."""
    found = [m.group(1) for m in _PLACEHOLDER.finditer(text)]
    return list(dict.fromkeys(name for name in found if name not in PLACEHOLDERS))


def template_text(touch, templates: Templates) -> str:
    """The wording for a touch: the agent's template for this festival, else for the kind,
    else the built-in greeting of the kind."""
    festival = festival_key(touch)
    if festival and (touch.kind, festival) in templates:
        return templates[(touch.kind, festival)]
    if (touch.kind, "") in templates:
        return templates[(touch.kind, "")]
    registered = occasion_kind(touch.kind)
    return str(registered.greeting) if registered else ""


def greeting_for(touch, templates: Templates) -> str:
    label = touch_label(touch)
    values = {
        "name": touch.client.name,
        "festival": label if touch.kind == FESTIVAL_KIND else "",
        "label": label,
    }
    return fill_placeholders(template_text(touch, templates), values)


def sms_href(mobile, body: str) -> str:
    """An sms: link with the greeting filled in ("" without a mobile number)."""
    if not mobile:
        return ""
    number = mobile.as_e164 if hasattr(mobile, "as_e164") else str(mobile)
    return f"sms:{number}?body={quote(body, safe='')}"


def gift_ideas(kind: str, segment_codes: Iterable[str]) -> list[str]:
    if kind not in GIFT_KINDS:
        return []
    ideas: list[str] = []
    for code in segment_codes:
        ideas.extend(str(idea) for idea in GIFT_IDEAS.get(code, ()))
    return list(dict.fromkeys(ideas))
