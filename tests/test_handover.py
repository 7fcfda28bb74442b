"""Handing over a departing agent's book (孤儿单)."""

import datetime

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse

from agentcrm.accounts.models import User
from clients.models import Client, Tag
from handover import services
from handover.models import Handover, HandoverClient
from policies.models import Policy
from referrals.models import Referral, ReferralRequest, ReferralStageChange
from servicing.models import ServiceRequest
from touches.build import touch_build_now
from touches.models import Touch

from .factories import PASSWORD, ClientFactory, CommitmentFactory, TeamFactory, UserFactory
from .policy_factories import PolicyFactory
from .referral_factories import (
    ReferralFactory,
    ReferralRequestFactory,
    ReferralStageChangeFactory,
)
from .service_request_factories import ServiceRequestFactory
from .touch_factories import TouchFactory

TODAY = datetime.date(2026, 11, 24)


@pytest.fixture
def book(owner):
    """The departing agent's book: a referral chain A → B → C, a loner D, an archived E."""
    a = ClientFactory(owner=owner, name="甲")
    b = ClientFactory(owner=owner, name="乙")
    c = ClientFactory(owner=owner, name="丙")
    d = ClientFactory(owner=owner, name="丁")
    e = ClientFactory(owner=owner, name="戊")
    Client.objects.filter(pk=e.pk).update(
        archived_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    tag = Tag.objects.create(owner=owner, name="高净值")
    a.tags.add(tag)
    policy = PolicyFactory(holder=a, number="P-HAND-1")
    ServiceRequestFactory(policy=policy)
    ab = ReferralFactory(referrer=a, referred=b)
    bc = ReferralFactory(referrer=b, referred=c, depth=2)
    ReferralRequestFactory(client=a)
    ReferralStageChangeFactory(referral=ab)
    TouchFactory(client=d)
    TouchFactory(client=d, status=Touch.Status.DONE, kind="festival")
    CommitmentFactory(client=d)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "policy": policy, "chain": [ab, bc]}


def owned_by(user) -> dict[str, int]:
    return {
        "clients": Client.objects.filter(owner=user).count(),
        "policies": Policy.objects.filter(owner=user).count(),
        "requests": ServiceRequest.objects.filter(owner=user).count(),
        "referrals": Referral.objects.filter(owner=user).count(),
        "asks": ReferralRequest.objects.filter(owner=user).count(),
        "stages": ReferralStageChange.objects.filter(owner=user).count(),
        "touches": Touch.objects.filter(owner=user).count(),
    }


def test_every_model_with_an_owner_is_moved_or_kept_on_purpose():
    with_owner = {
        model._meta.label
        for model in apps.get_models()
        if any(
            f.name == "owner"
            and f.is_relation
            and f.related_model._meta.label == settings.AUTH_USER_MODEL
            for f in model._meta.get_fields()
        )
        and not model._meta.label.startswith("simple_history")
        and not model.__name__.startswith("Historical")
    }
    assert with_owner == services.MOVES | services.STAYS


def test_whole_book_moves_to_one_agent(book, owner, teammate, manager):
    before = owned_by(owner)
    handover = services.handover_execute(from_agent=owner, to_agents=[teammate], by=manager)

    assert owned_by(teammate) == before
    assert owned_by(owner) == dict.fromkeys(before, 0)
    assert handover.clients_moved == 5 and handover.policies_moved == 1
    # The tag is the new agent's own, with the same name.
    assert [t.owner for t in book["a"].tags.all()] == [teammate]
    assert Tag.objects.filter(owner=teammate, name="高净值").exists()
    # Who served the client before is kept.
    changes = HandoverClient.objects.filter(client=book["a"])
    assert [(c.from_agent, c.to_agent) for c in changes] == [(owner, teammate)]
    # The audit trail shows the move, by the manager.
    last = book["a"].history.order_by("-history_id").first()
    assert last.owner_id == teammate.pk and last.history_user == manager
    # Promises hang off the client and come along.
    assert Client.objects.get(commitments__isnull=False).owner == teammate


def test_departing_agent_is_switched_off_and_signed_out(book, owner, teammate, manager):
    session = HttpClient()
    session.force_login(owner)
    assert session.get(reverse("clients:list")).status_code == 200

    services.handover_execute(from_agent=owner, to_agents=[teammate], by=manager)

    owner.refresh_from_db()
    assert not owner.is_active
    assert session.get(reverse("clients:list")).status_code == 302
    login = HttpClient().post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    assert login.status_code == 200  # the form again, with an error: no sign-in


