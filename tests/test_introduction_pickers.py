"""The introductions page's pickers (like the policy form's, issue 18): no select lists the
whole book. Each lists the chosen row and the first matches of a search, the agent's own live
records only; the introduction's pickers only offers and clients who agreed to be introduced.
A search box fills them (htmx, `introductions:people`); without JS "Find" reloads the page
with that picker's matches. An id outside a picker's scope is refused in Chinese."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from introductions.models import Introduction, MatchProfile, Need, Offer

from .factories import ClientFactory, FamilyMemberFactory

pytestmark = pytest.mark.django_db
PEOPLE = reverse("introductions:people")
INDEX = reverse("introductions:index")
AGREED = datetime.date(2026, 11, 1)


def options(html: str, select_id: str) -> list[str]:
    match = re.search(rf'<select [^>]*id="{select_id}".*?</select>', html, re.S)
    assert match, select_id
    return re.findall(r'<option value="(\d+)"', match.group(0))


def ids(html: str) -> list[str]:
    return re.findall(r'<option value="(\d+)"', html)


@pytest.fixture
def book(owner, outsider):
    shop = ClientFactory(owner=owner, name="王老板")
    wash = Offer.objects.create(client=shop, title="洗车店", consent_on=AGREED)
    silent = Offer.objects.create(client=shop, title="未同意的生意")
    agreed = ClientFactory(owner=owner, name="王有车", mobile="+8613800138000")
    Need.objects.create(client=agreed, kind="owns_car", consent_on=AGREED)
    unasked = ClientFactory(owner=owner, name="王未同意")
    Need.objects.create(client=unasked, kind="owns_car")
    dnc = ClientFactory(owner=owner, name="王勿扰", do_not_contact=True)
    Need.objects.create(client=dnc, kind="owns_car", consent_on=AGREED)
    archived = ClientFactory(
        owner=owner, name="王已归档", archived_at=datetime.datetime.now(datetime.UTC)
    )
    foreign = ClientFactory(owner=outsider, name="王外人")
    Need.objects.create(client=foreign, kind="owns_car", consent_on=AGREED)
    for i in range(30):
        ClientFactory(owner=owner, name=f"客户{i:02d}")
    return {
        "shop": shop,
        "wash": wash,
        "silent": silent,
        "agreed": agreed,
        "unasked": unasked,
        "dnc": dnc,
        "archived": archived,
        "foreign": foreign,
    }


def test_the_page_lists_no_whole_book(as_user, owner, book):
    html = as_user(owner).get(INDEX).content.decode()
    # A plain select (without JS) lists the first 20 by name, never the 36 clients.
    assert len(options(html, "offer_client")) == 20 and len(options(html, "need_client")) == 20
    assert str(book["archived"].pk) not in options(html, "offer_client")
    # The introduction: only what was agreed to, and contactable.
    assert options(html, "intro_offer") == [str(book["wash"].pk)]
    # The shop agreed for its offer, the car owner for their need; not the others.
    assert set(options(html, "intro_client")) == {str(book["agreed"].pk), str(book["shop"].pk)}
    assert 'hx-get="/introductions/people/?field=consenting&amp;name=client"' in html
    assert 'form="find-intro_client"' in html and 'id="find-intro_client"' in html
    assert "王外人" not in html


def test_the_search_answers_the_scope_of_each_picker(as_user, owner, book):
    http = as_user(owner)
    found = http.get(PEOPLE, {"field": "client", "q": "王"}).content.decode()
    assert set(ids(found)) == {
        str(book[k].pk) for k in ("shop", "agreed", "unasked", "dnc")
    }  # live clients of the agent; neither the archived nor another agent's
    by_mobile = http.get(PEOPLE, {"field": "client", "q": "138001"}).content.decode()
    assert ids(by_mobile) == [str(book["agreed"].pk)] and "13800138000" not in by_mobile
    consenting = http.get(PEOPLE, {"field": "consenting", "q": "王"}).content.decode()
    assert set(ids(consenting)) == {str(book["agreed"].pk), str(book["shop"].pk)}
    offers = http.get(PEOPLE, {"field": "offer", "q": "洗车"}).content.decode()
    assert ids(offers) == [str(book["wash"].pk)] and "王老板 · 洗车店" in offers
    assert ids(http.get(PEOPLE, {"field": "offer", "q": "未同意"}).content.decode()) == []
    none = http.get(PEOPLE, {"field": "client", "q": "外人"}).content.decode()
    assert "没有找到" in none and ids(none) == []
    assert http.get(PEOPLE, {"field": "nope"}).status_code == 400


def test_family_and_profiles_are_searched_within_the_book(as_user, owner, outsider, book):
    child = FamilyMemberFactory(client=book["agreed"], name="王小明")
    FamilyMemberFactory(client=ClientFactory(owner=outsider), name="王外孩")
    profile = MatchProfile.objects.create(client=book["agreed"], member=child, opted_in_on=AGREED)
    MatchProfile.objects.create(client=book["shop"], opted_in_on=AGREED, active=False)
    http = as_user(owner)
    members = http.get(PEOPLE, {"field": "member", "q": "王"}).content.decode()
    assert ids(members) == [str(child.pk)]
    profiles = http.get(PEOPLE, {"field": "profile", "q": "王"}).content.decode()
    assert ids(profiles) == [str(profile.pk)]  # the one still looking


def test_the_current_choice_stays_chosen_while_searching(as_user, owner, book):
    http = as_user(owner)
    chosen = book["agreed"]
    html = http.get(
        PEOPLE, {"field": "client", "name": "client", "client": chosen.pk, "q": "客户"}
    ).content.decode()
    assert f'<option value="{chosen.pk}" selected>' in html and "客户00" in html
    html = http.get(
        PEOPLE, {"field": "client", "name": "client", "client": book["foreign"].pk, "q": "客户"}
    ).content.decode()
    assert "王外人" not in html


def test_without_js_find_reloads_the_page_with_that_pickers_matches(as_user, owner, book):
    html = as_user(owner).get(INDEX, {"picker": "need_client", "q": "王有"}).content.decode()
    assert options(html, "need_client") == [str(book["agreed"].pk)]
    assert len(options(html, "offer_client")) == 20  # the other pickers as they were
    assert 'value="王有"' in html
    html = as_user(owner).get(INDEX, {"picker": "match_first", "q": "x"}).content.decode()
    assert re.search(r'<details[^>]*id="matchmaking"[^>]*open', html)


@pytest.mark.parametrize("form", ["offer_new", "need_new", "profile_new"])
def test_a_client_outside_the_book_is_refused_in_chinese(as_user, owner, book, form):
    data = {
        "offer_new": {"title": "生意", "consent": "on"},
        "need_new": {"kind": "owns_car"},
        "profile_new": {"opted_in": "on"},
    }[form]
    http = as_user(owner)
    for outside in (book["foreign"], book["archived"]):
        response = http.post(reverse(f"introductions:{form}"), {**data, "client": outside.pk})
        assert response.status_code == 400
        assert "请从您自己的客户中选择。" in response.content.decode()
    assert not Offer.objects.filter(title="生意").exists()
    assert not MatchProfile.objects.exists()
    assert Need.objects.count() == 4


def test_another_clients_family_member_is_refused(as_user, owner, outsider, book):
    foreign_child = FamilyMemberFactory(client=book["foreign"], name="外人孩子")
    response = as_user(owner).post(
        reverse("introductions:profile_new"),
        {"client": book["agreed"].pk, "member": foreign_child.pk, "opted_in": "on"},
    )
    assert response.status_code == 400
    assert "请从您自己客户的家庭成员中选择。" in response.content.decode()
    assert not MatchProfile.objects.exists()


def test_an_introduction_outside_the_consent_scope_is_refused_in_chinese(as_user, owner, book):
    http = as_user(owner)
    for client, offer in (
        (book["unasked"], book["wash"]),
        (book["dnc"], book["wash"]),
        (book["agreed"], book["silent"]),
    ):
        response = http.post(
            reverse("introductions:introduce"), {"offer": offer.pk, "client": client.pk}
        )
        assert response.status_code == 302
        text = " ".join(str(m) for m in get_messages(response.wsgi_request))
        assert "同意" in text, text
    assert not Introduction.objects.exists()
    response = http.post(
        reverse("introductions:introduce"),
        {"offer": book["wash"].pk, "client": book["agreed"].pk, "note": "周六去"},
    )
    assert Introduction.objects.get().note == "周六去"
    response = http.post(reverse("introductions:introduce"), {"offer": "", "client": ""})
    assert "请选择" in " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_a_matchmaking_profile_not_on_the_list_is_refused(as_user, owner, outsider, book):
    mine = MatchProfile.objects.create(client=book["agreed"], opted_in_on=AGREED)
    theirs = MatchProfile.objects.create(client=book["foreign"], opted_in_on=AGREED)
    response = as_user(owner).post(
        reverse("introductions:match"), {"first": mine.pk, "second": theirs.pk}
    )
    assert response.status_code == 400
    assert "请从您的红娘名单中选择。" in response.content.decode()
    assert not Introduction.objects.exists()


def test_the_picker_needs_a_sign_in_and_refuses_writes(client, as_user, owner):
    response = client.get(PEOPLE, {"field": "client", "q": "王"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert as_user(owner).post(PEOPLE, {"field": "client"}).status_code == 405


def test_the_search_and_the_page_are_a_fixed_number_of_queries(
    as_user, owner, book, django_assert_max_num_queries
):
    http = as_user(owner)
    with django_assert_max_num_queries(6):
        html = http.get(PEOPLE, {"field": "client", "q": "客户"}).content.decode()
    assert len(ids(html)) == 20
    with django_assert_max_num_queries(40) as small:
        http.get(INDEX)
    for i in range(20):
        client = ClientFactory(owner=owner, name=f"更多{i}")
        Need.objects.create(client=client, kind="home", consent_on=AGREED)
        FamilyMemberFactory(client=client)
        MatchProfile.objects.create(client=client, opted_in_on=AGREED)
    with django_assert_max_num_queries(len(small.captured_queries)):
        http.get(INDEX)


def test_the_page_lists_the_latest_offers_and_needs_only(as_user, owner, monkeypatch):
    from introductions import views

    monkeypatch.setattr(views, "LISTED", 3)
    needs = [
        Need.objects.create(client=ClientFactory(owner=owner, name=f"需求{i}"), kind="home")
        for i in range(4)
    ]
    html = as_user(owner).get(INDEX).content.decode()

    def listed(need):
        return reverse("introductions:need_consent", args=[need.pk]) in html

    assert [listed(n) for n in needs] == [False, True, True, True]  # the latest 3
    assert 'id="offers-needs-more"' in html and "最近的 3 条" in html
    needs[0].delete()
    assert 'id="offers-needs-more"' not in as_user(owner).get(INDEX).content.decode()
