"""What a greeting says to the client: the agent's form of address (称呼, or 王先生/王女士
from the surname and gender, or the name), the client's greeting style (formal, warm, for an
elder) with the agent's own wording per style, Chinese placeholders in the editor, and never
a policy number or an ID number (a greeting leaves the CRM by SMS or WeChat)."""

import datetime
import re
from datetime import date, timedelta

import pytest
from django.utils import translation

from clients.models import Client, GreetingStyle, LifeEvent
from clients.salutation import address_as, suggest_salutation, surname
from handover.models import Handover, HandoverClient
from policies.models import Policy, PolicyStatusChange
from policies.occasions import (
    policy_display_label,
    policy_greeting_label,
    request_display_label,
    request_greeting_label,
)
from referrals.models import Stage
from referrals.services import Person, referral_create, referral_stage_change
from servicing.models import ServiceRequest
from touches import services
from touches.build import AgentRange, build_day
from touches.forms import greeting_initial
from touches.greetings import (
    fill_placeholders,
    greeting_for,
    text_for_editor,
    text_for_storage,
    touch_label,
    unknown_placeholders,
)
from touches.models import FestivalPreference, GreetingTemplate, Touch, TouchPreference
from touches.registry import occasion_kinds

from .event_factories import EventFactory, InviteeFactory
from .factories import ClientFactory, FamilyMemberFactory, UserFactory
from .policy_factories import PayoutFactory, PolicyFactory, RiderFactory
from .touch_factories import GreetingTemplateFactory, TouchFactory

STYLES = [s.value for s in GreetingStyle]


# --- 称呼 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("王芳", "王"),
        ("陈志强", "陈"),
        ("欧阳娜娜", "欧阳"),
        ("司马光", "司马"),
        ("Peter Chan", "Chan"),
        ("芳", ""),
        ("", ""),
    ],
)
def test_surname(name, expected):
    assert surname(name) == expected


def test_a_suggestion_from_surname_and_gender():
    assert suggest_salutation("王芳", "female") == "王女士"
    assert suggest_salutation("陈志强", "male") == "陈先生"
    assert suggest_salutation("欧阳娜娜", "female") == "欧阳女士"
    assert suggest_salutation("王芳", "unknown") == ""  # no gender recorded: no guess


def test_what_a_greeting_calls_the_client():
    assert address_as(salutation="王总", name="王建国", gender="male") == "王总"
    assert address_as(salutation=" ", name="王建国", gender="male") == "王先生"
    assert address_as(salutation="", name="王芳", gender="unknown") == "王芳"


@pytest.mark.django_db
def test_greetings_use_the_salutation_not_the_full_name(owner):
    boss = ClientFactory(owner=owner, name="王建国", gender="male", salutation="王总")
    sister = ClientFactory(owner=owner, name="李秀英", gender="female")
    unknown = ClientFactory(owner=owner, name="张伟")
    with translation.override("zh-hans"):
        for client, called in ((boss, "王总"), (sister, "李女士"), (unknown, "张伟")):
            greeting = greeting_for(TouchFactory(client=client, kind="birthday"), {})
            assert greeting.startswith(called)
            if called != client.name:
                assert client.name not in greeting


@pytest.mark.django_db
def test_the_client_form_and_page_keep_the_salutation_and_style(as_user, owner):
    http = as_user(owner)
    client = ClientFactory(owner=owner, name="陈志强", gender="male")
    page = http.get(f"/clients/{client.pk}/").content.decode()
    assert "陈先生" in page  # the suggestion, marked as one
    form = http.get(f"/clients/{client.pk}/edit/").content.decode()
    assert 'name="salutation"' in form and 'placeholder="陈先生"' in form
    assert 'name="greeting_style"' in form
    Client.objects.filter(pk=client.pk).update(salutation="陈总", greeting_style="elder")
    page = http.get(f"/clients/{client.pk}/").content.decode()
    assert "陈总" in page


