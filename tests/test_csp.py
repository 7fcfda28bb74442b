"""Content-Security-Policy: every page sends an enforced policy that allows scripts and
styles from this site only, and no template (nor any page rendered) holds an inline
script, an inline event handler, a style attribute or a <style> element, which that policy
would refuse."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse

from .factories import ClientFactory, FamilyMemberFactory
from .policy_factories import BeneficiaryFactory, PolicyFactory, RiderFactory
from .referral_factories import ReferralFactory
from .test_settings import production_values

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("agentcrm/*/templates")]

INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I
)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def problems(html: str) -> list[str]:
    found = []
    for name, pattern in [
        ("inline script", INLINE_SCRIPT),
        ("event handler attribute", HANDLER),
        ("style attribute", STYLE_ATTRIBUTE),
        ("<style> element", STYLE_ELEMENT),
        ("javascript: URL", JS_URL),
    ]:
        found += [f"{name}: {m.group(0)[:80]}" for m in pattern.finditer(html)]
    return found


def test_the_scanner_finds_what_it_looks_for():
    assert problems('<script>alert(1)</script><script src="/a.js"></script>') == [
        "inline script: <script>"
    ]
    assert len(problems('<a href="#" onclick="x()">')) == 1
    assert len(problems('<div class="a" style="width: 1px">')) == 1
    assert len(problems("<style>p {}</style>")) == 1
    assert problems('<script id="d" type="application/json">{}</script>') == []
    assert problems('<div data-style="x" class="onclick">{{ style }}</div>') == []


def test_no_template_holds_inline_script_handler_or_style():
    templates = [p for d in TEMPLATE_DIRS for p in d.rglob("*.html")]
    assert len(templates) > 50
    found = {
        str(path.relative_to(ROOT)): problems(path.read_text(encoding="utf-8"))
        for path in templates
    }
    assert {path: lines for path, lines in found.items() if lines} == {}


# The packages whose templates the admin renders: Django's admin, simple_history's change
# history and django_celery_beat's periodic tasks.
ADMIN_TEMPLATE_APPS = ("admin", "simple_history", "django_celery_beat")


def admin_templates() -> dict[str, Path]:
    """Every template of those packages, as the loader finds it: our override in
    templates/ when there is one, else the package's own."""
    names: set[str] = set()
    for label in ADMIN_TEMPLATE_APPS:
        root = Path(apps.get_app_config(label).path) / "templates"
        names |= {path.relative_to(root).as_posix() for path in root.rglob("*.html")}
    return {name: Path(get_template(name).origin.name) for name in sorted(names)}


def test_no_admin_template_holds_inline_script_handler_or_style():
    """The admin is served under the same policy: the package templates that would break
    it are overridden (templates/admin/, templates/simple_history/)."""
    found = admin_templates()
    assert "simple_history/object_history_list.html" in found
    assert len(found) > 50
    refused = {name: problems(path.read_text(encoding="utf-8")) for name, path in found.items()}
    assert {name: lines for name, lines in refused.items() if lines} == {}


def assert_enforced(response) -> str:
    assert "Content-Security-Policy-Report-Only" not in response
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in policy
    return policy


@pytest.mark.django_db
def test_anonymous_pages_send_the_policy(client):
    assert_enforced(client.get(reverse("login")))
    assert_enforced(client.get("/no-such-page/"))
    assert_enforced(client.get("/healthz"))


@pytest.mark.django_db
def test_the_pages_of_an_agent_send_the_policy_and_hold_nothing_it_refuses(as_user, owner):
    http = as_user(owner)
    holder = ClientFactory(owner=owner, name="王芳")
    FamilyMemberFactory(client=holder, name="王小明")
    policy = PolicyFactory(holder=holder)
    RiderFactory(policy=policy)
    BeneficiaryFactory(policy=policy, share=100)
    referral = ReferralFactory(referrer=holder)
    urls = [
        "/",
        reverse("clients:list"),
        reverse("clients:detail", args=[holder.pk]),
        reverse("clients:edit", args=[holder.pk]),
        reverse("policies:detail", args=[policy.pk]),
        reverse("policies:edit", args=[policy.pk]),
        reverse("policies:delivery", args=[policy.pk]),
        reverse("referrals:list"),
        reverse("referrals:detail", args=[referral.pk]),
        reverse("referrals:sources"),
        reverse("referrals:new"),
        reverse("service_requests:create"),
        reverse("referrals:ask"),
        reverse("client_referrals:chain", args=[holder.pk]),
        reverse("touches:settings"),
    ]
    for url in urls:
        response = http.get(url)
        assert response.status_code == 200, url
        assert_enforced(response)
        assert problems(response.content.decode()) == [], url


@pytest.mark.django_db
def test_the_managers_pages_send_the_policy_and_hold_nothing_it_refuses(as_user, manager, owner):
    http = as_user(manager)
    ReferralFactory(referrer=ClientFactory(owner=owner))
    for url in ["/", reverse("team_referrals:overview")]:
        response = http.get(url)
        assert response.status_code == 200, url
        assert_enforced(response)
        assert problems(response.content.decode()) == [], url


def test_production_enforces_the_same_policy():
    values = production_values("MIDDLEWARE", "CONTENT_SECURITY_POLICY")
    assert "csp.middleware.CSPMiddleware" in values["MIDDLEWARE"]
    directives = values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert "CONTENT_SECURITY_POLICY_REPORT_ONLY" not in values


@pytest.mark.django_db
def test_the_admin_pages_send_the_policy_and_hold_nothing_it_refuses(as_user, admin_user, owner):
    http = as_user(admin_user)
    holder = ClientFactory(owner=owner, name="王芳")
    policy = PolicyFactory(holder=holder)
    for url in [
        reverse("admin:index"),
        reverse("admin:clients_client_changelist"),
        reverse("admin:clients_client_change", args=[holder.pk]),
        reverse("admin:clients_client_history", args=[holder.pk]),
        reverse("admin:policies_policy_history", args=[policy.pk]),
        reverse("admin:django_celery_beat_periodictask_add"),
    ]:
        response = http.get(url)
        assert response.status_code == 200, url
        assert_enforced(response)
        assert problems(response.content.decode()) == [], url
