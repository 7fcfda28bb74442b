"""Every occasion kind through the real build (INSERT … SELECT), one due day at a time.

`build(day)` builds the touches due on `day` for every agent and returns them; the rules
under test are the ones stated in agentcrm.core.calendar and in each source module.
"""

import datetime
from datetime import date
from decimal import Decimal

import pytest

from clients.models import Client, CustomDate, FamilyMember, LifeEvent, Segment
from policies.models import Policy
from servicing.models import ServiceRequest
from touches.build import AgentRange, build_day
from touches.models import FestivalPreference, Touch, TouchPreference

from .factories import ClientFactory, FamilyMemberFactory, InteractionFactory
from .policy_factories import PayoutFactory, PolicyFactory, RiderFactory

pytestmark = pytest.mark.django_db
EVERYONE = AgentRange(0, 2**62)


def build(day: date, kind: str | None = None) -> list[Touch]:
    build_day(due=day, agents=EVERYONE)
    qs = Touch.objects.filter(due_date=day).select_related("client")
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("client__name", "source"))


def names(touches) -> list[str]:
    return [t.client.name for t in touches]


def person(owner, name, **fields):
    fields.setdefault("birth_date", None)
    return ClientFactory(owner=owner, name=name, **fields)


# --- birthdays -------------------------------------------------------------------------


def test_solar_birthday_three_days_ahead(owner):
    person(owner, "张三", birth_date=date(1980, 12, 1))
    touches = build(date(2026, 11, 28), "birthday")
    assert names(touches) == ["张三"]
    t = touches[0]
    assert (t.occasion_date, t.due_date, t.source) == (
        date(2026, 12, 1),
        date(2026, 11, 28),
        "client",
    )
    assert t.owner == owner and t.priority == Touch.Priority.HIGH


@pytest.mark.parametrize(
    "due,expected_occasion",
    [(date(2027, 2, 25), date(2027, 2, 28)), (date(2028, 2, 26), date(2028, 2, 29))],
)
def test_29_february_birthday(owner, due, expected_occasion):
    person(owner, "闰日", birth_date=date(1996, 2, 29))
    touches = build(due, "birthday")
    assert [t.occasion_date for t in touches] == [expected_occasion]
    # ...and never on 1 March.
    assert not build(due + datetime.timedelta(days=1), "birthday")


def lunar_person(owner, name, month, day, leap=False, year=1980):
    return person(
        owner,
        name,
        birthday_calendar="lunar",
        lunar_birth_year=year,
        lunar_birth_month=month,
        lunar_birth_day=day,
        lunar_birth_leap=leap,
    )


def test_lunar_birthday_converts_through_the_year_end(owner):
    # Lunar 12/20 of lunar year 2026 is 2027-01-27 (solar year differs from lunar year).
    lunar_person(owner, "腊月", 12, 20)
    touches = build(date(2027, 1, 24), "birthday")
    assert [t.occasion_date for t in touches] == [date(2027, 1, 27)]


def test_leap_month_birthday_in_a_year_without_that_leap_month(owner):
    # Born in leap 2nd month 2023; 2026 has no leap 2nd month (its leap month is 6): kept
    # on ordinary 2/10, which is 2026-03-28.
    lunar_person(owner, "闰二月", 2, 10, leap=True, year=2023)
    touches = build(date(2026, 3, 25), "birthday")
    assert [t.occasion_date for t in touches] == [date(2026, 3, 28)]


def test_leap_month_birthday_in_a_year_with_that_leap_month(owner):
    # 2033 has a leap 11th month; leap 11/5 is kept in the leap month (2033-12-26),
    # not in the ordinary 11th month (2033-11-26).
    lunar_person(owner, "闰冬月", 11, 5, leap=True, year=1995)
    assert not build(date(2033, 11, 23), "birthday")
    assert [t.occasion_date for t in build(date(2033, 12, 23), "birthday")] == [date(2033, 12, 26)]


def test_lunar_day_30_in_a_29_day_month(owner):
    # Lunar 12th month of lunar 2025 has 29 days: 12/30 is kept on 12/29 = 2026-02-16.
    lunar_person(owner, "除夕生", 12, 30)
    assert [t.occasion_date for t in build(date(2026, 2, 13), "birthday")] == [date(2026, 2, 16)]


