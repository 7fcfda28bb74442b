"""Two-step sign-in (django-otp TOTP, with backup codes): optional for managers, from
enrolment on; required for superusers and staff."""

import re
import time
from base64 import b32decode
from binascii import unhexlify

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agentcrm.accounts.services import otp_backup_codes_renew

from .factories import PASSWORD

pytestmark = pytest.mark.django_db

SETUP = "/accounts/otp/setup/"
VERIFY = "/accounts/otp/"


def code_for(key_hex: str) -> str:
    """The code an authenticator app shows now for this key."""
    return f"{totp(unhexlify(key_hex), step=30, t0=0, digits=6):06d}"


def wrong_code(key_hex: str) -> str:
    return f"{(int(code_for(key_hex)) + 1) % 1_000_000:06d}"


def log_in(username: str) -> Client:
    browser = Client()
    response = browser.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def enrol(user) -> TOTPDevice:
    key = "3132333435363738393031323334353637383930"
    return TOTPDevice.objects.create(user=user, name="authenticator", key=key, confirmed=True)


def test_a_manager_enrols_by_scanning_and_confirming_a_code(manager):
    browser = log_in("manager")
    page = browser.get(SETUP)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<path" in html  # the QR code is drawn inline, nothing fetched
    assert "http" not in re.search(r"<svg.*?</svg>", html, re.S).group(0).replace(
        "http://www.w3.org/2000/svg", ""
    )
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    key_hex = b32decode(secret).hex()

    assert browser.post(SETUP, {"code": wrong_code(key_hex)}).status_code == 400
    assert not TOTPDevice.objects.filter(user=manager).exists()

    response = browser.post(SETUP, {"code": code_for(key_hex)}, follow=True)

    device = TOTPDevice.objects.get(user=manager)
    assert device.confirmed and device.key == key_hex
    codes = re.findall(r"<li class=\"col\">(\w+)</li>", response.content.decode())
    assert len(codes) == 10
    stored = StaticToken.objects.filter(device__user=manager).values_list("token", flat=True)
    assert sorted(codes) == sorted(stored)
    # Shown once: the next visit lists how many are left, not the codes.
    again = browser.get(SETUP).content.decode()
    assert codes[0] not in again
    assert "10" in again
    # This session gave the code: it goes on without a second step.
    assert browser.get("/").status_code == 200


def test_an_enrolled_manager_must_give_a_code_after_the_password(manager):
    device = enrol(manager)
    browser = log_in("manager")

    for url in ("/", "/clients/", SETUP, "/admin/"):
        response = browser.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(VERIFY), url

    start = time.time()
    with time_machine.travel(start, tick=False):
        assert browser.post(VERIFY, {"code": wrong_code(device.key)}).status_code == 400
        # django-otp makes the device wait a moment after a failure, even for the right code.
        assert browser.post(VERIFY, {"code": code_for(device.key)}).status_code == 400
    with time_machine.travel(start + 2, tick=False):
        response = browser.post(VERIFY, {"code": code_for(device.key), "next": "/clients/"})

    assert response.status_code == 302 and response["Location"] == "/clients/"
    assert browser.get("/").status_code == 200


def test_a_code_is_not_accepted_twice(manager):
    device = enrol(manager)
    code = code_for(device.key)
    first = log_in("manager")
    assert first.post(VERIFY, {"code": code}).status_code == 302

    second = log_in("manager")
    assert second.post(VERIFY, {"code": code}).status_code == 400
    assert second.get("/")["Location"].startswith(VERIFY)


def test_a_backup_code_works_once(manager):
    enrol(manager)
    codes = otp_backup_codes_renew(user=manager)
    browser = log_in("manager")

    assert browser.post(VERIFY, {"code": codes[0].upper()}).status_code == 302
    assert browser.get("/").status_code == 200
    other = log_in("manager")
    assert other.post(VERIFY, {"code": codes[0]}).status_code == 400
    assert StaticToken.objects.filter(device__user=manager).count() == 9


