"""What a greeting says to the client: the agent's form of address (称呼, or 王先生/王女士
from the surname and gender, or the name), the client's greeting style (formal, warm, for an
elder) with the agent's own wording per style, and Chinese placeholders in the editor."""

import pytest
from django.utils import translation

from clients.models import Client, GreetingStyle
from clients.salutation import address_as, suggest_salutation, surname
from touches import services
from touches.forms import greeting_initial
from touches.greetings import (
    fill_placeholders,
    greeting_for,
    text_for_editor,
    text_for_storage,
    unknown_placeholders,
)
from touches.models import GreetingTemplate
from touches.registry import occasion_kinds

from .factories import ClientFactory
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
