"""Policy delivery (递交保单) and the annual review (年度保单检查): the checklist page and its htmx
ticks, the appointment, reviews with follow-up commitments, and the rules of both services.
The access matrix for these URLs is in test_policy_views.py."""

import datetime
from datetime import date
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from clients.models import Commitment
from policies.models import Policy
from servicing import selectors, services
from servicing.models import AnnualReview, Delivery, DeliveryItem, DeliveryTick

from .edit_forms import versioned
from .factories import ClientFactory, CommitmentFactory, FamilyMemberFactory
from .policy_factories import PolicyFactory
from .policy_records_factories import AnnualReviewFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(moment: datetime.datetime):
    return time_machine.travel(moment, tick=False)


def shanghai(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def http(as_user, owner):
    http = as_user(owner)
    http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return http


@pytest.fixture
def policy(client_obj):
    return PolicyFactory(holder=client_obj, number="P-1")  # effective 15 March 2024


def url(name: str, **kwargs) -> str:
    return reverse(f"policies:{name}", kwargs=kwargs)


def tick(http, policy, item, done=True, htmx=True):
    data = {"item": item, **({"done": "1"} if done else {})}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return http.post(url("delivery_tick", pk=policy.pk), data, **headers)


# --- delivery ---------------------------------------------------------------------------------


def test_checklist_lists_preparation_then_the_five_steps(http, policy):
    response = http.get(url("delivery", pk=policy.pk))
    checklist = response.context["checklist"]
    assert [r.item for r in checklist.preparation] == DeliveryItem.preparation()
    assert len(checklist.preparation) == 7
    assert [r.item for r in checklist.steps] == DeliveryItem.steps()
    assert len(checklist.steps) == 5
    body = response.content.decode()
    assert body.index("Thank-you message sent") < body.index("1. Congratulate the client")
    assert body.index("4. Ask for referrals") < body.index("5. Congratulate again")
    # Nothing is written just by looking.
    assert not Delivery.objects.exists()


def test_step_four_has_the_referrals_link_point(http, policy):
    body = http.get(url("delivery", pk=policy.pk)).content.decode()
    item = body[body.index('id="delivery-item-step_referrals"') :]
    item = item[: item.index("</li>")]
    assert 'data-link-point="referrals"' in item
    # Filled in by the referrals app: the ask for this holder, with the policy linked.
    assert "Record referrals" in item and "disabled" not in item
    ask = reverse("referrals:ask")
    assert f"{ask}?client={policy.holder_id}&amp;policy={policy.pk}&amp;context=delivery" in item
    assert body.count('data-link-point="referrals"') == 1


def test_htmx_tick_returns_the_item_with_who_and_when(http, owner, policy):
    with at(shanghai(2024, 3, 20, 14, 30)):
        response = tick(http, policy, DeliveryItem.POLICY_CHECKED)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert body.lstrip().startswith("<li") or 'id="delivery-item-policy_checked"' in body
    assert "checked" in body and "Ticked by owner" in body
    assert "March 20, 2024, 2:30 p.m." in body  # shown in Shanghai time
    assert 'id="delivery-progress" hx-swap-oob="true"' in body and "1 of 12 done" in body
    row = DeliveryTick.objects.get()
    assert (row.item, row.by, row.at) == (
        DeliveryItem.POLICY_CHECKED,
        owner,
        shanghai(2024, 3, 20, 14, 30),
    )
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_ticking_twice_keeps_the_first_tick(http, policy):
    with at(shanghai(2024, 3, 20, 9)):
        tick(http, policy, DeliveryItem.THANK_YOU_SENT)
    with at(shanghai(2024, 3, 21, 9)):
        again = tick(http, policy, DeliveryItem.THANK_YOU_SENT)
    assert again.status_code == 200
    assert DeliveryTick.objects.count() == 1
    assert DeliveryTick.objects.get().at == shanghai(2024, 3, 20, 9)
    assert Delivery.objects.count() == 1


def test_untick_is_idempotent_and_without_htmx_redirects(http, policy):
    tick(http, policy, DeliveryItem.PACK_READY)
    response = tick(http, policy, DeliveryItem.PACK_READY, done=False, htmx=False)
    assert response.status_code == 302
    assert response["Location"] == url("delivery", pk=policy.pk)
    assert not DeliveryTick.objects.exists()
    fragment = tick(http, policy, DeliveryItem.PACK_READY, done=False)
    assert fragment.status_code == 200
    assert "Ticked by" not in fragment.content.decode()
    assert "0 of 12 done" in fragment.content.decode()


def test_unknown_item_is_400_and_writes_nothing(http, policy):
    assert tick(http, policy, "bring_cake").status_code == 400
    assert tick(http, policy, "").status_code == 400
    assert not Delivery.objects.exists() and not DeliveryTick.objects.exists()


def test_progress_on_the_policy_page(http, policy):
    for item in (DeliveryItem.THANK_YOU_SENT, DeliveryItem.STEP_CONGRATULATE, "step_referrals"):
        tick(http, policy, item)
    body = http.get(url("detail", pk=policy.pk)).content.decode()
    assert "3 of 12 done" in body
    assert selectors.delivery_progress(policy=policy).done == 3
    for item in DeliveryItem.values:
        tick(http, policy, item)
    progress = selectors.delivery_progress(policy=policy)
    assert progress.done == 12 and progress.complete


def test_appointment_is_saved_in_local_time(http, policy):
    data = {
        "appointment_at": "2024-03-22T15:00",
        "place": "客户公司楼下咖啡厅",
        "notes": "带感谢信",
    }
    delivery = url("delivery", pk=policy.pk)
    response = http.post(delivery, versioned(http, delivery, data))
    assert response.status_code == 302
    delivery = Delivery.objects.get(policy=policy)
    assert delivery.appointment_at == shanghai(2024, 3, 22, 15)
    assert (delivery.place, delivery.notes) == ("客户公司楼下咖啡厅", "带感谢信")
    page = http.get(url("delivery", pk=policy.pk))
    assert 'value="2024-03-22T15:00"' in page.content.decode()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"appointment_at": "next tuesday", "place": "", "notes": ""}, "appointment_at"),
        ({"appointment_at": "", "place": "长" * 201, "notes": ""}, "place"),
    ],
)
def test_bad_appointment_is_400_and_writes_nothing(http, policy, data, field):
    delivery = url("delivery", pk=policy.pk)
    response = http.post(delivery, versioned(http, delivery, data))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Delivery.objects.exists()