def test_lunar_celebrant_is_not_matched_on_the_solar_date(owner):
    lunar_person(owner, "农历", 3, 3, year=1980).__class__.objects.filter(name="农历").update(
        birth_date=date(1980, 4, 18), birth_md=418
    )
    assert not build(date(2026, 4, 15), "birthday")


def test_family_birthdays_of_living_members_only(owner, client_obj):
    FamilyMemberFactory(client=client_obj, name="儿子", birth_date=date(2015, 12, 10))
    FamilyMemberFactory(
        client=client_obj,
        name="故父",
        relation="parent",
        birth_date=date(1940, 12, 10),
        is_living=False,
    )
    touches = build(date(2026, 12, 7), "family_birthday")
    assert [(t.client, t.label) for t in touches] == [(client_obj, "儿子")]
    assert touches[0].source.startswith("member:")


def test_wedding_anniversary_not_in_the_wedding_year(owner):
    person(owner, "新婚", wedding_date=date(2026, 12, 5), marital_status="married")
    person(owner, "老夫妻", wedding_date=date(2000, 12, 5), marital_status="married")
    assert names(build(date(2026, 12, 2), "wedding_anniversary")) == ["老夫妻"]


def test_custom_dates_solar_and_lunar(owner, client_obj):
    CustomDate.objects.create(
        client=client_obj, name="公司周年", calendar="solar", month=12, day=20
    )
    CustomDate.objects.create(
        client=client_obj, name="母亲忌日", calendar="lunar", month=11, day=1, leap=False
    )
    assert [t.label for t in build(date(2026, 12, 17), "custom_date")] == ["公司周年"]
    # Lunar 11/1 of lunar 2026 is 2026-12-09.
    assert [t.label for t in build(date(2026, 12, 6), "custom_date")] == ["母亲忌日"]


# --- who gets nothing -------------------------------------------------------------------


