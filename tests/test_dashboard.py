"""The dashboard (`/`), the full touch list and the touch history on the client page:
scoping for every touches URL, the grouping of today's touches, the row's facts and the
query counts.

The matrix is checked against the URL resolver, so a new touches URL without an entry
fails `test_every_touch_url_is_in_the_matrix`.
"""

import datetime
import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from django.utils import timezone

from clients.models import Client, Segment
from gifts.ideas import DEFAULT_IDEAS
from policies.models import Policy
from touches import selectors
from touches.festivals import FESTIVALS_BY_KEY
from touches.models import Touch

from .factories import ClientFactory, InteractionFactory
from .policy_factories import PolicyFactory
from .touch_factories import GreetingTemplateFactory, TouchFactory

TODAY = date(2026, 11, 24)
NOON = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.timezone(timedelta(hours=8)))
URGENT, HIGH, NORMAL = Touch.Priority.URGENT, Touch.Priority.HIGH, Touch.Priority.NORMAL

# name -> (method, needs a touch, valid POST data)
MATRIX = {
    "list": ("GET", False, None),
    "settings": ("GET", False, None),
    "digest_settings": ("GET", False, None),
    "done": ("POST", True, {"channel": "call", "note": "打过电话"}),
    "snooze": ("POST", True, {"until": "2026-12-01"}),
    "skip": ("POST", True, {"reason": "已出国"}),
    "reopen": ("POST", True, {}),
    "card_done": ("POST", False, None),
    "festival_done": ("POST", False, None),
}
OBJECT_URLS = [name for name, (_, needs, _) in MATRIX.items() if needs]
GET_URLS = [name for name, (method, _, _) in MATRIX.items() if method == "GET"]


def touch_url_names() -> set[str]:
    namespaced = get_resolver().namespace_dict["touches"][1]
    return {k for k in namespaced.reverse_dict if isinstance(k, str)}


def url_for(name: str, touch: Touch) -> str:
    kwargs = {"pk": touch.pk} if MATRIX[name][1] else {}
    return reverse(f"touches:{name}", kwargs=kwargs)


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def touch(client_obj):
    return TouchFactory(client=client_obj, due_date=TODAY)


@pytest.fixture
def http(as_user, owner):
    return as_user(owner)


def test_every_touch_url_is_in_the_matrix():
    assert touch_url_names() == set(MATRIX)


def test_dashboard_is_the_home_page():
    assert reverse("dashboard") == "/"


# --- Access -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_is_sent_to_login(client, name, touch):
    method = MATRIX[name][0]
    response = getattr(client, method.lower())(url_for(name, touch))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    touch.refresh_from_db()
    assert touch.status == Touch.Status.OPEN


@pytest.mark.django_db
def test_anonymous_dashboard_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", GET_URLS)
def test_owner_is_served(http, name, touch):
    response = http.get(url_for(name, touch))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", OBJECT_URLS)
