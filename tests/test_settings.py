"""Production settings, checked the way they are used: in a fresh process."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_env(**overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
        and not key.startswith(("CELERY_", "SECURE_", "CSRF_", "TRUSTED_PROXY"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "agentcrm.settings.production"
    env["SECRET_KEY"] = secrets.token_urlsafe(64)
    env["ALLOWED_HOSTS"] = "example.com"
    env["FIELD_ENCRYPTION_KEYS"] = "bmV3LXJvdGF0ZWQtZmllbGQta2V5LTAxMjM0NTY3ODk="
    env["ID_NUMBER_DIGEST_KEY"] = secrets.token_urlsafe(32)
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_passes_the_deploy_checks_without_warnings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "no issues" in output


def test_production_refuses_to_start_without_a_secret_key():
    result = run(["manage.py", "check"], production_env(SECRET_KEY=None))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run(["manage.py", "check"], production_env(ALLOWED_HOSTS=None))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_production_refuses_to_start_without_valid_id_number_keys():
    for overrides in (
        {"FIELD_ENCRYPTION_KEYS": None},
        {"FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"},
        {"ID_NUMBER_DIGEST_KEY": None},
    ):
        result = run(["manage.py", "check"], production_env(**overrides))

        assert result.returncode != 0, overrides
        assert "ImproperlyConfigured" in result.stderr
        assert next(iter(overrides)) in result.stderr


def test_production_ignores_debug_from_the_environment():
    code = "from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)"
    result = run(["-c", code], production_env(DEBUG="1"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['example.com']"


def production_values(*names, **env):
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = run(["-c", "import django; django.setup(); " + code], production_env(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_and_headers():
    values = production_values(
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SAMESITE",
        "SECURE_HSTS_SECONDS",
        "SECURE_REFERRER_POLICY",
        "SESSION_COOKIE_AGE",
    )
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SESSION_COOKIE_AGE": 8 * 3600,
    }


def test_production_trusts_no_proxy_unless_told():
    # gunicorn reached directly must not believe a forged X-Forwarded-For (login lockout).
    assert production_values("TRUSTED_PROXY_COUNT") == {"TRUSTED_PROXY_COUNT": 0}
    assert production_values("TRUSTED_PROXY_COUNT", TRUSTED_PROXY_COUNT="1") == {
        "TRUSTED_PROXY_COUNT": 1
    }
    assert production_values("TRUSTED_PROXY_COUNT", TRUSTED_PROXY_COUNT="2") == {
        "TRUSTED_PROXY_COUNT": 2
    }


def test_production_checks_kept_connections_before_use():
    database = production_values("DATABASES")["DATABASES"]["default"]
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (60, True)


def test_the_test_and_local_settings_ignore_forwarded_for():
    from django.conf import settings

    assert settings.TRUSTED_PROXY_COUNT == 0
    assert settings.AXES_ENABLED is True
    assert settings.AUTHENTICATION_BACKENDS[0].startswith("axes.backends.")


# -- the demo data: `manage.py seed_demo` on a developer's machine, never in production ------

# Prints the modules loaded named "demo" or inside a "demo" package (the builders once lived
# in clients.demo, policies.demo and referrals.demo).
LOADED_DEMO_MODULES = (
    "import json, sys; print(json.dumps(sorted(m for m in sys.modules if 'demo' in m.split('.'))))"
)


def test_production_installs_no_demo_app():
    apps = production_values("INSTALLED_APPS")["INSTALLED_APPS"]
    assert "demo" not in apps
    assert {"clients", "policies", "referrals", "touches", "handover"} <= set(apps)


def test_production_start_up_imports_no_demo_generator():
    # What a worker process loads: every app (models, ready(), the occasions the touch engine
    # finds), the URLconf with every view, the admin and the management commands.
    code = (
        "import django; django.setup(); "
        "from django.contrib import admin; admin.autodiscover(); "
        "from django.urls import get_resolver; get_resolver().url_patterns; "
        "from django.core.management import get_commands; "
        "assert 'seed_demo' not in get_commands(), get_commands(); " + LOADED_DEMO_MODULES
    )
    result = run(["-c", code], production_env())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_the_local_and_test_settings_install_the_demo_app_on_top():
    from django.conf import settings
    from django.core.management import get_commands

    assert settings.INSTALLED_APPS[-1] == "demo"
    assert get_commands()["seed_demo"] == "demo"
    code = (
        "import django; django.setup(); "
        "from django.conf import settings; print(settings.INSTALLED_APPS[-1])"
    )
    result = run(["-c", code], production_env(DJANGO_SETTINGS_MODULE="agentcrm.settings.local"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "demo"


def test_a_plain_http_trial_is_possible_and_the_deploy_check_flags_it():
    values = production_values(
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        PLAIN_HTTP_TRIAL="1",
    )
    assert values == {
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
    }
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(PLAIN_HTTP_TRIAL="1"),
    )
    assert result.returncode != 0
    for warning in (
        "agentcrm.W001",
        "security.W004",
        "security.W008",
        "security.W012",
        "security.W016",
    ):
        assert warning in result.stderr + result.stdout, warning
