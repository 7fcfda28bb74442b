"""劳动节, 国庆节 and 除夕: touches on the right days of 2026 and 2027 and their own greetings
in natural Chinese, in each greeting style; the agent's own wording for the festival wins."""

from datetime import date

import pytest
from django.utils import translation

from touches.build import AgentRange, build_day
from touches.greetings import greeting_for
from touches.models import Touch

from .factories import ClientFactory
from .touch_factories import GreetingTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def festival_touches(owner, due: date) -> list[Touch]:
    build_day(due=due, agents=AgentRange(owner.pk, owner.pk), kinds=["festival"])
    return list(Touch.objects.filter(kind="festival", due_date=due).select_related("client"))


@pytest.mark.parametrize(
    ("due", "festival"),
    [
        (date(2026, 2, 16), "new_years_eve"),  # 腊月廿九, lead 0: due on the day
        (date(2027, 2, 5), "new_years_eve"),
        (date(2026, 4, 30), "labour_day"),  # lead 1: the day before the holiday
        (date(2027, 4, 30), "labour_day"),
        (date(2026, 9, 30), "national_day"),
        (date(2027, 9, 30), "national_day"),
    ],
)
def test_the_new_festivals_are_built_on_their_days(owner, due, festival):
    ClientFactory(owner=owner, name="王建国", gender="male", stage="client")
    touches = [t for t in festival_touches(owner, due) if t.source == f"festival:{festival}"]
    assert len(touches) == 1


def test_new_years_eve_2027_is_not_built_on_the_30th_that_does_not_exist(owner):
    ClientFactory(owner=owner, stage="client")
    # 2027's 腊月 has 29 days: 除夕 is 2月5日, 春节 2月6日 (its touch due a week ahead).
    assert not [
        t for t in festival_touches(owner, date(2027, 2, 6)) if t.source.endswith("new_years_eve")
    ]


@pytest.mark.parametrize(
    ("due", "style", "expected"),
    [
        (date(2027, 2, 5), "formal", "王先生，除夕快乐！祝您和家人团团圆圆，新春大吉！"),
        (date(2027, 2, 5), "warm", "王先生，除夕快乐！年夜饭吃好喝好，新的一年万事顺意！"),
        (
            date(2027, 2, 5),
            "elder",
            "王先生，除夕快乐！祝您新的一年身体健康、福寿安康、阖家幸福！",
        ),
        (date(2026, 4, 30), "formal", "王先生，劳动节快乐！您辛苦了，假期好好休息。"),
        (date(2026, 4, 30), "warm", "王先生，五一快乐！假期好好放松，出去玩注意安全哦。"),
        (date(2026, 9, 30), "formal", "王先生，国庆节快乐！祝您和家人假期愉快。"),
        (date(2026, 9, 30), "elder", "王先生，国庆节快乐！祝您身体健康，阖家幸福。"),
    ],
)
def test_each_new_festival_has_its_own_greeting(owner, due, style, expected):
    ClientFactory(owner=owner, name="王建国", gender="male", stage="client", greeting_style=style)
    (touch,) = festival_touches(owner, due)
    assert greeting_for(touch, {}) == expected


def test_the_agents_own_wording_wins_for_that_festival_only(owner):
    ClientFactory(owner=owner, name="王建国", gender="male", stage="client")
    GreetingTemplateFactory(
        owner=owner, kind="festival", festival="new_years_eve", text="{name}，过年好！"
    )
    # A general festival wording of the agent's does not replace 除夕's own.
    GreetingTemplateFactory(owner=owner, kind="festival", festival="", text="{name}，节日快乐！")
    (eve,) = festival_touches(owner, date(2027, 2, 5))
    templates = {("festival", "new_years_eve", "formal"): "{name}，过年好！"}
    assert greeting_for(eve, templates) == "王先生，过年好！"
    (labour,) = festival_touches(owner, date(2027, 4, 30))
    general = {("festival", "", "formal"): "{name}，节日快乐！"}
    assert greeting_for(labour, general) == "王先生，劳动节快乐！您辛苦了，假期好好休息。"
    # A festival with no wording of its own still uses the agent's general one.
    (new_year,) = festival_touches(owner, date(2026, 12, 31))
    assert greeting_for(new_year, general) == "王先生，节日快乐！"


def test_no_greeting_of_the_new_festivals_carries_a_number(owner):
    ClientFactory(owner=owner, name="王建国", gender="male", stage="client")
    for due in (date(2027, 2, 5), date(2027, 4, 30), date(2027, 9, 30)):
        (touch,) = festival_touches(owner, due)
        assert not any(ch.isdigit() for ch in greeting_for(touch, {}))
