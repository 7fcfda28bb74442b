"""The actions on a touch (done, snooze, skip, reopen) through the services and through htmx,
the greeting wording, and the settings page (lead times, festivals, greetings)."""

import datetime
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from clients.models import Interaction
from touches import selectors, services
from touches.build import AgentRange, build_day
from touches.festivals import FESTIVALS, FESTIVALS_BY_KEY
from touches.forms import festival_initial, greeting_initial, kind_initial
from touches.greetings import fill_placeholders, greeting_for
from touches.models import FestivalPreference, GreetingTemplate, Touch, TouchPreference
from touches.registry import occasion_kinds

from .factories import ClientFactory
from .touch_factories import (
    FestivalPreferenceFactory,
    GreetingTemplateFactory,
    TouchFactory,
    TouchPreferenceFactory,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 24)
NOON = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.timezone(timedelta(hours=8)))
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def touch(client_obj):
    return TouchFactory(client=client_obj, kind="birthday", due_date=TODAY)


@pytest.fixture
def http(as_user, owner):
    return as_user(owner)


def url(name, touch):
    return reverse(f"touches:{name}", kwargs={"pk": touch.pk})


# --- Done ----------------------------------------------------------------------------------


def test_done_logs_an_interaction_once(owner, touch):
    assert services.touch_done(touch=touch, by=owner, note=" 发了微信 ", channel="message")
    touch.refresh_from_db()
    assert touch.status == Touch.Status.DONE and touch.note == "发了微信"
    assert touch.closed_at is not None
    interaction = touch.interaction
    assert interaction.client == touch.client and interaction.created_by == owner
    assert interaction.kind == Interaction.Kind.MESSAGE
    assert interaction.date == TODAY
    assert "发了微信" in interaction.summary and str(occasion_kinds()["birthday"].label) in (
        interaction.summary
    )
    # A second click (another tab, a retry) does nothing more.
    assert services.touch_done(touch=touch, by=owner, note="again", channel="call") is False
    touch.refresh_from_db()
    assert touch.note == "发了微信" and touch.interaction == interaction
    assert Interaction.objects.filter(client=touch.client).count() == 1


def test_done_refuses_an_unknown_channel_and_writes_nothing(owner, touch):
    with pytest.raises(ValidationError) as exc:
        services.touch_done(touch=touch, by=owner, channel="telepathy")
    assert "channel" in exc.value.message_dict
    touch.refresh_from_db()
    assert touch.status == Touch.Status.OPEN
    assert not Interaction.objects.exists()


