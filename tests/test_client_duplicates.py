"""Possible duplicates on entry (issue 12 §3, issue 18): the same mobile, or the same name
with the same birth date, among the agent's own clients is shown with a link; the agent
can still save; a name alone matches nothing; another agent's client is never revealed."""

import datetime

import pytest
from django.urls import reverse

from clients.models import Client
from clients.selectors import possible_duplicates

from .edit_forms import versioned
from .factories import ClientFactory

pytestmark = pytest.mark.django_db

FORM = {
    "name": "王芳",
    "gender": "female",
    "greeting_style": "formal",
    "birthday_calendar": "solar",
    "mobile": "13812345678",
    "source": "other",
    "stage": "prospect",
    "vip_tier": "standard",
    "family-TOTAL_FORMS": "0",
    "family-INITIAL_FORMS": "0",
    "dates-TOTAL_FORMS": "0",
    "dates-INITIAL_FORMS": "0",
}


def test_same_mobile_warns_with_a_link_and_saves_nothing(as_user, owner):
    existing = ClientFactory(owner=owner, name="王芳", mobile="+8613812345678")
    response = as_user(owner).post(reverse("clients:create"), FORM)
    page = response.content.decode()
    assert "可能与已有客户重复：王芳（手机相同）" in page
    assert reverse("clients:detail", kwargs={"pk": existing.pk}) in page
    assert Client.objects.filter(owner=owner).count() == 1


def test_the_agent_can_still_save_after_confirming(as_user, owner):
    ClientFactory(owner=owner, name="王芳", mobile="+8613812345678")
    response = as_user(owner).post(reverse("clients:create"), {**FORM, "confirm_duplicate": "1"})
    assert response.status_code == 302
    assert Client.objects.filter(owner=owner, name="王芳").count() == 2


def test_another_agents_client_is_never_shown(as_user, owner, teammate):
    ClientFactory(owner=teammate, name="王芳", mobile="+8613812345678")
    response = as_user(owner).post(reverse("clients:create"), FORM)
    assert response.status_code == 302
    assert "可能与已有客户重复" not in response.content.decode()


def test_name_alone_never_matches_but_name_and_birth_date_do(owner):
    ClientFactory(owner=owner, name="王芳", mobile="", birth_date=datetime.date(1985, 6, 15))
    assert possible_duplicates(user=owner, name="王芳") == []
    assert possible_duplicates(user=owner, name="王芳", birth_date=datetime.date(1990, 1, 1)) == []
    found = possible_duplicates(user=owner, name="王芳", birth_date=datetime.date(1985, 6, 15))
    assert [row["text"] for row in found] == ["可能与已有客户重复：王芳（姓名和生日相同）"]


def test_an_edit_that_changes_nothing_of_the_identity_does_not_warn(as_user, owner):
    ClientFactory(owner=owner, name="王芳", mobile="+8613812345678")
    twin = ClientFactory(owner=owner, name="王芳", mobile="+8613812345678", occupation="")
    data = {**FORM, "mobile": "13812345678", "birth_date": "1985-06-15", "occupation": "教师"}
    http, url = as_user(owner), reverse("clients:edit", kwargs={"pk": twin.pk})
    response = http.post(url, versioned(http, url, data))
    assert response.status_code == 302
    twin.refresh_from_db()
    assert twin.occupation == "教师"


def test_the_client_page_offers_to_compare_and_merge(as_user, owner):
    first = ClientFactory(owner=owner, name="王芳", mobile="+8613812345678")
    second = ClientFactory(owner=owner, name="王芳二", mobile="+8613812345678")
    page = as_user(owner).get(reverse("clients:detail", kwargs={"pk": second.pk})).content
    assert reverse("clients:merge", kwargs={"pk": second.pk, "other_id": first.pk}) in page.decode()


def test_same_id_number_is_found_through_its_digest_and_never_across_agents(owner, outsider):
    # Encrypted at rest, so the match is by the keyed digest, whatever spacing was typed.
    existing = ClientFactory(owner=owner, name="王建国", id_number="11010119900307459X")
    ClientFactory(owner=outsider, name="别人的客户", id_number="11010119900307459X")
    found = possible_duplicates(user=owner, name="王二", id_number="110101 19900307 459x")
    assert [row["client"] for row in found] == [existing]
    assert "证件号相同" in found[0]["text"]
    assert possible_duplicates(user=owner, name="王二", id_number="110101199003074514") == []
