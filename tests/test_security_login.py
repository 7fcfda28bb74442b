"""Login throttling (django-axes): 5 failures for one username from one client address lock
that pair out for 15 minutes, and the client address cannot be forged with X-Forwarded-For."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import RequestFactory, override_settings
from django.utils import timezone

from agentcrm.core.http import client_ip

from .factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(client, password, **meta):
    return client.post(LOGIN, {"username": "owner", "password": password}, **meta)


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def test_five_failures_lock_the_user_out_even_with_the_right_password(client, owner):
    for _n in range(4):
        assert attempt(client, "wrong-password").status_code == 200
    assert attempt(client, "wrong-password").status_code == 429  # the 5th locks

    response = attempt(client, PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)


def test_a_forged_forwarded_for_gets_no_extra_tries_without_a_proxy(client, owner):
    """By default (no proxy of ours in front) X-Forwarded-For is ignored: a new value on each
    try is still the same client."""
    for n in range(5):
        attempt(client, "wrong-password", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    response = attempt(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99")

    assert response.status_code == 429
    assert not signed_in(client)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_our_proxy_a_forged_leftmost_address_gets_no_extra_tries(client, owner):
    """The proxy appends the address it saw; the client's own (forged) entries stay on the
    left and are never used."""
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(5):
        attempt(
            client, "wrong-password", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7", **proxy
        )

    response = attempt(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.7", **proxy)

    assert response.status_code == 429
    assert not signed_in(client)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_our_proxy_other_clients_and_other_users_are_not_locked(client, owner, teammate):
    proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    for _n in range(5):
        attempt(client, "wrong-password", **proxy)

    # The same username from another client address, and another user from the locked address.
    response = attempt(client, PASSWORD, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert response.status_code == 302 and signed_in(client)
    client.post("/accounts/logout/")
    response = client.post(LOGIN, {"username": "teammate", "password": PASSWORD}, **proxy)
    assert response.status_code == 302 and signed_in(client)


def test_the_lock_lifts_after_fifteen_minutes(client, owner):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _n in range(5):
            attempt(client, "wrong-password")
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert attempt(client, PASSWORD).status_code == 429
    # A try during the lock starts the wait again: 15 minutes from the last one.
    with time_machine.travel(start + timedelta(minutes=14 + 15, seconds=1), tick=False):
        response = attempt(client, PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_success_clears_the_count(client, owner):
    for _n in range(4):
        attempt(client, "wrong-password")
    assert attempt(client, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _n in range(4):
        assert attempt(client, "wrong-password").status_code == 200
    assert attempt(client, PASSWORD).status_code == 302


def test_the_lockout_page_says_what_happened_and_how_long_to_wait(client, owner):
    for _n in range(5):
        attempt(client, "wrong-password", HTTP_ACCEPT_LANGUAGE="en")

    response = attempt(client, PASSWORD, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 429
    assert "registration/lockout.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert "Too many attempts" in page
    assert "Try again in 15 minutes" in page
    assert 'name="password"' not in page  # no login form on the lockout page


def test_the_lockout_page_is_in_chinese_by_default(client, owner):
    for _n in range(6):
        response = attempt(client, "wrong-password")

    assert response.status_code == 429
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.parametrize(
    ("meta", "count", "expected"),
    [
        ({"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}, 0, "192.0.2.1"),
        (
            {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 203.0.113.7"},
            1,
            "203.0.113.7",
        ),
        (
            {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.1.1.1,203.0.113.7, 10.0.0.1"},
            2,
            "203.0.113.7",
        ),
        # Fewer entries than proxies: the request skipped a proxy, the socket address counts.
        ({"REMOTE_ADDR": "192.0.2.9"}, 1, "192.0.2.9"),
        ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}, 2, "10.0.0.2"),
        # Not an address where our proxy writes: fall back to the socket address.
        ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.1.1.1, garbage"}, 1, "10.0.0.2"),
        ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "2001:db8::1"}, 1, "2001:db8::1"),
    ],
)
def test_client_ip_trusts_only_the_entries_our_proxies_wrote(meta, count, expected):
    request = RequestFactory().get("/", **meta)
    with override_settings(TRUSTED_PROXY_COUNT=count):
        assert client_ip(request) == expected


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short-1Ab", "password_too_short"),  # 9 characters: at least 10
        ("1234567890123", "password_entirely_numeric"),
        ("password123", "password_too_common"),
        ("wangfang2026", "password_too_similar"),  # the e-mail address
    ],
)
def test_weak_passwords_are_refused(owner, password, code):
    owner.email = "wangfang2026@example.com"
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=owner)
    assert code in [error.code for error in refused.value.error_list]


def test_a_long_uncommon_password_is_accepted(owner):
    validate_password("晨跑-Tide-42-lantern", user=owner)


# -- bad input at the door: a user name too long for any account is a wrong name, not a 500 ----


@pytest.mark.parametrize("url", [LOGIN, "/admin/login/"])
@pytest.mark.parametrize("length", [256, 300, 10_000])
def test_an_overlong_user_name_is_refused_as_a_wrong_login(client, owner, url, length):
    response = client.post(url, {"username": "a" * length, "password": PASSWORD})

    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert not signed_in(client)
    assert not AccessAttempt.objects.exists()  # nothing the throttle could not store


def test_the_longest_possible_user_name_still_signs_in(client):
    from .factories import UserFactory

    name = "a" * 150
    UserFactory(username=name)
    response = client.post(LOGIN, {"username": name, "password": PASSWORD})
    assert response.status_code == 302 and signed_in(client)
