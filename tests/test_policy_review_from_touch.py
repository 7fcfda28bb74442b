"""The annual review started from the policy-anniversary touch (issue 18): the touch row
offers "start annual review"; the review is the touch's anniversary year (the touch comes a
week ahead: the 7 December 2026 touch is the 2026 review, before and after that day), and
it ticks every policy of the household still in force, not only the one the touch is about.
"""

import datetime
from datetime import date
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from policies.models import Policy
from servicing.models import AnnualReview

from .factories import ClientFactory, FamilyMemberFactory
from .policy_factories import PolicyFactory
from .touch_factories import TouchFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
ANNIVERSARY = date(2026, 12, 7)


def at(day: date):
    moment = datetime.datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def policy(client_obj):
    return PolicyFactory(holder=client_obj, number="P-ANN", effective_date=date(2023, 12, 7))


@pytest.fixture
def touch(client_obj, policy):
    return TouchFactory(
        client=client_obj,
        kind="policy_anniversary",
        source=f"policy:{policy.pk}",
        label=f"{policy.product_name}|{policy.number}",
        due_date=date(2026, 11, 30),
        occasion_date=ANNIVERSARY,
    )


def start_url(policy) -> str:
    return reverse("policies:review_create", kwargs={"pk": policy.pk}) + "?anniversary=2026-12-07"


def test_the_anniversary_row_offers_start_annual_review(as_user, owner, client_obj, touch):
    birthday = TouchFactory(client=client_obj, due_date=date(2026, 12, 5))
    with at(date(2026, 12, 5)):
        page = as_user(owner).get(reverse("dashboard")).content.decode()
    row = page.split(f'id="touch-{touch.pk}"')[1].split("</li>")[0]
    assert "开始年度保单检查" in row
    assert start_url_in(row, touch)
    other = page.split(f'id="touch-{birthday.pk}"')[1].split("</li>")[0]
    assert "开始年度保单检查" not in other  # only the anniversary kind has it


def start_url_in(row: str, touch) -> bool:
    pk = touch.source.split(":")[1]
    return f"/policies/{pk}/reviews/new/?anniversary=2026-12-07" in row


@pytest.mark.parametrize("today", [date(2026, 12, 5), date(2026, 12, 7), date(2026, 12, 20)])
def test_the_review_is_the_touchs_anniversary_year_before_and_after_the_day(
    as_user, owner, policy, today
):
    with at(today):  # signed in that day: an 8-hour idle session would not last the trip
        http = as_user(owner)
        form = http.get(start_url(policy)).context["form"]
        assert form.initial["anniversary"] == ANNIVERSARY
        assert form.initial["held_on"] == today
        data = {
            "anniversary": form.initial["anniversary"].isoformat(),
            "held_on": today.isoformat(),
            "policies": form.initial["policies"],
            "follow_ups-TOTAL_FORMS": "0",
            "follow_ups-INITIAL_FORMS": "0",
        }
        response = http.post(start_url(policy), data)
    assert response.status_code == 302
    assert AnnualReview.objects.get().anniversary == ANNIVERSARY


def test_without_the_touch_the_form_still_defaults_to_the_latest_anniversary(
    as_user, owner, policy
):
    with at(date(2026, 12, 5)):
        response = as_user(owner).get(reverse("policies:review_create", kwargs={"pk": policy.pk}))
    assert response.context["form"].initial["anniversary"] == date(2025, 12, 7)


@pytest.mark.parametrize("asked", ["2023-12-07", "not-a-date", "12/07/2026"])
def test_an_unusable_year_falls_back_to_the_default(as_user, owner, policy, asked):
    url = reverse("policies:review_create", kwargs={"pk": policy.pk})
    with at(date(2026, 12, 5)):
        response = as_user(owner).get(url, {"anniversary": asked})
    assert response.status_code == 200
    assert response.context["form"].initial["anniversary"] == date(2025, 12, 7)


def test_every_in_force_policy_of_the_household_is_ticked(
    as_user, owner, outsider, client_obj, policy
):
    child = FamilyMemberFactory(client=client_obj, name="小明")
    spouse = ClientFactory(owner=owner, name="王太太")
    second = PolicyFactory(holder=client_obj, number="P-2", effective_date=date(2022, 5, 1))
    on_child = PolicyFactory(
        holder=client_obj, insured_client=None, insured_member=child, number="P-3"
    )
    held_by_spouse = PolicyFactory(holder=spouse, insured_client=client_obj, number="P-4")
    lapsed = PolicyFactory(holder=client_obj, number="P-5", status=Policy.Status.LAPSED)
    spouse_own = PolicyFactory(holder=spouse, number="P-6")  # not on this household's lives
    foreign = PolicyFactory(holder=ClientFactory(owner=outsider), number="P-7")
    with at(date(2026, 12, 5)):
        form = as_user(owner).get(start_url(policy)).context["form"]
    offered = set(form.fields["policies"].queryset)
    assert offered == {policy, second, on_child, held_by_spouse, lapsed}
    assert spouse_own not in offered and foreign not in offered
    assert set(form.initial["policies"]) == {policy.pk, second.pk, on_child.pk, held_by_spouse.pk}


def test_a_household_review_of_policies_on_its_lives_is_saved(as_user, owner, client_obj, policy):
    spouse = ClientFactory(owner=owner, name="王太太")
    held_by_spouse = PolicyFactory(holder=spouse, insured_client=client_obj, number="P-4")
    spouse_own = PolicyFactory(holder=spouse, number="P-6")
    http = as_user(owner)
    data = {
        "anniversary": "2026-12-07",
        "held_on": "2026-12-05",
        "follow_ups-TOTAL_FORMS": "0",
        "follow_ups-INITIAL_FORMS": "0",
    }
    with at(date(2026, 12, 5)):
        ok = http.post(start_url(policy), {**data, "policies": [policy.pk, held_by_spouse.pk]})
        refused = http.post(start_url(policy), {**data, "policies": [policy.pk, spouse_own.pk]})
    assert ok.status_code == 302
    review = AnnualReview.objects.get()
    assert set(review.policies.all()) == {policy, held_by_spouse}
    assert refused.status_code == 400
