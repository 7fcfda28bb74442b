"""Developer machine: `make run`. Safe defaults, nothing to configure."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env

# Off by default, so a new user meets the app's own error pages, never Django's debug page;
# DEBUG=1 turns it on for development.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-secret-key-not-for-production-use-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# Development keys only (never used in production, which requires its own).
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS", default=["ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE="]
)
ID_NUMBER_DIGEST_KEY = env.str("ID_NUMBER_DIGEST_KEY", default="dev-only-id-digest-key")
# `manage.py seed_demo` (`make run` loads the demo data); production never installs it.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files straight from static/ (no collectstatic), with or without DEBUG.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
