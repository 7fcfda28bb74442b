"""The agent's referral pages: the list, one referral, the ask with its names, the asks list,
the referral page's actions (stage, report back, thank), the client-page panel and the link
points in policy delivery and the annual review. Scoping: another agent's objects are 404."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from clients.models import Client, Interaction
from referrals import services
from referrals.models import Referral, ReferralRequest, Stage
from referrals.services import Person
from touches.models import Touch

from .factories import ClientFactory
from .policy_factories import PolicyFactory
from .policy_records_factories import AnnualReviewFactory
from .referral_factories import ReferralFactory, ReferralRequestFactory
from .touch_factories import TouchFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
TODAY = datetime.date(2026, 11, 24)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def http(as_user, owner):
    http = as_user(owner)
    http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return http


@pytest.fixture
def referral(owner, client_obj):
    return services.referral_create(
        owner=owner,
        referrer=client_obj,
        person=Person(name="李明", mobile="+8613911112222", relationship="colleague"),
        given_on=TODAY,
        by=owner,
    )


def url(name: str, **kwargs) -> str:
    return reverse(f"referrals:{name}", kwargs=kwargs)


def body(response) -> str:
    return response.content.decode()


def warm(http) -> None:
    """One request first: the session's first save would otherwise count in the baseline."""
    http.get(url("list"))


def person_row(i: int, **values) -> dict:
    return {f"people-{i}-{k}": v for k, v in values.items()}


def ask_data(client, *rows: dict, **extra) -> dict:
    data = {
        "client": client.pk,
        "asked_on": "2026-11-24",
        "context": "delivery",
        "people-TOTAL_FORMS": "3",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "5",
        "back": "client",
    }
    for i, row in enumerate(rows):
        data.update(person_row(i, **{"relationship": "friend", **row}))
    data.update(extra)
    return data


# --- Access --------------------------------------------------------------------------------


def page_urls(referral) -> list[str]:
    return [
        url("list"),
        url("new"),
        url("ask"),
        url("requests"),
        url("detail", pk=referral.pk),
    ]


def test_owner_sees_every_page(http, referral):
    for address in page_urls(referral):
        assert http.get(address).status_code == 200, address


def test_anonymous_is_sent_to_login(client, referral):
    for address in page_urls(referral):
        response = client.get(address)
        assert response.status_code == 302, address
        assert response["Location"].startswith(reverse("login")), address


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_another_agents_referral_is_404(request, as_user, referral, persona):
    http = as_user(request.getfixturevalue(persona))
    change = referral.stage_history.get()
    assert http.get(url("detail", pk=referral.pk)).status_code == 404
    assert http.post(url("stage", pk=referral.pk), {"to_stage": "contacted"}).status_code == 404
    assert http.post(url("thank", pk=referral.pk), {"channel": "gift"}).status_code == 404
    assert http.post(url("feedback", pk=change.pk), {"channel": "call"}).status_code == 404
    referral.refresh_from_db()
    assert referral.stage == Stage.NEW and referral.thanked_at is None
    assert not Interaction.objects.exists()
    # Nor can they start a form from the owner's client or policy.
    policy = PolicyFactory(holder=referral.referrer)
    assert http.get(url("new") + f"?referrer={referral.referrer_id}").status_code == 404
    assert http.get(url("ask") + f"?client={referral.referrer_id}").status_code == 404
    assert http.get(url("ask") + f"?policy={policy.pk}").status_code == 404


def test_post_only_views_refuse_get(http, referral):
    change = referral.stage_history.get()
    for address in (
        url("stage", pk=referral.pk),
        url("thank", pk=referral.pk),
        url("feedback", pk=change.pk),
    ):
        assert http.get(address).status_code == 405, address


