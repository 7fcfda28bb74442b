"""Campaigns of irregular service: the audience (client filters plus cover), one
set-based INSERT of touches, do-not-contact clients left out and counted, the page's
done / open / skipped, the message's {称呼}, and scoping."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import CAMPAIGN_KIND, Campaign
from campaigns.selectors import audience_for, campaign_counts
from campaigns.services import campaign_create
from clients.models import Client, Segment, Tag
from policies.models import Policy
from touches.greetings import greeting_for
from touches.models import Touch

from .factories import ClientFactory, force_login_verified
from .policy_factories import PolicyFactory, RiderFactory

TODAY = datetime.date(2026, 11, 20)
DUE = datetime.date(2026, 11, 25)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("travel")]


@pytest.fixture
def travel():
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, 0), tick=False):
        yield


def _make(owner, audience, **kw):
    return campaign_create(
        owner=owner,
        reason=Campaign.Reason.NEW_PRODUCT,
        title=kw.pop("title", "新品重疾上市"),
        message=kw.pop("message", "{称呼}，公司新出了一款重疾险，有空给您讲讲。"),
        due_date=kw.pop("due_date", DUE),
        audience=audience,
        **kw,
    )


def test_campaign_writes_one_touch_per_client_in_one_statement(owner, outsider):
    clients = [ClientFactory(owner=owner) for _ in range(5)]
    ClientFactory(owner=outsider)  # another agent's client is never in the audience
    with CaptureQueriesContext(connection) as queries:
        campaign = _make(owner, {})
    inserts = [
        q["sql"] for q in queries.captured_queries if 'INSERT INTO "touches_touch"' in q["sql"]
    ]
    assert len(inserts) == 1
    touches = Touch.objects.filter(kind=CAMPAIGN_KIND, source=campaign.touch_source)
    assert sorted(touches.values_list("client_id", flat=True)) == sorted(c.pk for c in clients)
    assert set(touches.values_list("due_date", "owner_id", "status")) == {
        (DUE, owner.pk, Touch.Status.OPEN)
    }
    assert campaign.touches_made == 5


def test_do_not_contact_clients_are_left_out_and_counted(owner):
    ClientFactory(owner=owner)
    ClientFactory(owner=owner, do_not_contact=True)
    ClientFactory(owner=owner, do_not_contact=True)
    campaign = _make(owner, {})
    assert campaign.touches_made == 1
    assert campaign.do_not_contact_excluded == 2
    assert not Touch.objects.filter(client__do_not_contact=True).exists()


def test_archived_and_merged_clients_are_not_in_the_audience(owner):
    live = ClientFactory(owner=owner)
    ClientFactory(owner=owner, archived_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    ClientFactory(owner=owner, merged_into=live)
    assert audience_for(user=owner, data={}).size == 1


def test_no_critical_illness_cover_counts_riders_and_policies_sold_by_others(owner):
    bare = ClientFactory(owner=owner, name="无重疾")
    own_ci = ClientFactory(owner=owner, name="自有重疾")
    PolicyFactory(holder=own_ci, policy_type=Policy.Type.CRITICAL_ILLNESS)
    by_rider = ClientFactory(owner=owner, name="附加重疾")
    RiderFactory(
        policy=PolicyFactory(holder=by_rider),
        name="附加重大疾病保险",
        expiry_date=datetime.date(2030, 1, 1),
    )
    expired_rider = ClientFactory(owner=owner, name="附加险已到期")
    RiderFactory(
        policy=PolicyFactory(holder=expired_rider),
        name="附加重大疾病保险",
        expiry_date=datetime.date(2025, 1, 1),
    )
    elsewhere = ClientFactory(owner=owner, name="他司重疾")
    PolicyFactory(holder=elsewhere, policy_type=Policy.Type.CRITICAL_ILLNESS, sold_by_others=True)
    lapsed = ClientFactory(owner=owner, name="已失效")
    PolicyFactory(
        holder=lapsed, policy_type=Policy.Type.CRITICAL_ILLNESS, status=Policy.Status.LAPSED
    )
    found = audience_for(user=owner, data={"no_critical_illness": "on"})
    names = set(found.clients.values_list("name", flat=True))
    assert names == {"无重疾", "附加险已到期", "已失效"}
    assert bare.name in names


def test_policy_type_age_segment_tier_tag_and_interest_filters(owner):
    tag = Tag.objects.create(owner=owner, name="车主")
    manager = Segment.objects.get(code=Segment.Code.MANAGER)
    young = ClientFactory(owner=owner, name="年轻", birth_date=datetime.date(2000, 1, 1))
    old = ClientFactory(
        owner=owner,
        name="年长",
        birth_date=datetime.date(1960, 1, 1),
        vip_tier=Client.Tier.GOLD,
        interests="钓鱼、书法",
    )
    old.tags.add(tag)
    old.segments.add(manager)
    PolicyFactory(holder=young, policy_type=Policy.Type.MEDICAL)

    def names(data):
        return set(audience_for(user=owner, data=data).clients.values_list("name", flat=True))

    assert names({"policy_type": "medical"}) == {"年轻"}
    assert names({"age_min": "60"}) == {"年长"}
    assert names({"age_max": "30"}) == {"年轻"}
    assert names({"age_min": "26", "age_max": "26"}) == {"年轻"}
    assert names({"age_min": "27", "age_max": "66"}) == {"年长"}
    assert names({"age_min": "27", "age_max": "65"}) == set()
    assert names({"segment": "manager"}) == {"年长"}
    assert names({"tier": "gold"}) == {"年长"}
    assert names({"tag": "车主"}) == {"年长"}
    assert names({"interest": "钓鱼"}) == {"年长"}


def test_tag_and_segment_joins_make_no_duplicate_touches(owner):
    client = ClientFactory(owner=owner)
    for name in ("甲", "乙"):
        client.tags.add(Tag.objects.create(owner=owner, name=name))
    campaign = _make(owner, {"q": "甲"})
    assert campaign.touches_made == 1


def test_empty_audience_and_bad_input_write_nothing(owner):
    from django.core.exceptions import ValidationError

    ClientFactory(owner=owner, do_not_contact=True)
    with pytest.raises(ValidationError):
        _make(owner, {})
    ClientFactory(owner=owner)
    with pytest.raises(ValidationError):
        _make(owner, {}, message="{称呼}，{节日}快乐")
    with pytest.raises(ValidationError):
        _make(owner, {}, due_date=TODAY - datetime.timedelta(days=1))
    assert not Campaign.objects.exists()
    assert not Touch.objects.exists()


def test_greeting_fills_the_address_in_the_message(owner):
    client = ClientFactory(owner=owner, name="王建国", salutation="王总")
    campaign = _make(owner, {}, message="{称呼}，我刚获得公司年度服务之星，感谢您的支持！")
    touch = Touch.objects.select_related("client").get(source=campaign.touch_source)
    assert greeting_for(touch, {}) == "王总，我刚获得公司年度服务之星，感谢您的支持！"
    assert touch.client == client


def test_counts_done_open_skipped(owner):
    for _ in range(4):
        ClientFactory(owner=owner)
    campaign = _make(owner, {})
    touches = list(Touch.objects.filter(source=campaign.touch_source).order_by("id"))
    Touch.objects.filter(pk=touches[0].pk).update(status=Touch.Status.DONE)
    Touch.objects.filter(pk=touches[1].pk).update(status=Touch.Status.SKIPPED)
    assert campaign_counts(campaign=campaign) == {"done": 1, "open": 2, "skipped": 1}


def test_create_through_the_page_and_preview(client, owner):
    ClientFactory(owner=owner, vip_tier=Client.Tier.GOLD)
    ClientFactory(owner=owner, vip_tier=Client.Tier.GOLD, do_not_contact=True)
    ClientFactory(owner=owner)
    force_login_verified(client, owner)
    preview = client.get(reverse("campaigns:audience"), {"tier": "gold"}, HTTP_HX_REQUEST="true")
    text = preview.content.decode()
    assert "1" in text and "audience-size" in text
    response = client.post(
        reverse("campaigns:list"),
        {
            "reason": "award",
            "title": "获奖早报告",
            "message": "{称呼}，告诉您一个好消息",
            "due_date": "2026-11-22",
            "tier": "gold",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.pk])
    assert (campaign.touches_made, campaign.do_not_contact_excluded) == (1, 1)
    assert campaign.audience == {"tier": "gold"}
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'id="count-open">1<' in page.content.decode()


def test_bad_post_shows_the_error_and_writes_nothing(client, owner):
    ClientFactory(owner=owner)
    force_login_verified(client, owner)
    response = client.post(
        reverse("campaigns:list"),
        {"reason": "award", "title": "x", "message": "{称呼}{nmae}", "due_date": "2026-11-22"},
    )
    assert response.status_code == 400
    assert "{nmae}" in response.content.decode()
    assert not Campaign.objects.exists()


def test_list_page_runs_a_fixed_number_of_queries(client, owner, django_assert_max_num_queries):
    for i in range(3):
        ClientFactory(owner=owner)
        _make(owner, {}, title=f"活动{i}")
    force_login_verified(client, owner)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("campaigns:list")).status_code == 200


def test_another_agents_campaign_is_404(client, owner, teammate):
    ClientFactory(owner=owner)
    campaign = _make(owner, {})
    force_login_verified(client, teammate)
    assert client.get(reverse("campaigns:detail", args=[campaign.pk])).status_code == 404


def test_a_message_without_the_address_starts_with_it(owner):
    ClientFactory(owner=owner, name="李梅", gender="female")
    campaign = _make(owner, {}, message="社保新政下月起实施，有疑问随时问我。")
    touch = Touch.objects.select_related("client").get(source=campaign.touch_source)
    assert greeting_for(touch, {}) == "李女士，社保新政下月起实施，有疑问随时问我。"