def test_delivery_services_directly(owner, policy):
    first = services.delivery_tick(policy=policy, item="archive_updated", by=owner)
    second = services.delivery_tick(policy=policy, item="archive_updated", by=None)
    assert first.pk == second.pk and second.by == owner
    assert services.delivery_untick(policy=policy, item="archive_updated")
    assert not services.delivery_untick(policy=policy, item="archive_updated")
    with pytest.raises(ValidationError) as exc:
        services.delivery_tick(policy=policy, item="nonsense", by=owner)
    assert "item" in exc.value.message_dict
    assert services.delivery_get_or_create(policy=policy) == Delivery.objects.get()


# --- annual review: the form ------------------------------------------------------------------


@pytest.mark.parametrize(
    "effective, today, expected",
    [
        (date(2024, 3, 15), date(2026, 3, 1), date(2025, 3, 15)),  # the latest one passed
        (date(2024, 3, 15), date(2026, 3, 15), date(2026, 3, 15)),  # today is one
        (date(2024, 3, 15), date(2024, 6, 1), date(2025, 3, 15)),  # none yet: the first
        (date(2024, 2, 29), date(2025, 3, 1), date(2025, 2, 28)),  # leap day, common year
        (date(2024, 2, 29), date(2028, 2, 29), date(2028, 2, 29)),
    ],
)
def test_default_anniversary(client_obj, effective, today, expected):
    policy = PolicyFactory(holder=client_obj, effective_date=effective)
    assert selectors.review_default_anniversary(policy=policy, today=today) == expected


