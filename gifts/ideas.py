"""Gift and book ideas from the deck (赠书籍杂志, 节日的礼物), by client segment and by
festival: the built-in defaults, and the agent's own lists, which replace a topic's
defaults (`GiftIdeas`). "Different people, different gifts: the thought counts, not the
price" (不同人群不同的礼物，贵在心意而非礼物)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agentcrm.accounts.models import User
from clients.models import Segment
from touches.festivals import FESTIVALS_BY_KEY

from .models import GiftIdeas

DEFAULT_IDEAS = {
    "segment:manager": gettext_lazy("Books on management\nBooks on investing"),
    "segment:woman": gettext_lazy("Fashion magazine\nBeauty magazine"),
    "segment:expectant_mother": gettext_lazy("Book on baby care and parenting"),
    "segment:student": gettext_lazy("Study guides and reference books"),
    "segment:young_child": gettext_lazy(
        "Children's picture magazine\nPicture word cards\nFairy tales and fables"
    ),
    "festival:new_year": gettext_lazy("Desk calendar"),
    "festival:spring_festival": gettext_lazy("Fu character\nSpring couplets\nDesk calendar"),
    "festival:lantern": gettext_lazy("Yuanxiao (glutinous rice balls)"),
    "festival:dragon_boat": gettext_lazy("Zongzi"),
    "festival:mid_autumn": gettext_lazy("Mooncakes"),
    "festival:womens_day": gettext_lazy("Flowers\nBeauty magazine"),
    "festival:mothers_day": gettext_lazy("Carnations\nCard"),
    "festival:fathers_day": gettext_lazy("Card\nTea"),
    "festival:childrens_day": gettext_lazy("Picture book\nChildren's picture magazine"),
    "festival:teachers_day": gettext_lazy("Card\nBook"),
    "festival:army_day": gettext_lazy("Card"),
    "festival:double_ninth": gettext_lazy("Chongyang cake\nHealth book for elders"),
}


@dataclass
class Topic:
    key: str
    label: str
    ideas: list[str]
    own: bool  # the agent's own list, not the defaults

    @property
    def text(self) -> str:
        return "\n".join(self.ideas)

    @property
    def kind(self) -> str:
        return self.key.partition(":")[0]


def _label(key: str) -> str:
    kind, _sep, code = key.partition(":")
    if kind == "segment":
        return str(dict(Segment.Code.choices).get(code, code))
    festival = FESTIVALS_BY_KEY.get(code)
    return str(festival.label) if festival else code


def _lines(text: str) -> list[str]:
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def gift_ideas_for_user(*, user: User) -> list[Topic]:
    """Every topic with the agent's list where they wrote one, else the defaults: one query."""
    own = dict(GiftIdeas.objects.filter(owner=user).values_list("topic", "ideas"))
    return [
        Topic(key=key, label=_label(key), ideas=_lines(own.get(key, default)), own=key in own)
        for key, default in DEFAULT_IDEAS.items()
    ]


def _merged(topics: Sequence[str], own: Mapping[str, str]) -> list[str]:
    """The ideas of `topics` in order, each once: the agent's list, else the defaults."""
    seen: list[str] = []
    for key in topics:
        for line in _lines(own.get(key, DEFAULT_IDEAS.get(key, ""))):
            if line not in seen:
                seen.append(line)
    return seen


def touch_topics(festival: str, segment_codes: Sequence[str]) -> list[str]:
    """The topics of a gift: the festival's first (mooncakes), then the client's segments."""
    topics = [f"festival:{festival}"] if festival else []
    return topics + [f"segment:{code}" for code in segment_codes]


def ideas_for(*, user: User, topics: list[str]) -> list[str]:
    """The ideas of these topics (a client's segments, the gift's festival), in order, once."""
    own = dict(GiftIdeas.objects.filter(owner=user, topic__in=topics).values_list("topic", "ideas"))
    return _merged(topics, own)


def touch_ideas_loader(user: User):
    """The dashboard's gift ideas (`touches.registry.register_gift_ideas`): the agent's own
    lists loaded in one query, then a pure lookup per card, so the cards show what the agent
    wrote at /gifts/ideas/ and never another agent's lists."""
    own = dict(GiftIdeas.objects.filter(owner=user).values_list("topic", "ideas"))

    def lookup(kind: str, festival: str, segment_codes: Sequence[str]) -> list[str]:
        return _merged(touch_topics(festival, segment_codes), own)

    return lookup


def topic_label(key: str) -> str:
    kind = key.partition(":")[0]
    prefix = _("Segment") if kind == "segment" else _("Festival")
    return f"{prefix} · {_label(key)}"