def test_another_agents_list_is_not_shown(as_user, teammate, referral):
    response = as_user(teammate).get(url("list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert "李明" not in body(response)


# --- New referral --------------------------------------------------------------------------


def new_data(referrer, **extra) -> dict:
    data = {
        "referrer": referrer.pk,
        "name": "赵敏",
        "mobile": "13700001111",
        "occupation": "中学老师",
        "relationship": "classmate",
        "reason": "刚生了二胎",
        "given_on": "2026-11-20",
        "context": "annual_review",
    }
    data.update(extra)
    return data


def test_new_form_prefills_the_referrer_and_today(http, client_obj):
    response = http.get(url("new") + f"?referrer={client_obj.pk}")
    form = response.context["form"]
    assert form.initial["referrer"] == client_obj.pk
    assert form["given_on"].value() == TODAY


def test_new_referral_creates_a_prospect_and_the_referral(http, owner, client_obj):
    response = http.post(url("new"), new_data(client_obj))
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", pk=referral.pk)
    person = referral.referred
    assert (person.name, str(person.mobile), person.occupation) == (
        "赵敏",
        "+8613700001111",
        "中学老师",
    )
    assert (person.owner, person.stage, person.source) == (owner, "prospect", "referral")
    assert (referral.referrer, referral.relationship, referral.reason) == (
        client_obj,
        "classmate",
        "刚生了二胎",
    )
    assert (referral.given_on, referral.context) == (datetime.date(2026, 11, 20), "annual_review")
    page = http.get(response["Location"])
    assert "was recorded as referred by" in body(page)


def test_new_referral_refuses_another_agents_referrer(http, teammate):
    stranger = ClientFactory(owner=teammate)
    response = http.post(url("new"), new_data(stranger))
    assert response.status_code == 400
    assert "referrer" in response.context["form"].errors
    assert not Referral.objects.exists()
    assert not Client.objects.filter(name="赵敏").exists()


def test_phone_match_offers_the_existing_record_and_linking_makes_no_copy(http, owner, client_obj):
    known = ClientFactory(owner=owner, name="赵敏敏", mobile="+8613700001111", stage="prospect")
    clients_before = Client.objects.count()

    offered = http.post(url("new"), new_data(client_obj))
    assert offered.status_code == 400
    assert Client.objects.count() == clients_before and not Referral.objects.exists()
    page = body(offered)
    assert "赵敏敏 (Prospect) already has this number" in page
    assert f'name="link_existing" id="link_existing-{known.pk}" value="{known.pk}"' in page
    assert 'value="刚生了二胎"' not in page  # textarea: the typed reason is kept as its text
    assert "刚生了二胎" in page

    linked = http.post(url("new"), new_data(client_obj, link_existing=known.pk))
    assert linked.status_code == 302
    referral = Referral.objects.get()
    assert referral.referred == known
    assert Client.objects.count() == clients_before
    known.refresh_from_db()
    assert known.source == "referral"


def test_a_known_phone_is_offered_along_with_other_errors(http, owner, client_obj):
    known = ClientFactory(owner=owner, name="赵敏敏", mobile="+8613700001111")
    response = http.post(url("new"), new_data(client_obj, name=""))
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert f'id="link_existing-{known.pk}"' in body(response)


def test_phone_of_another_agents_client_is_not_matched(http, teammate, client_obj):
    ClientFactory(owner=teammate, name="别人的客户", mobile="+8613700001111")
    response = http.post(url("new"), new_data(client_obj))
    assert response.status_code == 302
    assert Referral.objects.get().referred.name == "赵敏"


def test_a_client_merged_away_is_not_offered(http, owner, client_obj):
    """The one duplicate rule (clients.selectors.possible_duplicates): a record merged into
    another is no longer a person to link."""
    kept = ClientFactory(owner=owner, name="赵敏", mobile="+8613700002222")
    ClientFactory(owner=owner, name="赵敏敏", mobile="+8613700001111", merged_into=kept)
    response = http.post(url("new"), new_data(client_obj))
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.referred.name == "赵敏" and referral.referred != kept


def test_a_cycle_is_refused_with_a_message_and_nothing_written(http, owner, client_obj):
    # 王芳 (client_obj) referred 李明; 李明 now "refers" 王芳: she would be her own ancestor.
    services.referral_create(
        owner=owner,
        referrer=client_obj,
        person=Person(name="李明", mobile="+8613911112222"),
        given_on=TODAY,
        by=owner,
    )
    li = Client.objects.get(name="李明")
    referrals_before, clients_before = Referral.objects.count(), Client.objects.count()
    data = new_data(li, name="王芳", mobile=str(client_obj.mobile), link_existing=client_obj.pk)
    response = http.post(url("new"), data)
    assert response.status_code == 400
    assert "cannot be their own ancestor" in body(response)
    assert Referral.objects.count() == referrals_before
    assert Client.objects.count() == clients_before


def test_a_person_already_referred_is_refused(http, owner, client_obj, referral):
    other = ClientFactory(owner=owner, name="张伟")
    data = new_data(other, name="李明", mobile="13911112222", link_existing=referral.referred_id)
    response = http.post(url("new"), data)
    assert response.status_code == 400
    assert "was already referred by 王芳" in body(response)
    assert Referral.objects.count() == 1


def test_invalid_phone_is_a_form_error(http, client_obj):
    response = http.post(url("new"), new_data(client_obj, mobile="12345"))
    assert response.status_code == 400
    assert "mobile" in response.context["form"].errors
    assert not Referral.objects.exists()


# --- The ask -------------------------------------------------------------------------------


THREE = (
    {"name": "甲", "mobile": "13700000001", "occupation": "医生", "reason": "关心孩子教育"},
    {"name": "乙", "mobile": "13700000002", "occupation": "律师"},
    {"name": "丙", "relationship": "relative"},
)


def test_ask_form_shows_the_script_and_prefills(http, client_obj):
    policy = PolicyFactory(holder=client_obj)
    response = http.get(url("ask") + f"?client={client_obj.pk}&policy={policy.pk}&context=delivery")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["client"] == client_obj.pk
    assert form.initial["policy"] == policy.pk
    assert form.initial["context"] == "delivery"
    assert len(response.context["people"].forms) == 3
    assert "three friends" in body(response)
    annual = http.get(url("ask") + f"?client={client_obj.pk}&context=annual_review")
    assert annual.context["form"].initial["context"] == "annual_review"


def test_ask_with_three_names_creates_three_prospects_and_referrals(http, owner, client_obj):
    policy = PolicyFactory(holder=client_obj)
    clients_before = Client.objects.count()
    response = http.post(url("ask"), ask_data(client_obj, *THREE, policy=policy.pk))
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", kwargs={"pk": client_obj.pk})
    ask = ReferralRequest.objects.get()
    assert (ask.client, ask.names_given, ask.context, ask.policy) == (
        client_obj,
        3,
        "delivery",
        policy,
    )
    assert Client.objects.count() == clients_before + 3
    referrals = list(Referral.objects.order_by("id"))
    assert [r.referred.name for r in referrals] == ["甲", "乙", "丙"]
    assert all(r.request == ask and r.referrer == client_obj for r in referrals)
    assert referrals[0].referred.occupation == "医生" and referrals[0].reason == "关心孩子教育"
    assert referrals[2].relationship == "relative"
    assert all(r.referred.stage == "prospect" for r in referrals)


def test_ask_with_no_names_needs_a_reason(http, client_obj):
    response = http.post(url("ask"), ask_data(client_obj))
    assert response.status_code == 400
    assert "refusal_reason" in response.context["form"].errors
    assert not ReferralRequest.objects.exists()

    response = http.post(
        url("ask"), ask_data(client_obj, refusal_reason="bother_friends", notes="下次再问")
    )
    assert response.status_code == 302
    ask = ReferralRequest.objects.get()
    assert (ask.names_given, ask.refusal_reason, ask.notes) == (0, "bother_friends", "下次再问")
    assert not Referral.objects.exists()


def test_a_bad_row_writes_nothing_and_keeps_what_was_typed(http, client_obj):
    rows = (THREE[0], {"name": "乙", "mobile": "12345"}, THREE[2])
    clients_before = Client.objects.count()
    response = http.post(url("ask"), ask_data(client_obj, *rows, notes="在家里聊的"))
    assert response.status_code == 400
    assert response.context["people"].forms[1].errors["mobile"]
    assert not ReferralRequest.objects.exists() and not Referral.objects.exists()
    assert Client.objects.count() == clients_before
    page = body(response)
    for typed in (
        'value="甲"',
        'value="137 0000 0001"',
        'value="医生"',
        'value="12345"',
        "在家里聊的",
    ):
        assert typed in page


def test_a_known_phone_is_offered_even_while_another_row_has_errors(http, owner, client_obj):
    known = ClientFactory(owner=owner, name="甲甲", mobile="+8613700000001")
    rows = (THREE[0], {"name": "乙", "mobile": "12345"})
    response = http.post(url("ask"), ask_data(client_obj, *rows))
    assert response.status_code == 400
    assert f'name="people-0-link_existing" id="people-0-link_existing-{known.pk}"' in body(response)
    assert not ReferralRequest.objects.exists()


def test_a_service_refusal_rolls_back_every_name(http, owner, client_obj, referral):
    # The second name links 李明, already referred by 王芳: the first name is not kept either.
    rows = (
        THREE[0],
        {"name": "李明", "mobile": "13911112222", "link_existing": referral.referred_id},
    )
    clients_before = Client.objects.count()
    response = http.post(url("ask"), ask_data(client_obj, *rows))
    assert response.status_code == 400
    assert "was already referred by" in body(response)
    assert not ReferralRequest.objects.exists()
    assert Referral.objects.count() == 1 and Client.objects.count() == clients_before
    assert 'value="甲"' in body(response)


def test_ask_row_phone_match_offers_link(http, owner, client_obj):
    known = ClientFactory(owner=owner, name="乙乙", mobile="+8613700000002", stage="client")
    clients_before = Client.objects.count()
    response = http.post(url("ask"), ask_data(client_obj, *THREE))
    assert response.status_code == 400
    assert not ReferralRequest.objects.exists() and Client.objects.count() == clients_before
    page = body(response)
    assert "乙乙 (Client) already has this number" in page
    assert f'name="people-1-link_existing" id="people-1-link_existing-{known.pk}"' in page

    rows = (THREE[0], {**THREE[1], "link_existing": known.pk}, THREE[2])
    response = http.post(url("ask"), ask_data(client_obj, *rows))
    assert response.status_code == 302
    assert Client.objects.count() == clients_before + 2
    assert Referral.objects.get(referred=known).referrer == client_obj


def test_two_rows_with_one_phone_are_refused(http, client_obj):
    rows = (THREE[0], {"name": "乙", "mobile": "13700000001"})
    response = http.post(url("ask"), ask_data(client_obj, *rows))
    assert response.status_code == 400
    assert not Referral.objects.exists()


def test_ask_with_another_agents_policy_is_refused(http, teammate, client_obj):
    foreign = PolicyFactory(holder=ClientFactory(owner=teammate))
    response = http.post(url("ask"), ask_data(client_obj, THREE[0], policy=foreign.pk))
    assert response.status_code == 400
    assert not ReferralRequest.objects.exists()


def test_ask_without_a_client_returns_to_the_requests(http, client_obj):
    data = ask_data(client_obj, THREE[0], back="")
    response = http.post(url("ask"), data)
    assert response["Location"] == url("requests")


def test_request_list_shows_names_and_reasons_in_fixed_queries(
    http, owner, client_obj, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            services.referral_request_record(
                owner=owner,
                client=client_obj,
                asked_on=TODAY,
                context="delivery",
                people=[Person(name=f"名{i}-{j}") for j in range(2)],
                by=owner,
            )
        ReferralRequestFactory(client=client_obj, names_given=0, refusal_reason="finances_private")

    add(2)
    warm(http)
    with CaptureQueriesContext(connection) as small:
        assert http.get(url("requests")).status_code == 200
    add(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = http.get(url("requests"))
    page = body(response)
    assert "名9-1" in page and "Finances are private" in page
    assert response.context["page"].paginator.count == 14


# --- The list ------------------------------------------------------------------------------


def test_list_query_count_does_not_grow(http, owner, client_obj, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            r = ReferralFactory(referrer=ClientFactory(owner=owner))
            services.referral_stage_change(referral=r, to_stage="contacted", by=owner)

    add(3)
    warm(http)
    with CaptureQueriesContext(connection) as small:
        assert http.get(url("list")).status_code == 200
    add(17)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = http.get(url("list"))
    assert response.context["page"].paginator.count == 20
    assert len(response.context["page"].object_list) == 20


def test_list_filters_and_search(http, owner, client_obj):
    zhang = ClientFactory(owner=owner, name="张伟")
    a = ReferralFactory(
        referrer=client_obj,
        referred=ClientFactory(owner=owner, name="甲", mobile="+8613755556666"),
        given_on=datetime.date(2026, 11, 2),
    )
    b = ReferralFactory(
        referrer=zhang,
        referred=ClientFactory(owner=owner, name="乙"),
        given_on=datetime.date(2026, 9, 30),
        stage="met",
    )
    c = ReferralFactory(
        referrer=zhang,
        referred=ClientFactory(owner=owner, name="丙"),
        given_on=datetime.date(2025, 12, 1),
    )

    def listed(query: str) -> list[int]:
        response = http.get(url("list") + query)
        assert response.status_code == 200
        return sorted(r.pk for r in response.context["page"].object_list)

    assert listed("") == sorted([a.pk, b.pk, c.pk])
    assert listed("?stage=met") == [b.pk]
    assert listed(f"?referrer={zhang.pk}") == sorted([b.pk, c.pk])
    assert listed("?q=5555") == [a.pk]  # the referred person's phone digits
    assert listed("?q=张伟") == sorted([b.pk, c.pk])  # the referrer's name
    assert listed("?q=丙") == [c.pk]
    assert listed("?period=month") == [a.pk]
    assert listed("?period=3months") == sorted([a.pk, b.pk])
    assert listed("?period=year") == sorted([a.pk, b.pk])
    assert listed("?given_from=2025-11-01&given_to=2025-12-31") == [c.pk]
    # The referrer select offers those who referred someone, and no one else's.
    form = http.get(url("list")).context["form"]
    assert [label for _pk, label in form.fields["referrer"].choices[1:]] == ["张伟", "王芳"]


def test_list_row_shows_days_in_stage_and_owed_report_back(http, owner, client_obj):
    fresh = ReferralFactory(referrer=client_obj, referred=ClientFactory(owner=owner, name="新"))
    late = ReferralFactory(referrer=client_obj, referred=ClientFactory(owner=owner, name="迟"))
    services.referral_stage_change(
        referral=late, to_stage="contacted", by=owner, at=NOW - datetime.timedelta(days=5)
    )
    services.referral_stage_change(referral=fresh, to_stage="met", by=owner)
    response = http.get(url("list"))
    rows = {r.pk: r for r in response.context["page"].object_list}
    assert rows[late.pk].days_in_stage == 5
    assert rows[late.pk].feedback_owed_due == datetime.date(2026, 11, 22)
    assert rows[fresh.pk].feedback_owed_due == datetime.date(2026, 11, 27)
    page = body(response)
    assert page.count("Report-back overdue") == 1 and page.count(">Report back<") == 1
    owed = http.get(url("list") + "?owed=on").context["page"].object_list
    assert {r.pk for r in owed} == {late.pk, fresh.pk}
    services.referral_feedback_report(change=late.stage_history.last(), by=owner)
    assert [r.pk for r in http.get(url("list") + "?owed=on").context["page"].object_list] == [
        fresh.pk
    ]


def test_list_links(http, referral):
    page = body(http.get(url("list")))
    for name in ("new", "ask", "requests", "influence", "sources"):
        assert f'href="{url(name)}"' in page, name
    assert f'href="{url("detail", pk=referral.pk)}"' in page
    assert f'href="{reverse("clients:detail", kwargs={"pk": referral.referrer_id})}"' in page


def test_htmx_list_returns_rows_only(http, referral):
    response = http.get(url("list"), HTTP_HX_REQUEST="true")
    assert "<html" not in body(response) and "李明" in body(response)
    assert "HX-Request" in response["Vary"]


# --- The referral page ---------------------------------------------------------------------


def test_detail_shows_the_chain_above(http, owner):
    people = [ClientFactory(owner=owner, name=n) for n in ("一", "二", "三")]
    first = services.referral_create(
        owner=owner,
        referrer=people[0],
        person=Person(existing=people[1]),
        given_on=TODAY,
        by=owner,
    )
    second = services.referral_create(
        owner=owner,
        referrer=people[1],
        person=Person(existing=people[2]),
        given_on=TODAY,
        by=owner,
    )
    response = http.get(url("detail", pk=second.pk))
    assert response.context["chain"] == [(people[0].pk, "一"), (people[1].pk, "二")]
    assert first.depth == 1 and second.depth == 2


def test_stage_change_records_and_sets_a_report_back_deadline(http, owner, referral):
    response = http.post(
        url("stage", pk=referral.pk),
        {"to_stage": "contacted", "note": "电话约了周末", "seen_stage": "new"},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.stage == "contacted"
    change = referral.stage_history.last()
    assert (change.from_stage, change.to_stage, change.note, change.by) == (
        "new",
        "contacted",
        "电话约了周末",
        owner,
    )
    assert change.feedback_due == datetime.date(2026, 11, 27)
    page = body(http.get(url("detail", pk=referral.pk)))
    assert "I have got in touch with 李明" in page
    assert f'action="{url("feedback", pk=change.pk)}"' in page


def test_stage_change_to_won_needs_a_policy_of_the_referred(http, owner, client_obj, referral):
    someone_elses = PolicyFactory(holder=client_obj)
    response = http.post(url("stage", pk=referral.pk), {"to_stage": "won", "seen_stage": "new"})
    assert response.status_code == 400
    assert "Choose the policy the prospect took out" in body(response)
    referral.refresh_from_db()
    assert referral.stage == "new" and referral.stage_history.count() == 1

    response = http.post(
        url("stage", pk=referral.pk),
        {"to_stage": "won", "seen_stage": "new", "policy": someone_elses.pk},
    )
    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.stage == "new"

    theirs = PolicyFactory(holder=referral.referred)
    response = http.post(
        url("stage", pk=referral.pk),
        {"to_stage": "won", "seen_stage": "new", "policy": theirs.pk},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.stage, referral.won_policy) == ("won", theirs)
    assert referral.referred.stage == "client"
    page = http.get(url("detail", pk=referral.pk))
    assert page.context["stage_form"] is None


def test_stage_change_to_lost_needs_a_reason(http, referral):
    response = http.post(url("stage", pk=referral.pk), {"to_stage": "lost", "seen_stage": "new"})
    assert response.status_code == 400
    assert "Say why the prospect was lost" in body(response)
    response = http.post(
        url("stage", pk=referral.pk),
        {"to_stage": "lost", "seen_stage": "new", "lost_reason": "刚买过"},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.stage, referral.lost_reason) == ("lost", "刚买过")


def test_stale_stage_form_is_refused(http, owner, referral):
    services.referral_stage_change(referral=referral, to_stage="contacted", by=owner)
    response = http.post(url("stage", pk=referral.pk), {"to_stage": "met", "seen_stage": "new"})
    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.stage == "contacted"
    assert response.context["stage_form"]["seen_stage"].value() == "contacted"


def test_report_back_marks_it_reported_and_closes_the_touch(http, owner, client_obj, referral):
    change = services.referral_stage_change(referral=referral, to_stage="contacted", by=owner)
    touch = TouchFactory(
        client=client_obj,
        kind="referral_feedback",
        source=f"refstage:{change.pk}",
        due_date=change.feedback_due,
    )
    response = http.post(url("feedback", pk=change.pk), {"channel": "call", "note": "她很高兴"})
    assert response.status_code == 302
    assert response["Location"] == url("detail", pk=referral.pk)
    change.refresh_from_db()
    assert change.reported_at is not None and change.reported_on_time
    touch.refresh_from_db()
    assert touch.status == Touch.Status.DONE
    logged = Interaction.objects.get(client=client_obj)
    assert logged.kind == "call" and "她很高兴" in logged.summary
    # Twice is harmless: no second contact logged.
    http.post(url("feedback", pk=change.pk), {"channel": "call"})
    assert Interaction.objects.filter(client=client_obj).count() == 1
    page = body(http.get(url("detail", pk=referral.pk)))
    assert "Reported on time" in page
    assert f'action="{url("feedback", pk=change.pk)}"' not in page


def test_report_back_with_a_bad_channel_records_nothing(http, owner, referral):
    change = services.referral_stage_change(referral=referral, to_stage="met", by=owner)
    response = http.post(url("feedback", pk=change.pk), {"channel": "gift"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.reported_at is None and not Interaction.objects.exists()


def test_thank_logs_an_interaction_on_the_referrer(http, client_obj, referral):
    page = body(http.get(url("detail", pk=referral.pk)))
    assert f'action="{url("thank", pk=referral.pk)}"' in page
    response = http.post(
        url("thank", pk=referral.pk), {"channel": "gift", "note": "一盒茶叶", "gift_value": "88"}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.thanked_at is not None
    thanks = Interaction.objects.get(client=client_obj)
    assert (thanks.kind, thanks.gift_value) == ("gift", Decimal("88.00"))
    assert "李明" in thanks.summary and "一盒茶叶" in thanks.summary
    page = body(http.get(url("detail", pk=referral.pk)))
    assert "was thanked on" in page
    assert f'action="{url("thank", pk=referral.pk)}"' not in page
    http.post(url("thank", pk=referral.pk), {"channel": "message"})
    assert Interaction.objects.count() == 1


def test_thank_with_a_value_on_a_message_is_refused(http, referral):
    http.post(url("thank", pk=referral.pk), {"channel": "message", "gift_value": "50"})
    referral.refresh_from_db()
    assert referral.thanked_at is None and not Interaction.objects.exists()


def test_detail_shows_the_audit_history(http, referral):
    response = http.get(url("detail", pk=referral.pk))
    entries = response.context["audit_history"]
    assert [e.action for e in entries] == ["Created"]
    assert 'id="change-history"' in body(response)


def test_detail_query_count_is_fixed(http, owner, referral, django_assert_max_num_queries):
    def step(to):
        services.referral_stage_change(referral=referral, to_stage=to, by=owner)

    step("contacted")
    warm(http)
    with CaptureQueriesContext(connection) as small:
        assert http.get(url("detail", pk=referral.pk)).status_code == 200
    for to in ("met", "proposal", "met", "proposal"):
        step(to)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = http.get(url("detail", pk=referral.pk))
    assert len(response.context["history"]) == 6


# --- The client page and the link points ---------------------------------------------------


def test_client_panel_shows_who_referred_and_whom(http, owner, client_obj, referral):
    ReferralRequestFactory(client=client_obj, names_given=2, asked_on=datetime.date(2026, 10, 1))
    ReferralRequestFactory(
        client=client_obj, names_given=0, refusal_reason="no_one", asked_on=TODAY
    )
    services.referral_stage_change(referral=referral, to_stage="met", by=owner)
    response = http.get(reverse("clients:detail", kwargs={"pk": client_obj.pk}))
    panel = next(
        p.context for p in response.context["panels"] if p.template_name.startswith("referrals/")
    )
    assert panel["referred_by"] is None
    assert panel["referred_total"] == 1
    assert [(s.stage, s.count) for s in panel["stages"]] == [("met", 1)]
    assert (panel["asks"], panel["names_given"], panel["last_asked"]) == (2, 2, TODAY)
    page = body(response)
    assert f"{url('ask')}?client={client_obj.pk}" in page
    assert f"{url('new')}?referrer={client_obj.pk}" in page
    assert reverse("client_referrals:chain", kwargs={"pk": client_obj.pk}) in page

    referred_page = http.get(reverse("clients:detail", kwargs={"pk": referral.referred_id}))
    assert "Referred by" in body(referred_page)
    assert f'href="{url("detail", pk=referral.pk)}"' in body(referred_page)


def test_client_panel_query_count_is_fixed(http, owner, client_obj):
    def add(n):
        for _ in range(n):
            ReferralFactory(referrer=client_obj)
            ReferralRequestFactory(client=client_obj)

    add(1)
    address = reverse("clients:detail", kwargs={"pk": client_obj.pk})
    warm(http)
    with CaptureQueriesContext(connection) as small:
        http.get(address)
    add(12)
    with CaptureQueriesContext(connection) as large:
        response = http.get(address)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert "See all 13" in body(response)


def test_delivery_step_four_links_to_the_ask_with_the_policy(http, client_obj):
    policy = PolicyFactory(holder=client_obj)
    page = body(http.get(reverse("policies:delivery", kwargs={"pk": policy.pk})))
    item = page[page.index('id="delivery-item-step_referrals"') :]
    item = item[: item.index("</li>")]
    expected = f"{url('ask')}?client={client_obj.pk}&amp;policy={policy.pk}&amp;context=delivery"
    assert f'href="{expected}"' in item
    # Following it prefills the ask.
    form = http.get(url("ask") + f"?client={client_obj.pk}&policy={policy.pk}&context=delivery")
    assert form.context["form"].initial["policy"] == policy.pk


def test_annual_review_links_to_the_ask(http, client_obj):
    review = AnnualReviewFactory(household=client_obj)
    page = body(http.get(reverse("policies:review_detail", kwargs={"review_pk": review.pk})))
    assert f'href="{url("ask")}?client={client_obj.pk}&amp;context=annual_review"' in page
