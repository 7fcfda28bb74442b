"""Gifts (节日的礼物, 赠书籍杂志) and the pitfall of expensive ones (送贵重礼品): the log, the
caps per tier with their thresholds, the confirmable warnings, the same gift twice in a row,
the ideas, the manager's list, the touch action, the panels, the merge and privacy."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.services import client_merge, client_merge_undo
from gifts import services
from gifts.ideas import gift_ideas_for_user, ideas_for
from gifts.models import Gift, GiftCap
from gifts.panels import log_gift_url, service_panel
from gifts.services import GiftInput, GiftNeedsConfirmation
from privacy.export import client_data_sections
from privacy.services import client_erase
from touches.rows import row_actions

from .event_factories import GiftFactory
from .factories import ClientFactory, UserFactory
from .touch_factories import TouchFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 9, 20)


def gift(what="月饼", cost="150", day=DAY, occasion="mid_autumn") -> GiftInput:
    return GiftInput(what=what, occasion=occasion, cost=Decimal(cost), given_on=day)


def log(client, data, confirmed=False):
    return services.gift_log(owner=client.owner, client=client, data=data, confirmed=confirmed)


# --- caps and warnings ----------------------------------------------------------------------


def test_a_gift_at_the_cap_is_logged_without_a_warning(client_obj):
    logged = log(client_obj, gift(cost="200"))  # standard tier: ¥200 per gift
    assert (logged.gift_cap, logged.year_cap, logged.year_total) == (
        Decimal("200"),
        Decimal("500"),
        Decimal("200"),
    )
    assert not logged.warning_confirmed
    assert not Gift.objects.above_cap().exists()


def test_a_cent_above_the_cap_is_warned_and_nothing_is_written(client_obj):
    with pytest.raises(GiftNeedsConfirmation) as caught:
        log(client_obj, gift(cost="200.01"))
    assert len(caught.value.warnings) == 1 and "¥200" in caught.value.warnings[0]
    assert not Gift.objects.exists()
    logged = log(client_obj, gift(cost="200.01"), confirmed=True)
    assert logged.warning_confirmed
    assert list(Gift.objects.above_cap()) == [logged]


def test_the_cap_scales_with_the_clients_tier(owner):
    gold = ClientFactory(owner=owner, vip_tier="gold")
    standard = ClientFactory(owner=owner, vip_tier="standard")
    log(gold, gift(cost="450"))  # gold: ¥500 per gift
    with pytest.raises(GiftNeedsConfirmation):
        log(standard, gift(cost="450"))


def test_the_yearly_cap_counts_the_clients_gifts_of_that_year(owner):
    silver = ClientFactory(owner=owner, vip_tier="silver")  # ¥300 a gift, ¥800 a year
    log(silver, gift("茶叶", "300", date(2026, 1, 5), "new_year"))
    log(silver, gift("粽子", "300", date(2026, 6, 1), "dragon_boat"))
    log(silver, gift("月饼", "200", date(2026, 9, 20)))  # exactly ¥800
    with pytest.raises(GiftNeedsConfirmation) as caught:
        log(silver, gift("台历", "0.01", date(2026, 12, 30), "new_year"))
    assert "¥800" in caught.value.warnings[0]
    # A new year starts from nothing.
    log(silver, gift("台历", "100", date(2027, 1, 2), "new_year"))


def test_the_agents_own_caps_replace_the_defaults(as_user, owner, client_obj):
    http = as_user(owner)
    data = {
        f"{t}_{p}": "1000"
        for t in ("standard", "silver", "gold", "diamond")
        for p in ("per_gift", "per_year")
    }
    data["standard_per_gift"] = "50"
    data["standard_per_year"] = "100"
    assert http.post(reverse("gifts:settings"), data).status_code == 302
    assert GiftCap.objects.get(owner=owner, tier="standard").per_gift == Decimal("50")
    with pytest.raises(GiftNeedsConfirmation):
        log(client_obj, gift(cost="60"))
    # Caps per year below the cap per gift are refused, nothing saved.
    data["gold_per_year"] = "10"
    response = http.post(reverse("gifts:settings"), data)
    assert response.status_code == 400
    assert "gold_per_year" in response.context["form"].errors
    assert GiftCap.objects.get(owner=owner, tier="gold").per_year == Decimal("1000")


def test_the_same_gift_twice_in_a_row_is_pointed_out(client_obj):
    log(client_obj, gift("月饼", "100", date(2025, 9, 20)))
    with pytest.raises(GiftNeedsConfirmation) as caught:
        log(client_obj, gift(" 月 饼", "100", DAY))
    assert "月饼" in caught.value.warnings[0]
    log(client_obj, gift("茶叶", "100", date(2026, 1, 1), "new_year"), confirmed=False)
    # Not in a row any more: 茶叶 came in between.
    log(client_obj, gift("月饼", "100", DAY))


def test_bad_input_is_refused_clearly(client_obj):
    with pytest.raises(ValidationError) as caught:
        log(client_obj, GiftInput(what=" ", occasion="nonsense", cost=Decimal("-1"), given_on=DAY))
    assert set(caught.value.message_dict) == {"what", "occasion", "cost"}
    assert not Gift.objects.exists()


def test_another_agents_client_is_refused(client_obj, teammate):
    with pytest.raises(ValidationError):
        services.gift_log(owner=teammate, client=client_obj, data=gift())


# --- the page -------------------------------------------------------------------------------


def test_log_page_warns_then_logs_on_confirmation(as_user, owner, client_obj):
    http = as_user(owner)
    url = reverse("client_gifts:log", args=[client_obj.pk])
    post = {"what": "茅台", "occasion": "spring_festival", "cost": "1500", "given_on": "2026-02-10"}
    response = http.post(url, post)
    assert response.status_code == 200
    assert response.context["warnings"] and not Gift.objects.exists()
    assert "gift-warnings" in response.content.decode()
    response = http.post(url, {**post, "confirmed": "on"})
    assert response.status_code == 302
    assert Gift.objects.get().warning_confirmed


def test_log_page_offers_the_ideas_for_the_occasion_and_segments(as_user, owner, client_obj):
    from clients.models import Segment

    client_obj.segments.add(Segment.objects.get_or_create(code="woman")[0])
    with time_machine.travel(date(2026, 9, 1)):
        response = as_user(owner).get(
            reverse("client_gifts:log", args=[client_obj.pk]), {"occasion": "mid_autumn"}
        )
    ideas = response.context["ideas"]
    assert ideas[0] == str(ideas_for(user=owner, topics=["festival:mid_autumn"])[0])
    assert len(ideas) >= 3  # mooncakes, then the two magazines for women


def test_deleting_a_gift(as_user, owner, client_obj):
    logged = log(client_obj, gift())
    as_user(owner).post(reverse("client_gifts:delete", args=[client_obj.pk, logged.pk]))
    assert not Gift.objects.exists()


# --- ideas ------------------------------------------------------------------------------------


def test_ideas_are_the_decks_until_the_agent_writes_their_own(as_user, owner, teammate):
    default = {t.key: t for t in gift_ideas_for_user(user=owner)}
    assert len(default["segment:manager"].ideas) == 2 and not default["segment:manager"].own
    http = as_user(owner)
    http.post(
        reverse("gifts:ideas"), {"topic": "festival:mid_autumn", "ideas": "广式月饼\n\n大闸蟹"}
    )
    mine = {t.key: t for t in gift_ideas_for_user(user=owner)}
    assert mine["festival:mid_autumn"].ideas == ["广式月饼", "大闸蟹"]
    assert mine["festival:mid_autumn"].own
    # The teammate still sees the defaults.
    assert not {t.key: t for t in gift_ideas_for_user(user=teammate)}["festival:mid_autumn"].own
    http.post(reverse("gifts:ideas"), {"topic": "festival:mid_autumn", "ideas": ""})
    assert not {t.key: t for t in gift_ideas_for_user(user=owner)}["festival:mid_autumn"].own
    http.post(reverse("gifts:ideas"), {"topic": "nonsense", "ideas": "x"})
    assert owner.gift_ideas.count() == 0


# --- the manager, the service page, the touch action ---------------------------------------


def test_the_manager_sees_their_agents_gifts_above_the_cap_masked(
    as_user, manager, owner, outsider
):
    mine = ClientFactory(owner=owner, name="王芳")
    GiftFactory(client=mine, what="金条", cost=Decimal("3000"), given_on=date.today())
    GiftFactory(client=mine, what="贺卡", cost=Decimal("10"), given_on=date.today())
    GiftFactory(
        client=ClientFactory(owner=outsider),
        what="名表",
        cost=Decimal("9000"),
        given_on=date.today(),
    )
    response = as_user(manager).get(reverse("team_gifts:overview"))
    assert [g.what for g in response.context["page"].object_list] == ["金条"]
    body = response.content.decode()
    assert "王**" in body and "王芳" not in body


def test_service_panel_figures(owner):
    client = ClientFactory(owner=owner, name="李强")
    GiftFactory(client=client, cost=Decimal("250"), given_on=DAY, year_total=Decimal("250"))
    GiftFactory(client=client, cost=Decimal("100"), given_on=DAY, year_total=Decimal("600"))
    GiftFactory(client=client, cost=Decimal("100"), given_on=date(2020, 1, 1))
    f = service_panel(owner, date(2026, 1, 1), date(2026, 12, 31))["gift_figures"]
    assert (f.gifts, f.spent, f.above_cap, f.clients_over_year_cap) == (2, Decimal("350"), 2, 1)
    assert {g.client_masked for g in f.above} == {"李**"}


def test_birthday_and_festival_touches_offer_to_log_the_gift(client_obj):
    birthday = TouchFactory(client=client_obj, kind="birthday")
    festival = TouchFactory(
        client=client_obj, kind="festival", label="mid_autumn", source="festival:mid_autumn"
    )
    other = TouchFactory(client=client_obj, kind="neglect")
    assert log_gift_url(birthday).endswith("?occasion=birthday")
    assert log_gift_url(festival).endswith("?occasion=mid_autumn")
    assert any(a.get("key") == "gift_log" for a in row_actions(festival))
    assert not any(a.get("key") == "gift_log" for a in row_actions(other))


def test_client_page_shows_the_gifts(as_user, owner, client_obj):
    log(client_obj, gift("阳澄湖大闸蟹", "180"))
    response = as_user(owner).get(reverse("clients:detail", args=[client_obj.pk]))
    assert "阳澄湖大闸蟹" in response.content.decode()


# --- merge and privacy ------------------------------------------------------------------------


def test_merge_moves_the_gifts_and_undo_puts_them_back(owner, client_obj):
    other = ClientFactory(owner=owner, name="王芳")
    logged = log(other, gift())
    merge = client_merge(kept=client_obj, other=other, by=owner, choices={})
    assert Gift.objects.get(pk=logged.pk).client_id == client_obj.pk
    client_merge_undo(merge=merge, by=owner)
    assert Gift.objects.get(pk=logged.pk).client_id == other.pk


def test_privacy_export_and_erase_cover_gifts(owner, client_obj):
    logged = services.gift_log(
        owner=owner,
        client=client_obj,
        data=GiftInput("书", "other", Decimal("80"), DAY, "她喜欢张爱玲"),
    )
    assert [row["what"] for row in client_data_sections(client=client_obj)["gifts"]] == ["书"]
    client_erase(client=client_obj, by=owner)
    logged.refresh_from_db()
    assert logged.notes == "" and logged.cost == Decimal("80")


def test_a_user_with_no_team_sees_no_team_gifts(as_user):
    lone = UserFactory(username="lone-manager", role="manager")
    response = as_user(lone).get(reverse("team_gifts:overview"))
    assert response.status_code == 200 and not response.context["page"].object_list


def test_done_on_a_birthday_touch_offers_to_log_the_gift(as_user, owner, client_obj):
    touch = TouchFactory(client=client_obj, kind="birthday")
    http = as_user(owner)
    response = http.post(
        reverse("touches:done", args=[touch.pk]), {"channel": "message"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("client_gifts:log", args=[client_obj.pk]) + "?occasion=birthday" in body
    # A kind without gifts offers nothing after done.
    other = TouchFactory(client=client_obj, kind="neglect")
    response = http.post(
        reverse("touches:done", args=[other.pk]), {"channel": "message"}, HTTP_HX_REQUEST="true"
    )
    assert (
        "client_gifts" not in response.content.decode()
        and "/gifts/" not in response.content.decode()
    )


def test_ideas_page_shows_each_list_in_its_box(as_user, owner):
    body = as_user(owner).get(reverse("gifts:ideas")).content.decode()
    assert "{{" not in body
    assert "月饼</textarea>" in body  # the Mid-Autumn defaults, in the agent's language


def test_service_panel_templates_render_counts_only(owner):
    from django.template.loader import render_to_string

    from events.panels import service_events_panel

    client = ClientFactory(owner=owner, name="欧阳娜娜")
    GiftFactory(client=client, what="金镯子", cost=Decimal("2000"), given_on=DAY)
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    html = render_to_string(
        "gifts/_service_panel.html", {"panel": service_panel(owner, start, end)}
    )
    assert "金镯子" in html and "欧**" in html and "欧阳娜娜" not in html
    html = render_to_string(
        "events/_service_panel.html", {"panel": service_events_panel(owner, start, end)}
    )
    assert 'id="service-events"' in html