def test_new_review_form_defaults_and_offers_only_the_households_policies(
    http, owner, outsider, client_obj, policy
):
    second = PolicyFactory(holder=client_obj, number="P-2", product_name="康健医疗")
    other_client = ClientFactory(owner=owner, name="李四")
    # Held by another client on this client's life: part of the household (issue 18).
    on_household_life = PolicyFactory(holder=other_client, insured_client=client_obj, number="P-3")
    not_household = PolicyFactory(holder=other_client, number="P-5")
    foreign = PolicyFactory(holder=ClientFactory(owner=outsider), number="P-4")
    with at(shanghai(2026, 3, 20, 9)):
        http.force_login(owner)
        response = http.get(url("review_create", pk=policy.pk))
    form = response.context["form"]
    assert form.initial["anniversary"] == date(2026, 3, 15)
    assert form.initial["held_on"] == date(2026, 3, 20)
    assert sorted(form.initial["policies"]) == sorted([policy.pk, second.pk, on_household_life.pk])
    offered = set(form.fields["policies"].queryset)
    assert offered == {policy, second, on_household_life}
    assert not_household not in offered and foreign not in offered


def review_data(*policies, **overrides) -> dict:
    data = {
        "anniversary": "2025-03-15",
        "held_on": "2025-03-20",
        "policies": [p.pk for p in policies],
        "findings": "重疾保额偏低",
        "needs": "增加医疗险",
        "follow_ups-TOTAL_FORMS": "3",
        "follow_ups-INITIAL_FORMS": "0",
        "follow_ups-0-description": "发送医疗险计划书",
        "follow_ups-0-due_date": "2025-04-01",
        "follow_ups-1-description": "送孩子绘本",
        "follow_ups-1-due_date": "2025-05-01",
        "follow_ups-2-description": "",
        "follow_ups-2-due_date": "",
    }
    data.update(overrides)
    return data


def test_review_with_follow_ups_appearing_in_the_commitments(http, client_obj, policy):
    second = PolicyFactory(holder=client_obj, number="P-2", effective_date=date(2023, 9, 1))
    response = http.post(url("review_create", pk=policy.pk), review_data(policy, second))
    assert response.status_code == 302
    review = AnnualReview.objects.get()
    assert response["Location"] == url("review_detail", review_pk=review.pk)
    assert review.household == client_obj
    assert set(review.policies.all()) == {policy, second}
    assert (review.anniversary, review.held_on) == (date(2025, 3, 15), date(2025, 3, 20))
    assert (review.findings, review.needs) == ("重疾保额偏低", "增加医疗险")
    follow_ups = list(review.commitments.order_by("due_date"))
    assert [(c.client, c.description, c.due_date) for c in follow_ups] == [
        (client_obj, "发送医疗险计划书", date(2025, 4, 1)),
        (client_obj, "送孩子绘本", date(2025, 5, 1)),
    ]
    commitments_page = http.get(reverse("clients:commitments")).content.decode()
    assert "发送医疗险计划书" in commitments_page and "送孩子绘本" in commitments_page
    detail = http.get(url("review_detail", review_pk=review.pk)).content.decode()
    assert "发送医疗险计划书" in detail and second.product_name in detail
    # Both policies' pages list the review.
    for p in (policy, second):
        page = http.get(url("detail", pk=p.pk))
        assert [r.pk for r in page.context["reviews"]] == [review.pk]