def test_split_keeps_referral_chains_together_and_balances(owner, teammate, manager, team):
    third = UserFactory(username="third", team=team)
    chain = [ClientFactory(owner=owner, name=f"链{i}") for i in range(3)]
    ReferralFactory(referrer=chain[0], referred=chain[1])
    ReferralFactory(referrer=chain[1], referred=chain[2], depth=2)
    singles = [ClientFactory(owner=owner, name=f"单{i}") for i in range(3)]

    services.handover_execute(from_agent=owner, to_agents=[teammate, third], by=manager)

    chain_owners = {c.owner for c in Client.objects.filter(pk__in=[c.pk for c in chain])}
    assert len(chain_owners) == 1  # never split
    assert Client.objects.filter(owner=teammate).count() == 3
    assert Client.objects.filter(owner=third).count() == 3
    assert Client.objects.filter(pk__in=[c.pk for c in singles], owner=owner).count() == 0
    # Every referral is between two records of the same agent.
    for referral in Referral.objects.select_related("referrer", "referred"):
        assert referral.owner_id == referral.referrer.owner_id == referral.referred.owner_id


def test_all_or_nothing(book, owner, teammate, manager, monkeypatch):
    before = owned_by(owner)

    def broken(*, user):
        raise RuntimeError("session store down")

    monkeypatch.setattr(services, "user_deactivate", broken)
    with pytest.raises(RuntimeError):
        services.handover_execute(from_agent=owner, to_agents=[teammate], by=manager)
    assert owned_by(owner) == before
    assert not Handover.objects.exists() and not HandoverClient.objects.exists()
    owner.refresh_from_db()
    assert owner.is_active


def test_refuses_handing_over_to_the_departing_agent(owner, manager):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.handover_execute(from_agent=owner, to_agents=[owner], by=manager)


@time_machine.travel(datetime.datetime(2026, 11, 24, 9, tzinfo=datetime.UTC))
def test_new_agent_gets_an_introduction_touch(
    book, owner, teammate, manager, django_capture_on_commit_callbacks
):
    touch_build_now(today=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        services.handover_execute(from_agent=owner, to_agents=[teammate], by=manager)
    # Tests run Celery eagerly: the on-commit rebuild ran for the days already built.
    intro = Touch.objects.filter(kind="agent_introduction", owner=teammate)
    # Archived clients get no touch; the four others do, due today.
    assert set(intro.values_list("client__name", flat=True)) == {"甲", "乙", "丙", "丁"}
    assert set(intro.values_list("due_date", flat=True)) == {TODAY}
    assert set(intro.values_list("label", flat=True)) == {str(owner)}


@time_machine.travel(datetime.datetime(2026, 11, 24, 9, tzinfo=datetime.UTC))
def test_introduction_touch_is_built_by_the_nightly_run_too(book, owner, teammate, manager):
    services.handover_execute(from_agent=owner, to_agents=[teammate], by=manager)
    assert not Touch.objects.filter(kind="agent_introduction").exists()  # nothing built yet
    touch_build_now(today=TODAY)
    assert Touch.objects.filter(kind="agent_introduction", owner=teammate).count() == 4


# --- Pages --------------------------------------------------------------------------------


def test_agent_may_not_hand_over(as_user, owner, teammate):
    assert as_user(owner).get(reverse("handover:start")).status_code == 403
    response = as_user(owner).post(
        reverse("handover:start"),
        {"from_agent": teammate.pk, "to_agents": [owner.pk], "action": "confirm"},
    )
    assert response.status_code == 403
    assert teammate.clients.count() == 0 or Client.objects.filter(owner=owner).count() == 0


def test_manager_previews_then_confirms(as_user, book, owner, teammate, manager):
    http = as_user(manager)
    data = {"from_agent": owner.pk, "to_agents": [teammate.pk], "reason": "离职"}
    preview = http.post(reverse("handover:start"), data | {"action": "preview"})
    assert preview.status_code == 200
    assert "甲" in preview.content.decode()
    assert Client.objects.filter(owner=owner).count() == 5  # a preview moves nothing

    done = http.post(reverse("handover:start"), data | {"action": "confirm"})
    handover = Handover.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "handover:detail", args=[handover.pk]
    )
    assert Client.objects.filter(owner=teammate).count() == 5
    assert handover.reason == "离职" and handover.by == manager
    page = as_user(teammate).get(reverse("clients:detail", args=[book["a"].pk]))
    assert str(owner) in page.content.decode()  # "handed over from …" on the client page


