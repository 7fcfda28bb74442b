"""referrals.services: chains (depth, cycles, linking existing records), the referral request
(all or nothing), the prospect pipeline with its history, report-backs and thanks.

Everything here goes through the services, never the factories for referral rows, so the
rules under test are the services' own.
"""

import datetime
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from clients.models import Client, Interaction
from referrals.models import (
    Context,
    Referral,
    ReferralRequest,
    ReferralStageChange,
    RefusalReason,
    Relationship,
    Stage,
)
from referrals.selectors.chains import ancestor_ids, descendant_levels
from referrals.services import (
    FEEDBACK_DAYS,
    Person,
    referral_create,
    referral_feedback_report,
    referral_request_record,
    referral_stage_change,
    referral_thank,
)

from .factories import ClientFactory
from .policy_factories import PolicyFactory

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(timedelta(hours=8))
GIVEN = date(2026, 3, 2)


def at(day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A moment in March 2026, Shanghai time."""
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Client, Referral, ReferralRequest, ReferralStageChange, Interaction)
    }


def refer(owner, referrer, name=None, *, existing=None, mobile="", **kwargs) -> Referral:
    person = Person(name=name or "", mobile=mobile, existing=existing)
    return referral_create(
        owner=owner, referrer=referrer, person=person, given_on=GIVEN, by=owner, **kwargs
    )


def english(exc: pytest.ExceptionInfo) -> str:
    return " ".join(exc.value.messages)


@pytest.fixture(autouse=True)
def _english():
    # The messages are checked in English; the product's default language is Chinese.
    with translation.override("en"):
        yield


@pytest.fixture
def chain(owner, client_obj):
    """王芳 → 第1位 → 第2位 → … → 第10位, each referred person referring the next."""
    referrals = []
    referrer = client_obj
    for n in range(1, 11):
        referral = refer(owner, referrer, f"第{n}位", mobile=f"+8613900000{n:03d}")
        referrals.append(referral)
        referrer = referral.referred
    return referrals


# --- chains ---------------------------------------------------------------------------------


def test_a_chain_ten_deep(chain, client_obj):
    assert [r.depth for r in chain] == list(range(1, 11))
    for referral in chain:
        referral.refresh_from_db()
    assert [r.depth for r in chain] == list(range(1, 11))
    people = [r.referred for r in chain]
    assert all(p.source == Client.Source.REFERRAL for p in people)
    assert all(p.stage == Client.Stage.PROSPECT for p in people)
    assert descendant_levels(client_obj.pk) == {p.pk: n for n, p in enumerate(people, 1)}
    assert descendant_levels(people[6].pk) == {people[7].pk: 1, people[8].pk: 2, people[9].pk: 3}
    assert descendant_levels(people[9].pk) == {}
    # Nearest first, up to the first referrer.
    assert ancestor_ids(people[9].pk) == [p.pk for p in reversed(people[:9])] + [client_obj.pk]
    assert ancestor_ids(client_obj.pk) == []
    # Each new referral starts its history at "new".
    assert ReferralStageChange.objects.filter(to_stage=Stage.NEW, from_stage="").count() == 10


def test_a_cycle_is_refused_with_a_clear_message_and_nothing_written(chain, owner, client_obj):
    last = chain[-1].referred
    before = counts()
    with pytest.raises(ValidationError) as exc:
        refer(owner, last, existing=client_obj)
    assert "cannot be their own ancestor" in english(exc)
    assert client_obj.name in english(exc) and last.name in english(exc)
    assert counts() == before
    # Also in the middle of a request with names: no request, no new prospect either.
    with pytest.raises(ValidationError, match="own ancestor"):
        referral_request_record(
            owner=owner,
            client=chain[4].referred,
            asked_on=GIVEN,
            context=Context.EVENT,
            people=[Person(name="新朋友"), Person(existing=client_obj)],
            by=owner,
        )
    assert counts() == before
    assert not Client.objects.filter(name="新朋友").exists()


def test_a_person_cannot_refer_themself(owner, client_obj):
    before = counts()
    with pytest.raises(ValidationError, match="refer themself"):
        refer(owner, client_obj, existing=client_obj)
    assert counts() == before


def test_linking_someone_with_a_chain_below_moves_that_chain_down(owner):
    # 张三 referred 李四, who referred 王五 (depths 1, 2) before anyone referred 张三.
    zhang = ClientFactory(
        owner=owner, name="张三", source=Client.Source.COLD_CALL, stage=Client.Stage.PROSPECT
    )
    li = refer(owner, zhang, "李四").referred
    wang_referral = refer(owner, li, "王五")
    # Now 赵六 (referred by 钱七) turns out to have referred 张三.
    qian = ClientFactory(owner=owner, name="钱七")
    zhao = refer(owner, qian, "赵六").referred
    linked = refer(owner, zhao, existing=zhang)
    assert linked.depth == 2
    depths = dict(Referral.objects.values_list("referred__name", "depth"))
    assert depths == {"李四": 3, "王五": 4, "赵六": 1, "张三": 2}
    wang_referral.refresh_from_db()
    assert wang_referral.depth == 4
    assert ancestor_ids(wang_referral.referred_id) == [li.pk, zhang.pk, zhao.pk, qian.pk]
    # A prospect linked as referred now counts as coming from a referral.
    zhang.refresh_from_db()
    assert zhang.source == Client.Source.REFERRAL


def test_a_person_is_referred_once(owner, client_obj):
    referred = refer(owner, client_obj, "李四").referred
    other = ClientFactory(owner=owner, name="另一位介绍人")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        refer(owner, other, existing=referred)
    assert "李四 was already referred by 王芳" in english(exc)
    assert counts() == before


def test_referrals_stay_within_the_agents_archive(owner, teammate, client_obj):
    foreign = ClientFactory(owner=teammate, name="别人的客户")
    before = counts()
    with pytest.raises(ValidationError, match="must both be in your archive"):
        refer(owner, foreign, "新朋友")
    with pytest.raises(ValidationError, match="must both be in your archive"):
        refer(owner, client_obj, existing=foreign)
    with pytest.raises(ValidationError, match="must both be in your archive"):
        referral_request_record(
            owner=owner,
            client=foreign,
            asked_on=GIVEN,
            context=Context.EVENT,
            people=[],
            refusal_reason=RefusalReason.NO_ONE,
            by=owner,
        )
    foreign_policy = PolicyFactory(holder=foreign)
    with pytest.raises(ValidationError, match="not in your book"):
        referral_request_record(
            owner=owner,
            client=client_obj,
            asked_on=GIVEN,
            context=Context.DELIVERY,
            people=[Person(name="新朋友")],
            policy=foreign_policy,
            by=owner,
        )
    assert counts() == before


# --- the referral request -------------------------------------------------------------------


def test_a_request_with_three_names(owner, client_obj):
    policy = PolicyFactory(holder=client_obj)
    existing = ClientFactory(
        owner=owner, name="老同学", source=Client.Source.COLD_CALL, stage=Client.Stage.PROSPECT
    )
    request = referral_request_record(
        owner=owner,
        client=client_obj,
        asked_on=GIVEN,
        context=Context.DELIVERY,
        people=[
            Person(name="张伟", mobile="+8613812345678", occupation="医生", reason="刚生了宝宝"),
            Person(name="李娜", relationship=Relationship.COLLEAGUE),
            Person(existing=existing, relationship=Relationship.CLASSMATE),
        ],
        refusal_reason=RefusalReason.NO_ONE,  # ignored: names were given
        notes="  答应再想想  ",
        policy=policy,
        by=owner,
    )
    assert (request.names_given, request.refusal_reason, request.notes) == (3, "", "答应再想想")
    assert request.policy == policy
    referrals = list(request.referrals.order_by("id").select_related("referred"))
    assert [r.referred.name for r in referrals] == ["张伟", "李娜", "老同学"]
    assert all(r.given_on == GIVEN and r.context == Context.DELIVERY for r in referrals)
    assert all(r.referrer == client_obj and r.depth == 1 for r in referrals)
    zhang = referrals[0].referred
    assert (str(zhang.mobile), zhang.occupation) == ("+8613812345678", "医生")
    assert referrals[0].reason == "刚生了宝宝"
    assert referrals[2].referred_id == existing.pk  # linked, no second copy
    assert Client.objects.filter(name="老同学").count() == 1


@pytest.mark.parametrize(
    "second,message",
    [
        (Person(name=""), "name"),
        (Person(name="李娜", mobile="12345"), "mobile"),
        (Person(name="李娜", relationship="enemy"), "relationship"),
    ],
)
def test_a_request_is_all_or_nothing(owner, client_obj, second, message):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        referral_request_record(
            owner=owner,
            client=client_obj,
            asked_on=GIVEN,
            context=Context.ANNUAL_REVIEW,
            people=[Person(name="张伟", mobile="+8613812345678"), second],
            by=owner,
        )
    assert message in str(exc.value).lower()
    assert counts() == before
    assert not Client.objects.filter(name="张伟").exists()


def test_no_names_needs_the_reason(owner, client_obj):
    before = counts()
    for reason in ("", "made_up"):
        with pytest.raises(ValidationError, match="choose the reason"):
            referral_request_record(
                owner=owner,
                client=client_obj,
                asked_on=GIVEN,
                context=Context.SERVICE_VISIT,
                people=[],
                refusal_reason=reason,
                by=owner,
            )
    assert counts() == before
    request = referral_request_record(
        owner=owner,
        client=client_obj,
        asked_on=GIVEN,
        context=Context.SERVICE_VISIT,
        people=[],
        refusal_reason=RefusalReason.BOTHER_FRIENDS,
        by=owner,
    )
    assert (request.names_given, request.refusal_reason) == (0, RefusalReason.BOTHER_FRIENDS)
    assert not request.referrals.exists()


# --- the pipeline ---------------------------------------------------------------------------


@pytest.fixture
def referral(owner, client_obj):
    with time_machine.travel(at(2, 9), tick=False):
        return refer(owner, client_obj, "李四", mobile="+8613912345678")


def history(referral) -> list[tuple]:
    return list(
        referral.stage_history.order_by("changed_at", "id").values_list(
            "from_stage", "to_stage", "changed_at", "by", "note"
        )
    )


def test_every_stage_change_is_timestamped(owner, referral):
    with time_machine.travel(at(3, 15), tick=False):
        referral_stage_change(referral=referral, to_stage=Stage.CONTACTED, by=owner, note=" 电话 ")
    referral_stage_change(referral=referral, to_stage=Stage.MET, by=owner, at=at(5, 14, 30))
    assert history(referral) == [
        ("", Stage.NEW, at(2, 9), owner.pk, ""),
        (Stage.NEW, Stage.CONTACTED, at(3, 15), owner.pk, "电话"),
        (Stage.CONTACTED, Stage.MET, at(5, 14, 30), owner.pk, ""),
    ]
    referral.refresh_from_db()
    assert (referral.stage, referral.stage_changed_at) == (Stage.MET, at(5, 14, 30))
    assert referral.closed_at is None


def test_first_contact_is_kept(owner, referral):
    referral_stage_change(referral=referral, to_stage=Stage.CONTACTED, by=owner, at=at(3))
    referral_stage_change(referral=referral, to_stage=Stage.MET, by=owner, at=at(4))
    referral_stage_change(referral=referral, to_stage=Stage.CONTACTED, by=owner, at=at(6))
    referral_stage_change(referral=referral, to_stage=Stage.PROPOSAL, by=owner, at=at(7))
    referral.refresh_from_db()
    assert referral.contacted_at == at(3)


def test_a_prospect_met_without_a_recorded_call_was_contacted_then(owner, referral):
    referral_stage_change(referral=referral, to_stage=Stage.MET, by=owner, at=at(4))
    referral.refresh_from_db()
    assert referral.contacted_at == at(4)


def test_won_needs_a_policy_of_the_referred_person(owner, client_obj, referral):
    prospect = referral.referred
    before = counts()
    with pytest.raises(ValidationError) as exc:
        referral_stage_change(referral=referral, to_stage=Stage.WON, by=owner)
    assert "policy" in exc.value.message_dict
    someone_elses = PolicyFactory(holder=client_obj)
    with pytest.raises(ValidationError, match="held by the referred person"):
        referral_stage_change(referral=referral, to_stage=Stage.WON, by=owner, policy=someone_elses)
    assert counts() == before
    referral.refresh_from_db()
    assert referral.stage == Stage.NEW
    # Insured on a policy the referrer holds for them counts: it is the prospect's cover.
    policy = PolicyFactory(holder=client_obj, insured_client=prospect)
    change = referral_stage_change(
        referral=referral, to_stage=Stage.WON, by=owner, policy=policy, at=at(9)
    )
    assert (change.from_stage, change.to_stage) == (Stage.NEW, Stage.WON)
    referral.refresh_from_db()
    assert (referral.stage, referral.won_policy, referral.closed_at) == (Stage.WON, policy, at(9))
    assert referral.contacted_at == at(9)
    prospect.refresh_from_db()
    assert prospect.stage == Client.Stage.CLIENT


def test_won_is_final(owner, referral):
    policy = PolicyFactory(holder=referral.referred)
    referral_stage_change(referral=referral, to_stage=Stage.WON, by=owner, policy=policy)
    before = counts()
    for stage in (Stage.LOST, Stage.PROPOSAL):
        with pytest.raises(ValidationError, match="won referral is closed"):
            referral_stage_change(referral=referral, to_stage=stage, by=owner, lost_reason="x")
    with pytest.raises(ValidationError, match="already at this stage"):
        referral_stage_change(referral=referral, to_stage=Stage.WON, by=owner, policy=policy)
    assert counts() == before


def test_lost_needs_a_reason_and_can_be_reopened(owner, referral):
    with pytest.raises(ValidationError) as exc:
        referral_stage_change(referral=referral, to_stage=Stage.LOST, by=owner, lost_reason="  ")
    assert "lost_reason" in exc.value.message_dict
    referral_stage_change(
        referral=referral, to_stage=Stage.LOST, by=owner, lost_reason=" 预算有限 ", at=at(6)
    )
    referral.refresh_from_db()
    assert (referral.stage, referral.lost_reason, referral.closed_at) == (
        Stage.LOST,
        "预算有限",
        at(6),
    )
    referral_stage_change(referral=referral, to_stage=Stage.CONTACTED, by=owner, at=at(8))
    referral.refresh_from_db()
    assert (referral.stage, referral.lost_reason, referral.closed_at) == (Stage.CONTACTED, "", None)


def test_an_unknown_stage_is_refused(owner, referral):
    with pytest.raises(ValidationError, match="Unknown stage"):
        referral_stage_change(referral=referral, to_stage="signed", by=owner)


def test_a_stale_referral_cannot_overwrite_a_newer_stage(owner, referral):
    """Two tabs: the second one still shows the prospect as new."""
    stale = Referral.objects.get(pk=referral.pk)
    referral_stage_change(referral=referral, to_stage=Stage.CONTACTED, by=owner, at=at(3))
    before = counts()
    with pytest.raises(ValidationError, match="changed meanwhile"):
        referral_stage_change(referral=stale, to_stage=Stage.MET, by=owner, at=at(4))
    assert counts() == before
    referral.refresh_from_db()
    assert (referral.stage, referral.stage_changed_at) == (Stage.CONTACTED, at(3))


@pytest.mark.parametrize(
    "to_stage,feedback",
    [
        (Stage.CONTACTED, True),
        (Stage.MET, True),
        (Stage.PROPOSAL, False),
        (Stage.WON, True),
        (Stage.LOST, True),
    ],
)
def test_report_back_deadline(owner, referral, to_stage, feedback):
    kwargs = {}
    if to_stage == Stage.WON:
        kwargs["policy"] = PolicyFactory(holder=referral.referred)
    if to_stage == Stage.LOST:
        kwargs["lost_reason"] = "联系不上"
    # 17:30 UTC on 10 March is 01:30 on 11 March in Shanghai: the local day counts.
    moment = datetime.datetime(2026, 3, 10, 17, 30, tzinfo=datetime.UTC)
    change = referral_stage_change(
        referral=referral, to_stage=to_stage, by=owner, at=moment, **kwargs
    )
    expected = date(2026, 3, 11) + timedelta(days=FEEDBACK_DAYS) if feedback else None
    assert change.feedback_due == expected
    assert change.reported_at is None
    assert referral.stage_history.get(to_stage=Stage.NEW).feedback_due is None


# --- reporting back and thanking the referrer -----------------------------------------------


def test_reporting_back_is_recorded_once(owner, client_obj, referral):
    change = referral_stage_change(referral=referral, to_stage=Stage.MET, by=owner, at=at(4))
    with time_machine.travel(at(5, 20), tick=False):
        assert referral_feedback_report(
            change=change, by=owner, channel=Interaction.Kind.CALL, note="对方很满意"
        )
    change.refresh_from_db()
    assert change.reported_at == at(5, 20) and change.reported_on_time
    logged = Interaction.objects.get(client=client_obj)
    assert (logged.kind, logged.date, logged.created_by) == (
        Interaction.Kind.CALL,
        date(2026, 3, 5),
        owner,
    )
    assert "李四" in logged.summary and "对方很满意" in logged.summary
    # Again (a double click, the dashboard touch after the referral page): nothing changes.
    with time_machine.travel(at(6, 9), tick=False):
        assert not referral_feedback_report(change=change, by=owner)
    change.refresh_from_db()
    assert change.reported_at == at(5, 20)
    assert Interaction.objects.filter(client=client_obj).count() == 1


def test_a_late_report_is_not_on_time(owner, referral):
    change = referral_stage_change(referral=referral, to_stage=Stage.CONTACTED, by=owner, at=at(3))
    with time_machine.travel(at(7, 9), tick=False):  # due on the 6th
        referral_feedback_report(change=change, by=owner)
    change.refresh_from_db()
    assert change.feedback_due == date(2026, 3, 6)
    assert change.reported_on_time is False


def test_nothing_to_report_for_a_proposal(owner, client_obj, referral):
    change = referral_stage_change(referral=referral, to_stage=Stage.PROPOSAL, by=owner)
    assert not referral_feedback_report(change=change, by=owner)
    change.refresh_from_db()
    assert change.reported_at is None
    assert not Interaction.objects.filter(client=client_obj).exists()


def test_the_referrer_is_thanked_once(owner, client_obj, referral):
    with time_machine.travel(at(8, 19), tick=False):
        assert referral_thank(
            referral=referral, by=owner, note="送茶叶", gift_value="168.00", on=date(2026, 3, 8)
        )
    assert referral.thanked_at == at(8, 19)
    thanks = Interaction.objects.get(client=client_obj)
    assert (thanks.kind, thanks.date, str(thanks.gift_value)) == (
        Interaction.Kind.GIFT,
        date(2026, 3, 8),
        "168.00",
    )
    assert "李四" in thanks.summary and "送茶叶" in thanks.summary
    assert not referral_thank(referral=referral, by=owner, channel=Interaction.Kind.MESSAGE)
    referral.refresh_from_db()
    assert referral.thanked_at == at(8, 19)
    assert Interaction.objects.filter(client=client_obj).count() == 1
    assert not Interaction.objects.filter(client=referral.referred).exists()


def test_services_default_to_today(owner, client_obj):
    with time_machine.travel(at(9, 11), tick=False):
        referral = refer(owner, client_obj, "李四")
        change = referral_stage_change(referral=referral, to_stage=Stage.CONTACTED, by=owner)
        referral_feedback_report(change=change, by=owner)
        referral_thank(referral=referral, by=owner, channel=Interaction.Kind.MESSAGE)
    assert change.changed_at == at(9, 11) == timezone.localtime(referral.stage_changed_at)
    assert change.feedback_due == date(2026, 3, 12)
    assert set(Interaction.objects.values_list("date", flat=True)) == {date(2026, 3, 9)}
