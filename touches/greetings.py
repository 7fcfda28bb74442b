"""What a touch says: its label for people, the greeting to send and the deck's guidance.

Gift ideas are the gifts app's (touches.registry section 12), read by `touches.rows`.

Pure functions over a touch, its client and the agent's greeting templates: no queries.
The selectors load the templates once per page and call these for every row.

A greeting leaves the CRM (SMS, WeChat): it calls the client by the agent's form of
address (称呼, `Client.address_as`), is worded in the client's greeting style, and names a
policy by its product only, never by its number (each kind's `greeting_label`).
"""

import re
from collections.abc import Mapping
from urllib.parse import quote

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clients.models import GreetingStyle, LifeEvent

from .festivals import FESTIVALS_BY_KEY
from .registry import occasion_kind

FESTIVAL_KIND = "festival"
# Kinds whose label is a LifeEvent.Kind value rather than free text.
LIFE_EVENT_LABEL_KINDS = frozenset({"life_event", "hospital_visit"})
PLACEHOLDERS = ("name", "festival", "label")
# The same placeholders as an agent writes them in Chinese: {称呼} how the client is
# addressed, {节日} the festival, {事由} what the touch is about. Both spellings are filled;
# templates are stored with the internal ones and shown with the reader's.
CHINESE_PLACEHOLDERS = {"称呼": "name", "节日": "festival", "事由": "label"}
_CHINESE_OF = {internal: chinese for chinese, internal in CHINESE_PLACEHOLDERS.items()}
# A placeholder-looking word in braces, half- or full-width (a Chinese keyboard types ｛｝):
# {name}, {nmae}, {称呼}, ｛节日｝.
_PLACEHOLDER = re.compile(r"[{｛]\s*([A-Za-z_][A-Za-z0-9_]*|[\u4e00-\u9fff]{1,8})\s*[}｝]")
STYLES = tuple(GreetingStyle.values)
DEFAULT_STYLE = GreetingStyle.FORMAL.value

# The deck's guidance for the life events it names, shown on the touch's card: what to do,
# not what to say (the greeting says that).
LIFE_EVENT_GUIDANCE: dict[str, object] = {
    LifeEvent.Kind.HOSPITALISED: _(
        "Be a stand-in relative (做个临时亲戚): whether or not there is a claim, bring fruit or "
        "flowers in person, and if the family is short of hands, offer to sit with them."
    ),
    LifeEvent.Kind.BEREAVEMENT: _(
        "Go in person, help with what needs doing (claims, paperwork, errands), and talk about "
        "the one who died only as the family wishes. No selling."
    ),
    LifeEvent.Kind.COMPLAINT: _(
        "When the client is unhappy or blames you (客户不满指责时): call or visit today, listen "
        "to the end without arguing, thank them for saying so, and promise only what you can "
        "do, with a date. One bad experience takes twelve good ones to repair."
    ),
    LifeEvent.Kind.DISCOURAGED: _(
        "When the client is low in spirits (客户情绪悲观失望时): spend time with them and listen, "
        "let them lead the talk, agree with what they value and help them like themselves "
        "again. Be a friend first."
    ),
    LifeEvent.Kind.PROMOTION: _(
        "Congratulate them promptly (职级晋升): a call or a small card. A new position often "
        "means new income and responsibilities: offer a review of their cover, later."
    ),
}

# (kind, festival key or "", greeting style) -> the agent's own text.
Templates = Mapping[tuple[str, str, str], str]


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


def _internal(word: str) -> str:
    return CHINESE_PLACEHOLDERS.get(word, word)


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace {name}, {festival} and {label} (or {称呼}, {节日}, {事由}); anything else in
    braces (a typo such as {nmae}, a stray brace) is left exactly as written. Never raises,
    unlike str.format, which fails on a lone brace and would let {name.__class__} reach
    attributes."""
    return _PLACEHOLDER.sub(lambda m: values.get(_internal(m.group(1)), m.group(0)), text)


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in `text` that greetings do not fill, in order of appearance."""
    found = [m.group(1) for m in _PLACEHOLDER.finditer(text)]
    return list(dict.fromkeys(name for name in found if _internal(name) not in PLACEHOLDERS))


def _reader_is_chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def reader_placeholders() -> list[str]:
    """The placeholders as the reader of the settings page writes them: {称呼} … in Chinese."""
    if _reader_is_chinese():
        return [f"{{{_CHINESE_OF[name]}}}" for name in PLACEHOLDERS]
    return [f"{{{name}}}" for name in PLACEHOLDERS]


