"""Demo step: the deck's warming practices of an agent's new book: two introductions
between clients (a business one with a discount, and a matchmaking one) with the offers,
needs and consents behind them, and two campaigns (an award shared a week ago, partly done;
a new product for the clients without critical-illness cover, due in two days)."""

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone, translation

from agentcrm.accounts.models import User
from campaigns.models import CAMPAIGN_KIND, Campaign
from campaigns.services import campaign_create
from clients.models import Client, FamilyMember
from introductions.models import Introduction, Need, NeedKind, Offer
from introductions.services import (
    introduction_make,
    introduction_outcome_set,
    match_profile_create,
    matchmaking_make,
)
from touches.models import Touch


def seed_agent_warming(agent: User, today: date) -> int:
    """The demo step: returns the introductions and campaigns made (4)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _introductions(agent, today) + _campaigns(agent, today)


def _live(agent: User):
    return Client.objects.filter(
        owner=agent, archived_at__isnull=True, do_not_contact=False, stage=Client.Stage.CLIENT
    ).order_by("pk")


def _introductions(agent: User, today: date) -> int:
    clients = list(_live(agent)[:12])
    if len(clients) < 6:
        return 0
    shop, driver, runner, undecided = clients[0], clients[1], clients[2], clients[3]
    agreed = today - timedelta(days=20)
    car_wash = Offer.objects.create(
        client=shop,
        title="洗车美容店",
        discount="报我的名字打八折",
        serves=NeedKind.OWNS_CAR,
        keywords="洗车 汽车 车",
        consent_on=agreed,
    )
    Need.objects.create(
        client=driver, kind=NeedKind.OWNS_CAR, description="两辆车，常跑长途", consent_on=agreed
    )
    Need.objects.create(
        client=runner, kind=NeedKind.OWNS_CAR, description="新买的车", consent_on=agreed
    )
    # Not asked yet: never suggested until the client agrees.
    Need.objects.create(client=undecided, kind=NeedKind.OWNS_CAR, description="想换车")
    Offer.objects.create(
        client=clients[4],
        title="少儿英语培训",
        discount="试听两节免费",
        serves=NeedKind.CHILDREN,
        keywords="英语 补习 培训",
        consent_on=agreed,
    )
    # Introduced a week ago: the follow-up ("how did it go?") is due today.
    introduction_make(
        owner=agent,
        offer=car_wash,
        client=driver,
        note="约了周六去洗车",
        today=today - timedelta(days=7),
    )
    # Matchmaking: a client's grown child and a single client, both opted in.
    parent, single = (
        clients[5],
        next((c for c in clients[6:] if c.marital_status == Client.Marital.SINGLE), clients[6]),
    )
    grown = (
        today.replace(year=today.year - 22)
        if not (today.month == 2 and today.day == 29)
        else today - timedelta(days=365 * 22)
    )
    child = FamilyMember.objects.filter(
        client=parent, relation=FamilyMember.Relation.CHILD, birth_date__lte=grown
    ).first() or FamilyMember.objects.create(
        client=parent,
        relation=FamilyMember.Relation.CHILD,
        name=f"{parent.name[0]}晓晨",
        birth_date=today - timedelta(days=365 * 26 + 40),
    )
    first = match_profile_create(
        client=parent, member=child, opted_in_on=today - timedelta(days=40), notes="想找踏实的"
    )
    second = match_profile_create(
        client=single, member=None, opted_in_on=today - timedelta(days=35), notes="喜欢运动"
    )
    made = matchmaking_make(
        owner=agent, first=first, second=second, today=today - timedelta(days=21)
    )
    introduction_outcome_set(introduction=made, outcome="went_well", note="两人已经见过三次面")
    return Introduction.objects.filter(owner=agent).count()


def _campaigns(agent: User, today: date) -> int:
    week_ago = today - timedelta(days=7)
    award = campaign_create(
        owner=agent,
        reason=Campaign.Reason.AWARD,
        title="获奖早报告：年度服务之星",
        message="{称呼}，跟您分享一个好消息：我获得了公司年度服务之星。没有您的支持，哪有我今天的成绩，谢谢您！",
        due_date=week_ago + timedelta(days=2),
        audience={"stage": "client"},
        today=week_ago,
    )
    Campaign.objects.filter(pk=award.pk).update(
        created_at=timezone.make_aware(
            timezone.datetime.combine(week_ago, timezone.datetime.min.time())
        )
    )
    touches = list(
        Touch.objects.filter(kind=CAMPAIGN_KIND, source=award.touch_source).order_by("pk")
    )
    closed = timezone.now()
    Touch.objects.filter(pk__in=[t.pk for t in touches[::2]]).update(
        status=Touch.Status.DONE, closed_at=closed
    )
    Touch.objects.filter(pk__in=[t.pk for t in touches[1::5]]).update(
        status=Touch.Status.SKIPPED, closed_at=closed, note="已当面说过"
    )
    campaign_create(
        owner=agent,
        reason=Campaign.Reason.NEW_PRODUCT,
        title="新品重疾险上市",
        message="{称呼}，公司新推出一款重疾险，轻症中症都能赔，保费也实在。您还没有重疾保障，有空我给您讲讲？",
        due_date=today + timedelta(days=2),
        audience={"no_critical_illness": "on", "stage": "client"},
        today=today,
    )
    return 2
