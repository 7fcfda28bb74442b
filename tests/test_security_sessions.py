"""Sessions: 8 hours idle ends them, logging out ends them on the server, and switching a
user off ends every session they have."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from agentcrm.accounts.models import User, UserSession
from agentcrm.accounts.services import user_deactivate, user_sessions_end

from .factories import PASSWORD

pytestmark = pytest.mark.django_db

PAGE = "/clients/"


def log_in(username: str = "owner", **meta) -> Client:
    browser = Client(**meta)
    response = browser.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def same_cookie(browser: Client) -> Client:
    """A fresh browser holding only the other one's session cookie."""
    other = Client()
    other.cookies[settings.SESSION_COOKIE_NAME] = browser.cookies[
        settings.SESSION_COOKIE_NAME
    ].value
    return other


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_logout_ends_the_session_on_the_server(owner):
    browser = log_in()
    stolen = same_cookie(browser)
    assert stolen.get(PAGE).status_code == 200

    response = browser.post("/accounts/logout/")

    assert response.status_code == 302
    assert is_login_redirect(stolen.get(PAGE))
    assert not UserSession.objects.filter(user=owner).exists()


def test_logout_is_a_post(owner):
    browser = log_in()
    assert browser.get("/accounts/logout/").status_code == 405
    assert browser.get(PAGE).status_code == 200


def test_a_session_records_its_user_through_every_new_key(owner):
    browser = log_in()
    first = browser.session.session_key
    assert UserSession.objects.get(session_key=first).user == owner

    response = browser.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-Long-pass-77",
            "new_password2": "another-Long-pass-77",
        },
    )

    assert response.status_code == 302
    second = browser.session.session_key
    assert second != first
    assert UserSession.objects.get(session_key=second).user == owner
    anonymous = Client()
    anonymous.get("/accounts/login/")
    assert UserSession.objects.filter(user=None).count() <= 1  # only the CSRF/lang session


def test_a_session_unused_for_eight_hours_is_over(owner):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        browser = log_in()
    # Used now and then, it stays open well past 8 hours after signing in.
    for hours in (3, 6, 9, 12):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            assert browser.get(PAGE).status_code == 200
    # 7 h 50 min after the last use it is still open; then unused for 8 hours, it is over.
    last_use = start + timedelta(hours=12 + 7, minutes=50)
    with time_machine.travel(last_use, tick=False):
        assert browser.get(PAGE).status_code == 200
    with time_machine.travel(last_use + timedelta(hours=8, minutes=1), tick=False):
        assert is_login_redirect(browser.get(PAGE))


def test_the_expiry_moves_at_most_every_few_minutes(owner):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        browser = log_in()
        expiry = UserSession.objects.get(user=owner).expire_date
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        browser.get(PAGE)
        assert UserSession.objects.get(user=owner).expire_date == expiry  # not written again
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        browser.get(PAGE)
        assert UserSession.objects.get(user=owner).expire_date == expiry + timedelta(minutes=6)


def test_deactivating_a_user_ends_their_sessions(owner, teammate):
    phone, laptop = log_in(), log_in()
    colleague = log_in("teammate")

    user_deactivate(user=owner)

    assert is_login_redirect(phone.get(PAGE))
    assert is_login_redirect(laptop.get(PAGE))
    assert colleague.get(PAGE).status_code == 200
    # Switched on again, the old sessions stay dead: they were deleted, not just refused.
    User.objects.filter(pk=owner.pk).update(is_active=True)
    assert is_login_redirect(same_cookie(phone).get(PAGE))


def test_any_save_that_switches_a_user_off_ends_their_sessions(owner):
    browser = log_in()
    owner.is_active = False
    owner.save()
    owner.is_active = True
    owner.save()

    assert is_login_redirect(browser.get(PAGE))


def test_the_admin_switching_a_user_off_ends_their_sessions(owner, admin_user, as_user):
    browser = log_in()
    admin = as_user(admin_user)
    page = admin.get(f"/admin/accounts/user/{owner.pk}/change/")
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and key not in {"password", "groups", "user_permissions"}
    }
    data.update(date_joined_0="2026-01-01", date_joined_1="09:00:00", team=owner.team_id)
    del data["is_active"]  # the box unticked

    response = admin.post(
        f"/admin/accounts/user/{owner.pk}/change/", data, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    owner.refresh_from_db()
    assert not owner.is_active
    assert is_login_redirect(browser.get(PAGE))
    assert "owner was signed out on every device." in [str(m) for m in response.context["messages"]]


def test_user_sessions_end_returns_the_number_ended(owner, teammate):
    log_in(), log_in(), log_in("teammate")
    assert user_sessions_end(user=owner) == 2
    assert user_sessions_end(user=owner) == 0
    assert UserSession.objects.filter(user=teammate).count() == 1
