"""The dashboard as the day's plan: groups by the occasion (the day of, before and after
it), a festival as one card with its bulk action, report-backs on one prospect as one card,
one client's touches of a day as one card, and the digest in the same groups and words."""

import datetime
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Client, Interaction
from referrals.models import Stage
from touches import digest
from touches.models import Touch

from .factories import ClientFactory
from .referral_factories import ReferralFactory, ReferralStageChangeFactory
from .touch_factories import TouchFactory

pytestmark = pytest.mark.django_db

BIRTHDAY = date(2026, 12, 10)
CST = datetime.timezone(timedelta(hours=8))
HTMX = {"HTTP_HX_REQUEST": "true"}


def noon(day: date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, 12, tzinfo=CST)


def groups_of(board) -> dict[str, list[str]]:
    return {g.key: [t.client.name for t in g.rows] for g in board.groups if g.rows}


@pytest.mark.parametrize(
    ("day", "group", "words"),
    [
        (BIRTHDAY - timedelta(days=5), None, None),  # reminder not due yet
        (BIRTHDAY - timedelta(days=3), "prepare", "12月10日 · 还有3天"),
        (BIRTHDAY - timedelta(days=1), "prepare", "12月10日 · 还有1天"),
        (BIRTHDAY, "today", "今天"),
        (BIRTHDAY + timedelta(days=2), "overdue", "12月10日 · 2天前"),
    ],
)
def test_a_birthday_before_on_and_after_the_day(as_user, owner, day, group, words):
    TouchFactory(
        client=ClientFactory(owner=owner, name="寿星"),
        kind="birthday",
        occasion_date=BIRTHDAY,
        due_date=BIRTHDAY - timedelta(days=3),
    )
    with time_machine.travel(noon(day), tick=False):
        response = as_user(owner).get("/")  # signed in on the day
    board = response.context["board"]
    assert groups_of(board) == ({group: ["寿星"]} if group else {})
    body = response.content.decode()
    if words:
        card = next(c for g in board.groups for c in g.cards)
        assert card.day_text.replace(" ", "") == words.replace(" ", "")
        assert card.day_text in body
    # "All done for today" whenever nothing happens today and nothing has passed undone.
    assert ("今天的事都办完了" in body) is (group not in ("today", "overdue"))


def _festival(owner, n, *, occasion, due, name="客户"):
    clients = [ClientFactory(owner=owner, name=f"{name}{i}") for i in range(n)]
    return [
        TouchFactory(
            client=c,
            kind="festival",
            source="festival:new_year",
            label="new_year",
            occasion_date=occasion,
            due_date=due,
            priority=Touch.Priority.NORMAL,
        )
        for c in clients
    ]


def test_a_festival_is_one_card_with_its_audience(as_user, owner):
    day = date(2027, 1, 1)
    _festival(owner, 12, occasion=day, due=day - timedelta(days=3))
    with time_machine.travel(noon(day - timedelta(days=2)), tick=False):
        response = as_user(owner).get("/")
    board = response.context["board"]
    assert board.counts == {"today": 0, "prepare": 1, "overdue": 0}
    (card,) = board.groups[1].cards
    assert card.festival and card.count == 12
    body = response.content.decode()
    assert "元旦" in body and "12 位客户" in body
    assert body.count("touch-festival") == 1
    assert "客户0" not in card.greeting  # one greeting for all: no 称呼
    assert "元旦" in card.greeting
    assert reverse("touches:festival_done") in body
    assert "festival=new_year" in card.list_url and "occasion=2027-01-01" in card.list_url


