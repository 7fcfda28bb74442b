"""Dates as an agent writes them: solar dates without leading zeros in Chinese (1月3日,
2026年1月3日) from our zh_Hans formats module, English left to Django, and lunar dates in
Chinese (农历闰六月十五, 农历腊月三十) from borax's own words."""

import datetime
from datetime import date

import pytest
from borax.calendars.lunardate import LCalendars, LunarDate
from django import forms
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import date_format

from agentcrm.core.calendar import lunar_text, solar_lunar_text
from agentcrm.core.templatetags.display import lunar
from clients.models import Calendar, Client, CustomDate
from touches import selectors

from .factories import ClientFactory
from .touch_factories import TouchFactory

SATURDAY = date(2026, 1, 3)
MORNING = datetime.datetime(2026, 1, 3, 9, 5)


@pytest.mark.parametrize(
    "fmt, expected",
    [
        ("MONTH_DAY_FORMAT", "1月3日"),
        ("DATE_FORMAT", "2026年1月3日"),
        ("SHORT_DATE_FORMAT", "2026年1月3日"),
        ("YEAR_MONTH_FORMAT", "2026年1月"),
    ],
)
def test_chinese_dates_have_no_leading_zeros(fmt, expected):
    with translation.override("zh-hans"):
        assert date_format(SATURDAY, fmt) == expected
        assert Template(f'{{{{ d|date:"{fmt}" }}}}').render(Context({"d": SATURDAY})) == expected


def test_chinese_date_times():
    with translation.override("zh-hans"):
        assert date_format(MORNING, "DATETIME_FORMAT") == "2026年1月3日 09:05"
        assert date_format(MORNING, "SHORT_DATETIME_FORMAT") == "2026年1月3日 09:05"
        assert date_format(date(2026, 12, 25), "MONTH_DAY_FORMAT") == "12月25日"


def test_english_keeps_djangos_formats():
    with translation.override("en"):
        assert date_format(SATURDAY, "MONTH_DAY_FORMAT") == "January 3"
        assert date_format(SATURDAY, "DATE_FORMAT") == "Jan. 3, 2026"


@pytest.mark.parametrize("typed", ["2026-01-03", "2026/1/3", "2026年1月3日"])
def test_a_chinese_date_typed_by_hand_is_read(typed):
    # Django's zh_Hans input formats had %n and %j in them: "2026年1月3日" was refused.
    with translation.override("zh-hans"):
        assert forms.DateField().clean(typed) == SATURDAY


# --- lunar dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "month, day, leap, year, expected",
    [
        (6, 15, True, None, "农历闰六月十五"),
        (12, 30, False, None, "农历腊月三十"),
        (1, 1, False, None, "农历正月初一"),
        (11, 20, False, None, "农历冬月二十"),
        (3, 21, False, None, "农历三月廿一"),
        (8, 10, False, None, "农历八月初十"),
        (1, 1, False, 1985, "1985年农历正月初一"),
        (6, 15, True, 2025, "2025年农历闰六月十五"),
        # A yearly date that this year lacks (腊月 of 2025 has 29 days) still reads as kept.
        (12, 30, False, 2025, "2025年农历腊月三十"),
    ],
)
def test_lunar_dates_in_chinese(month, day, leap, year, expected):
    assert lunar_text(month=month, day=day, leap=leap, year=year) == expected


def test_lunar_words_are_borax_own_for_every_day_of_several_years():
    for year in range(2020, 2027):  # leap months in 2020 (4), 2023 (2) and 2025 (6)
        leap_month = LCalendars.leap_month(year)
        for month in range(1, 13):
            for leap in (False, True) if month == leap_month else (False,):
                for day in range(1, LCalendars.ndays(year, month, int(leap)) + 1):
                    expected = LunarDate(year, month, day, leap=int(leap)).cn_md
                    assert lunar_text(month=month, day=day, leap=leap) == f"农历{expected}"


def test_the_lunar_date_of_a_solar_day():
    assert solar_lunar_text(date(2026, 2, 16)) == "农历腊月廿九"  # 除夕: 腊月 of 2025 is short
    assert solar_lunar_text(date(2026, 2, 17)) == "农历正月初一"
    assert solar_lunar_text(date(2025, 7, 25), with_year=True) == "2025年农历闰六月初一"


def test_the_lunar_filter_reads_dates_people_and_yearly_dates():
    leap_born = Client(
        lunar_birth_year=2025, lunar_birth_month=6, lunar_birth_day=15, lunar_birth_leap=True
    )
    shop = CustomDate(calendar=Calendar.LUNAR, month=12, day=30, leap=False, year=2020)
    with translation.override("zh-hans"):
        assert lunar(date(2026, 2, 17)) == "农历正月初一"
        assert lunar(date(2026, 2, 17), "year") == "2026年农历正月初一"
        assert lunar(leap_born) == "2025年农历闰六月十五"
        assert lunar(leap_born, "md") == "农历闰六月十五"
        assert lunar(shop, "md") == "农历腊月三十"
        assert lunar(CustomDate(calendar=Calendar.SOLAR, month=1, day=3)) == ""
        assert lunar(Client()) == ""  # no lunar birthday
        rendered = Template("{% load display %}{{ c|lunar }}").render(Context({"c": leap_born}))
        assert rendered == "2025年农历闰六月十五"
    with translation.override("en"):
        assert lunar(leap_born) == "Lunar leap month 6, day 15 (2025)"
        assert lunar(shop, "md") == "Lunar month 12, day 30"


@pytest.mark.django_db
def test_the_client_page_shows_lunar_dates_in_chinese(as_user, owner):
    client = ClientFactory(
        owner=owner,
        name="万强",
        birthday_calendar=Calendar.LUNAR,
        lunar_birth_year=2025,
        lunar_birth_month=6,
        lunar_birth_day=15,
        lunar_birth_leap=True,
    )
    CustomDate.objects.create(client=client, name="开店", calendar="lunar", month=12, day=30)
    body = as_user(owner).get(f"/clients/{client.pk}/").content.decode()
    assert "2025年农历闰六月十五" in body and "农历腊月三十" in body
    assert "1985年6月15日" in body  # the factory's solar birth date, no leading zero


@pytest.mark.django_db
def test_a_lunar_birthday_touch_shows_the_lunar_date(owner):
    spring = ClientFactory(
        owner=owner,
        birthday_calendar=Calendar.LUNAR,
        lunar_birth_year=1980,
        lunar_birth_month=1,
        lunar_birth_day=1,
    )
    solar = ClientFactory(owner=owner)
    today = date(2026, 2, 14)
    lunar_touch = TouchFactory(
        client=spring, kind="birthday", occasion_date=date(2026, 2, 17), due_date=today
    )
    solar_touch = TouchFactory(
        client=solar, kind="birthday", occasion_date=date(2026, 6, 15), due_date=today
    )
    with translation.override("zh-hans"):
        row = selectors.touch_row(user=owner, pk=lunar_touch.pk, today=today)
        assert row.occasion_text == "2月17日 农历正月初一"
        assert selectors.touch_row(user=owner, pk=solar_touch.pk, today=today).occasion_text == (
            "6月15日"
        )
