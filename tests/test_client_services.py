"""The client services take plain data (the forms are the views' business) and apply the
client rules of clients.rules themselves: the same rules and messages as the forms."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from clients import services
from clients.models import Calendar, Client, CustomDate, FamilyMember, Segment
from clients.rules import birthday_problems, client_problems, custom_date_problems

from .factories import ClientFactory, FamilyMemberFactory

TODAY = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_today():
    with translation.override("en"), time_machine.travel(TODAY, tick=False):
        yield


def test_create_from_plain_data(owner):
    client = services.client_create(
        owner=owner,
        name="陈静",
        gender="female",
        birth_date=datetime.date(1990, 5, 1),
        birthday_calendar=Calendar.LUNAR,
        mobile="+8613800138000",
        segments=Segment.objects.filter(code="woman"),
        tag_names=["车主", " 高尔夫 ", "车主", ""],
        family=[{"relation": "child", "name": "陈小宝", "birth_date": datetime.date(2019, 6, 1)}],
        dates=[{"name": "开店纪念日", "calendar": Calendar.LUNAR, "month": 8, "day": 15}],
    )
    client.refresh_from_db()
    assert client.owner == owner
    assert client.birth_md == 501
    # The lunar birthday is derived from the solar date, as on the form.
    assert (client.lunar_birth_year, client.lunar_birth_month, client.lunar_birth_day) == (
        1990,
        4,
        7,
    )
    assert [t.name for t in client.tags.order_by("name")] == ["车主", "高尔夫"]
    assert list(client.segments.values_list("code", flat=True)) == ["woman"]
    assert [m.name for m in client.family.all()] == ["陈小宝"]
    assert client.custom_dates.get().month == 8
    assert [r.history_type for r in client.history.all()] == ["+"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"birth_date": datetime.date(2027, 1, 1)}, "birth_date", "cannot be in the future"),
        ({"lunar_birth_month": 3}, "lunar_birth_day", "both"),
        ({"do_not_contact": True}, "do_not_contact_reason", "Say why"),
        (
            {"birth_date": datetime.date(1990, 1, 1), "wedding_date": datetime.date(1989, 1, 1)},
            "wedding_date",
            "before the birth date",
        ),
    ],
)
def test_create_applies_the_client_rules_and_stores_nothing(owner, fields, field, message):
    with pytest.raises(ValidationError) as caught:
        services.client_create(owner=owner, name="陈静", **fields)
    assert message in " ".join(caught.value.message_dict[field])
    assert not Client.objects.filter(name="陈静").exists()


def test_a_bad_family_member_or_date_stores_nothing(owner):
    with pytest.raises(ValidationError) as caught:
        services.client_create(
            owner=owner,
            name="陈静",
            family=[{"relation": "child", "name": "未来", "birth_date": datetime.date(2027, 3, 1)}],
        )
    assert "cannot be in the future" in " ".join(caught.value.message_dict["family"])
    with pytest.raises(ValidationError) as caught:
        services.client_create(
            owner=owner, name="陈静", dates=[{"name": "x", "month": 2, "day": 30}]
        )
    assert "2/30 is not a date" in " ".join(caught.value.message_dict["dates"])
    assert not Client.objects.filter(name="陈静").exists()


def test_update_changes_deletes_and_adds_rows_in_one_save(client_obj):
    kept, changed, gone = (
        FamilyMemberFactory(client=client_obj, name=name) for name in ("留", "改", "删")
    )
    old_date = CustomDate.objects.create(client=client_obj, name="旧", month=3, day=1)
    services.client_update(
        client=client_obj,
        vip_tier=Client.Tier.GOLD,
        family=[
            {"id": changed.pk, "name": "改好了"},
            {"id": gone.pk, "delete": True},
            {"relation": "spouse", "name": "新配偶"},
        ],
        dates=[{"id": old_date.pk, "delete": True}],
    )
    client_obj.refresh_from_db()
    assert client_obj.vip_tier == Client.Tier.GOLD
    assert sorted(client_obj.family.values_list("name", flat=True)) == ["改好了", "新配偶", "留"]
    assert not client_obj.custom_dates.exists()
    assert [r.history_type for r in client_obj.history.order_by("history_id")] == ["+", "~"]
    # Rows not given are not saved again: no history row for them.
    assert FamilyMember.history.filter(id=kept.pk).count() == 1


def test_update_leaves_tags_and_segments_alone_unless_given(owner, client_obj):
    client_obj.tags.set(services.tags_get_or_create(owner_id=owner.pk, names=["车主"]))
    services.client_update(client=client_obj, notes="喜欢喝茶")
    assert list(client_obj.tags.values_list("name", flat=True)) == ["车主"]
    services.client_update(client=client_obj, tag_names=[])
    assert not client_obj.tags.exists()


def test_update_refuses_fields_it_does_not_write_and_other_clients_rows(owner, client_obj):
    other = FamilyMemberFactory(client=ClientFactory(owner=owner))
    with pytest.raises(TypeError, match="owner"):
        services.client_update(client=client_obj, owner=other.client.owner)
    with pytest.raises(FamilyMember.DoesNotExist):
        services.client_update(client=client_obj, family=[{"id": other.pk, "delete": True}])
    assert FamilyMember.objects.filter(pk=other.pk).exists()


# -- the rules themselves, as the forms, the services and the import call them ----------------


def test_birthday_rule_fills_in_the_lunar_birthday_and_year():
    solar = datetime.date(1990, 5, 1)
    assert birthday_problems({"birth_date": solar, "birthday_calendar": Calendar.LUNAR}) == (
        [],
        {
            "lunar_birth_year": 1990,
            "lunar_birth_month": 4,
            "lunar_birth_day": 7,
            "lunar_birth_leap": False,
        },
    )
    problems, filled = birthday_problems(
        {"birth_date": solar, "lunar_birth_month": 4, "lunar_birth_day": 7}
    )
    assert (problems, filled) == ([], {"lunar_birth_year": 1990})


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"birth_date": datetime.date(2026, 11, 25)}, "birth_date", "cannot be in the future"),
        (
            {"lunar_birth_year": 2024, "lunar_birth_month": 1, "lunar_birth_day": 30},
            "lunar_birth_day",
            "Lunar month 1 of 2024 has no day 30.",
        ),
        (
            {
                "lunar_birth_year": 2024,
                "lunar_birth_month": 3,
                "lunar_birth_day": 5,
                "lunar_birth_leap": True,
            },
            "lunar_birth_leap",
            "That lunar year has no leap month 3.",
        ),
        ({"lunar_birth_month": 3, "lunar_birth_day": 30}, "lunar_birth_year", "lunar birth year"),
        ({"lunar_birth_leap": True}, "lunar_birth_leap", "needs a lunar month and day"),
        ({"birthday_calendar": Calendar.LUNAR}, "lunar_birth_month", "celebrates the lunar"),
    ],
)
def test_birthday_rule_problems(values, field, message):
    problems, _filled = birthday_problems(values)
    assert any(name == field and message in str(text) for name, text in problems), problems


def test_a_refused_birth_date_is_not_compared_with_the_wedding():
    problems, _filled = client_problems(
        {"birth_date": datetime.date(2030, 1, 1), "wedding_date": datetime.date(2029, 1, 1)}
    )
    assert [name for name, _message in problems] == ["birth_date"]


def test_custom_date_rule():
    assert custom_date_problems({"calendar": Calendar.SOLAR, "month": 2, "day": 29}) == ([], {})
    problems, _filled = custom_date_problems(
        {"calendar": Calendar.LUNAR, "month": 6, "day": 1, "leap": True}
    )
    assert [name for name, _message in problems] == ["year"]
