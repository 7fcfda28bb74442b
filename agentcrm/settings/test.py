"""The test suite. PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, else SQLite."""

import os

from .base import *  # noqa: F403
from .base import INSTALLED_APPS

DEBUG = False
SECRET_KEY = "test-secret-key-0123456789-0123456789-0123456789-0123456789"
FIELD_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LWZpZWxkLWtleS0wMTIzNDU2Nzg5YWI="]
ID_NUMBER_DIGEST_KEY = "test-only-id-digest-key"
# `manage.py seed_demo` and its builders (production never installs them).
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks queued from request code run in-process, except in tests that start a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LANGUAGE_CODE = "zh-hans"
HEALTH_BROKER_TIMEOUT = 0.5

# pytest-xdist (`make test` runs two workers, gw0 and gw1): pytest-django gives each worker
# its own test database (test_<name>_gw0, …), and here each gets its own Celery broker and
# results: a key prefix in the shared Redis db, or its own filesystem broker folders. The
# Celery workers and beat that service tests start inherit PYTEST_XDIST_WORKER, so they
# never take another pytest worker's messages (the default queue "celery" included).
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER and REDIS_URL:  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "global_keyprefix": f"{XDIST_WORKER}:",
    }
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"{XDIST_WORKER}:"}
elif XDIST_WORKER:
    CELERY_DATA_DIR = CELERY_DATA_DIR / XDIST_WORKER  # noqa: F405
    for _sub in ("queue", "processed", "results", "control"):
        (CELERY_DATA_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_RESULT_BACKEND = f"file://{CELERY_DATA_DIR / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
    }