def test_duplicate_review_is_refused_with_a_message(http, client_obj, policy):
    AnnualReviewFactory(household=client_obj, policies=[policy])
    response = http.post(url("review_create", pk=policy.pk), review_data(policy))
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["anniversary"])
    assert "already has an annual review for the anniversary of 2025-03-15" in errors
    assert AnnualReview.objects.count() == 1
    assert not Commitment.objects.exists()  # follow-ups not created either


def test_the_form_points_to_the_existing_review(http, owner, client_obj, policy):
    existing = AnnualReviewFactory(household=client_obj, policies=[policy])
    with at(shanghai(2025, 4, 1, 9)):
        http.force_login(owner)
        response = http.get(url("review_create", pk=policy.pk))
    assert response.context["existing"] == existing
    assert url("review_edit", review_pk=existing.pk) in response.content.decode()


def test_foreign_policies_are_refused_by_the_page(http, owner, outsider, client_obj, policy):
    not_household = PolicyFactory(holder=ClientFactory(owner=owner), number="P-3")
    foreign = PolicyFactory(holder=ClientFactory(owner=outsider), number="P-4")
    for intruder in (not_household, foreign):
        response = http.post(url("review_create", pk=policy.pk), review_data(policy, intruder))
        assert response.status_code == 400
        assert response.context["form"].errors["policies"]
    assert not AnnualReview.objects.exists() and not Commitment.objects.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"held_on": "2099-01-01"}, "held_on"),
        ({"anniversary": "2025-03-16"}, "anniversary"),
        ({"anniversary": "2024-03-15"}, "anniversary"),  # the effective date is no anniversary
        ({"policies": []}, "policies"),
        ({"follow_ups-0-due_date": ""}, None),
        ({"follow_ups-2-due_date": "2025-06-01"}, None),
    ],
)
def test_bad_review_is_400_and_writes_nothing(http, policy, overrides, field):
    response = http.post(url("review_create", pk=policy.pk), review_data(policy, **overrides))
    assert response.status_code == 400
    if field:
        assert response.context["form"].errors[field]
    else:
        assert any(f.errors for f in response.context["follow_ups"])
    assert not AnnualReview.objects.exists() and not Commitment.objects.exists()


def test_edit_a_review_adds_follow_ups_and_keeps_the_old_ones(http, client_obj, policy):
    review = AnnualReviewFactory(household=client_obj, policies=[policy])
    kept = CommitmentFactory(client=client_obj, description="旧承诺")
    review.commitments.add(kept)
    edit = url("review_edit", review_pk=review.pk)
    page = http.get(edit)
    assert page.context["form"].initial["policies"] == [policy.pk]
    assert "旧承诺" in page.content.decode()
    data = review_data(
        policy,
        held_on="2025-03-25",
        findings="已补充",
        **{"follow_ups-1-description": "", "follow_ups-1-due_date": ""},
    )
    response = http.post(edit, versioned(http, edit, data))
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.held_on, review.findings) == (date(2025, 3, 25), "已补充")
    assert sorted(review.commitments.values_list("description", flat=True)) == sorted(
        ["旧承诺", "发送医疗险计划书"]
    )


def test_edit_cannot_take_the_anniversary_of_another_review(http, client_obj, policy):
    AnnualReviewFactory(household=client_obj, policies=[policy])
    later = AnnualReviewFactory(
        household=client_obj, policies=[policy], anniversary=date(2026, 3, 15)
    )
    edit = url("review_edit", review_pk=later.pk)
    response = http.post(edit, versioned(http, edit, review_data(policy)))
    assert response.status_code == 400
    assert response.context["form"].errors["anniversary"]
    later.refresh_from_db()
    assert later.anniversary == date(2026, 3, 15)


