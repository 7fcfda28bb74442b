"""Client appreciation events (举办客户联谊会): planning, the invite list (suggested from the
referral ranking and the client list's filters), answers and attendance through the status
machine, guests as event referrals, the four touches through the real touch build, the
calendar feed, the figures, the merge and the privacy export/erase."""

import datetime
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.services import client_merge, client_merge_undo
from events import services
from events.models import EventGuest, Invitee, InviteeStatus, InviteeStatusChange
from events.occasions import ASK_KIND, INVITE_KIND, REMIND_KIND, THANK_KIND
from events.panels import service_events_panel
from events.selectors import event_figures, event_invitees, event_referrals, invite_suggestions
from privacy.export import client_data_sections
from privacy.services import client_erase
from referrals.models import Context, Referral
from referrals.services import Person
from touches.build import touch_build_now
from touches.calendar_feed import calendar_feed_ics
from touches.models import Touch

from .event_factories import EventFactory
from .factories import ClientFactory
from .referral_factories import ReferralFactory

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(timedelta(hours=8))
TODAY = date(2026, 3, 10)


def at(day: date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def build(today: date = TODAY) -> None:
    """The nightly build of `today` (due days today-7 … today+7), run again over them."""
    with time_machine.travel(at(today, 1), tick=False):
        touch_build_now(today=today)
        touch_build_now(today=today, days=[today + timedelta(days=n) for n in range(-7, 8)])


def open_touches(kind: str, **filters):
    return Touch.objects.filter(kind=kind, status=Touch.Status.OPEN, **filters)


def invite(event, *clients, today: date = TODAY):
    with time_machine.travel(at(today), tick=False):
        return services.invitees_add(
            event=event, clients=list(clients), by=event.owner, today=today
        )


def move(invitee, to: str, today: date):
    with time_machine.travel(at(today, 20), tick=False):
        return services.invitee_status_move(
            invitee=invitee, to=to, by=invitee.event.owner, today=today
        )


@pytest.fixture
def event(owner):
    return EventFactory(owner=owner, date=TODAY + timedelta(days=3), budget=Decimal("3000"))


# --- invite list and the status machine -------------------------------------------------


def test_inviting_logs_the_first_step_and_leaves_the_others_alone(event, owner, client_obj):
    other = ClientFactory(owner=owner, name="李强")
    made = invite(event, client_obj, other)
    assert {i.client_id for i in made} == {client_obj.pk, other.pk}
    assert invite(event, client_obj) == []  # already on the list: nothing twice
    assert Invitee.objects.filter(event=event).count() == 2
    steps = InviteeStatusChange.objects.filter(invitee__event=event)
    assert sorted(s.to_status for s in steps) == ["invited", "invited"]
    assert all(i.invited_on == TODAY for i in event.invitees.all())


def test_another_agents_or_unreachable_clients_are_refused(event, teammate, owner):
    with pytest.raises(ValidationError):
        invite(event, ClientFactory(owner=teammate))
    with pytest.raises(ValidationError):
        invite(event, ClientFactory(owner=owner, do_not_contact=True))
    assert not Invitee.objects.exists()


def test_answers_and_attendance_keep_the_date_of_each_step(event, client_obj):
    (invitee,) = invite(event, client_obj)
    move(invitee, InviteeStatus.ACCEPTED, TODAY + timedelta(days=1))
    invitee.refresh_from_db()
    assert invitee.answered_on == TODAY + timedelta(days=1)
    move(invitee, InviteeStatus.ATTENDED, event.date)
    invitee.refresh_from_db()
    assert (invitee.status, invitee.attended_on) == ("attended", event.date)
    assert list(invitee.status_changes.values_list("from_status", "to_status")) == [
        ("", "invited"),
        ("invited", "accepted"),
        ("accepted", "attended"),
    ]


def test_attendance_before_the_day_and_answers_after_it_are_refused(event, client_obj):
    (invitee,) = invite(event, client_obj)
    with pytest.raises(ValidationError):
        move(invitee, InviteeStatus.ATTENDED, event.date - timedelta(days=1))
    with pytest.raises(ValidationError):
        move(invitee, InviteeStatus.ACCEPTED, event.date + timedelta(days=1))
    invitee.refresh_from_db()
    assert invitee.status == InviteeStatus.INVITED


def test_a_step_from_a_stale_status_is_refused(event, client_obj):
    (invitee,) = invite(event, client_obj)
    move(invitee, InviteeStatus.DECLINED, TODAY)
    stale = Invitee.objects.get(pk=invitee.pk)
    stale.status = InviteeStatus.INVITED  # what another tab still shows
    with pytest.raises(ValidationError):
        move(stale, InviteeStatus.ACCEPTED, TODAY)
    assert Invitee.objects.get(pk=invitee.pk).status == InviteeStatus.DECLINED


def test_no_way_back_to_invited(event, client_obj):
    (invitee,) = invite(event, client_obj)
    move(invitee, InviteeStatus.ACCEPTED, TODAY)
    with pytest.raises(ValidationError):
        move(invitee, InviteeStatus.INVITED, TODAY)


# --- touches --------------------------------------------------------------------------------


def test_invitation_touch_today_and_reminder_the_day_before_for_those_who_accepted(
    event, owner, client_obj
):
    build()
    other = ClientFactory(owner=owner, name="李强")
    made = {i.client_id: i for i in invite(event, client_obj, other)}
    yes, no = made[client_obj.pk], made[other.pk]
    assert set(open_touches(INVITE_KIND).values_list("client_id", "due_date")) == {
        (client_obj.pk, TODAY),
        (other.pk, TODAY),
    }
    move(yes, InviteeStatus.ACCEPTED, TODAY)
    move(no, InviteeStatus.DECLINED, TODAY)
    # Answered: the open invitations are retired; only the one who accepted is reminded.
    assert not open_touches(INVITE_KIND).exists()
    reminders = list(open_touches(REMIND_KIND).values_list("client_id", "due_date", "label"))
    assert reminders == [(client_obj.pk, event.date - timedelta(days=1), event.title)]


def test_a_moved_event_moves_its_reminders(event, client_obj):
    build()
    (invitee,) = invite(event, client_obj)
    move(invitee, InviteeStatus.ACCEPTED, TODAY)
    with time_machine.travel(at(TODAY), tick=False):
        services.event_update(event=event, date=TODAY + timedelta(days=5))
    due = list(open_touches(REMIND_KIND).values_list("due_date", flat=True))
    assert due == [TODAY + timedelta(days=4)]


def test_thanks_the_day_after_and_the_ask_two_days_later_for_those_who_came(owner):
    held = TODAY - timedelta(days=1)
    event = EventFactory(owner=owner, date=held)
    came, missed = ClientFactory(owner=owner), ClientFactory(owner=owner)
    # Invited before the event (the service refuses an event already over).
    for client in (came, missed):
        Invitee.objects.create(
            event=event,
            client=client,
            invited_on=held - timedelta(days=10),
            status=InviteeStatus.ACCEPTED,
            status_changed_at=at(held),
        )
    a, b = event.invitees.order_by("id")
    move(a, InviteeStatus.ATTENDED, held)
    move(b, InviteeStatus.NO_SHOW, held)
    build()
    assert list(open_touches(THANK_KIND).values_list("client_id", "due_date")) == [(came.pk, TODAY)]
    assert list(open_touches(ASK_KIND).values_list("client_id", "due_date")) == [
        (came.pk, TODAY + timedelta(days=2))
    ]


def test_attendance_recorded_late_is_thanked_that_day(owner):
    held = TODAY - timedelta(days=4)
    event = EventFactory(owner=owner, date=held)
    client = ClientFactory(owner=owner)
    invitee = Invitee.objects.create(
        event=event,
        client=client,
        invited_on=held - timedelta(days=10),
        status=InviteeStatus.ACCEPTED,
        status_changed_at=at(held),
    )
    build()
    assert not open_touches(THANK_KIND).exists()  # not known to have come yet
    move(invitee, InviteeStatus.ATTENDED, TODAY)
    assert list(open_touches(THANK_KIND).values_list("due_date", flat=True)) == [TODAY]
    # Within the week of the event: the ask two days later (day 6 after the event).
    assert list(open_touches(ASK_KIND).values_list("due_date", flat=True)) == [
        TODAY + timedelta(days=2)
    ]


def test_do_not_contact_clients_get_no_event_touches(event, owner):
    client = ClientFactory(owner=owner)
    build()
    invite(event, client)
    client.do_not_contact = True
    client.save()
    build()
    Touch.objects.filter(kind=INVITE_KIND).delete()
    build()
    assert not Touch.objects.filter(kind=INVITE_KIND).exists()


# --- guests, figures, suggestions ------------------------------------------------------------


def test_a_guest_is_a_referral_of_the_client_who_brought_them(owner, client_obj):
    event = EventFactory(owner=owner, date=TODAY, budget=Decimal("1000"))
    (invitee,) = invite(event, client_obj)
    with pytest.raises(ValidationError):  # not known to have come
        services.event_guest_add(invitee=invitee, person=Person(name="赵六"), by=owner, today=TODAY)
    move(invitee, InviteeStatus.ATTENDED, TODAY)
    invitee.refresh_from_db()
    guest = services.event_guest_add(
        invitee=invitee, person=Person(name="赵六"), by=owner, today=TODAY
    )
    referral = guest.referral
    assert (referral.referrer_id, referral.context) == (client_obj.pk, Context.EVENT)
    assert referral.referred.name == "赵六" and referral.referred.owner_id == owner.pk
    invitees = event_invitees(event=event)
    referrals = list(event_referrals(event=event))
    figures = event_figures(event=event, invitees=invitees, referrals=referrals)
    assert (figures.attendees, figures.referrals) == (1, 1)
    assert figures.cost_per_attendee == Decimal("1000.00")


def test_names_given_by_an_attendee_within_the_week_count_for_the_event(owner):
    event = EventFactory(owner=owner, date=TODAY - timedelta(days=2), budget=Decimal("900"))
    came = [ClientFactory(owner=owner) for _ in range(3)]
    for client in came:
        Invitee.objects.create(
            event=event,
            client=client,
            invited_on=event.date,
            status=InviteeStatus.ATTENDED,
            attended_on=event.date,
            status_changed_at=at(event.date),
        )
    ReferralFactory(referrer=came[0], context=Context.EVENT, given_on=TODAY)
    ReferralFactory(referrer=came[1], context=Context.EVENT, given_on=TODAY + timedelta(days=30))
    ReferralFactory(referrer=came[2], context=Context.OTHER, given_on=TODAY)
    referrals = list(event_referrals(event=event))
    assert [r.referrer_id for r in referrals] == [came[0].pk]
    figures = event_figures(event=event, invitees=event_invitees(event=event), referrals=referrals)
    assert figures.cost_per_attendee == Decimal("300.00")


def test_suggestions_are_the_ranked_influence_centres_not_yet_invited(event, owner):
    centre = ClientFactory(owner=owner, name="影响力", is_influence_centre=True)
    referrer = ClientFactory(owner=owner, name="推荐王")
    for _ in range(3):
        ReferralFactory(referrer=referrer)
    quiet = ClientFactory(owner=owner, name="普通客户")
    blocked = ClientFactory(owner=owner, is_influence_centre=True, do_not_contact=True)
    names = {s.client_id for s in invite_suggestions(user=owner, event=event)}
    assert centre.pk in names and referrer.pk in names
    assert quiet.pk not in names and blocked.pk not in names
    invite(event, centre)
    assert centre.pk not in {s.client_id for s in invite_suggestions(user=owner, event=event)}


# --- pages --------------------------------------------------------------------------------


def test_plan_an_event_and_invite_from_a_filter(as_user, owner):
    http = as_user(owner)
    gold = ClientFactory(owner=owner, name="金卡客户", vip_tier="gold")
    ClientFactory(owner=owner, name="普通", vip_tier="standard")
    response = http.post(
        reverse("events:create"),
        {
            "title": "新春答谢会",
            "date": "2030-01-20",
            "start_time": "18:00",
            "end_time": "21:00",
            "venue": "和平饭店",
            "budget": "8000",
        },
    )
    event = owner.client_events.get()
    assert response.status_code == 302
    page = http.get(reverse("events:detail", args=[event.pk]), {"tier": "gold"})
    assert [c.pk for c in page.context["filtered"]] == [gold.pk]
    http.post(reverse("events:invite", args=[event.pk]), {"clients": [gold.pk]})
    assert list(event.invitees.values_list("client_id", flat=True)) == [gold.pk]


def test_inviting_another_agents_client_by_id_invites_nobody(as_user, owner, teammate, event):
    stranger = ClientFactory(owner=teammate)
    mine = ClientFactory(owner=owner)
    response = as_user(owner).post(
        reverse("events:invite", args=[event.pk]), {"clients": [mine.pk, stranger.pk]}
    )
    assert response.status_code == 302
    assert not event.invitees.exists()


def test_end_before_start_is_a_form_error(as_user, owner):
    response = as_user(owner).post(
        reverse("events:create"),
        {"title": "x", "date": "2030-01-20", "start_time": "20:00", "end_time": "18:00"},
    )
    assert response.status_code == 400
    assert "end_time" in response.context["form"].errors
    assert not owner.client_events.exists()


def test_event_page_queries_do_not_grow_with_the_list(
    as_user, owner, event, django_assert_max_num_queries
):
    clients = [ClientFactory(owner=owner) for _ in range(12)]
    invite(event, *clients)
    http = as_user(owner)
    with django_assert_max_num_queries(30):
        response = http.get(reverse("events:detail", args=[event.pk]))
    assert response.status_code == 200
    assert len(response.context["invitees"]) == 12


def test_status_and_guest_through_the_page(as_user, owner, client_obj):
    event = EventFactory(owner=owner, date=date.today())
    invitee = Invitee.objects.create(
        event=event,
        client=client_obj,
        invited_on=event.date,
        status=InviteeStatus.ACCEPTED,
        status_changed_at=at(event.date),
    )
    http = as_user(owner)
    url = reverse("events:status", args=[event.pk, invitee.pk])
    http.post(url, {"seen": "accepted", "to": "attended"})
    invitee.refresh_from_db()
    assert invitee.status == InviteeStatus.ATTENDED
    http.post(
        reverse("events:guest", args=[event.pk, invitee.pk]),
        {"name": "钱七", "mobile": "13912345678", "relationship": "friend"},
    )
    assert EventGuest.objects.get(event=event).referral.referred.name == "钱七"


# --- feed, panels, merge, privacy ---------------------------------------------------------


def test_events_are_in_the_calendar_feed(owner):
    EventFactory(
        owner=owner,
        title="中秋答谢会",
        date=TODAY + timedelta(days=20),
        start_time=datetime.time(18, 30),
        venue="锦江饭店",
    )
    EventFactory(owner=owner, title="太久以后", date=TODAY + timedelta(days=400))
    text = calendar_feed_ics(owner=owner, today=TODAY).decode()
    assert "中秋答谢会" in text and "LOCATION:锦江饭店" in text
    assert "太久以后" not in text
    assert "DTSTART;TZID=Asia/Shanghai:20260330T183000" in text


def test_service_panel_counts_the_period(owner, client_obj):
    event = EventFactory(owner=owner, date=TODAY, budget=Decimal("2000"))
    EventFactory(owner=owner, date=TODAY - timedelta(days=400), budget=Decimal("9999"))
    Invitee.objects.create(
        event=event,
        client=client_obj,
        invited_on=TODAY,
        status=InviteeStatus.ATTENDED,
        status_changed_at=at(TODAY),
    )
    f = service_events_panel(owner, TODAY - timedelta(days=30), TODAY)["event_figures"]
    assert (f.events, f.invited, f.attended, f.spent) == (1, 1, 1, Decimal("2000"))
    assert f.cost_per_attendee == Decimal("2000.00")


def test_client_page_shows_the_events(as_user, owner, client_obj, event):
    invite(event, client_obj)
    response = as_user(owner).get(reverse("clients:detail", args=[client_obj.pk]))
    assert event.title in response.content.decode()


def test_merge_moves_invitations_and_undo_puts_them_back(owner, client_obj, event):
    other = ClientFactory(owner=owner, name="王芳")
    invite(event, other)
    merge = client_merge(kept=client_obj, other=other, by=owner, choices={})
    assert Invitee.objects.get(event=event).client_id == client_obj.pk
    client_merge_undo(merge=merge, by=owner)
    assert Invitee.objects.get(event=event).client_id == other.pk


def test_privacy_export_and_erase_cover_invitations(owner, client_obj, event):
    (invitee,) = invite(event, client_obj)
    Invitee.objects.filter(pk=invitee.pk).update(notes="带太太来")
    sections = client_data_sections(client=client_obj)
    assert [row["event_id"] for row in sections["event_invitations"]] == [event.pk]
    assert len(sections["event_invitation_steps"]) == 1
    client_erase(client=client_obj, by=owner)
    invitee.refresh_from_db()
    assert invitee.notes == "" and invitee.status == InviteeStatus.INVITED


def test_removing_an_invitee_retires_the_invitation(event, client_obj):
    build()
    (invitee,) = invite(event, client_obj)
    assert open_touches(INVITE_KIND).exists()
    services.invitee_remove(invitee=invitee)
    assert not open_touches(INVITE_KIND).exists()
    assert not Referral.objects.exists()


def test_the_invitation_comes_with_a_greeting_card(as_user, owner, client_obj, event):
    """The issue: "send the invitation (with a greeting card …)": the invitation touch's
    card is offered on its row and draws with the event's name in the greeting."""
    from touches.rows import row_actions

    build()
    invite(event, client_obj)
    touch = open_touches(INVITE_KIND).get()
    assert "greeting_card" in {a.get("key") for a in row_actions(touch)}
    http = as_user(owner)
    page = http.get(reverse("touch_cards:page", args=[touch.pk])).content.decode()
    assert event.title in page
    image = http.get(reverse("touch_cards:image", args=[touch.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"


def test_the_event_page_shows_cost_per_attendee_and_referrals(as_user, owner):
    event = EventFactory(owner=owner, date=TODAY - timedelta(days=1), budget=Decimal("1500"))
    came = [ClientFactory(owner=owner) for _ in range(3)]
    for invitee in invite(event, *came, today=TODAY - timedelta(days=5)):
        move(invitee, InviteeStatus.ACCEPTED, TODAY - timedelta(days=4))
        invitee.refresh_from_db()
        move(invitee, InviteeStatus.ATTENDED, TODAY - timedelta(days=1))
    first = Invitee.objects.filter(event=event).first()
    services.event_guest_add(invitee=first, person=Person(name="赵六"), by=owner, today=TODAY)
    with time_machine.travel(at(TODAY), tick=False):
        body = as_user(owner).get(reverse("events:detail", args=[event.pk])).content.decode()
    assert re.search(r'id="figure-cost">\s*¥\s*500', body), "¥500 per attendee"
    assert re.search(r'id="figure-attended">\s*3<', body)
    assert re.search(r'id="figure-referrals">\s*1<', body)
