"""Values at the edges are refused with a clear message, never a 500: a delivery appointment
in year 1 or 9999, digit look-alikes in `?referrer=`, period dates in 0001 or 9999 on the
team and sources pages (the login name and the calendar token are in test_security_login
and test_touch_reminders; the fuzz test over every URL is test_fuzz_urls)."""

import importlib
import io
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from servicing import services
from servicing.models import Delivery

from .edit_forms import versioned
from .policy_factories import PolicyFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR_MESSAGE = "请填写2000年至2100年之间的日期。"


@pytest.fixture
def policy(client_obj):
    return PolicyFactory(holder=client_obj)


def delivery_url(policy) -> str:
    return reverse("policies:delivery", kwargs={"pk": policy.pk})


# --- the delivery appointment -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00", "1999-12-31T23:59", "2101-01-01T00:00", "9999-12-31T23:59"]
)
def test_an_appointment_outside_the_years_is_refused(as_user, owner, policy, value):
    response = as_user(owner).post(
        delivery_url(policy), {"appointment_at": value, "place": "", "notes": ""}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["appointment_at"] == [YEAR_MESSAGE]
    assert not Delivery.objects.filter(appointment_at__isnull=False).exists()
    assert as_user(owner).get(delivery_url(policy)).status_code == 200


def test_the_edge_years_themselves_are_fine(as_user, owner, policy):
    http = as_user(owner)
    for value in ("2000-01-01T00:00", "2100-12-31T23:59"):
        url = delivery_url(policy)
        response = http.post(url, versioned(http, url, {"appointment_at": value}))
        assert response.status_code == 302, value
        assert http.get(delivery_url(policy)).status_code == 200


def test_the_service_refuses_it_too(policy):
    import datetime

    with pytest.raises(ValidationError) as exc:
        services.delivery_update(
            policy=policy, appointment_at=datetime.datetime(1, 1, 1, tzinfo=SHANGHAI)
        )
    assert exc.value.message_dict == {"appointment_at": [YEAR_MESSAGE]}
    assert not Delivery.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL keeps year 0 (1 BC)")
def test_an_impossible_stored_appointment_is_cleared_by_the_migration(as_user, owner, policy):
    delivery = services.delivery_get_or_create(policy=policy)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE policies_delivery SET appointment_at = %s WHERE id = %s",
            ["0001-01-01 00:00:00+08:05:43", delivery.pk],
        )
    with pytest.raises(ValueError):  # the state the migration repairs: unreadable
        Delivery.objects.get(pk=delivery.pk)

    migration = importlib.import_module(
        "servicing.migrations.0002_clear_impossible_delivery_appointments"
    )
    migration.clear(django_apps, None)

    assert Delivery.objects.get(pk=delivery.pk).appointment_at is None
    assert as_user(owner).get(delivery_url(policy)).status_code == 200
    out = io.StringIO()
    call_command("dumpdata", "servicing.delivery", stdout=out)
    assert str(delivery.pk) in out.getvalue()


# --- digits that are not ASCII, ids too big for the database -----------------------------------

ODD_IDS = ["²", "٣", "１", "9" * 19, "9" * 40, "-1", "0", " 1", "1.0", "\x00"]


@pytest.mark.parametrize("value", ODD_IDS)
@pytest.mark.parametrize(
    "url, param",
    [
        ("/referrals/new/", "referrer"),
        ("/policies/new/", "holder"),
        ("/service-requests/new/", "policy"),
    ],
)
def test_an_odd_id_parameter_is_ignored(as_user, owner, url, param, value):
    response = as_user(owner).get(url, {param: value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ODD_IDS)
def test_an_odd_team_is_a_404(as_user, manager, value):
    assert (
        as_user(manager).get(reverse("team_referrals:overview"), {"team": value}).status_code == 404
    )


def test_id_param_reads_ascii_ids_only():
    from agentcrm.core.http import ID_MAX, id_param

    assert id_param("42") == 42 and id_param(str(ID_MAX)) == ID_MAX
    assert [id_param(value) for value in [*ODD_IDS, None, "", str(ID_MAX + 1)]] == [None] * 13


# --- statistics periods in year 1 or 9999 ---------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"start": "0001-01-01"},
        {"end": "0001-01-01"},
        {"start": "0001-01-01", "end": "0001-12-31"},
        {"start": "9999-01-01"},
        {"end": "9999-12-31"},
        {"start": "9999-12-31", "end": "9999-12-31"},
        {"start": "1899-12-31", "end": "2026-01-01"},
    ],
)
@pytest.mark.parametrize(
    "persona, url",
    [
        ("manager", "/team/referrals/"),
        ("manager", "/team/referrals/export.csv"),
        ("manager", "/team/referrals/export.xlsx"),
        ("owner", "/referrals/sources/"),
        ("owner", "/referrals/influence/"),
    ],
)
def test_a_period_at_the_ends_of_time_is_refused(request, as_user, persona, url, params):
    http = as_user(request.getfixturevalue(persona))
    response = http.get(url, params)
    assert response.status_code == 200
    if not url.endswith((".csv", ".xlsx")):
        assert "请填写1900年至2100年之间的日期。" in response.content.decode()


# --- what the URL fuzzing found -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/referrals/new/", "/referrals/ask/"])
def test_an_empty_post_is_a_form_error(as_user, owner, url):
    """`Form(request.POST or None)` left the form unbound on an empty POST; the view then
    read its cleaned data (500)."""
    response = as_user(owner).post(url, {})
    assert response.status_code == 400
    assert response.context["form"].errors