def test_manager_of_another_team_cannot_take_or_give_this_book(as_user, book, owner, teammate):
    other_manager = UserFactory(username="boss2", role=User.Role.MANAGER)
    other_team = TeamFactory(name="深圳四部", manager=other_manager)
    their_agent = UserFactory(username="their-agent", team=other_team)
    http = as_user(other_manager)
    response = http.post(
        reverse("handover:start"),
        {"from_agent": owner.pk, "to_agents": [their_agent.pk], "action": "confirm"},
    )
    assert response.status_code == 200  # the form refuses the choice
    assert response.context["form"].errors
    assert Client.objects.filter(owner=owner).count() == 5


@time_machine.travel(datetime.datetime(2026, 11, 24, 9, tzinfo=datetime.UTC))
def test_introductions_are_built_in_process_when_the_broker_is_down(
    book, owner, teammate, manager, django_capture_on_commit_callbacks, monkeypatch
):
    from agentcrm.core import broker

    monkeypatch.setattr(broker, "task_send", lambda **kwargs: False)
    touch_build_now(today=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        services.handover_execute(from_agent=owner, to_agents=[teammate], by=manager)
    assert Touch.objects.filter(kind="agent_introduction", owner=teammate).count() == 4


# --- households, the page after confirming, agents switched off in the admin ------------------


def test_split_keeps_a_household_together(owner, teammate, manager, team):
    """A policy's holder and its insured (a client of their own) go to the same agent, as a
    chain does: the policy moves with the holder and never points at another agent's client."""
    third = UserFactory(username="third", team=team)
    parent = ClientFactory(owner=owner, name="父亲")
    child = ClientFactory(owner=owner, name="孩子")
    spouse = ClientFactory(owner=owner, name="配偶")
    PolicyFactory(holder=parent, insured_client=child)
    PolicyFactory(holder=spouse, insured_client=parent)
    singles = [ClientFactory(owner=owner, name=f"单{i}") for i in range(3)]

    services.handover_execute(from_agent=owner, to_agents=[teammate, third], by=manager)

    household = Client.objects.filter(pk__in=[parent.pk, child.pk, spouse.pk])
    assert len({client.owner_id for client in household}) == 1
    assert {Client.objects.get(pk=c.pk).owner_id for c in singles} == {third.pk}
    for policy in Policy.objects.select_related("holder", "insured_client"):
        assert policy.owner_id == policy.holder.owner_id == policy.insured_client.owner_id


def test_the_plan_groups_a_household_with_a_chain(owner, teammate, manager, team):
    a, b, c = (ClientFactory(owner=owner, name=n) for n in "甲乙丙")
    ReferralFactory(referrer=a, referred=b)
    PolicyFactory(holder=c, insured_client=b)
    ClientFactory(owner=owner, name="丁")
    plan = services.handover_plan(
        from_agent=owner, to_agents=[teammate, UserFactory(username="x", team=team)]
    )
    assert sorted(map(sorted, plan.assignment.values())) == sorted(
        [sorted([a.pk, b.pk, c.pk]), [Client.objects.get(name="丁").pk]]
    )


def test_the_manager_sees_the_handover_right_after_confirming(
    as_user, book, owner, teammate, manager
):
    http = as_user(manager)
    data = {"from_agent": owner.pk, "to_agents": [teammate.pk], "action": "confirm"}
    done = http.post(reverse("handover:start"), data, follow=True)
    assert done.status_code == 200
    assert done.redirect_chain[-1][0] == reverse(
        "handover:detail", args=[Handover.objects.get().pk]
    )
    # The list of past handovers still shows it, the departing agent now switched off.
    assert str(owner) in http.get(reverse("handover:start")).content.decode()


def test_an_agent_switched_off_in_the_admin_can_still_be_handed_over(
    as_user, book, owner, teammate, manager
):
    owner.is_active = False
    owner.save()
    http = as_user(manager)
    page = http.get(reverse("handover:start"))
    assert owner in page.context["form"].fields["from_agent"].queryset
    assert owner not in page.context["form"].fields["to_agents"].queryset

    done = http.post(
        reverse("handover:start"),
        {"from_agent": owner.pk, "to_agents": [teammate.pk], "action": "confirm"},
    )
    assert done.status_code == 302
    assert Client.objects.filter(owner=teammate).count() == 5
    assert http.get(done["Location"]).status_code == 200
    # Nothing left: the agent is no longer offered.
    again = http.get(reverse("handover:start"))
    assert owner not in again.context["form"].fields["from_agent"].queryset


def test_a_switched_off_agent_cannot_take_a_book(as_user, book, owner, teammate, manager):
    teammate.is_active = False
    teammate.save()
    response = as_user(manager).post(
        reverse("handover:start"),
        {"from_agent": owner.pk, "to_agents": [teammate.pk], "action": "confirm"},
    )
    assert response.status_code == 200 and response.context["form"].errors["to_agents"]
    assert Client.objects.filter(owner=owner).count() == 5
