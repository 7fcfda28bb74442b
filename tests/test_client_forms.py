"""Creating and editing clients: bad input gets a clear message and nothing is saved."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from clients.models import Client, CustomDate, FamilyMember, Segment
from referrals.models import Referral

from .edit_forms import versioned
from .factories import ClientFactory, FamilyMemberFactory

TODAY = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC)


def formset_data(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def client_data(family=(), dates=(), **fields) -> dict:
    data = {
        "name": "陈静",
        "gender": "female",
        "birth_date": "1988-04-12",
        "birthday_calendar": "solar",
        "mobile": "138 0013 8000",
        "marital_status": "married",
        "income_band": "",
        "vip_tier": "standard",
        "source": "cold_call",
        "stage": "client",
    }
    data.update(fields)
    data.update(formset_data("family", list(family)))
    data.update(formset_data("dates", list(dates)))
    return data


@pytest.fixture
def http(as_user, owner):
    return as_user(owner)


def counts() -> tuple[int, int, int]:
    return Client.objects.count(), FamilyMember.objects.count(), CustomDate.objects.count()


@time_machine.travel(TODAY)
@pytest.mark.django_db
def test_create_client_with_family_and_dates(http, owner):
    data = client_data(
        family=[
            {
                "relation": "child",
                "name": "陈小宝",
                "birth_date": "2019-06-01",
                "birthday_calendar": "solar",
                "gender": "male",
                "is_living": "on",
            }
        ],
        dates=[{"name": "开店纪念日", "calendar": "lunar", "month": "8", "day": "15"}],
        segments=[Segment.objects.get(code="woman").pk],
        tag_names="车主，高尔夫, 车主",
    )
    response = http.post(reverse("clients:create"), data)
    assert response.status_code == 302
    client = Client.objects.get(name="陈静")
    assert client.owner == owner
    assert str(client.mobile) == "+8613800138000"
    assert client.birth_md == 412
    assert [m.name for m in client.family.all()] == ["陈小宝"]
    assert client.custom_dates.get().month == 8
    assert sorted(t.name for t in client.tags.all()) == ["车主", "高尔夫"]
    assert list(client.segments.values_list("code", flat=True)) == ["woman"]
    assert response["Location"] == reverse("clients:detail", kwargs={"pk": client.pk})


@time_machine.travel(TODAY)
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"mobile": "12345"}, "mobile", "phone number"),
        ({"birth_date": "2027-01-01"}, "birth_date", "cannot be in the future"),
        ({"birth_date": "1990-02-30"}, "birth_date", "valid date"),
        # 2024 lunar month 1 has 29 days
        (
            {
                "birth_date": "",
                "lunar_birth_year": "2024",
                "lunar_birth_month": "1",
                "lunar_birth_day": "30",
                "birthday_calendar": "lunar",
            },
            "lunar_birth_day",
            "has no day 30",
        ),
        # 2024 has no leap month 3 (its leap month is none; 2023 had leap month 2)
        (
            {
                "birth_date": "",
                "lunar_birth_year": "2024",
                "lunar_birth_month": "3",
                "lunar_birth_day": "5",
                "lunar_birth_leap": "on",
                "birthday_calendar": "lunar",
            },
            "lunar_birth_leap",
            "no leap month 3",
        ),
        (
            {
                "birth_date": "",
                "lunar_birth_month": "3",
                "lunar_birth_day": "30",
                "birthday_calendar": "lunar",
            },
            "lunar_birth_year",
            "lunar birth year",
        ),
        ({"lunar_birth_month": "3"}, "lunar_birth_day", "both"),
        ({"do_not_contact": "on"}, "do_not_contact_reason", "Say why"),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(http, settings, fields, field, message):
    settings.LANGUAGE_CODE = "en"
    before = counts()
    data = client_data(
        family=[
            {"relation": "spouse", "name": "配偶", "gender": "male", "birthday_calendar": "solar"}
        ],
        **fields,
    )
    response = http.post(reverse("clients:create"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert counts() == before


@time_machine.travel(TODAY)
@pytest.mark.django_db
def test_bad_family_member_blocks_the_whole_save(http):
    before = counts()
    data = client_data(
        family=[
            {
                "relation": "child",
                "name": "未来宝宝",
                "birth_date": "2027-03-01",
                "gender": "male",
                "birthday_calendar": "solar",
            }
        ]
    )
    response = http.post(reverse("clients:create"), data)
    assert response.status_code == 400
    assert response.context["family"].forms[0].errors["birth_date"]
    assert counts() == before


@time_machine.travel(TODAY)
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"name": "x", "calendar": "solar", "month": "2", "day": "30"}, "day"),
        ({"name": "x", "calendar": "solar", "month": "4", "day": "5", "leap": "on"}, "leap"),
        ({"name": "x", "calendar": "lunar", "year": "2024", "month": "1", "day": "30"}, "day"),
        ({"name": "x", "calendar": "lunar", "month": "13", "day": "1"}, "day"),
        ({"name": "x", "calendar": "lunar", "month": "6", "day": "1", "leap": "on"}, "year"),
    ],
)
def test_bad_custom_date_is_refused(http, row, field):
    before = counts()
    response = http.post(reverse("clients:create"), client_data(dates=[row]))
    assert response.status_code == 400
    assert field in response.context["dates"].forms[0].errors
    assert counts() == before


@time_machine.travel(TODAY)
@pytest.mark.django_db
def test_solar_29_february_custom_date_is_accepted(http):
    row = {"name": "纪念日", "calendar": "solar", "month": "2", "day": "29"}
    assert http.post(reverse("clients:create"), client_data(dates=[row])).status_code == 302


@time_machine.travel(TODAY)
@pytest.mark.django_db
def test_lunar_birthday_is_derived_from_the_solar_date(http):
    data = client_data(birth_date="1990-05-01", birthday_calendar="lunar")
    assert http.post(reverse("clients:create"), data).status_code == 302
    client = Client.objects.get(name="陈静")
    # 1990-05-01 is lunar 1990-04-07
    assert (client.lunar_birth_year, client.lunar_birth_month, client.lunar_birth_day) == (
        1990,
        4,
        7,
    )
    assert client.lunar_birth_leap is False


@time_machine.travel(TODAY)
@pytest.mark.django_db
def test_valid_leap_month_day_30_is_accepted(http):
    # 2020 has a leap 4th month with 29 days; 2023's leap 2nd month has 29 days;
    # 2017's leap 6th month has 30 days.
    data = client_data(
        birth_date="",
        lunar_birth_year="2017",
        lunar_birth_month="6",
        lunar_birth_day="30",
        lunar_birth_leap="on",
        birthday_calendar="lunar",
    )
    response = http.post(reverse("clients:create"), data)
    assert response.status_code == 302, response.context["form"].errors


@time_machine.travel(TODAY)
@pytest.mark.django_db
def test_edit_updates_family_and_can_delete_a_member(http, client_obj):
    member = FamilyMemberFactory(client=client_obj, name="旧名字")
    data = client_data(name="王芳芳")
    data.update(
        formset_data(
            "family",
            [
                {
                    "id": str(member.pk),
                    "relation": "child",
                    "name": "新名字",
                    "gender": "male",
                    "birthday_calendar": "solar",
                    "DELETE": "",
                },
            ],
            initial=1,
        )
    )
    url = reverse("clients:edit", kwargs={"pk": client_obj.pk})
    response = http.post(url, versioned(http, url, data))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.name == "新名字"
    client_obj.refresh_from_db()
    assert client_obj.name == "王芳芳"
    data["family-0-DELETE"] = "on"
    http.post(url, versioned(http, url, data))
    assert not client_obj.family.exists()


@time_machine.travel(TODAY)
@pytest.mark.django_db
def test_edit_cannot_move_a_client_to_another_owner(http, owner, teammate, client_obj):
    data = client_data(owner=str(teammate.pk))
    url = reverse("clients:edit", kwargs={"pk": client_obj.pk})
    assert http.post(url, versioned(http, url, data)).status_code == 302
    client_obj.refresh_from_db()
    assert client_obj.owner == owner


@time_machine.travel(TODAY)
@pytest.mark.django_db
def test_referral_source_needs_no_referrer_on_the_client_form(http, owner):
    """Who referred whom is a Referral, recorded with referrals.services (a referral request
    or /referrals/new/); the client form only keeps the source."""
    referrer = ClientFactory(owner=owner, name="介绍人")
    assert "referred_by" not in http.get(reverse("clients:create")).context["form"].fields
    # A stale form field is ignored, not saved as a referral.
    data = client_data(source="referral", referred_by=str(referrer.pk))
    assert http.post(reverse("clients:create"), data).status_code == 302
    client = Client.objects.get(name="陈静")
    assert client.source == Client.Source.REFERRAL
    assert not Referral.objects.filter(referred=client).exists()
    assert not Referral.objects.filter(referrer=referrer).exists()