def test_festival_bulk_done_marks_the_rest_in_one_update(
    as_user, owner, teammate, django_assert_max_num_queries
):
    day = date(2027, 1, 1)
    mine = _festival(owner, 6, occasion=day, due=day)
    theirs = _festival(teammate, 2, occasion=day, due=day, name="别人")
    later = _festival(owner, 1, occasion=day, due=day + timedelta(days=1), name="推迟")
    exception = mine[0]
    data = {"festival": "new_year", "occasion": "2027-01-01", "exclude": [str(exception.pk)]}
    with time_machine.travel(noon(day), tick=False):
        http = as_user(owner)  # signed in on the day (sessions end after idle hours)
        with CaptureQueriesContext(connection) as queries:
            response = http.post(reverse("touches:festival_done"), data, **HTMX)
        assert response.status_code == 200
        body = response.content.decode()
        assert "已为 5 位客户标记完成" in body
        assert 'hx-swap-oob="innerHTML:.touch-count-today">1<' in body  # the exception
        updates = [q for q in queries if q["sql"].startswith('UPDATE "touches_touch"')]
        assert len(updates) == 2  # the conditional UPDATE, then the links to the contacts
        # Again: nothing more to do, nothing written twice.
        again = http.post(reverse("touches:festival_done"), data, **HTMX)
        assert "已为 0 位客户标记完成" in again.content.decode()
    status = dict(Touch.objects.values_list("pk", "status"))
    assert [status[t.pk] for t in mine] == ["open"] + ["done"] * 5
    assert all(status[t.pk] == "open" for t in theirs + later)
    assert Interaction.objects.filter(client__owner=owner).count() == 5
    assert not Interaction.objects.filter(client_id=exception.client_id).exists()


def test_festival_bulk_done_refuses_nonsense_and_get(as_user, owner):
    _festival(owner, 2, occasion=date(2027, 1, 1), due=date(2027, 1, 1))
    url = reverse("touches:festival_done")
    with time_machine.travel(noon(date(2027, 1, 1)), tick=False):
        http = as_user(owner)
        assert http.get(url).status_code == 405
        for bad in (
            {"festival": "nope", "occasion": "2027-01-01"},
            {"festival": "new_year", "occasion": "tomorrow"},
            {"festival": "new_year", "occasion": "2027-01-01", "exclude": ["1;drop"]},
        ):
            response = http.post(url, bad, **HTMX)
            assert response.status_code == 422
    assert not Touch.objects.filter(status="done").exists()


def test_exceptions_are_ticked_on_the_festival_list(as_user, owner):
    day = date(2027, 1, 1)
    touches = _festival(owner, 3, occasion=day, due=day)
    with time_machine.travel(noon(day), tick=False):
        response = as_user(owner).get(
            reverse("touches:list"),
            {"group": "today", "festival": "new_year", "occasion": "2027-01-01"},
        )
    body = response.content.decode()
    assert response.context["page"].paginator.count == 3
    assert 'id="festival-bulk"' in body
    for t in touches:
        assert f'name="exclude" value="{t.pk}" form="festival-bulk"' in body


def test_report_backs_on_one_prospect_are_one_card_with_the_latest_stage(as_user, owner):
    referral = ReferralFactory(referrer=ClientFactory(owner=owner, name="介绍人"))
    referral.referred.name = "新朋友"
    referral.referred.save()
    today = date(2026, 12, 5)
    stages = []
    for n, stage in enumerate((Stage.CONTACTED, Stage.MET)):
        change = ReferralStageChangeFactory(referral=referral, to_stage=stage)
        stages.append(
            TouchFactory(
                client=referral.referrer,
                kind="referral_feedback",
                source=f"refstage:{change.pk}",
                label=f"新朋友|{stage}",
                occasion_date=today - timedelta(days=1 - n),
                due_date=today - timedelta(days=1 - n),
            )
        )
    other = ReferralFactory(referrer=referral.referrer)
    lone = ReferralStageChangeFactory(referral=other, to_stage=Stage.CONTACTED)
    TouchFactory(
        client=referral.referrer,
        kind="referral_feedback",
        source=f"refstage:{lone.pk}",
        label="另一位|contacted",
        occasion_date=today,
        due_date=today,
    )
    with time_machine.travel(noon(today), tick=False):
        http = as_user(owner)
        board = http.get("/").context["board"]
        cards = [c for g in board.groups for c in g.cards]
        assert len(cards) == 2
        merged = next(c for c in cards if c.count == 2)
        assert merged.merged and merged.lead.pk == stages[1].pk  # the latest stage leads
        assert [t.pk for t in merged.rows] == [stages[1].pk]
        assert "已见面" in merged.lead.display_label
        # "All done" closes both reports of that prospect, and each is logged.
        response = http.post(reverse("touches:card_done"), {"ids": merged.ids}, **HTMX)
        assert response.status_code == 200
    assert set(
        Touch.objects.filter(pk__in=[t.pk for t in stages]).values_list("status", flat=True)
    ) == {"done"}
    assert Interaction.objects.filter(client=referral.referrer).count() == 2


