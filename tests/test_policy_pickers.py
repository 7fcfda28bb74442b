"""The policy form's pickers (issue 18): the form no longer lists every client and every
family member of every client. The holder and insured selects list the chosen client only,
and a search box (htmx, `policies:people`) fills them with the agent's own clients matching
it; the insured member is picked among the holder's family; the beneficiaries' names are
suggested from it. The server still refuses any id out of scope, in Chinese."""

import re

import pytest
from django.urls import reverse

from policies.models import Policy

from .factories import ClientFactory, FamilyMemberFactory
from .policy_factories import InsurerFactory, PolicyFactory
from .test_policy_first_premium import form_data

pytestmark = pytest.mark.django_db
PEOPLE = reverse("policies:people")


def options(html: str, select: str) -> list[str]:
    match = re.search(rf'<select name="{select}".*?</select>', html, re.S)
    return [v for v in re.findall(r'<option value="([^"]*)"', match.group(0)) if v]


def test_the_form_lists_neither_every_client_nor_every_family(as_user, owner, client_obj):
    others = [ClientFactory(owner=owner, name=f"客户{i}") for i in range(30)]
    FamilyMemberFactory(client=others[0], name="别家孩子")
    own_child = FamilyMemberFactory(client=client_obj, name="王小明")
    http = as_user(owner)
    blank = http.get(reverse("policies:create")).content.decode()
    assert options(blank, "holder") == [] and options(blank, "insured_member") == []
    assert "别家孩子" not in blank and "客户7" not in blank
    given = http.get(reverse("policies:create"), {"holder": client_obj.pk}).content.decode()
    assert options(given, "holder") == [str(client_obj.pk)]
    assert options(given, "insured_member") == [str(own_child.pk)]
    assert '<option value="王小明">' in given  # beneficiary name suggestion
    assert 'hx-get="/policies/people/?field=holder"' in given


def test_the_edit_form_shows_the_policys_people(as_user, owner, client_obj):
    child = FamilyMemberFactory(client=client_obj, name="王小明")
    policy = PolicyFactory(holder=client_obj, insured_client=None, insured_member=child)
    html = as_user(owner).get(reverse("policies:edit", kwargs={"pk": policy.pk})).content.decode()
    assert re.search(rf'<option value="{client_obj.pk}" selected>', html)
    assert re.search(rf'<option value="{child.pk}" selected>', html)


def test_the_search_answers_the_agents_own_clients_only(as_user, owner, teammate, outsider):
    mine = ClientFactory(owner=owner, name="王芳芳", mobile="+8613800138000")
    ClientFactory(owner=owner, name="李雷")
    ClientFactory(owner=teammate, name="王芳芳同事的")
    ClientFactory(owner=outsider, name="王芳芳外人")
    http = as_user(owner)
    by_name = http.get(PEOPLE, {"field": "holder", "q": "王芳"}).content.decode()
    assert re.findall(r'<option value="(\d+)"', by_name) == [str(mine.pk)]
    assert "手机尾号8000" in by_name and "13800138000" not in by_name
    by_mobile = http.get(PEOPLE, {"field": "insured_client", "q": "138001"}).content.decode()
    assert re.findall(r'<option value="(\d+)"', by_mobile) == [str(mine.pk)]
    none = http.get(PEOPLE, {"field": "holder", "q": "外人"}).content.decode()
    assert "没有找到" in none and not re.findall(r'<option value="(\d+)"', none)


def test_the_current_choice_stays_chosen_while_searching(as_user, owner, outsider):
    chosen = ClientFactory(owner=owner, name="张伟")
    ClientFactory(owner=owner, name="王芳")
    foreign = ClientFactory(owner=outsider, name="外人")
    http = as_user(owner)
    html = http.get(PEOPLE, {"field": "holder", "q": "王", "holder": chosen.pk}).content.decode()
    assert f'<option value="{chosen.pk}" selected>' in html and "王芳" in html
    html = http.get(PEOPLE, {"field": "holder", "q": "王", "holder": foreign.pk}).content.decode()
    assert "外人" not in html