def test_client_page_shows_the_households_reviews(http, client_obj, policy):
    review = AnnualReviewFactory(household=client_obj, policies=[policy])
    review.commitments.add(CommitmentFactory(client=client_obj))
    response = http.get(reverse("clients:detail", kwargs={"pk": client_obj.pk}))
    (panel,) = [
        p
        for p in response.context["panels"]
        if p.template_name == "policies/_client_reviews_panel.html"
    ]
    assert [r.pk for r in panel.context["reviews"]] == [review.pk]
    assert panel.context["reviews"][0].follow_up_open == 1
    body = response.content.decode()
    assert url("review_detail", review_pk=review.pk) in body and "1 follow-up open" in body


# --- annual review: the service ---------------------------------------------------------------


def test_review_service_refuses_policies_outside_the_household(owner, outsider, client_obj):
    own = PolicyFactory(holder=client_obj)
    # Another client's policy on another life: not this household's (a policy on the
    # household's own lives, whoever holds it, is: see test_policy_review_from_touch).
    elsewhere = PolicyFactory(holder=ClientFactory(owner=owner))
    with pytest.raises(ValidationError) as exc:
        services.review_create(
            household=client_obj,
            anniversary=date(2025, 3, 15),
            held_on=date(2025, 3, 20),
            policies=[own, elsewhere],
        )
    assert "policies" in exc.value.message_dict
    # A policy of the household's holder but recorded under another agent (inconsistent rows).
    stray = PolicyFactory(holder=client_obj, owner=outsider)
    with pytest.raises(ValidationError):
        services.review_create(
            household=client_obj,
            anniversary=date(2025, 3, 15),
            held_on=date(2025, 3, 20),
            policies=[stray],
        )
    assert not AnnualReview.objects.exists()


def test_review_service_validates_follow_ups_and_leap_anniversaries(client_obj):
    policy = PolicyFactory(holder=client_obj, effective_date=date(2024, 2, 29))
    with pytest.raises(ValidationError) as exc:
        services.review_create(
            household=client_obj,
            anniversary=date(2025, 2, 28),
            held_on=date(2025, 3, 1),
            policies=[policy],
            follow_ups=[("", date(2025, 4, 1)), ("打电话", None)],
        )
    assert len(exc.value.message_dict["follow_ups"]) == 2
    assert not Commitment.objects.exists()
    review = services.review_create(
        household=client_obj,
        anniversary=date(2025, 2, 28),  # 29 February falls on 28 February in 2025
        held_on=date(2025, 3, 1),
        policies=[policy],
        follow_ups=[("打电话", date(2025, 4, 1)), ("", None)],
    )
    assert list(review.commitments.values_list("description", flat=True)) == ["打电话"]
    assert services.is_policy_anniversary(policy=policy, day=date(2028, 2, 29))
    assert not services.is_policy_anniversary(policy=policy, day=date(2028, 2, 28))


def test_review_of_a_family_members_policy_belongs_to_the_holder(client_obj):
    child = FamilyMemberFactory(client=client_obj)
    policy = PolicyFactory(holder=client_obj, insured_client=None, insured_member=child)
    review = services.review_create(
        household=client_obj,
        anniversary=date(2025, 3, 15),
        held_on=date(2025, 3, 20),
        policies=[policy],
    )
    assert review.household == client_obj
    assert list(selectors.reviews_for_client(client=client_obj)) == [review]


def test_get_review_for_user_is_scoped(owner, teammate, client_obj, policy):
    review = AnnualReviewFactory(household=client_obj, policies=[policy])
    assert selectors.get_review_for_user(user=owner, pk=review.pk) == review
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.get_review_for_user(user=teammate, pk=review.pk)


def test_reviews_scope_ignores_policies_of_other_statuses(client_obj):
    """Every status can be reviewed (a lapsed policy is worth talking about)."""
    lapsed = PolicyFactory(holder=client_obj, status=Policy.Status.LAPSED)
    review = services.review_create(
        household=client_obj,
        anniversary=date(2025, 3, 15),
        held_on=date(2025, 3, 20),
        policies=[lapsed],
    )
    assert list(selectors.reviews_for_policy(policy=lapsed)) == [review]
