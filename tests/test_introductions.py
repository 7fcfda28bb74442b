"""Introductions between clients: consent enforced (no suggestion, no introduction
without it), set-based suggestions by need, tag, interest and segment, both timelines,
the follow-up touches, matchmaking opt-in, the merge mover and scoping."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from agentcrm.core.models import JobMarker
from clients.models import Client, Interaction, Segment, Tag
from clients.services import client_merge
from introductions.models import FOLLOW_UP_KIND, Introduction, MatchProfile, Need, Offer
from introductions.selectors import service_panel_context, suggested_matches
from introductions.services import (
    introduction_make,
    introduction_outcome_set,
    match_profile_create,
    matchmaking_make,
)
from touches import build
from touches.models import Touch

from .factories import ClientFactory, FamilyMemberFactory, force_login_verified

TODAY = datetime.date(2026, 11, 20)
AGREED = datetime.date(2026, 11, 1)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("travel")]


@pytest.fixture
def travel():
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, 0), tick=False):
        # The nightly build has built through the horizon, so a rebuild writes touches.
        JobMarker.objects.update_or_create(
            name=build.BUILD_JOB, defaults={"last_completed_day": TODAY + datetime.timedelta(7)}
        )
        yield


@pytest.fixture
def car_wash(owner):
    shop = ClientFactory(owner=owner, name="洗车店老板")
    return Offer.objects.create(
        client=shop,
        title="洗车店",
        discount="八折",
        serves="owns_car",
        keywords="洗车 汽车",
        consent_on=AGREED,
    )


def _pairs(owner):
    return {(s.offer.client.name, s.client.name) for s in suggested_matches(user=owner)}


def test_suggestions_by_need_tag_interest_and_segment(owner, car_wash):
    need = ClientFactory(owner=owner, name="有车")
    Need.objects.create(client=need, kind="owns_car", consent_on=AGREED)
    tagged = ClientFactory(owner=owner, name="标签")
    tagged.tags.add(Tag.objects.create(owner=owner, name="汽车"))
    Need.objects.create(client=tagged, kind="home", consent_on=AGREED)
    keen = ClientFactory(owner=owner, name="兴趣", interests="自驾游、洗车")
    Need.objects.create(client=keen, kind="health", consent_on=AGREED)
    manager = ClientFactory(owner=owner, name="经理")
    manager.segments.add(Segment.objects.get(code="manager"))
    Need.objects.create(client=manager, kind="health", consent_on=AGREED)
    car_wash.segment = "manager"
    car_wash.save()
    ClientFactory(owner=owner, name="无关")
    found = {s.client.name: s for s in suggested_matches(user=owner)}
    assert set(found) == {"有车", "标签", "兴趣", "经理"}
    assert found["有车"].by_need and not found["有车"].by_tag
    assert found["标签"].by_tag
    assert found["兴趣"].by_interest
    assert found["经理"].by_segment


def test_no_suggestion_without_consent_on_either_side(owner, car_wash):
    needy = ClientFactory(owner=owner, name="有车未同意")
    need = Need.objects.create(client=needy, kind="owns_car", consent_on=None)
    assert _pairs(owner) == set()
    need.consent_on = AGREED
    need.save()
    assert _pairs(owner) == {("洗车店老板", "有车未同意")}
    car_wash.consent_on = None
    car_wash.save()
    assert _pairs(owner) == set()


def test_do_not_contact_and_other_agents_clients_are_never_suggested(owner, outsider, car_wash):
    dnc = ClientFactory(owner=owner, name="勿扰", do_not_contact=True)
    Need.objects.create(client=dnc, kind="owns_car", consent_on=AGREED)
    theirs = ClientFactory(owner=outsider, name="别人的")
    Need.objects.create(client=theirs, kind="owns_car", consent_on=AGREED)
    assert _pairs(owner) == set()
    assert _pairs(outsider) == set()


def test_introduction_is_refused_without_consent(owner, car_wash):
    needy = ClientFactory(owner=owner, name="未同意")
    Need.objects.create(client=needy, kind="owns_car")
    with pytest.raises(ValidationError):
        introduction_make(owner=owner, offer=car_wash, client=needy)
    car_wash.consent_on = None
    car_wash.save()
    Need.objects.filter(client=needy).update(consent_on=AGREED)
    with pytest.raises(ValidationError):
        introduction_make(owner=owner, offer=car_wash, client=needy)
    assert not Introduction.objects.exists()
    assert not Interaction.objects.exists()


def test_introduction_logs_both_timelines_and_a_follow_up_for_each(owner, car_wash):
    needy = ClientFactory(owner=owner, name="有车")
    Need.objects.create(client=needy, kind="owns_car", consent_on=AGREED)
    intro = introduction_make(owner=owner, offer=car_wash, client=needy)
    logged = Interaction.objects.filter(kind=Interaction.Kind.SERVICE, date=TODAY)
    assert set(logged.values_list("client_id", flat=True)) == {car_wash.client_id, needy.pk}
    assert all("洗车店" in s for s in logged.values_list("summary", flat=True))
    # Logged contacts: both clients' last contact is the introduction's day.
    assert set(
        Client.objects.filter(pk__in=[car_wash.client_id, needy.pk]).values_list(
            "last_contact_on", flat=True
        )
    ) == {TODAY}
    follow_ups = Touch.objects.filter(kind=FOLLOW_UP_KIND, source=f"intro:{intro.pk}")
    assert set(follow_ups.values_list("client_id", "occasion_date")) == {
        (car_wash.client_id, TODAY + datetime.timedelta(days=7)),
        (needy.pk, TODAY + datetime.timedelta(days=7)),
    }
    # Suggested no more once made.
    assert _pairs(owner) == set()
    introduction_outcome_set(introduction=intro, outcome="went_well", note="打了八折")
    assert set(follow_ups.values_list("status", flat=True)) == {Touch.Status.DONE}


def test_matchmaking_is_opt_in_per_person_and_logged(owner):
    mum = ClientFactory(owner=owner, name="张阿姨")
    son = FamilyMemberFactory(client=mum, name="张小明", relation="child")
    single = ClientFactory(owner=owner, name="李小姐")
    first = match_profile_create(client=mum, member=son, opted_in_on=TODAY)
    second = match_profile_create(client=single, member=None, opted_in_on=TODAY)
    with pytest.raises(ValidationError):
        match_profile_create(client=single, member=None, opted_in_on=TODAY)
    stranger = FamilyMemberFactory(client=ClientFactory(owner=owner))
    with pytest.raises(ValidationError):
        match_profile_create(client=mum, member=stranger, opted_in_on=TODAY)
    intro = matchmaking_make(owner=owner, first=first, second=second)
    assert intro.kind == Introduction.Kind.MATCHMAKING
    assert Interaction.objects.filter(client=mum, summary__contains="张小明").exists()
    assert Touch.objects.filter(kind=FOLLOW_UP_KIND, client=single).exists()
    second.active = False
    second.save()
    with pytest.raises(ValidationError):
        matchmaking_make(owner=owner, first=first, second=second)


def test_the_page_flows(client, owner, car_wash):
    needy = ClientFactory(owner=owner, name="有车客户")
    force_login_verified(client, owner)
    response = client.post(
        reverse("introductions:need_new"),
        {"client": needy.pk, "kind": "owns_car", "description": "两辆车"},
    )
    assert response.status_code == 302
    need = Need.objects.get(client=needy)
    assert need.consent_on is None
    assert "有车客户" not in {s.client.name for s in suggested_matches(user=owner)}
    client.post(reverse("introductions:need_consent", args=[need.pk]), {"consent": "1"})
    need.refresh_from_db()
    assert need.consent_on == TODAY
    page = client.get(reverse("introductions:index"))
    assert "有车客户" in page.content.decode()
    response = client.post(
        reverse("introductions:introduce"), {"offer": car_wash.pk, "client": needy.pk}
    )
    assert response.status_code == 302
    intro = Introduction.objects.get()
    response = client.post(
        reverse("introductions:outcome", args=[intro.pk]), {"outcome": "nothing_came"}
    )
    intro.refresh_from_db()
    assert intro.outcome == "nothing_came"
    bad = client.post(reverse("introductions:offer_new"), {"client": needy.pk, "title": ""})
    assert bad.status_code == 400
    assert Offer.objects.count() == 1


def test_introduce_another_agents_client_is_404(client, owner, teammate, car_wash):
    theirs = ClientFactory(owner=teammate)
    Need.objects.create(client=theirs, kind="owns_car", consent_on=AGREED)
    force_login_verified(client, owner)
    response = client.post(
        reverse("introductions:introduce"), {"offer": car_wash.pk, "client": theirs.pk}
    )
    assert response.status_code == 404
    force_login_verified(client, teammate)
    response = client.post(
        reverse("introductions:introduce"), {"offer": car_wash.pk, "client": theirs.pk}
    )
    assert response.status_code == 404
    assert not Introduction.objects.exists()


def test_service_panel_counts(owner, car_wash):
    needy = ClientFactory(owner=owner)
    Need.objects.create(client=needy, kind="owns_car", consent_on=AGREED)
    introduction_make(owner=owner, offer=car_wash, client=needy)
    counts = service_panel_context(owner, TODAY - datetime.timedelta(days=30), TODAY)
    assert counts["introductions"]["made"] == 1
    assert counts["introductions"]["open_follow_ups"] == 1


def test_merge_moves_offers_needs_profiles_and_introductions(owner, car_wash):
    kept = ClientFactory(owner=owner, name="王芳")
    other = ClientFactory(owner=owner, name="王芳")
    Need.objects.create(client=other, kind="owns_car", consent_on=AGREED)
    MatchProfile.objects.create(client=other, opted_in_on=TODAY)
    intro = introduction_make(owner=owner, offer=car_wash, client=other)
    client_merge(kept=kept, other=other, by=owner)
    assert Need.objects.get().client == kept
    assert MatchProfile.objects.get().client == kept
    intro.refresh_from_db()
    assert intro.client_b == kept


def test_privacy_export_and_erase_cover_the_introduction_rows(owner, car_wash):
    from privacy.export import client_data_sections
    from privacy.services import client_erase

    needy = ClientFactory(owner=owner, name="有车")
    Need.objects.create(client=needy, kind="owns_car", description="两辆宝马", consent_on=AGREED)
    MatchProfile.objects.create(client=needy, opted_in_on=TODAY, notes="想找老师")
    intro = introduction_make(owner=owner, offer=car_wash, client=needy, note="周末去")
    sections = client_data_sections(client=needy)
    assert [n["description"] for n in sections["introduction_needs"]] == ["两辆宝马"]
    assert [p["notes"] for p in sections["matchmaking"]] == ["想找老师"]
    assert [i["note"] for i in sections["introductions"]] == ["周末去"]
    assert [
        o["title"] for o in client_data_sections(client=car_wash.client)["introduction_offers"]
    ] == ["洗车店"]
    client_erase(client=needy, by=owner)
    assert Need.objects.get(client=needy).description == ""
    assert not MatchProfile.objects.filter(client=needy).exists()
    intro.refresh_from_db()
    assert intro.note == "" and intro.kind == Introduction.Kind.BUSINESS
    client_erase(client=car_wash.client, by=owner)
    car_wash.refresh_from_db()
    assert (car_wash.title, car_wash.discount, car_wash.keywords) == ("", "", "")


def test_the_page_runs_a_fixed_number_of_queries(
    client, owner, car_wash, django_assert_max_num_queries
):
    def grow(n):
        for i in range(n):
            needy = ClientFactory(owner=owner, name=f"有车{i}")
            Need.objects.create(client=needy, kind="owns_car", consent_on=AGREED)
            Offer.objects.create(client=needy, title=f"生意{i}", keywords="车", consent_on=AGREED)

    force_login_verified(client, owner)
    grow(2)
    with django_assert_max_num_queries(30) as small:
        assert client.get(reverse("introductions:index")).status_code == 200
    grow(8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("introductions:index")).status_code == 200


def test_the_client_page_shows_offers_needs_and_consent(client, owner, car_wash):
    force_login_verified(client, owner)
    body = client.get(reverse("clients:detail", args=[car_wash.client_id])).content.decode()
    assert 'id="client-introductions"' in body and "洗车店" in body and "八折" in body
