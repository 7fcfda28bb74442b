"""`manage.py seed_demo`: the demo logins, the nested team and two agents' books."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count

from agentcrm.accounts.models import Team, User
from agentcrm.core.calendar import lunar_occurrence, lunar_validate, solar_to_lunar
from clients.demo import DEMO_PASSWORD
from clients.models import (
    Calendar,
    Client,
    Commitment,
    CustomDate,
    FamilyMember,
    Interaction,
    LifeEvent,
    Segment,
    Tag,
)
from clients.selectors import upcoming_birthdays
from policies.models import Policy, ServiceRequest

TODAY = date(2026, 3, 10)
MODELS = [User, Team, Client, FamilyMember, CustomDate, Interaction, LifeEvent, Commitment, Tag]

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    with time_machine.travel(
        datetime(2026, 3, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()


def _counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in MODELS}
    counts["client segments"] = Client.segments.through.objects.count()
    counts["client tags"] = Client.tags.through.objects.count()
    return counts


def _age(born: date) -> int:
    return TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))


def test_users_teams_and_roles(seeded):
    users = {u.username: u for u in User.objects.select_related("team")}
    assert set(users) == {"director1", "manager1", "agent1", "agent2", "admin"}
    region = Team.objects.get(name="华东区")
    team = Team.objects.get(name="上海一部")
    assert region.manager == users["director1"] and region.parent is None
    assert team.manager == users["manager1"] and team.parent == region

    assert users["director1"].role == User.Role.MANAGER
    assert users["manager1"].role == User.Role.MANAGER
    assert users["manager1"].team == team
    for username in ("agent1", "agent2"):
        assert users[username].role == User.Role.AGENT
        assert users[username].team == team
        assert users[username].display_name
    admin = users["admin"]
    assert admin.role == User.Role.ADMIN and admin.is_staff and admin.is_superuser

    for username in users:
        assert authenticate(username=username, password=DEMO_PASSWORD) == users[username]
    assert "agent1" in seeded and DEMO_PASSWORD in seeded


def test_the_director_sees_the_nested_team(seeded):
    from agentcrm.accounts.selectors import team_members_for_manager

    director = User.objects.get(username="director1")
    members = set(team_members_for_manager(user=director).values_list("username", flat=True))
    assert members == {"manager1", "agent1", "agent2"}


def test_each_agent_has_a_realistic_book(seeded):
    for username in ("agent1", "agent2"):
        agent = User.objects.get(username=username)
        clients = list(Client.objects.filter(owner=agent).prefetch_related("segments"))
        assert len(clients) >= 30
        for client in clients:
            assert all("\u4e00" <= ch <= "\u9fff" for ch in client.name), client.name
            assert str(client.mobile).startswith("+861")
            assert client.address.startswith("上海市")
            assert client.birth_date and client.birth_date <= TODAY
            client.full_clean()  # choices, lengths, phone numbers, check constraints

        assert {c.gender for c in clients} >= {"female", "male"}
        assert {c.stage for c in clients} == {Client.Stage.CLIENT, Client.Stage.PROSPECT}
        assert sum(c.stage == Client.Stage.CLIENT for c in clients) > len(clients) / 2
        sources = {c.source for c in clients}
        assert sources >= {"referral", "cold_call", "warm_circle", "event"}
        for client in clients:
            if client.source == Client.Source.REFERRAL:
                assert client.referred_by is not None and client.referred_by.owner == agent
        assert len({c.vip_tier for c in clients}) >= 3
        assert {s.code for c in clients for s in c.segments.all()} == set(Segment.Code)
        for client in clients:
            codes = {s.code for s in client.segments.all()}
            assert ("woman" in codes) == (client.gender == "female")
            assert ("elder" in codes) == (_age(client.birth_date) >= 60)
        for client in clients:
            if client.marital_status == Client.Marital.MARRIED:
                assert client.wedding_date and client.birth_date < client.wedding_date <= TODAY
        assert Tag.objects.filter(owner=agent, clients__isnull=False).distinct().count() >= 5

        assert sum(c.do_not_contact for c in clients) == 1
        dnc = next(c for c in clients if c.do_not_contact)
        assert dnc.do_not_contact_reason
        assert sum(c.archived_at is not None for c in clients) == 1


def test_lunar_birthdays(seeded):
    for username in ("agent1", "agent2"):
        lunar = Client.objects.filter(owner__username=username, birthday_calendar=Calendar.LUNAR)
        assert 3 <= lunar.count() <= 8  # about 10–15% of 36
        for client in lunar:
            lunar_validate(
                year=client.lunar_birth_year,
                month=client.lunar_birth_month,
                day=client.lunar_birth_day,
                leap=client.lunar_birth_leap,
            )
            assert solar_to_lunar(client.birth_date) == (
                client.lunar_birth_year,
                client.lunar_birth_month,
                client.lunar_birth_day,
                client.lunar_birth_leap,
            )
        assert lunar.filter(lunar_birth_leap=True).exists()
        assert lunar.filter(lunar_birth_day=30).exists()
        # One lunar birthday comes round in the coming week.
        this_year = solar_to_lunar(TODAY)[0]
        soon = [
            lunar_occurrence(
                lunar_year=this_year,
                month=c.lunar_birth_month,
                day=c.lunar_birth_day,
                leap=c.lunar_birth_leap,
            )
            for c in lunar
        ]
        assert any(TODAY <= d < TODAY + timedelta(days=7) for d in soon)
    for member in FamilyMember.objects.filter(birthday_calendar=Calendar.LUNAR):
        lunar_validate(
            year=member.lunar_birth_year,
            month=member.lunar_birth_month,
            day=member.lunar_birth_day,
            leap=member.lunar_birth_leap,
        )


def test_birthdays_this_week(seeded):
    for username in ("agent1", "agent2"):
        agent = User.objects.get(username=username)
        assert upcoming_birthdays(user=agent, start=TODAY, days=7).count() >= 2
        assert FamilyMember.objects.filter(
            client__owner=agent,
            birth_md__in=[
                (TODAY + timedelta(days=i)).month * 100 + (TODAY + timedelta(days=i)).day
                for i in range(7)
            ],
        ).exists()
    assert upcoming_birthdays(
        user=User.objects.get(username="agent1"), start=TODAY, days=1
    ).exists()  # one birthday is today


def test_family_dates_and_timeline(seeded):
    relations = dict(
        FamilyMember.objects.values_list("relation").annotate(n=Count("id")).order_by()
    )
    assert {"spouse", "child", "parent"} <= set(relations)
    children = FamilyMember.objects.filter(relation=FamilyMember.Relation.CHILD)
    assert any(_age(c.birth_date) < 14 for c in children)
    assert all(m.birth_md == m.birth_date.month * 100 + m.birth_date.day for m in children)
    for client in Client.objects.exclude(wedding_date=None):
        assert client.wedding_md == client.wedding_date.month * 100 + client.wedding_date.day

    assert set(CustomDate.objects.values_list("calendar", flat=True)) == {"solar", "lunar"}
    interactions = Interaction.objects.all()
    assert interactions.count() >= 100
    assert not interactions.filter(date__gt=TODAY).exists()
    assert not interactions.filter(date__lt=TODAY - timedelta(days=366)).exists()
    assert {"visit", "call", "message", "gift"} <= set(interactions.values_list("kind", flat=True))
    gifts = interactions.filter(kind=Interaction.Kind.GIFT)
    assert gifts.exists() and not gifts.filter(gift_value=None).exists()
    assert not interactions.exclude(kind=Interaction.Kind.GIFT).exclude(gift_value=None).exists()
    assert LifeEvent.objects.count() >= 5

    for username in ("agent1", "agent2"):
        promises = Commitment.objects.filter(client__owner__username=username)
        assert promises.filter(done_date=None, due_date__lt=TODAY).exists()  # overdue
        assert promises.filter(done_date=None, due_date__gte=TODAY).exists()  # upcoming
        assert promises.exclude(done_date=None).exists()  # kept


def test_second_run_creates_nothing(seeded):
    before = _counts()
    out = StringIO()
    with time_machine.travel(datetime(2026, 3, 11, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        call_command("seed_demo", stdout=out)
    assert _counts() == before
    assert "already" in out.getvalue()


def test_a_changed_password_is_kept(seeded):
    user = User.objects.get(username="agent1")
    user.set_password("my-own-password-42")
    user.save()
    call_command("seed_demo", stdout=StringIO())
    assert authenticate(username="agent1", password="my-own-password-42") == user
    assert authenticate(username="agent1", password=DEMO_PASSWORD) is None


def test_the_books_are_deterministic(seeded):
    def book():
        return list(
            Client.objects.filter(owner__username="agent2")
            .order_by("id")
            .values_list("name", "mobile", "birth_date", "occupation")
        )

    first = book()
    # The policies demo step gave the book policies, which protect their clients.
    ServiceRequest.objects.filter(owner__username="agent2").delete()
    Policy.objects.filter(owner__username="agent2").delete()
    Client.objects.filter(owner__username="agent2").delete()
    with time_machine.travel(datetime(2026, 3, 10, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        call_command("seed_demo", stdout=StringIO())
    assert book() == first