@pytest.mark.django_db
def test_a_new_client_is_greeted_formally(owner):
    assert ClientFactory(owner=owner).greeting_style == GreetingStyle.FORMAL


# --- greeting styles -----------------------------------------------------------------------


@pytest.mark.django_db
def test_each_client_gets_the_wording_of_their_style(owner):
    touches = {
        style: TouchFactory(
            client=ClientFactory(owner=owner, name="王芳", greeting_style=style), kind="birthday"
        )
        for style in STYLES
    }
    with translation.override("en"):
        texts = {style: greeting_for(touch, {}) for style, touch in touches.items()}
    assert len(set(texts.values())) == 3  # three built-in wordings
    assert all(text.startswith("王芳") for text in texts.values())
    # The agent's own wording of one style replaces that style only.
    mine = {("birthday", "", "warm"): "{称呼}，生日快乐呀！"}
    with translation.override("en"):
        assert greeting_for(touches["warm"], mine) == "王芳，生日快乐呀！"
        assert greeting_for(touches["formal"], mine) == texts["formal"]
        assert greeting_for(touches["elder"], mine) == texts["elder"]


def test_every_kind_has_a_wording_in_every_style():
    with translation.override("en"):
        for key, kind in occasion_kinds().items():
            if key == "campaign":
                continue  # the agent's own message per campaign (test_campaigns)
            wordings = [str(kind.greeting_styles.get(s) or kind.greeting) for s in STYLES]
            assert all("{name}" in w for w in wordings), key
            assert len(set(wordings)) == 3, key


def test_chinese_placeholders_are_filled_and_stored_as_the_internal_ones():
    values = {"name": "王总", "festival": "中秋节", "label": "平安福"}
    assert fill_placeholders("{称呼}，{节日}快乐！{事由}", values) == "王总，中秋节快乐！平安福"
    assert fill_placeholders("｛称呼｝您好，{name}", values) == "王总您好，王总"
    assert text_for_storage("｛称呼｝，祝{节日}快乐") == "{name}，祝{festival}快乐"
    with translation.override("zh-hans"):
        shown = text_for_editor("{name}，祝{festival}快乐：{label}")
        assert shown == "{称呼}，祝{节日}快乐：{事由}"
    with translation.override("en"):
        assert text_for_editor("{name}") == "{name}"
    assert unknown_placeholders("{称谓}{name}{称呼}{nmae}") == ["称谓", "nmae"]


@pytest.mark.django_db
def test_the_agent_saves_a_wording_per_style_in_chinese_placeholders(owner):
    with translation.override("zh-hans"):
        services.greeting_save(
            owner=owner, kind="birthday", style="elder", text="{称呼}，寿比南山！"
        )
        rows = greeting_initial(
            {("birthday", "", "elder"): GreetingTemplate.objects.get(owner=owner).text}
        )
    saved = GreetingTemplate.objects.get(owner=owner)
    assert (saved.kind, saved.style, saved.text) == ("birthday", "elder", "{name}，寿比南山！")
    shown = next(r for r in rows if (r["kind"], r["style"]) == ("birthday", "elder"))
    assert shown["text"] == "{称呼}，寿比南山！"
    # Saving the built-in wording (as the editor shows it) stores nothing.
    with translation.override("zh-hans"):
        formal = next(r for r in rows if (r["kind"], r["style"]) == ("birthday", "formal"))
        assert services.greeting_save(owner=owner, kind="birthday", text=formal["text"]) is None
    assert GreetingTemplate.objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_chinese_placeholder_is_refused_with_the_chinese_ones(owner):
    from django.core.exceptions import ValidationError

    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.greeting_save(owner=owner, kind="birthday", style="warm", text="{称谓}生日快乐")
    message = " ".join(exc.value.message_dict["text"])
    assert "{称谓}" in message and "{称呼}" in message
    with pytest.raises(ValidationError):
        services.greeting_save(owner=owner, kind="birthday", style="casual", text="x")


