"""Merging two records of one person (issue 12 §3): every attached object moves to the kept
client in one transaction, the merge is recorded and can be undone within 30 days, a merge
that would close a referral cycle is refused, and another agent's client is a 404."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.models import Client, ClientMerge, CustomDate, FamilyMember, Tag
from clients.services import client_merge, client_merge_undo
from handover.models import Handover, HandoverClient
from policies.models import Policy
from referrals.models import Referral
from touches.models import Touch

from .factories import (
    ClientFactory,
    CommitmentFactory,
    FamilyMemberFactory,
    InteractionFactory,
    LifeEventFactory,
)
from .policy_factories import PolicyFactory
from .policy_records_factories import AnnualReviewFactory
from .referral_factories import ReferralFactory, ReferralRequestFactory
from .touch_factories import TouchFactory

NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


def _attach_everything(other: Client, owner, manager) -> dict:
    """One of every kind of object attached to `other`."""
    someone = ClientFactory(owner=owner, name="李四")
    member = FamilyMemberFactory(client=other, name="王小明")
    tag = Tag.objects.create(owner=owner, name="老客户")
    other.tags.add(tag)
    handover = Handover.objects.create(from_agent=owner, by=manager)
    return {
        "member": member,
        "role": FamilyMemberFactory(client=someone, name="王芳", as_client=other),
        "date": CustomDate.objects.create(client=other, name="开业纪念日", month=5, day=8),
        "interaction": InteractionFactory(client=other),
        "event": LifeEventFactory(client=other),
        "promise": CommitmentFactory(client=other),
        "held": PolicyFactory(holder=other),
        "insured": PolicyFactory(holder=someone, insured_client=other),
        "insured_member": PolicyFactory(holder=someone, insured_client=None, insured_member=member),
        "referred_by": ReferralFactory(referrer=someone, referred=other),
        "referred": ReferralFactory(referrer=other),
        "request": ReferralRequestFactory(client=other),
        "touch": TouchFactory(client=other, kind="commitment", source="commitment:1"),
        "done_touch": TouchFactory(
            client=other, kind="neglect", source="client", status=Touch.Status.DONE
        ),
        "review": AnnualReviewFactory(household=other),
        "handover": HandoverClient.objects.create(
            handover=handover,
            client=other,
            from_agent=manager,
            to_agent=owner,
            changed_on=datetime.date(2026, 3, 1),
        ),
        "tag": tag,
    }


def _pointing_at(client: Client) -> dict[str, list[int]]:
    """Every row of every model with a key to Client that points at `client` (walked from
    the model's relations, so a relation added later is checked too)."""
    found = {}
    for relation in Client._meta.related_objects:
        if relation.many_to_many or relation.related_model is Client:
            continue
        model = relation.related_model
        if model._meta.label.split(".")[1].startswith("Historical") or model is ClientMerge:
            continue
        ids = list(
            model.objects.filter(**{relation.field.name: client}).values_list("pk", flat=True)
        )
        if ids:
            found[f"{model._meta.label}.{relation.field.name}"] = ids
    return found


@time_machine.travel(NOW, tick=False)
def test_merge_moves_every_related_object_and_undo_puts_them_back(owner, manager):
    kept = ClientFactory(owner=owner, name="王芳", mobile="+8613800000001")
    other = ClientFactory(owner=owner, name="王芳", mobile="+8613800000002", email="wf@example.com")
    things = _attach_everything(other, owner, manager)
    before = _pointing_at(other)

    merge = client_merge(kept=kept, other=other, choices={"mobile": "other", "email": "other"})

    assert _pointing_at(other) == {}, "nothing may stay on the merged record"
    kept.refresh_from_db()
    other.refresh_from_db()
    assert str(kept.mobile) == "+8613800000002" and kept.email == "wf@example.com"
    assert other.merged_into == kept and other.archived_at is not None
    assert things["held"].__class__.objects.get(pk=things["held"].pk).holder_id == kept.pk
    assert Policy.objects.get(pk=things["insured"].pk).insured_client_id == kept.pk
    assert Policy.objects.get(pk=things["insured_member"].pk).insured_member.client_id == kept.pk
    assert Referral.objects.get(pk=things["referred_by"].pk).referred_id == kept.pk
    assert Referral.objects.get(pk=things["referred"].pk).referrer_id == kept.pk
    assert FamilyMember.objects.get(pk=things["role"].pk).as_client_id == kept.pk
    assert list(kept.tags.all()) == [things["tag"]]
    assert Touch.objects.get(pk=things["done_touch"].pk).client_id == kept.pk
    # Recorded in the audit history of the kept client.
    assert kept.history.first().history_change_reason == "merge"
    assert ClientMerge.objects.get(pk=merge.pk).moved["policies"]["holder"] == [things["held"].pk]

    client_merge_undo(merge=merge)

    assert _pointing_at(other) == before
    kept.refresh_from_db()
    other.refresh_from_db()
    assert str(kept.mobile) == "+8613800000001" and kept.email == ""
    assert other.merged_into is None and other.archived_at is None
    assert list(kept.tags.all()) == []
    assert Referral.objects.get(pk=things["referred_by"].pk).depth == 1


@time_machine.travel(NOW, tick=False)
def test_merge_keeps_one_referrer_and_recomputes_depths(owner):
    root = ClientFactory(owner=owner, name="张总")
    kept = ClientFactory(owner=owner, name="王芳")
    other = ClientFactory(owner=owner, name="王芳")
    ReferralFactory(referrer=root, referred=other)
    below = ReferralFactory(referrer=other, depth=1)
    client_merge(kept=kept, other=other)
    assert Referral.objects.get(referred=kept).referrer == root
    below.refresh_from_db()
    assert below.referrer_id == kept.pk and below.depth == 2


@time_machine.travel(NOW, tick=False)
def test_merge_that_would_close_a_referral_cycle_is_refused(owner):
    kept = ClientFactory(owner=owner, name="王芳")
    other = ClientFactory(owner=owner, name="王芳")
    middle = ClientFactory(owner=owner, name="李四")
    ReferralFactory(referrer=kept, referred=middle)  # kept → middle
    ReferralFactory(referrer=middle, referred=other)  # middle → other: merged, middle → kept
    interaction = InteractionFactory(client=other)
    with pytest.raises(ValidationError) as refused:
        client_merge(kept=kept, other=other)
    assert "循环" in " ".join(refused.value.messages) or "cycle" in " ".join(refused.value.messages)
    interaction.refresh_from_db()
    other.refresh_from_db()
    assert interaction.client_id == other.pk and other.merged_into is None
    assert not ClientMerge.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_referral_between_the_two_refuses_the_merge(owner):
    kept = ClientFactory(owner=owner, name="王芳")
    other = ClientFactory(owner=owner, name="王芳")
    ReferralFactory(referrer=kept, referred=other)
    with pytest.raises(ValidationError):
        client_merge(kept=kept, other=other)


def test_undo_is_refused_after_30_days(owner):
    kept = ClientFactory(owner=owner, name="王芳")
    other = ClientFactory(owner=owner, name="王芳")
    with time_machine.travel(NOW, tick=False):
        merge = client_merge(kept=kept, other=other)
    with time_machine.travel(NOW + datetime.timedelta(days=31), tick=False):
        with pytest.raises(ValidationError) as refused:
            client_merge_undo(merge=merge)
        assert "30" in refused.value.messages[0]
    with time_machine.travel(NOW + datetime.timedelta(days=29), tick=False):
        client_merge_undo(merge=merge)
        with pytest.raises(ValidationError):
            client_merge_undo(merge=merge)


@time_machine.travel(NOW, tick=False)
def test_merge_page_merges_with_the_picked_fields(as_user, owner):
    kept = ClientFactory(owner=owner, name="王芳", occupation="")
    other = ClientFactory(owner=owner, name="王芳", occupation="教师")
    InteractionFactory(client=other)
    http = as_user(owner)
    url = reverse("clients:merge", kwargs={"pk": kept.pk, "other_id": other.pk})
    page = http.get(url)
    assert page.status_code == 200
    assert "教师" in page.content.decode()
    response = http.post(url, {"pick_occupation": "other"})
    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.occupation == "教师" and kept.interactions.count() == 1
    detail = http.get(reverse("clients:detail", kwargs={"pk": kept.pk})).content.decode()
    assert "撤销合并" in detail


@time_machine.travel(NOW, tick=False)
def test_merge_page_shows_a_refusal(as_user, owner):
    kept = ClientFactory(owner=owner, name="王芳")
    other = ClientFactory(owner=owner, name="王芳")
    ReferralFactory(referrer=other, referred=kept)
    url = reverse("clients:merge", kwargs={"pk": kept.pk, "other_id": other.pk})
    response = as_user(owner).post(url, {})
    assert response.status_code == 400
    assert "合并未进行" in response.content.decode()
    assert not ClientMerge.objects.exists()


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_another_agents_client_is_404(as_user, request, owner, persona):
    mine = ClientFactory(owner=owner, name="王芳")
    theirs = ClientFactory(owner=request.getfixturevalue(persona), name="王芳")
    http = as_user(owner)
    for pk, other_id in ((mine.pk, theirs.pk), (theirs.pk, mine.pk)):
        url = reverse("clients:merge", kwargs={"pk": pk, "other_id": other_id})
        assert http.get(url).status_code == 404
        assert http.post(url, {}).status_code == 404
    assert not ClientMerge.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_undo_view_puts_the_record_back(as_user, owner):
    kept = ClientFactory(owner=owner, name="王芳")
    other = ClientFactory(owner=owner, name="王芳")
    merge = client_merge(kept=kept, other=other)
    response = as_user(owner).post(reverse("clients:merge_undo", kwargs={"merge_id": merge.pk}))
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.merged_into is None