def test_the_family_list_follows_the_holder_and_is_scoped(as_user, owner, outsider, client_obj):
    child = FamilyMemberFactory(client=client_obj, name="王小明")
    FamilyMemberFactory(client=ClientFactory(owner=owner), name="别家孩子")
    foreign = ClientFactory(owner=outsider)
    FamilyMemberFactory(client=foreign, name="外人孩子")
    http = as_user(owner)
    html = http.get(PEOPLE, {"field": "insured_member", "holder": client_obj.pk}).content.decode()
    assert re.findall(r'<option value="(\d+)"', html) == [str(child.pk)]
    assert '<datalist id="beneficiary-names" hx-swap-oob="true">' in html
    assert '<option value="王小明">' in html and "别家孩子" not in html
    response = http.get(PEOPLE, {"field": "insured_member", "holder": foreign.pk})
    assert response.status_code == 404 and "外人孩子" not in response.content.decode()
    assert http.get(PEOPLE, {"field": "nope"}).status_code == 400


def test_the_picker_needs_a_sign_in_and_refuses_writes(client, as_user, owner):
    response = client.get(PEOPLE, {"field": "holder", "q": "王"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert as_user(owner).post(PEOPLE, {"field": "holder"}).status_code == 405


def test_the_search_is_a_fixed_number_of_queries(as_user, owner, django_assert_max_num_queries):
    for i in range(40):
        client = ClientFactory(owner=owner, name=f"王{i}")
        FamilyMemberFactory(client=client)
    http = as_user(owner)
    with django_assert_max_num_queries(6):
        html = http.get(PEOPLE, {"field": "holder", "q": "王"}).content.decode()
    assert len(re.findall(r'<option value="(\d+)"', html)) == 20  # the first 20 by name
    with django_assert_max_num_queries(8):
        http.get(reverse("policies:create"))


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("holder", "请从您自己的客户中选择。"),
        ("insured_client", "请从您自己的客户中选择。"),
        ("insured_member", "请从投保人的家庭成员中选择。"),
    ],
)
def test_an_id_out_of_scope_is_refused_in_chinese(
    as_user, owner, outsider, client_obj, field, message
):
    foreign = ClientFactory(owner=outsider, name="外人")
    foreign_child = FamilyMemberFactory(client=foreign)
    value = foreign_child.pk if field == "insured_member" else foreign.pk
    data = form_data(client_obj, InsurerFactory())
    data[field] = value
    if field == "insured_member":
        data["insured_client"] = ""
    response = as_user(owner).post(reverse("policies:create"), data)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert not Policy.objects.exists()


def test_another_family_of_the_agent_is_refused_by_the_service(as_user, owner, client_obj):
    other = FamilyMemberFactory(client=ClientFactory(owner=owner, name="李四"))
    response = as_user(owner).post(
        reverse("policies:create"),
        form_data(client_obj, InsurerFactory(), insured_client="", insured_member=other.pk),
    )
    assert response.status_code == 400
    assert "被保险人必须是投保人的家庭成员" in " ".join(
        response.context["form"].errors["insured_member"]
    )


@pytest.mark.parametrize(
    "query",
    [
        {"field": "holder", "q": "王\x00芳"},  # NUL: PostgreSQL refuses it in a query
        {"field": "holder", "holder": "²"},  # a digit int() cannot read
        {"field": "holder", "holder": "9" * 25},  # past bigint
        {"field": "insured_member", "holder": "²"},
        {"field": "insured_member", "holder": "٣"},
        {"field": "insured_member", "holder": "9" * 25},
        {"field": "insured_client", "insured_client": "１"},
    ],
)
def test_the_picker_takes_any_text_without_a_server_error(as_user, owner, client_obj, query):
    """Found by the nightly fuzz run (tests/test_fuzz_urls.py): a NUL in the search and
    non-ASCII digits or huge numbers as ids answered 500."""
    response = as_user(owner).get(PEOPLE, query)
    assert response.status_code == 200