@pytest.mark.django_db
def test_the_settings_page_edits_each_style(as_user, owner):
    from .test_touch_actions import greeting_index, settings_data

    http = as_user(owner)
    body = http.get("/touches/settings/").content.decode()
    assert body.count("<textarea") == len(greeting_initial({}))
    data = settings_data(
        **{f"greetings-{greeting_index('birthday', style='warm')}-text": "{称呼}，生日快乐呀！"}
    )
    assert http.post("/touches/settings/", data).status_code == 302
    saved = GreetingTemplate.objects.get(owner=owner)
    assert (saved.style, saved.text) == ("warm", "{name}，生日快乐呀！")


@pytest.mark.django_db
def test_an_old_template_keeps_working(owner, client_obj):
    # Written before styles and Chinese placeholders: {name}, the formal style.
    GreetingTemplateFactory(owner=owner, kind="birthday", text="{name}，生日快乐！")
    templates = {("birthday", "", "formal"): GreetingTemplate.objects.get().text}
    assert greeting_for(TouchFactory(client=client_obj), templates) == "王芳，生日快乐！"


# --- no policy number or ID number in any greeting ----------------------------------------

D = date(2027, 1, 1)  # 元旦, and every other occasion set on the same day
EVERYONE = AgentRange(0, 2**62)
SHANGHAI = datetime.timezone(timedelta(hours=8))
NUMBERS = ("880012345678901", "660098765432109", "550011112222333", "440033334444555")
ID_NUMBER = "110101198001010034"
# A policy number, an ID number (18 characters), a phone number: any long run of digits.
LONG_NUMBER = re.compile(r"\d{8,}|\d{17}[\dXx]")


def every_occasion_on(owner) -> None:
    """One client with every kind of occasion on D, the touches due that day."""
    for kind in occasion_kinds().values():
        if kind.lead_configurable:
            lead = 30 if kind.key == "neglect" else 0
            TouchPreference.objects.create(owner=owner, kind=kind.key, lead_days=lead)
    FestivalPreference.objects.create(
        owner=owner, festival="new_year", audience="all_active", lead_days=0
    )
    wang = ClientFactory(
        owner=owner,
        name="王建国",
        gender="male",
        birth_date=date(1980, 1, 1),
        wedding_date=date(2005, 1, 1),
        notes=f"身份证 {ID_NUMBER}",
    )
    Client.objects.filter(pk=wang.pk).update(
        created_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    )
    FamilyMemberFactory(client=wang, name="王小明", birth_date=date(2010, 1, 1))
    wang.custom_dates.create(name="开业纪念日", month=1, day=1)
    wang.commitments.create(description="送体检报告解读", due_date=D)
    LifeEvent.objects.create(client=wang, kind="new_baby", date=D)
    LifeEvent.objects.create(client=wang, kind="hospitalised", date=D)

    policies = [
        PolicyFactory(holder=wang, number=number, effective_date=date(2020, 1, 1))
        for number in NUMBERS
    ]
    anniversary, premium, grace, cooling = policies
    Policy.objects.filter(pk=premium.pk).update(premium_next_due=D)
    Policy.objects.filter(pk=grace.pk).update(premium_grace_end=D)
    Policy.objects.filter(pk=cooling.pk).update(cooling_off_end=D)
    RiderFactory(policy=anniversary, start_date=date(2020, 1, 1), expiry_date=D)
    # A policy that lapsed on D (the nightly move writes the status change).
    lapsed = PolicyFactory(
        holder=wang, number="330055556666777", effective_date=date(2020, 1, 1), status="lapsed"
    )
    PolicyStatusChange.objects.create(
        policy=lapsed,
        from_status="grace",
        to_status="lapsed",
        at=datetime.datetime(D.year, D.month, D.day, 1, tzinfo=SHANGHAI),
    )
    PayoutFactory(policy=anniversary, date=D, claimed=False)
    for kind, category in (("claim", "hospital"), ("servicing", "address")):
        ServiceRequest.objects.create(
            owner=owner,
            policy=anniversary,
            kind=kind,
            category=category,
            next_action="补交发票",
            next_action_date=D,
        )

    referral = referral_create(
        owner=owner,
        referrer=wang,
        person=Person(name="李四"),
        given_on=D - timedelta(days=10),
        by=owner,
    )
    referral_stage_change(
        referral=referral,
        to_stage=Stage.CONTACTED,
        by=owner,
        at=datetime.datetime(2026, 12, 29, 16, tzinfo=SHANGHAI),
    )

    # The client events: invited today, reminded the day before, thanked the day after,
    # asked for referrals two days after the thanks.
    for offset, status, attended in (
        (0, "invited", False),
        (1, "accepted", False),
        (-1, "attended", True),
        (-3, "attended", True),
    ):
        event = EventFactory(owner=owner, date=D + timedelta(days=offset))
        InviteeFactory(
            event=event,
            client=wang,
            status=status,
            invited_on=D,
            attended_on=event.date if attended else None,
        )

    before = UserFactory(username="departed")
    handover = Handover.objects.create(from_agent=before, by=owner)
    HandoverClient.objects.create(
        handover=handover, client=wang, from_agent=before, to_agent=owner, changed_on=D
    )
    # Kinds the agent's own decisions write: a campaign (its touches come from
    # campaign_create, not the build) and an introduction's follow-up a week on.
    from campaigns.services import campaign_create
    from introductions.models import Introduction

    Introduction.objects.create(
        owner=owner,
        client_a=wang,
        client_b=ClientFactory(owner=owner, name="赵六"),
        introduced_on=D - timedelta(days=7),
    )
    campaign_create(
        owner=owner,
        reason="new_product",
        title="新品上市",
        message="{称呼}，公司新推出一款重疾险。",
        due_date=D,
        audience={},
        today=D,
    )