def test_done_by_htmx_returns_the_row_and_the_counts(http, owner, touch):
    TouchFactory(client=ClientFactory(owner=owner), due_date=TODAY)  # another one today
    response = http.post(url("done", touch), {"channel": "call", "note": "聊了十分钟"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert f'id="touch-{touch.pk}"' in body and "touch-done" in body
    assert "聊了十分钟" in body
    assert url("reopen", touch) in body  # the row now offers undo
    # The counts change out of band: one card left to prepare (both occasions are in 3 days).
    assert 'hx-swap-oob="innerHTML:.touch-count-prepare">1<' in body
    touch.refresh_from_db()
    assert touch.interaction.kind == Interaction.Kind.CALL
    # Twice by htmx: still one interaction, still 200.
    assert http.post(url("done", touch), {"channel": "call"}, **HTMX).status_code == 200
    assert Interaction.objects.filter(client=touch.client).count() == 1


def test_done_without_htmx_redirects_back(http, touch):
    response = http.post(
        url("done", touch), {"channel": "message", "next": "/touches/?group=today"}
    )
    assert response.status_code == 302 and response["Location"] == "/touches/?group=today"
    touch.refresh_from_db()
    assert touch.status == Touch.Status.DONE


def test_done_ignores_a_next_url_off_site(http, touch):
    response = http.post(url("done", touch), {"channel": "message", "next": "https://evil.test/"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_done_with_a_bad_channel_is_400_and_changes_nothing(http, touch):
    response = http.post(url("done", touch), {"channel": "fax"}, **HTMX)
    assert response.status_code == 400
    assert "<html" not in response.content.decode()
    touch.refresh_from_db()
    assert touch.status == Touch.Status.OPEN and not Interaction.objects.exists()


# --- Snooze ----------------------------------------------------------------------------------


def test_snooze_moves_the_due_day_and_stays_open(http, touch):
    response = http.post(url("snooze", touch), {"until": "2026-11-30"}, **HTMX)
    assert response.status_code == 200
    touch.refresh_from_db()
    assert touch.due_date == date(2026, 11, 30) and touch.status == Touch.Status.OPEN
    assert touch.occasion_date == date(2026, 11, 27)  # the occasion itself does not move
    # Snoozed past its occasion, it leaves the plan until the day it was snoozed to.
    assert 'hx-swap-oob="innerHTML:.touch-count-prepare">0<' in response.content.decode()
    assert 'hx-swap-oob="innerHTML:.touch-count-today">0<' in response.content.decode()


@pytest.mark.parametrize("until", ["2026-11-24", "2026-11-01", "", "not-a-date", "2028-01-01"])
def test_snooze_to_today_the_past_or_nonsense_is_400(http, touch, until):
    for extra in (HTMX, {}):
        response = http.post(url("snooze", touch), {"until": until}, **extra)
        assert response.status_code == 400
        # Without htmx the row comes in a page of its own.
        assert ("<html" in response.content.decode()) is (extra == {})
        touch.refresh_from_db()
        assert touch.due_date == TODAY
    htmx_body = http.post(url("snooze", touch), {"until": until}, **HTMX).content.decode()
    assert "<html" not in htmx_body and "alert-danger" in htmx_body
    # The snooze form stays open in the row, showing the error.
    assert 'data-open="snooze"' in htmx_body
    assert f'action="{url("snooze", touch)}"' in htmx_body


def test_snooze_service_refuses_a_closed_touch(owner, touch):
    services.touch_skip(touch=touch, reason="不需要")
    with pytest.raises(ValidationError):
        services.touch_snooze(touch=touch, until=TODAY + timedelta(days=2))
    touch.refresh_from_db()
    assert touch.status == Touch.Status.SKIPPED and touch.due_date == TODAY


# --- Skip and reopen ---------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_skip_needs_a_reason(http, touch, reason):
    response = http.post(url("skip", touch), {"reason": reason}, **HTMX)
    assert response.status_code == 400
    touch.refresh_from_db()
    assert touch.status == Touch.Status.OPEN
    with pytest.raises(ValidationError) as exc:
        services.touch_skip(touch=touch, reason=reason)
    assert "reason" in exc.value.message_dict


def test_skip_keeps_the_reason(http, touch):
    response = http.post(url("skip", touch), {"reason": "客户已出国"}, **HTMX)
    assert response.status_code == 200 and "客户已出国" in response.content.decode()
    touch.refresh_from_db()
    assert touch.status == Touch.Status.SKIPPED and touch.note == "客户已出国"
    assert not Interaction.objects.exists()  # no contact was made


def test_reopen_undoes_done_and_removes_its_interaction(http, owner, touch):
    other = Interaction.objects.create(
        client=touch.client, kind="visit", date=TODAY, summary="别的联系"
    )
    services.touch_done(touch=touch, by=owner, note="误点")
    response = http.post(url("reopen", touch), **HTMX)
    assert response.status_code == 200
    touch.refresh_from_db()
    assert touch.status == Touch.Status.OPEN
    assert touch.note == "" and touch.closed_at is None and touch.interaction is None
    assert list(Interaction.objects.all()) == [other]
    assert url("done", touch) in response.content.decode()  # the actions are back
    # Reopening an open touch changes nothing.
    assert services.touch_reopen(touch=touch) is False


def test_reopen_after_skip(owner, touch):
    services.touch_skip(touch=touch, reason="稍后")
    assert services.touch_reopen(touch=touch)
    touch.refresh_from_db()
    assert touch.status == Touch.Status.OPEN and touch.note == ""


# --- Greetings -------------------------------------------------------------------------------


def test_greeting_placeholders(owner, client_obj):
    touch = TouchFactory(client=client_obj, kind="family_birthday", label="王小明")
    text = greeting_for(touch, {})
    assert "王芳" in text and "王小明" in text and "{" not in text


def test_greeting_agent_template_overrides_the_built_in(owner, client_obj):
    touch = TouchFactory(client=client_obj, kind="birthday")
    templates = {("birthday", "", "formal"): "{name}，生日快乐！{label}"}
    assert greeting_for(touch, templates) == "王芳，生日快乐！"


@pytest.mark.parametrize(
    "template, expected",
    [
        ("{nmae}您好", "{nmae}您好"),  # a typo stays as written
        ("{name} {", "王芳 {"),  # a lone brace does not crash
        ("{0}{name.__class__}", "{0}{name.__class__}"),  # no attribute access
        ("{{name}}", "{王芳}"),
        ("{微笑}{name}", "{微笑}王芳"),
    ],
)
def test_greeting_with_odd_braces_never_crashes(client_obj, template, expected):
    touch = TouchFactory(client=client_obj, kind="birthday")
    assert greeting_for(touch, {("birthday", "", "formal"): template}) == expected


def test_festival_greeting_per_festival_then_general_then_built_in(client_obj):
    def festival(key):
        return TouchFactory(client=client_obj, kind="festival", source=f"festival:{key}", label=key)

    mid_autumn, spring = festival("mid_autumn"), festival("spring_festival")
    templates = {
        ("festival", "mid_autumn", "formal"): "{name}，中秋快乐，月饼已寄出！",
        ("festival", "", "formal"): "{name}，祝{festival}快乐！",
    }
    assert greeting_for(mid_autumn, templates) == "王芳，中秋快乐，月饼已寄出！"
    spring_label = str(FESTIVALS_BY_KEY["spring_festival"].label)
    assert greeting_for(spring, templates) == f"王芳，祝{spring_label}快乐！"
    built_in = greeting_for(spring, {})
    assert "王芳" in built_in and spring_label in built_in


def test_fill_placeholders_leaves_unknown_names():
    assert fill_placeholders("{name}/{x}", {"name": "甲"}) == "甲/{x}"


# --- Settings ----------------------------------------------------------------------------------


def settings_data(**overrides) -> dict:
    """The settings page as posted with nothing changed, then `overrides`."""
    data = {}
    for prefix, rows in (
        ("kinds", kind_initial({})),
        ("festivals", festival_initial({})),
        ("greetings", greeting_initial({})),
    ):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(len(rows))
        for i, row in enumerate(rows):
            for key, value in row.items():
                if value is True:
                    data[f"{prefix}-{i}-{key}"] = "on"
                elif value is not False:
                    data[f"{prefix}-{i}-{key}"] = str(value)
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def row_index(prefix: str, field: str, value: str) -> int:
    rows = {"kinds": kind_initial({}), "festivals": festival_initial({})}[prefix]
    return next(i for i, row in enumerate(rows) if row[field] == value)


def greeting_index(kind: str, festival: str = "", style: str = "formal") -> int:
    rows = greeting_initial({})
    return next(
        i
        for i, r in enumerate(rows)
        if (r["kind"], r["festival"], r["style"]) == (kind, festival, style)
    )


def test_settings_page_lists_every_kind_and_festival(http):
    response = http.get(reverse("touches:settings"))
    assert response.status_code == 200
    body = response.content.decode()
    for kind in occasion_kinds().values():
        assert escape(str(kind.label)) in body
    for festival in FESTIVALS:
        assert escape(str(festival.label)) in body


def test_saving_the_defaults_stores_nothing(http, owner):
    response = http.post(reverse("touches:settings"), settings_data())
    assert response.status_code == 302
    assert not TouchPreference.objects.exists()
    assert not FestivalPreference.objects.exists()
    assert not GreetingTemplate.objects.exists()


def test_settings_save_leads_switches_festivals_and_greetings(http, owner, teammate):
    birthday = row_index("kinds", "kind", "birthday")
    wedding = row_index("kinds", "kind", "wedding_anniversary")
    neglect = row_index("kinds", "kind", "neglect")
    women = row_index("festivals", "festival", "womens_day")
    mid_autumn = row_index("festivals", "festival", "mid_autumn")
    data = settings_data(
        **{
            f"kinds-{birthday}-lead_days": "5",
            f"kinds-{wedding}-enabled": None,  # switched off
            f"kinds-{neglect}-lead_days": "90",
            f"festivals-{women}-enabled": None,
            f"festivals-{mid_autumn}-audience": "elders_or_parents_living",
            f"festivals-{mid_autumn}-lead_days": "10",
            f"greetings-{greeting_index('birthday')}-text": "{name}，生日快乐！",
            f"greetings-{greeting_index('festival', 'mid_autumn')}-text": "{name}，中秋好！",
        }
    )
    response = http.post(reverse("touches:settings"), data)
    assert response.status_code == 302 and response["Location"] == reverse("touches:settings")
    prefs = {p.kind: (p.enabled, p.lead_days) for p in TouchPreference.objects.filter(owner=owner)}
    assert prefs == {
        "birthday": (True, 5),
        "wedding_anniversary": (False, 3),
        "neglect": (True, 90),
    }
    festivals = {
        p.festival: (p.enabled, p.audience, p.lead_days)
        for p in FestivalPreference.objects.filter(owner=owner)
    }
    assert festivals == {
        "womens_day": (False, "women", 1),
        "mid_autumn": (True, "elders_or_parents_living", 10),
    }
    greetings = dict(GreetingTemplate.objects.filter(owner=owner).values_list("festival", "text"))
    assert greetings == {"": "{name}，生日快乐！", "mid_autumn": "{name}，中秋好！"}
    assert not TouchPreference.objects.filter(owner=teammate).exists()

    # The page shows what was saved, with the placeholders a Chinese reader writes.
    body = http.get(reverse("touches:settings")).content.decode()
    assert 'value="90"' in body and "{称呼}，中秋好！" in body


def test_settings_back_to_the_default_removes_the_row(http, owner):
    TouchPreferenceFactory(owner=owner, kind="birthday", lead_days=9)
    FestivalPreferenceFactory(owner=owner, festival="mid_autumn", enabled=False)
    GreetingTemplateFactory(owner=owner, kind="birthday", text="旧的")
    data = settings_data(**{f"greetings-{greeting_index('birthday')}-text": ""})
    assert http.post(reverse("touches:settings"), data).status_code == 302
    assert not TouchPreference.objects.exists()
    assert not FestivalPreference.objects.exists()
    assert not GreetingTemplate.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        (("kinds", "birthday", "lead_days"), "366"),
        (("kinds", "birthday", "lead_days"), "-1"),
        (("kinds", "birthday", "lead_days"), "abc"),
        (("kinds", "neglect", "lead_days"), "10"),
        (("kinds", "neglect", "lead_days"), "800"),
        (("kinds", "birthday", "kind"), "no_such_kind"),
        (("festivals", "mid_autumn", "audience"), "martians"),
        (("festivals", "mid_autumn", "lead_days"), "61"),
        (("festivals", "mid_autumn", "festival"), "halloween"),
        (("greetings", "birthday", "text"), "{nmae}生日快乐"),
        (("greetings", "birthday", "text"), "长" * 1001),
    ],
)
def test_settings_bad_input_is_400_and_saves_nothing(http, owner, field, value):
    prefix, key, name = field
    if prefix == "greetings":
        index = greeting_index(key)
    else:
        index = row_index(prefix, "kind" if prefix == "kinds" else "festival", key)
    # A valid change in the same post must not be saved either.
    good = row_index("kinds", "kind", "premium_due")
    data = settings_data(
        **{
            f"{prefix}-{index}-{name}": value,
            f"kinds-{good}-lead_days": "20",
            f"greetings-{greeting_index('wedding_anniversary')}-text": "{name}周年快乐",
        }
    )
    response = http.post(reverse("touches:settings"), data)
    assert response.status_code == 400
    assert not TouchPreference.objects.exists()
    assert not FestivalPreference.objects.exists()
    assert not GreetingTemplate.objects.exists()
    assert "is-invalid" in response.content.decode() or "text-danger" in response.content.decode()


def test_settings_refuse_a_repeated_row(http):
    data = settings_data(**{"kinds-1-kind": "birthday", "kinds-0-kind": "birthday"})
    assert http.post(reverse("touches:settings"), data).status_code == 400
    assert not TouchPreference.objects.exists()


def test_fixed_lead_kinds_keep_their_lead(owner):
    services.preferences_save(
        owner=owner, rows=[{"kind": "hospital_visit", "enabled": True, "lead_days": 30}]
    )
    assert not TouchPreference.objects.exists()  # enabled with the fixed lead = the default


def test_preferences_service_validates_ranges(owner):
    with pytest.raises(ValidationError) as exc:
        services.preferences_save(
            owner=owner, rows=[{"kind": "neglect", "enabled": True, "lead_days": 29}]
        )
    assert "lead_days" in exc.value.message_dict
    services.preferences_save(
        owner=owner, rows=[{"kind": "neglect", "enabled": True, "lead_days": 730}]
    )
    assert TouchPreference.objects.get(owner=owner).lead_days == 730


def test_a_saved_lead_time_reaches_the_build(owner):
    client = ClientFactory(owner=owner, birth_date=date(1980, 12, 1))
    services.preferences_save(
        owner=owner, rows=[{"kind": "birthday", "enabled": True, "lead_days": 5}]
    )
    build_day(due=date(2026, 11, 26), agents=AgentRange(owner.pk, owner.pk))
    touch = Touch.objects.get(client=client, kind="birthday")
    assert touch.due_date == date(2026, 11, 26) and touch.occasion_date == date(2026, 12, 1)
    board = selectors.dashboard(user=owner, today=date(2026, 11, 26))
    assert [t.pk for t in board.groups[1].rows] == [touch.pk]


def test_greeting_service_checks_kind_and_festival(owner):
    with pytest.raises(ValidationError):
        services.greeting_save(owner=owner, kind="nope", text="x")
    with pytest.raises(ValidationError):
        services.greeting_save(owner=owner, kind="birthday", festival="mid_autumn", text="x")
    saved = services.greeting_save(owner=owner, kind="festival", festival="mid_autumn", text="月")
    assert saved.text == "月"
    assert (
        services.greeting_save(owner=owner, kind="festival", festival="mid_autumn", text="") is None
    )
    assert not GreetingTemplate.objects.exists()