def test_several_touches_for_one_client_on_one_day_are_one_card(as_user, owner, teammate):
    client = ClientFactory(owner=owner, name="一天两事")
    today = date(2026, 12, 5)
    birthday = TouchFactory(client=client, kind="birthday", occasion_date=today, due_date=today)
    premium = TouchFactory(
        client=client,
        kind="premium_due",
        label="福寿终身寿险|P1",
        occasion_date=today,
        due_date=today - timedelta(days=15),
    )
    elsewhere = TouchFactory(client=client, kind="custom_date", occasion_date=today + timedelta(2))
    foreign = TouchFactory(
        client=ClientFactory(owner=teammate), occasion_date=today, due_date=today
    )
    with time_machine.travel(noon(today), tick=False):
        http = as_user(owner)
        response = http.get("/")
        board = response.context["board"]
        (card,) = board.groups[0].cards
        assert {t.pk for t in card.rows} == {birthday.pk, premium.pk}
        body = response.content.decode()
        assert f'id="touch-{birthday.pk}"' in body and f'id="touch-{premium.pk}"' in body
        assert body.count('class="fw-semibold" href="/clients/') == 2  # two cards, not three
        # One done for each …
        http.post(reverse("touches:done", kwargs={"pk": birthday.pk}), {"channel": "call"}, **HTMX)
        # … or all at once; another agent's touch in the list is left alone.
        ids = f"{premium.pk},{foreign.pk}"
        response = http.post(reverse("touches:card_done"), {"ids": ids}, **HTMX)
        assert response.status_code == 200
        assert 'hx-swap-oob="innerHTML:.touch-count-today">0<' in response.content.decode()
        assert "今天的事都办完了" in response.content.decode()
        assert http.post(reverse("touches:card_done"), {"ids": "x"}, **HTMX).status_code == 422
    status = dict(Touch.objects.values_list("pk", "status"))
    assert status[premium.pk] == status[birthday.pk] == "done"
    assert status[foreign.pk] == status[elsewhere.pk] == "open"


def test_the_digest_uses_the_plans_groups_and_words(owner, client_obj):
    owner.email = "owner@example.com"
    owner.save()
    today = date(2026, 12, 5)
    TouchFactory(
        client=client_obj, kind="birthday", occasion_date=today, due_date=today - timedelta(3)
    )
    _festival(owner, 4, occasion=today + timedelta(days=2), due=today)
    with time_machine.travel(noon(today), tick=False):
        assert digest.digest_send(owner_id=owner.pk, day=today)
    (message,) = mail.outbox
    assert "今天的安排" in message.subject
    body = message.body
    assert "今天 (1)" in body and "提前准备 (1)" in body and "已过期" not in body
    assert "王芳" in body and "元旦" in body
    assert "4 位客户" in body and "还有2天" in body.replace(" ", "")


def test_query_count_with_many_clients(as_user, owner, django_assert_max_num_queries):
    today = date(2026, 12, 5)
    for n in range(40):
        client = ClientFactory(owner=owner)
        TouchFactory(
            client=client,
            occasion_date=today + timedelta(days=n % 3 - 1),
            due_date=today - timedelta(1),
        )
    _festival(owner, 60, occasion=today, due=today)
    with time_machine.travel(noon(today), tick=False):
        http = as_user(owner)
        with django_assert_max_num_queries(13):
            assert http.get("/").status_code == 200
    assert Client.objects.filter(owner=owner).count() >= 100