def text_for_storage(text: str) -> str:
    """A template as stored: each known placeholder in its internal spelling ({称呼} and
    ｛name｝ become {name}), so it reads the same in either language and a built-in
    wording shown in Chinese compares equal to the built-in."""

    def internal(m: re.Match) -> str:
        key = _internal(m.group(1))
        return f"{{{key}}}" if key in PLACEHOLDERS else m.group(0)

    return _PLACEHOLDER.sub(internal, text)


def text_for_editor(text: str) -> str:
    """A stored template as the settings page shows it: {称呼}, {节日}, {事由} to a Chinese
    reader; the internal spelling otherwise."""
    if not _reader_is_chinese():
        return text
    return _PLACEHOLDER.sub(
        lambda m: f"{{{_CHINESE_OF[m.group(1)]}}}" if m.group(1) in _CHINESE_OF else m.group(0),
        text,
    )


def client_style(client) -> str:
    style = getattr(client, "greeting_style", "") or DEFAULT_STYLE
    return style if style in STYLES else DEFAULT_STYLE


def built_in_greeting(kind: str, style: str = DEFAULT_STYLE) -> str:
    """The kind's own wording in `style` (its formal wording when it has none for it)."""
    registered = occasion_kind(kind)
    if registered is None:
        return ""
    return str(registered.greeting_styles.get(style) or registered.greeting)


def built_in_festival_greeting(festival: str, style: str = DEFAULT_STYLE) -> str:
    """A festival's own wording in `style` ("" when it has none: the kind's is used)."""
    found = FESTIVALS_BY_KEY.get(festival)
    if found is None or not found.greeting:
        return ""
    return str(found.greeting_styles.get(style) or found.greeting)


def template_text(touch, templates: Templates, style: str = DEFAULT_STYLE) -> str:
    """The wording for a touch in `style`: the agent's template for this festival, else the
    festival's own built-in wording (除夕, 劳动节, 国庆节), else the agent's template for the
    kind, else the kind's built-in greeting. The more particular wording wins."""
    festival = festival_key(touch)
    if festival and (touch.kind, festival, style) in templates:
        return templates[(touch.kind, festival, style)]
    if festival and built_in_festival_greeting(festival, style):
        return built_in_festival_greeting(festival, style)
    if (touch.kind, "", style) in templates:
        return templates[(touch.kind, "", style)]
    return built_in_greeting(touch.kind, style)


def greeting_label(touch) -> str:
    """{label} in a greeting: as the kind words it for the client (a policy's product, never
    its number), else as the dashboard shows it."""
    registered = occasion_kind(touch.kind)
    if registered and registered.greeting_label:
        return registered.greeting_label(touch.label)
    return touch_label(touch)


def greeting_for(touch, templates: Templates) -> str:
    """The greeting to send: in the client's style, calling them by the agent's 称呼."""
    client = touch.client
    values = {
        "name": client.address_as,
        "festival": touch_label(touch) if touch.kind == FESTIVAL_KIND else "",
        "label": "",
    }
    # A label may carry placeholders of its own (a campaign's message: "{name}，…").
    values["label"] = fill_placeholders(greeting_label(touch), values)
    return fill_placeholders(template_text(touch, templates, client_style(client)), values)


# What a greeting starts with when the 称呼 is left out: "，" of "{name}，祝您…".
_LEADING_PUNCTUATION = re.compile(r"^[\s,，、:：!！]+")


def festival_greeting(touch, templates: Templates) -> str:
    """A festival's greeting for the whole audience (a WeChat group message, a moments
    post): the agent's formal wording with no 称呼, which each client would need."""
    values = {"name": "", "festival": touch_label(touch), "label": ""}
    text = fill_placeholders(template_text(touch, templates, DEFAULT_STYLE), values)
    text = _LEADING_PUNCTUATION.sub("", text).strip()
    return text[:1].upper() + text[1:]


def sms_href(mobile, body: str) -> str:
    """An sms: link with the greeting filled in ("" without a mobile number)."""
    if not mobile:
        return ""
    number = mobile.as_e164 if hasattr(mobile, "as_e164") else str(mobile)
    return f"sms:{number}?body={quote(body, safe='')}"


def guidance(touch) -> str:
    """The deck's advice for a life-event touch ("" for other touches)."""
    if touch.kind in LIFE_EVENT_LABEL_KINDS:
        key = touch.label or (LifeEvent.Kind.HOSPITALISED if touch.kind == "hospital_visit" else "")
        advice = LIFE_EVENT_GUIDANCE.get(key)
        return str(advice) if advice else ""
    return ""