def test_do_not_contact_and_archived_clients_get_no_touches(owner):
    person(owner, "勿扰", birth_date=date(1980, 12, 1), do_not_contact=True)
    archived = person(owner, "归档", birth_date=date(1980, 12, 1))
    Client.objects.filter(pk=archived.pk).update(
        archived_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    PolicyFactory(holder=Client.objects.get(name="勿扰"), effective_date=date(2020, 12, 8))
    assert not build(date(2026, 11, 28))
    assert not build(date(2026, 12, 1))


def test_agent_can_switch_a_kind_off_or_change_its_lead(owner, teammate):
    person(owner, "甲", birth_date=date(1980, 12, 10))
    person(teammate, "乙", birth_date=date(1980, 12, 10))
    TouchPreference.objects.create(owner=owner, kind="birthday", enabled=True, lead_days=10)
    TouchPreference.objects.create(owner=teammate, kind="birthday", enabled=False, lead_days=3)
    assert names(build(date(2026, 11, 30), "birthday")) == ["甲"]
    assert not build(date(2026, 12, 7), "birthday")  # the default lead day: nobody


# --- festivals ------------------------------------------------------------------------


def test_spring_festival_reaches_every_active_client_a_week_ahead(owner, teammate):
    person(owner, "甲")
    person(teammate, "乙")
    prospect = person(owner, "丙", stage=Client.Stage.PROSPECT)
    person(owner, "丁", do_not_contact=True)
    touches = build(date(2027, 1, 30), "festival")  # 春节 2027-02-06
    assert names(touches) == sorted(["甲", "乙", prospect.name])
    assert {t.source for t in touches} == {"festival:spring_festival"}
    assert {t.occasion_date for t in touches} == {date(2027, 2, 6)}


def test_festival_audiences(owner):
    woman = person(owner, "女士", gender="female")
    person(owner, "先生", gender="male")
    mother = person(owner, "妈妈", gender="female")
    FamilyMemberFactory(client=mother, relation="child", birth_date=date(2018, 1, 1))
    father = person(owner, "爸爸", gender="male")
    FamilyMemberFactory(client=father, relation="child", birth_date=date(1995, 1, 1))
    teacher = person(owner, "王老师", occupation="中学教师")
    soldier = person(owner, "军人")
    soldier.segments.add(Segment.objects.get(code="military"))
    elder = person(owner, "老人", birth_date=date(1960, 1, 1))
    with_parents = person(owner, "有父母", birth_date=date(1990, 1, 1))
    FamilyMemberFactory(client=with_parents, relation="parent", birth_date=date(1960, 5, 5))

    def audience(due, key):
        return {t.client.name for t in build(due, "festival") if t.source == f"festival:{key}"}

    assert audience(date(2027, 3, 7), "womens_day") == {woman.name, mother.name}
    assert audience(date(2027, 5, 6), "mothers_day") == {mother.name}  # 2027-05-09
    assert audience(date(2027, 5, 29), "childrens_day") == {mother.name}  # child under 14
    assert audience(date(2027, 6, 17), "fathers_day") == {father.name}  # 2027-06-20
    assert audience(date(2027, 9, 9), "teachers_day") == {teacher.name}
    assert audience(date(2027, 7, 31), "army_day") == {soldier.name}
    # 重阳 2026: lunar 9/9 = 2026-10-18; elders (66) and clients whose parents live.
    assert audience(date(2026, 10, 15), "double_ninth") == {elder.name, with_parents.name}


def test_agent_can_turn_a_festival_off_or_change_its_audience(owner, teammate):
    person(owner, "甲", gender="male")
    person(teammate, "乙", gender="male")
    FestivalPreference.objects.create(
        owner=owner, festival="new_year", enabled=False, audience="all_active", lead_days=1
    )
    FestivalPreference.objects.create(
        owner=teammate, festival="womens_day", enabled=True, audience="all_active", lead_days=2
    )
    assert names(build(date(2026, 12, 31), "festival")) == ["乙"]
    assert names(build(date(2027, 3, 6), "festival")) == ["乙"]


# --- policies -------------------------------------------------------------------------


def test_policy_anniversary_of_a_29_february_policy(owner, client_obj):
    policy = PolicyFactory(holder=client_obj, effective_date=date(2024, 2, 29))
    touches = build(date(2027, 2, 21), "policy_anniversary")
    assert [(t.occasion_date, t.source) for t in touches] == [
        (date(2027, 2, 28), f"policy:{policy.pk}")
    ]
    assert not build(date(2024, 2, 22), "policy_anniversary")  # the effective date itself


def test_rider_expiry_and_payout_thirty_days_ahead(owner, client_obj):
    policy = PolicyFactory(holder=client_obj, effective_date=date(2020, 5, 5))
    RiderFactory(policy=policy, start_date=date(2020, 5, 5), expiry_date=date(2027, 1, 31))
    PayoutFactory(policy=policy, date=date(2027, 1, 31), amount=Decimal(5000), claimed=False)
    kinds = {t.kind for t in build(date(2027, 1, 1))}
    assert {"rider_expiry", "payout_due"} <= kinds


def test_premium_due_and_grace_ending(owner, client_obj):
    policy = PolicyFactory(
        holder=client_obj, effective_date=date(2026, 1, 10), payment_frequency="annual"
    )
    # Stored next due 2026-01-10, grace end 2026-03-11.
    assert [t.kind for t in build(date(2025, 12, 26))] == ["premium_due"]
    urgent = build(date(2026, 3, 4), "grace_ending")
    assert [(t.priority, t.source) for t in urgent] == [
        (Touch.Priority.URGENT, f"policy:{policy.pk}")
    ]


def test_cooling_off_and_service_request_follow_ups(owner, client_obj):
    policy = PolicyFactory(
        holder=client_obj, effective_date=date(2026, 11, 1), cooling_off_end=date(2026, 12, 3)
    )
    ServiceRequest.objects.create(
        owner=owner,
        policy=policy,
        kind="claim",
        category="hospital",
        next_action="补交发票",
        next_action_date=date(2026, 12, 1),
    )
    ServiceRequest.objects.create(
        owner=owner,
        policy=policy,
        kind="claim",
        category="accident",
        next_action="已结案",
        next_action_date=date(2026, 12, 1),
        closed_on=date(2026, 11, 20),
        status="paid",
    )
    assert {t.kind for t in build(date(2026, 12, 1))} == {"cooling_off_end", "claim_action"}
    claims = build(date(2026, 12, 1), "claim_action")
    assert len(claims) == 1 and claims[0].priority == Touch.Priority.URGENT
    assert "补交发票" in claims[0].label


# --- commitments, life events, neglect ------------------------------------------------


def test_commitment_due_tomorrow(owner, client_obj):
    client_obj.commitments.create(description="送体检报告解读", due_date=date(2026, 12, 2))
    client_obj.commitments.create(
        description="已办", due_date=date(2026, 12, 2), done_date=date(2026, 11, 30)
    )
    assert [t.label for t in build(date(2026, 12, 1), "commitment")] == ["送体检报告解读"]


def test_hospital_visit_within_two_days_even_if_recorded_late(owner, client_obj):
    LifeEvent.objects.create(client=client_obj, kind="hospitalised", date=date(2026, 12, 1))
    assert [t.priority for t in build(date(2026, 12, 2), "hospital_visit")] == [
        Touch.Priority.URGENT
    ]
    # Built once: the next day's build finds the same occasion and writes nothing.
    build(date(2026, 12, 2), "hospital_visit")
    assert Touch.objects.filter(kind="hospital_visit").count() == 1
    assert not build(date(2026, 12, 4), "hospital_visit")  # too late to be "within 2 days"


def test_life_events_within_a_week(owner, client_obj):
    LifeEvent.objects.create(client=client_obj, kind="new_baby", date=date(2026, 12, 1))
    LifeEvent.objects.create(client=client_obj, kind="moved", date=date(2026, 12, 1))
    touches = build(date(2026, 12, 7), "life_event")
    assert [t.label for t in touches] == ["new_baby"]
    assert not build(date(2026, 12, 8), "life_event")


def test_neglect_once_per_silence_whatever_the_policies(owner):
    quiet = person(owner, "沉默")
    Client.objects.filter(pk=quiet.pk).update(
        created_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    )
    PolicyFactory(holder=quiet, sum_assured=Decimal(10_000_000))
    InteractionFactory(client=quiet, date=date(2026, 1, 1))
    assert not build(date(2026, 6, 29), "neglect")  # 179 days
    assert names(build(date(2026, 6, 30), "neglect")) == ["沉默"]  # 180 days
    assert not build(date(2026, 7, 1), "neglect")  # the same silence: no second touch
    InteractionFactory(client=quiet, date=date(2026, 7, 5))
    assert not build(date(2026, 12, 31), "neglect")
    assert names(build(date(2027, 1, 1), "neglect")) == ["沉默"]  # a new silence


def test_prospects_are_not_neglect_touches(owner):
    person(owner, "潜客", stage=Client.Stage.PROSPECT)
    Client.objects.update(created_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    assert not build(date(2026, 6, 30), "neglect")


def test_family_members_are_never_clients(owner, client_obj):
    # A family member's birthday is the client's touch, labelled with the member.
    FamilyMemberFactory(client=client_obj, name="女儿", birth_date=date(2019, 1, 9))
    touch = build(date(2027, 1, 6), "family_birthday")[0]
    assert touch.client == client_obj and FamilyMember.objects.get(name="女儿").pk == int(
        touch.source.split(":")[1]
    )
    assert Policy.objects.count() == 0


def test_policies_sold_by_others_get_every_dated_touch(owner, client_obj):
    # 保单托管: the agent keeps another company's policy for its dates; it must get the same
    # touches as an own policy (premium due, grace, anniversary, rider expiry, payout).
    policy = PolicyFactory(
        holder=client_obj,
        effective_date=date(2026, 1, 10),
        sold_by_others=True,
        sold_through="某某保险 王经理",
    )
    RiderFactory(policy=policy, start_date=date(2026, 1, 10), expiry_date=date(2027, 1, 31))
    PayoutFactory(policy=policy, date=date(2027, 1, 31), amount=Decimal(5000), claimed=False)
    assert [t.kind for t in build(date(2025, 12, 26))] == ["premium_due"]
    assert [t.source for t in build(date(2026, 3, 4), "grace_ending")] == [f"policy:{policy.pk}"]
    assert {"rider_expiry", "payout_due"} <= {t.kind for t in build(date(2027, 1, 1))}
    anniversary = build(date(2027, 1, 3), "policy_anniversary")  # 7 days ahead
    assert [(t.occasion_date, t.source) for t in anniversary] == [
        (date(2027, 1, 10), f"policy:{policy.pk}")
    ]