def test_owner_can_post_actions(http, name, touch):
    if name == "reopen":
        Touch.objects.filter(pk=touch.pk).update(status=Touch.Status.DONE)
    response = http.post(url_for(name, touch), MATRIX[name][2], HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    touch.refresh_from_db()
    expected = {"done": "done", "snooze": "open", "skip": "skipped", "reopen": "open"}[name]
    assert touch.status == expected


@pytest.mark.django_db
@pytest.mark.parametrize("name", OBJECT_URLS)
def test_actions_refuse_get(http, name, touch):
    assert http.get(url_for(name, touch)).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teammate", "outsider", "manager", "admin_user"])
@pytest.mark.parametrize("name", OBJECT_URLS)
def test_someone_elses_touch_is_404(request, as_user, persona, name, touch):
    if name == "reopen":
        Touch.objects.filter(pk=touch.pk).update(status=Touch.Status.DONE, note="原样")
    before = Touch.objects.filter(pk=touch.pk).values().get()
    http = as_user(request.getfixturevalue(persona))
    # The actions take POST only: a GET is refused before any lookup, exactly as for a
    # touch that does not exist, so it tells nothing either.
    missing = reverse(f"touches:{name}", kwargs={"pk": touch.pk + 1000})
    assert http.get(url_for(name, touch)).status_code == http.get(missing).status_code == 405
    assert http.post(missing, MATRIX[name][2]).status_code == 404
    assert http.post(url_for(name, touch), MATRIX[name][2]).status_code == 404
    assert http.post(url_for(name, touch), MATRIX[name][2], HTTP_HX_REQUEST="true").status_code == (
        404
    )
    assert Touch.objects.filter(pk=touch.pk).values().get() == before
    assert not touch.client.interactions.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teammate", "outsider", "manager", "admin_user"])
def test_others_never_see_the_owners_touches(request, as_user, persona, touch):
    http = as_user(request.getfixturevalue(persona))
    for url in ("/", reverse("touches:list"), reverse("touches:list") + "?group=today"):
        response = http.get(url)
        assert response.status_code == 200
        assert "王芳" not in response.content.decode()


@pytest.mark.django_db
def test_a_touch_about_a_client_now_owned_by_someone_else_is_404(http, teammate, touch):
    # The client moved to another agent: the old owner's touch about them is out of reach.
    Client.objects.filter(pk=touch.client_id).update(owner=teammate)
    assert http.post(url_for("done", touch), {"channel": "call"}).status_code == 404
    assert "王芳" not in http.get("/").content.decode()


# --- Grouping ------------------------------------------------------------------------------


def _keys(board) -> dict[str, list[str]]:
    return {g.key: [t.client.name for t in g.rows] for g in board.groups}


@pytest.mark.django_db
def test_grouping_boundaries(owner):
    """The plan groups by the occasion, not the reminder (the issue: a birthday today was
    "overdue · 3 days" because its reminder was due three days ago)."""

    def make(name, occasion_offset, due_offset, priority=NORMAL, **kwargs):
        client = ClientFactory(owner=owner, name=name)
        return TouchFactory(
            client=client,
            occasion_date=TODAY + timedelta(days=occasion_offset),
            due_date=TODAY + timedelta(days=due_offset),
            priority=priority,
            **kwargs,
        )

    make("生日今天", 0, -3)  # reminded three days ago, the birthday is today
    make("紧急今天", 0, 0, URGENT)
    make("附加险30天后", 30, 0)  # reminder due today, the occasion in 30 days
    make("明天生日", 1, -2)
    make("昨天生日", -1, -4)
    make("推迟到今天", -2, 0)  # snoozed past its occasion: on the day it was snoozed to
    make("还没到提醒", 5, 2)  # reminder not due yet: not on the plan
    make("已完成", 0, -3, status=Touch.Status.DONE)
    make("已跳过", -1, -4, status=Touch.Status.SKIPPED)

    board = selectors.dashboard(user=owner, today=TODAY)
    assert _keys(board) == {
        "today": ["紧急今天", "生日今天", "推迟到今天"],
        "prepare": ["明天生日", "附加险30天后"],
        "overdue": ["昨天生日"],
    }
    assert board.counts == {"today": 3, "prepare": 2, "overdue": 1}

    # The next day everything moves along: today's pass, tomorrow's birthday is today.
    board = selectors.dashboard(user=owner, today=TODAY + timedelta(days=1))
    assert _keys(board)["today"] == ["明天生日"]
    assert _keys(board)["overdue"] == ["紧急今天", "生日今天", "推迟到今天", "昨天生日"]


@pytest.mark.django_db
def test_dashboard_page_groups_and_counts(http, owner):
    TouchFactory(
        client=ClientFactory(owner=owner, name="住院客户"),
        kind="hospital_visit",
        priority=URGENT,
        label="hospitalised",
        occasion_date=TODAY - timedelta(days=1),  # in hospital since yesterday: visit today
        due_date=TODAY,
    )
    TouchFactory(
        client=ClientFactory(owner=owner, name="过期客户"),
        due_date=TODAY - timedelta(5),
        occasion_date=TODAY - timedelta(2),
    )
    response = http.get("/")
    assert response.status_code == 200
    board = response.context["board"]
    assert board.counts == {"today": 1, "prepare": 0, "overdue": 1}
    body = response.content.decode()
    assert 'id="group-today"' in body and 'id="group-overdue"' in body
    assert 'id="group-prepare"' not in body  # empty groups are left out
    assert "住院客户" in body and "过期客户" in body
    assert body.index("住院客户") < body.index("过期客户")  # today first
    assert "今天的事都办完了" not in body


@pytest.mark.django_db
def test_nothing_due_says_so(http):
    body = http.get("/").content.decode()
    assert "touch-row" not in body
    assert response_has_counts(body, {"today": 0, "prepare": 0, "overdue": 0})
    assert "今天的事都办完了" in body


def response_has_counts(body: str, counts: dict[str, int]) -> bool:
    return all(f'touch-count-{key}">{n}<' in body for key, n in counts.items())


@pytest.mark.django_db
def test_archived_and_do_not_contact_clients_are_left_out(http, owner):
    archived = ClientFactory(owner=owner, name="已归档", archived_at=timezone.now())
    quiet = ClientFactory(owner=owner, name="勿扰", do_not_contact=True)
    TouchFactory(client=archived)
    TouchFactory(client=quiet, due_date=TODAY - timedelta(days=1))
    TouchFactory(client=ClientFactory(owner=owner, name="正常"))
    board = selectors.dashboard(user=owner, today=TODAY)
    assert board.counts == {"today": 0, "prepare": 1, "overdue": 0}
    for url in ("/", reverse("touches:list")):
        body = http.get(url).content.decode()
        assert "正常" in body and "已归档" not in body and "勿扰" not in body


@pytest.mark.django_db
def test_groups_are_capped_with_a_link_to_the_full_list(http, owner):
    clients = ClientFactory.create_batch(12, owner=owner)
    for n, client in enumerate(clients):
        day = TODAY - timedelta(days=1 + n)
        TouchFactory(client=client, due_date=day - timedelta(days=3), occasion_date=day)
    response = http.get("/")
    overdue = next(g for g in response.context["board"].groups if g.key == "overdue")
    cap = selectors.CARDS_PER_GROUP
    assert overdue.count == 12 and len(overdue.cards) == cap
    assert overdue.more == 12 - cap
    # The most recent first: the oldest are behind the link.
    assert overdue.cards[0].day == TODAY - timedelta(days=1)
    body = response.content.decode()
    assert f'href="{reverse("touches:list")}?group=overdue"' in body
    assert "查看全部 12 条" in body

    full = http.get(reverse("touches:list"), {"group": "overdue"})
    rows = list(full.context["page"].object_list)
    assert full.context["page"].paginator.count == 12
    assert [r.occasion_date for r in rows] == [TODAY - timedelta(days=n) for n in range(1, 13)]


@pytest.mark.django_db
def test_list_filters_by_group_and_kind(http, owner):
    TouchFactory(client=ClientFactory(owner=owner, name="生日客户"), kind="birthday")
    TouchFactory(
        client=ClientFactory(owner=owner, name="续期客户"), kind="premium_due", priority=HIGH
    )
    TouchFactory(
        client=ClientFactory(owner=owner, name="完成客户"),
        status=Touch.Status.DONE,
        closed_at=timezone.now(),
    )
    TouchFactory(
        client=ClientFactory(owner=owner, name="以后客户"), due_date=TODAY + timedelta(days=20)
    )
    TouchFactory(
        client=ClientFactory(owner=owner, name="今天客户"), kind="birthday", occasion_date=TODAY
    )

    def names(**params):
        response = http.get(reverse("touches:list"), params)
        assert response.status_code == 200
        return sorted(t.client.name for t in response.context["page"].object_list)

    assert names() == ["今天客户", "以后客户", "生日客户", "续期客户"]  # all open
    assert names(kind="premium_due") == ["续期客户"]
    assert names(group="prepare", kind="birthday") == ["生日客户"]
    assert names(group="today") == ["今天客户"]
    assert names(group="done") == ["完成客户"]
    assert names(group="later") == ["以后客户"]
    assert names(group="nonsense") == ["今天客户", "以后客户", "生日客户", "续期客户"]


@pytest.mark.django_db
def test_list_htmx_returns_rows_only(http, touch):
    response = http.get(reverse("touches:list"), {"group": "prepare"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and f'id="touch-{touch.pk}"' in body
    assert "HX-Request" in response["Vary"]


# --- The row -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_row_shows_the_clients_key_facts_and_the_occasion(http, owner):
    client = ClientFactory(
        owner=owner, name="李娜", birth_date=date(1986, 11, 27), mobile="+8613812345678"
    )
    client.segments.add(Segment.objects.get(code=Segment.Code.MANAGER))
    PolicyFactory(holder=client)
    PolicyFactory(holder=client, status=Policy.Status.IN_FORCE)
    PolicyFactory(holder=client, status=Policy.Status.LAPSED)  # not counted
    InteractionFactory(client=client, date=date(2026, 10, 25))
    InteractionFactory(client=client, date=date(2026, 11, 4))
    touch = TouchFactory(client=client, kind="birthday", occasion_date=date(2026, 11, 27))

    response = http.get("/")
    row = response.context["board"].groups[1].rows[0]
    assert row.pk == touch.pk
    assert row.age == 39 and row.turns == 40
    assert row.active_policies == 2
    assert row.last_contact == date(2026, 11, 4) and row.days_since_contact == 20
    assert [s.code for s in row.segment_list] == ["manager"]
    assert row.days_to_occasion == 3
    assert row.greeting.startswith("李娜")
    assert row.sms_href == "sms:+8613812345678?body=" + quote(row.greeting, safe="")
    assert row.gifts  # a manager: books on management and investing

    body = response.content.decode()
    assert reverse("clients:detail", kwargs={"pk": client.pk}) in body
    assert row.sms_href in body  # quote(safe="") leaves nothing to escape
    assert row.facts_text in body
    # Age, policies in force, days since the last contact (whatever the wording).
    assert [int(n) for n in re.findall(r"\d+", row.facts_text) if int(n) in (39, 2, 20)] == [
        39,
        2,
        20,
    ]
    assert f'data-copy="#greeting-{touch.pk}"' in body
    for action in ("done", "snooze", "skip"):
        assert reverse(f"touches:{action}", kwargs={"pk": touch.pk}) in body


@pytest.mark.django_db
def test_a_client_without_a_mobile_has_no_sms_link(http, owner):
    TouchFactory(client=ClientFactory(owner=owner, mobile=""))
    response = http.get("/")
    assert response.context["board"].groups[1].rows[0].sms_href == ""
    assert "sms:" not in response.content.decode()


@pytest.mark.django_db
def test_gift_ideas_follow_the_segments_and_the_kind(owner):
    mother = ClientFactory(owner=owner, name="准妈妈")
    mother.segments.add(Segment.objects.get(code=Segment.Code.EXPECTANT_MOTHER))
    birthday = TouchFactory(client=mother, kind="birthday")
    premium = TouchFactory(client=mother, kind="premium_due")
    plain = TouchFactory(client=ClientFactory(owner=owner), kind="birthday")
    rows = {t.pk: t for g in selectors.dashboard(user=owner, today=TODAY).groups for t in g.rows}
    # The deck's list (the gifts app's defaults) until the agent edits it.
    assert rows[birthday.pk].gifts == [str(DEFAULT_IDEAS["segment:expectant_mother"])]
    assert rows[premium.pk].gifts == []  # a premium reminder is no occasion for a gift
    assert rows[plain.pk].gifts == []


@pytest.mark.django_db
def test_the_agents_own_greeting_is_used(http, owner, touch):
    GreetingTemplateFactory(owner=owner, kind="birthday", text="亲爱的{name}，生日快乐！{nmae}")
    body = http.get("/").content.decode()
    assert "亲爱的王芳，生日快乐！{nmae}" in body


@pytest.mark.django_db
def test_festival_touch_names_the_festival(http, owner, client_obj):
    TouchFactory(
        client=client_obj,
        kind="festival",
        source="festival:mid_autumn",
        label="mid_autumn",
        priority=NORMAL,
    )
    response = http.get("/")
    row = response.context["board"].groups[1].rows[0]
    mid_autumn = str(FESTIVALS_BY_KEY["mid_autumn"].label)
    assert row.display_label == mid_autumn
    assert mid_autumn in row.greeting and "王芳" in row.greeting


# --- Query counts --------------------------------------------------------------------------


def _fill(owner, n: int) -> None:
    """n clients with open touches over the three groups of the plan, each with facts, and
    a festival greeting each (one card whatever n)."""
    manager = Segment.objects.get(code=Segment.Code.MANAGER)
    for i in range(n):
        client = ClientFactory(owner=owner)
        client.segments.add(manager)
        if i % 3 == 0:
            PolicyFactory(holder=client)
            InteractionFactory(client=client)
        occasion = TODAY + timedelta(days=(i % 4) - 1)  # passed, today, coming
        TouchFactory(
            client=client,
            occasion_date=occasion,
            due_date=min(occasion, TODAY) - timedelta(days=1),
            priority=URGENT if i % 10 == 0 else HIGH,
        )
        TouchFactory(
            client=client,
            kind="festival",
            source="festival:new_year",
            label="new_year",
            occasion_date=TODAY,
            due_date=TODAY,
        )
    GreetingTemplateFactory(owner=owner, kind="birthday")


def _count_queries(http, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_dashboard_query_count_does_not_grow_with_touches(
    http, owner, teammate, django_assert_max_num_queries
):
    _fill(owner, 30)
    small = _count_queries(http, "/")
    _fill(owner, 270)
    _fill(teammate, 20)
    with django_assert_max_num_queries(13):
        response = http.get("/")
    board = response.context["board"]
    festival = next(c for c in board.groups[0].cards if c.festival)
    assert festival.count == 300  # one card for the whole audience
    assert all(len(g.cards) == selectors.CARDS_PER_GROUP for g in board.groups)
    assert _count_queries(http, "/") == small


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_touches(http, owner, django_assert_max_num_queries):
    _fill(owner, 10)
    small = _count_queries(http, reverse("touches:list"))
    _fill(owner, 60)
    with django_assert_max_num_queries(10):
        http.get(reverse("touches:list"))
    assert _count_queries(http, reverse("touches:list")) == small


# --- The client page -----------------------------------------------------------------------


@pytest.mark.django_db
def test_client_page_shows_the_touch_history(http, owner, client_obj, teammate):
    TouchFactory(client=client_obj, kind="birthday", due_date=TODAY + timedelta(days=2))
    TouchFactory(
        client=client_obj,
        kind="premium_due",
        label="福寿终身寿险 P1",
        status=Touch.Status.SKIPPED,
        note="已自动扣款",
        closed_at=timezone.now(),
    )
    other = TouchFactory(client=ClientFactory(owner=owner, name="别的客户"), label="别人的事")
    response = http.get(reverse("clients:detail", kwargs={"pk": client_obj.pk}))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="client-touches"' in body
    assert "福寿终身寿险 P1" in body and "已自动扣款" in body
    assert other.label not in body

    panel = selectors.touch_history_for_client(client=client_obj)
    assert [t.kind for t in panel["open"]] == ["birthday"]
    assert [t.kind for t in panel["closed"]] == ["premium_due"]


@pytest.mark.django_db
def test_touch_history_is_one_query_open_first(client_obj, django_assert_num_queries):
    for n in (3, 1, 2):
        TouchFactory(client=client_obj, due_date=TODAY + timedelta(days=n))
    for n in (5, 9, 7):
        TouchFactory(
            client=client_obj,
            status=Touch.Status.DONE,
            closed_at=timezone.now() - timedelta(days=n),
        )
    with django_assert_num_queries(1):
        panel = selectors.touch_history_for_client(client=client_obj)
    assert [t.due_date for t in panel["open"]] == [TODAY + timedelta(days=n) for n in (1, 2, 3)]
    closed = [(timezone.now() - t.closed_at).days for t in panel["closed"]]
    assert closed == [5, 7, 9]


@pytest.mark.django_db
def test_nav_links_to_the_settings(http):
    assert f'href="{reverse("touches:settings")}"' in http.get("/").content.decode()


@pytest.mark.django_db
def test_the_groups_first_cards_in_one_query_equal_a_query_per_group(owner):
    """dashboard_heads ranks each group by a window over the cards; a count and an ordered,
    capped query per group (as the ORM would write them) give the same cards and counts."""
    import random

    rng = random.Random(3)
    today = datetime.date(2026, 11, 24)
    clients = [ClientFactory(owner=owner) for _ in range(30)]
    for n in range(90):
        due = today + datetime.timedelta(days=rng.randint(-20, 0))
        festival = n % 7 == 0
        TouchFactory(
            client=rng.choice(clients),
            kind="festival" if festival else rng.choice(["birthday", "premium_due", "neglect"]),
            source="festival:mid_autumn" if festival else f"x:{n}",
            label="mid_autumn" if festival else "",
            due_date=due,
            occasion_date=due + datetime.timedelta(days=rng.randint(-5, 10)),
            priority=rng.choice(
                [Touch.Priority.URGENT, Touch.Priority.HIGH, Touch.Priority.NORMAL]
            ),
        )
    for limit in (3, 8):
        counts, heads = selectors.dashboard_heads(user=owner, today=today, limit=limit)
        assert counts == selectors.group_counts(user=owner, today=today)
        cards = selectors.dashboard_cards(user=owner, today=today)
        for spec in selectors.GROUPS:
            expected = list(
                cards.filter(selectors.card_group_q(spec.key, today)).order_by(*spec.order)[:limit]
            )
            assert heads[spec.key] == expected
        assert sum(counts.values()) > limit  # the cap was reached somewhere


@pytest.mark.django_db
def test_the_cards_sql_compiled_once_is_the_sql_each_request_would_compile(owner, teammate):
    """The cards' SQL is compiled once per process (selectors._cards_sql): for any agent and
    day it is the text and parameters a fresh compilation gives, and the shape was found
    reusable (the cache is used, not skipped)."""
    selectors._CARDS_SQL.clear()
    for user, day in (
        (owner, datetime.date(2026, 11, 24)),
        (teammate, datetime.date(2027, 1, 30)),
        (owner, datetime.date(2024, 2, 29)),
    ):
        fresh = selectors.dashboard_cards(user=user, today=day).query.sql_with_params()
        assert selectors._cards_sql(user=user, today=day) == fresh
    assert list(selectors._CARDS_SQL.values()) != [None]
