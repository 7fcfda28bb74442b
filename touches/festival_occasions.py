"""Festivals as an occasion kind: the festival calendar (touches.festivals) meets the
client archive through audience rules, each a Q over the client's record.

An agent may turn a festival off, change its audience or its gift lead (FestivalPreference);
every distinct setting in use is one query, whatever the number of agents.
"""

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from agentcrm.core.calendar import years_before
from clients.models import Client, FamilyMember, Gender, Segment
from clients.occasions import client_rows

from .festivals import FESTIVALS, MAX_YEAR, MIN_YEAR
from .models import FestivalPreference
from .registry import BuildScope, OccasionKind, Priority, register_occasion

YOUNG_CHILD_AGE = 14
ELDER_AGE = 60


def _has_family(day: date, **filters) -> Exists:
    return Exists(FamilyMember.objects.filter(client=OuterRef("pk"), **filters))


def _in_segment(code: str) -> Exists:
    return Exists(Client.segments.through.objects.filter(client=OuterRef("pk"), segment__code=code))


def _young_child(day: date) -> Exists:
    return _has_family(day, relation="child", birth_date__gt=years_before(day, YOUNG_CHILD_AGE))


def _any_child(day: date) -> Exists:
    return _has_family(day, relation="child")


AUDIENCES = {
    "all_active": (_("Every active client"), lambda day: Q()),
    "women": (_("Women"), lambda day: Q(gender=Gender.FEMALE)),
    "mothers": (
        _("Mothers"),
        lambda day: Q(gender=Gender.FEMALE) & (Q(_any_child(day)) | Q(_in_segment("young_child"))),
    ),
    "fathers": (
        _("Fathers"),
        lambda day: Q(gender=Gender.MALE) & (Q(_any_child(day)) | Q(_in_segment("young_child"))),
    ),
    "parents_of_young_children": (
        _("Clients with a child under 14"),
        lambda day: Q(_young_child(day)),
    ),
    "teachers": (
        _("Teachers"),
        lambda day: (
            Q(_in_segment(Segment.Code.TEACHER))
            | Q(occupation__contains="教师")
            | Q(occupation__contains="老师")
            | Q(occupation__icontains="teacher")
        ),
    ),
    "military": (
        _("Military"),
        lambda day: (
            Q(_in_segment(Segment.Code.MILITARY))
            | Q(occupation__contains="军")
            | Q(occupation__icontains="military")
        ),
    ),
    "elders_or_parents_living": (
        _("Elders (60+) or clients whose parents are living"),
        lambda day: (
            Q(birth_date__lte=years_before(day, ELDER_AGE))
            | Q(_has_family(day, relation__in=("parent", "parent_in_law"), is_living=True))
        ),
    ),
}


def audience_q(key: str, day: date) -> Q:
    return AUDIENCES[key][1](day)


def _settings_groups(festival) -> list[tuple[str, int, tuple[int, ...] | None, tuple[int, ...]]]:
    """[(audience, lead, only these agents or None for the rest, agents left out)]."""
    rows = FestivalPreference.objects.filter(festival=festival.key).values_list(
        "owner_id", "enabled", "audience", "lead_days"
    )
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    special = []
    for owner_id, enabled, audience, lead in rows:
        special.append(owner_id)
        if enabled and audience in AUDIENCES:
            groups[(audience, lead)].append(owner_id)
    result = [(festival.audience, festival.gift_lead_days, None, tuple(special))]
    result += [(aud, lead, tuple(ids), ()) for (aud, lead), ids in groups.items()]
    return result


def festival_touches(scope: BuildScope) -> list[QuerySet]:
    querysets = []
    for festival in FESTIVALS:
        for audience, lead, only, leave_out in _settings_groups(festival):
            day = scope.due + timedelta(days=lead)
            if not (MIN_YEAR <= day.year <= MAX_YEAR) or festival.date_in(day.year) != day:
                continue
            qs = client_rows(
                Client.objects.filter(audience_q(audience, day)),
                occasion=day,
                source=f"festival:{festival.key}",
                label=festival.key,
            )
            if only is not None:
                qs = qs.filter(owner_id__in=only)
            if leave_out:
                qs = qs.exclude(owner_id__in=leave_out)
            querysets.append(qs)
    return querysets


FESTIVAL_KIND = OccasionKind(
    key="festival",
    label=_("Festival"),
    source=festival_touches,
    lead_configurable=False,  # each festival has its own lead (FestivalPreference)
    priority=Priority.NORMAL,
    greeting=_("{name}, wishing you and your family a happy {festival}!"),
    greeting_styles={
        "warm": _("{name}, happy {festival}! Have a wonderful time with your family."),
        "elder": _("{name}, wishing you a happy {festival}, good health and a long life!"),
    },
    order=50,
)

register_occasion(FESTIVAL_KIND)
