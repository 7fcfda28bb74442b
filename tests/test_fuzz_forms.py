"""Fuzzing the forms agents post every day: a client, a policy, and done / skip / snooze on a
touch, with random unicode, very long strings, HTML and SQL payloads and malformed dates
and numbers in any field (formset management fields included); and the filters of every
list page.

Whatever is sent: never a server error; a form error writes nothing, a success writes
exactly one object; and markup sent never comes back unescaped, on the form, on the page
the success leads to, or in the success message."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st

from clients.models import Client, CustomDate, FamilyMember, Interaction
from policies.models import Beneficiary, Policy, Rider
from touches.models import Touch

from .fuzz_inputs import (
    assert_escaped,
    assert_not_server_error,
    overrides,
    rolled_back,
    text,
    value,
)
from .policy_factories import InsurerFactory
from .test_client_forms import client_data
from .test_policy_views import form_data
from .touch_factories import TouchFactory

pytestmark = pytest.mark.django_db

CLIENT_FIELDS = [
    "name", "gender", "birth_date", "birthday_calendar", "lunar_birth_year",
    "lunar_birth_month", "lunar_birth_day", "lunar_birth_leap", "mobile", "phone_other",
    "wechat_id", "email", "address", "occupation", "employer", "industry", "marital_status",
    "wedding_date", "income_band", "segments", "tag_names", "interests", "vip_tier",
    "is_influence_centre", "source", "stage", "do_not_contact", "do_not_contact_reason",
    "notes", "family-TOTAL_FORMS", "family-INITIAL_FORMS", "family-0-relation",
    "family-0-name", "family-0-birth_date", "family-0-lunar_birth_month",
    "family-0-lunar_birth_day", "family-0-notes", "dates-TOTAL_FORMS", "dates-0-name",
    "dates-0-calendar", "dates-0-year", "dates-0-month", "dates-0-day", "dates-0-leap",
]  # fmt: skip

POLICY_FIELDS = [
    "insurer", "number", "product_name", "policy_type", "holder", "insured_client",
    "insured_member", "sum_assured", "premium", "currency", "payment_frequency",
    "payment_term_years", "coverage_kind", "coverage_value", "application_date",
    "effective_date", "delivery_date", "receipt_signed_date", "cooling_off_end", "status",
    "notes", "riders-TOTAL_FORMS", "riders-0-name", "riders-0-sum_assured",
    "riders-0-premium", "riders-0-start_date", "riders-0-expiry_date",
    "beneficiaries-TOTAL_FORMS", "beneficiaries-0-name", "beneficiaries-0-relation",
    "beneficiaries-0-share", "beneficiaries-1-share", "beneficiaries-1-name",
]  # fmt: skip


@pytest.fixture
def http(as_user, owner):
    return as_user(owner)


def _follow(http, response) -> str:
    page = http.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


# -- the client form -----------------------------------------------------------------------


def client_counts() -> tuple[int, int, int]:
    return Client.objects.count(), FamilyMember.objects.count(), CustomDate.objects.count()


@given(name=text(), fuzz=overrides(CLIENT_FIELDS))
def test_fuzz_client_create(http, owner, name, fuzz):
    data = client_data(
        family=[
            {"relation": "child", "name": "小宝", "gender": "male", "birthday_calendar": "solar"}
        ],
        dates=[{"name": "开店纪念日", "calendar": "solar", "month": "8", "day": "15"}],
        name=name,
    )
    data.update(fuzz)
    with rolled_back():
        before = client_counts()
        response = http.post(reverse("clients:create"), data)
        assert_not_server_error(response)
        after = client_counts()
        event(f"HTTP {response.status_code}")
        if response.status_code == 302:
            assert after[0] == before[0] + 1
            assert before[1] <= after[1] <= before[1] + 1
            assert before[2] <= after[2] <= before[2] + 1
            client = Client.objects.latest("pk")
            assert client.owner == owner
            body = _follow(http, response)  # the client's page, with the "saved" message
        else:
            assert response.status_code == 400
            assert after == before
            body = response.content.decode()
        assert_escaped(body, data.values())


# -- the policy form -----------------------------------------------------------------------


def policy_counts() -> tuple[int, int, int]:
    return Policy.objects.count(), Rider.objects.count(), Beneficiary.objects.count()


@given(product=text(), fuzz=overrides(POLICY_FIELDS))
def test_fuzz_policy_create(http, owner, client_obj, outsider, product, fuzz):
    insurer = InsurerFactory(name="模糊人寿")
    data = form_data(client_obj, insurer, product_name=product)
    data.update(fuzz)
    with rolled_back():
        before = policy_counts()
        response = http.post(reverse("policies:create"), data)
        assert_not_server_error(response)
        after = policy_counts()
        event(f"HTTP {response.status_code}")
        if response.status_code == 302:
            assert after[0] == before[0] + 1
            policy = Policy.objects.latest("pk")
            assert policy.owner == owner and policy.holder.owner == owner
            body = _follow(http, response)
        else:
            assert response.status_code == 400
            assert after == before
            body = response.content.decode()
        assert_escaped(body, data.values())


# -- done, skip and snooze on a touch ------------------------------------------------------

NEXT_URLS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "/",
            "/clients/",
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "http:/evil.example",
        ]
    ),
    text(),
)


def _base(action: str, today) -> dict:
    return {
        "done": {"channel": "message", "note": "打过电话"},
        "skip": {"reason": "客户出国"},
        "snooze": {"until": (today + timedelta(days=3)).isoformat()},
    }[action]


@given(
    action=st.sampled_from(["done", "skip", "snooze"]),
    field_value=value(),
    extra=overrides(["channel", "note", "reason", "until", "csrfmiddlewaretoken"], max_size=3),
    next_url=NEXT_URLS,
    htmx=st.booleans(),
)
def test_fuzz_touch_actions(http, owner, client_obj, action, field_value, extra, next_url, htmx):
    today = timezone.localdate()
    data = _base(action, today)
    data[next(iter(data)) if action != "done" else "note"] = field_value
    data.update(extra)
    if next_url is not None:
        data["next"] = next_url
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with rolled_back():
        touch = TouchFactory(client=client_obj, due_date=today, occasion_date=today)
        interactions = Interaction.objects.count()
        response = http.post(reverse(f"touches:{action}", args=[touch.pk]), data, **headers)
        assert_not_server_error(response)
        after = Touch.objects.get(pk=touch.pk)
        event(f"{action}: HTTP {response.status_code}")
        if response.status_code == 400:  # refused: the touch is as it was
            assert (after.status, after.due_date, after.note) == (
                Touch.Status.OPEN,
                today,
                "",
            )
            assert Interaction.objects.count() == interactions
            body = response.content.decode()
        else:
            assert response.status_code == (200 if htmx else 302)
            expected_status = {"done": "done", "skip": "skipped", "snooze": "open"}[action]
            assert after.status == expected_status
            new = Interaction.objects.count() - interactions
            assert new == (1 if action == "done" else 0)
            if action == "snooze":
                assert after.due_date > today
            if htmx:
                body = response.content.decode()
            else:
                location = response["Location"]
                assert location.startswith("/") and not location.startswith(("//", "/\\"))
                body = _follow(http, response)
            detail = http.get(reverse("clients:detail", args=[client_obj.pk]))
            body += detail.content.decode()  # the timeline shows a done touch's note
        assert_escaped(body, data.values())


# -- the list filters -------------------------------------------------------------------------

# Every filter parameter of every list page (core.lists.ListFilterSet), and the page number.
LIST_PARAMETERS = {
    "clients:list": [
        "q", "segment", "source", "tier", "stage", "birthday_month", "tag", "archived", "sort",
    ],
    "policies:list": ["q", "status", "policy_type", "insurer", "anniversary_month", "lapse_risk"],
    "service_requests:list": ["state", "kind", "status"],
    "touches:list": ["group", "kind"],
    "referrals:list": ["q", "stage", "referrer", "period", "given_from", "given_to", "owed"],
    "referrals:requests": ["client"],
}  # fmt: skip


@given(
    name=st.sampled_from(sorted(LIST_PARAMETERS)),
    params=st.data(),
    htmx=st.booleans(),
)
def test_fuzz_list_filters(http, client_obj, name, params, htmx):
    """A filter the list does not understand is ignored (the page says so): never an error."""
    query = params.draw(overrides([*LIST_PARAMETERS[name], "page"]))
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = http.get(reverse(name), query, **headers)
    event(f"{name}: HTTP {response.status_code}")
    assert response.status_code == 200
    assert_escaped(response.content.decode(), query.values())


# -- what the fuzzing found ----------------------------------------------------------------


def test_a_next_url_that_is_not_a_path_goes_to_the_dashboard(http, client_obj):
    """`next=0` passed the host check (a relative URL) and redirect() took it for the name
    of a URL pattern: a server error after the touch was already marked done."""
    touch = TouchFactory(client=client_obj, due_date=timezone.localdate())
    response = http.post(reverse("touches:skip", args=[touch.pk]), {"reason": "出差", "next": "0"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_a_custom_date_day_too_large_for_a_date_is_a_form_error(http):
    """date(2000, 8, 2200000000) raises OverflowError, not ValueError."""
    data = client_data(
        dates=[{"name": "纪念日", "calendar": "solar", "month": "8", "day": "2200000000"}]
    )
    response = http.post(reverse("clients:create"), data)
    assert response.status_code == 400 and not Client.objects.exists()
    assert response.context["dates"].forms[0].errors["day"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"effective_date": "9999-12-20"}, "effective_date"),  # its premium dues: year 10000
        ({"receipt_signed_date": "9999-12-31"}, "receipt_signed_date"),  # cooling-off end
        ({"payment_term_years": "8000"}, "payment_term_years"),
        ({"application_date": "0001-01-01"}, "application_date"),
    ],
)
def test_policy_dates_beyond_any_real_policy_are_form_errors(http, client_obj, fields, field):
    """Dates the derived dates would overflow from were a server error; any date outside
    1900–2199, or a premium term over 100 years, is now a message beside the field."""
    response = http.post(
        reverse("policies:create"), form_data(client_obj, InsurerFactory(), **fields)
    )
    assert response.status_code == 400 and not Policy.objects.exists()
    assert response.context["form"].errors[field]
