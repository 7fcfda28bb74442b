"""Demo client events for `manage.py seed_demo`: for each new demo book, one event held two
days ago and one in five days, with invitees in every state (invited, accepted, declined,
attended, no-show) and a guest brought to the past one (a referral, context "event").

Everything goes through events.services, so the rules and the touches are the app's own:
the past event's thank-yous fall due yesterday and its asks for referrals tomorrow, the
coming event's invitations today and its reminders the day before it. Deterministic: the
invitees are the agent's influence centres and first clients by id.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation

from agentcrm.accounts.models import User
from clients.models import Client
from events import services
from events.models import InviteeStatus
from referrals.models import Referral, ReferralStageChange, Relationship
from referrals.services import Person

from .clients import _mobile

PAST_DAYS = 2
COMING_DAYS = 5


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _move(invitee, to: str, day: date, agent: User) -> None:
    services.invitee_status_move(
        invitee=invitee,
        to=to,
        by=agent,
        today=day,
        at=_at(day, 20 if to in ("attended", "no_show") else 11),
    )


def seed_agent_events(agent: User, today: date) -> int:
    """The demo step: two events for the agent's new book. Returns how many invitees."""
    with translation.override(settings.LANGUAGE_CODE):
        return _build(agent, today)


def _build(agent: User, today: date) -> int:
    clients = list(
        Client.objects.filter(
            owner=agent, archived_at__isnull=True, do_not_contact=False, stage="client"
        ).order_by("-is_influence_centre", "pk")[:14]
    )
    if len(clients) < 14:
        return 0
    held = today - timedelta(days=PAST_DAYS)
    past = services.event_create(
        owner=agent,
        title="客户答谢茶话会",
        date=held,
        start_time=time(14, 30),
        end_time=time(17, 0),
        venue="静安香格里拉大酒店 二楼宴会厅",
        budget=Decimal("4800"),
        notes="答谢影响力中心和老客户；准备小礼品和抽奖。",
    )
    invited = services.invitees_add(
        event=past, clients=clients[:7], by=agent, today=held - timedelta(days=14)
    )
    by_client = {i.client_id: i for i in invited}
    ordered = [by_client[c.pk] for c in clients[:7]]
    answer_day = held - timedelta(days=10)
    for invitee in ordered[:6]:
        _move(invitee, InviteeStatus.ACCEPTED, answer_day, agent)
    _move(ordered[6], InviteeStatus.DECLINED, answer_day, agent)
    for invitee in ordered[:5]:
        invitee.refresh_from_db()
        _move(invitee, InviteeStatus.ATTENDED, held, agent)
    ordered[5].refresh_from_db()
    _move(ordered[5], InviteeStatus.NO_SHOW, held, agent)
    ordered[0].refresh_from_db()
    used = {str(m) for m in Client.objects.filter(owner=agent).values_list("mobile", flat=True)}
    guest = services.event_guest_add(
        invitee=ordered[0],
        person=Person(
            name="沈佳宜",
            mobile=_mobile(random.Random(f"agentcrm-demo-events:{agent.username}"), used),
            occupation="小学老师",
            relationship=Relationship.FRIEND,
        ),
        by=agent,
        today=held,
    )
    # The services stamp the new referral "now": move it to the evening of the event.
    at = _at(held, 19)
    Referral.objects.filter(pk=guest.referral_id).update(stage_changed_at=at, created_at=at)
    ReferralStageChange.objects.filter(referral_id=guest.referral_id).update(changed_at=at)
    Client.objects.filter(pk=guest.referral.referred_id).update(created_at=at)

    coming = services.event_create(
        owner=agent,
        title="新春答谢晚宴",
        date=today + timedelta(days=COMING_DAYS),
        start_time=time(18, 0),
        end_time=time(21, 0),
        venue="和平饭店 九霄厅",
        budget=Decimal("12000"),
        notes="每桌一位老客户带一位朋友；提前确认忌口。",
    )
    early = services.invitees_add(
        event=coming, clients=clients[7:11], by=agent, today=today - timedelta(days=3)
    )
    early_by = {i.client_id: i for i in early}
    for client in clients[7:10]:
        _move(early_by[client.pk], InviteeStatus.ACCEPTED, today - timedelta(days=1), agent)
    _move(early_by[clients[10].pk], InviteeStatus.DECLINED, today - timedelta(days=1), agent)
    late = services.invitees_add(event=coming, clients=clients[11:14], by=agent, today=today)
    return len(invited) + len(early) + len(late)
