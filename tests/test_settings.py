"""Production settings, checked the way they are used: in a fresh process."""

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
        and not key.startswith(("CELERY_", "SECURE_", "CSRF_"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "agentcrm.settings.production"
    env["SECRET_KEY"] = secrets.token_urlsafe(64)
    env["ALLOWED_HOSTS"] = "example.com"
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


def test_production_ignores_debug_from_the_environment():
    code = "from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)"
    result = run(["-c", code], production_env(DEBUG="1"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['example.com']"