@pytest.mark.django_db
def test_no_greeting_of_any_kind_carries_a_policy_or_id_number(owner):
    every_occasion_on(owner)
    build_day(due=D, agents=EVERYONE)
    touches = list(Touch.objects.filter(due_date=D).select_related("client"))
    # Every registered kind is here: a new kind must be added to every_occasion_on.
    assert {t.kind for t in touches} == set(occasion_kinds())

    # The dashboard still names the policy by its number; the greeting never does.
    anniversary = next(t for t in touches if t.kind == "policy_anniversary")
    assert NUMBERS[0] in touch_label(anniversary)

    mine = {
        (key, "", style): "{name} {label} {festival} {称呼} {事由} {节日}"
        for key in occasion_kinds()
        for style in STYLES
    }
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for touch in touches:
                for style in STYLES:
                    touch.client.greeting_style = style
                    for templates in ({}, mine):
                        greeting = greeting_for(touch, templates)
                        assert greeting, (touch.kind, style)
                        assert not LONG_NUMBER.search(greeting), (touch.kind, style, greeting)
                        assert not any(n in greeting for n in NUMBERS), (touch.kind, greeting)


def test_a_policy_label_on_the_dashboard_and_in_a_greeting():
    assert policy_display_label("平安福|P123") == "平安福 P123"
    assert policy_greeting_label("平安福|P123") == "平安福"
    assert request_display_label("补交发票|P123") == "补交发票 · P123"
    assert request_greeting_label("补交发票|P123") == "补交发票"
    # Touches built before the separator: "product number", "action · number".
    assert policy_greeting_label("平安福 P123") == "平安福"
    assert request_greeting_label("补交发票 · P123") == "补交发票"
    assert policy_display_label("平安福 P123") == "平安福 P123"
    # A product cut short by the label's 200 characters keeps its words.
    assert policy_greeting_label("Super Life Plan") == "Super Life Plan"