def test_htmx_requests_are_sent_to_the_code_page(manager):
    enrol(manager)
    browser = log_in("manager")
    response = browser.get("/clients/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == VERIFY


def test_logging_out_needs_no_code(manager):
    enrol(manager)
    browser = log_in("manager")
    assert browser.post("/accounts/logout/").status_code == 302
    assert browser.get("/")["Location"].startswith("/accounts/login/")


def test_a_manager_who_has_not_enrolled_is_not_asked(manager, admin_user):
    assert log_in("manager").get("/").status_code == 200
    # A superuser is: enrolling is not optional for them (below).
    assert log_in("admin").get("/admin/")["Location"].startswith(SETUP)


def test_the_admin_is_asked_too(admin_user):
    enrol(admin_user)
    assert log_in("admin").get("/admin/")["Location"].startswith(VERIFY)


def test_agents_are_never_asked_and_cannot_enrol(owner):
    enrol(owner)  # even with a device (made by hand), an agent is not stopped
    browser = log_in("owner")
    assert browser.get("/").status_code == 200
    assert browser.get(SETUP).status_code == 403


def test_turning_it_off_needs_a_current_code(manager):
    device = enrol(manager)
    backup = otp_backup_codes_renew(user=manager)
    browser = log_in("manager")
    assert browser.post(VERIFY, {"code": code_for(device.key)}).status_code == 302

    browser.post(
        "/accounts/otp/disable/", {"code": wrong_code(device.key)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert TOTPDevice.objects.filter(user=manager).exists()
    assert "still on" in browser.get(SETUP, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # Every device waits a moment after a failure: a second later, a backup code is good.
    with time_machine.travel(time.time() + 2, tick=False):
        response = browser.post("/accounts/otp/disable/", {"code": backup[0]})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert log_in("manager").get("/").status_code == 200


def test_a_staff_account_without_the_admin_role_may_enrol_and_is_asked(db):
    """`createsuperuser` makes role=agent accounts: admin-site access is what counts."""
    from .factories import UserFactory

    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    assert log_in("root").get(SETUP).status_code == 200
    enrol(superuser)
    assert log_in("root").get("/admin/")["Location"].startswith(VERIFY)


# -- superusers and staff must have a second factor ---------------------------------------------


@pytest.fixture
def staff(db):
    from .factories import UserFactory

    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("path", ["/", "/clients/", "/admin/", "/admin/accounts/user/"])
def test_a_superuser_who_has_not_enrolled_is_sent_to_enrol(staff, path):
    browser = log_in("boss")
    response = browser.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP + "?next=")
    page = browser.get(SETUP)
    assert page.status_code == 200
    assert "管理员必须开启两步验证" in page.content.decode()


def test_a_staff_member_who_is_not_superuser_must_enrol_too(db):
    from .factories import UserFactory

    UserFactory(username="clerk", is_staff=True)
    response = log_in("clerk").get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == SETUP


def test_once_enrolled_the_superuser_goes_on(staff):
    browser = log_in("boss")
    html = browser.get(SETUP).content.decode()
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    response = browser.post(SETUP, {"code": code_for(b32decode(secret).hex())})
    assert response.status_code == 302
    assert browser.get("/admin/").status_code == 200


def test_an_enrolled_superuser_gives_a_code_at_each_sign_in(staff):
    enrol(staff)
    response = log_in("boss").get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY + "?next=")


def test_a_superuser_cannot_turn_it_off(staff):
    device = enrol(staff)
    browser = log_in("boss")
    assert browser.post(VERIFY, {"code": code_for(device.key)}).status_code == 302
    response = browser.post("/accounts/otp/disable/", {"code": code_for(device.key)}, follow=True)
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
    assert "管理员必须使用两步验证，不能关闭。" in response.content.decode()


def test_agents_and_managers_are_still_not_forced(owner, manager):
    assert log_in("owner").get("/").status_code == 200
    assert log_in("manager").get("/").status_code == 200


def test_a_next_that_is_not_a_path_goes_to_the_dashboard(manager):
    """Found by tests/test_fuzz_urls.py: next=0 was taken for a URL pattern name (500)."""
    response = log_in("manager").post(VERIFY, {"next": "0"})
    assert response.status_code == 302 and response["Location"] == "/"
