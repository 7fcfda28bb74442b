"""Settings of the load bench's gunicorn: production's, served over plain HTTP on 127.0.0.1.

Everything a real deployment runs stays on (DEBUG off, the whole middleware stack, the
manifest static storage, persistent database connections); only what a bench on loopback
without TLS cannot have, or must not measure, differs:

- no HTTPS redirect and no Secure flag on the cookies (the simulated browsers speak plain
  HTTP, and a Secure cookie would never be sent back);
- the URLconf adds one bare view, /bench/ping-db (one query), for the framework's ceiling:
  it exists only here, never in the product's URLconf;
- a fast password hasher: each simulated agent logs in once, and 50 PBKDF2 logins would
  take seconds of the 2 cores this bench measures the dashboards on;
- static files are collected into a directory of the bench's own, by the manifest storage
  without whitenoise's compression (pages render the same hashed names; compressing every
  file took half a minute of the bench's 3). Simulated agents fetch no static files: a
  browser has them cached.

The bench sets SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL in the environment, as production
needs them.
"""

import os

from agentcrm.settings.production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

ROOT_URLCONF = "bench.load.urls"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
STATIC_ROOT = os.environ.get("BENCH_LOAD_STATIC_ROOT", str(VAR_DIR / "bench-load-static"))  # noqa: F405
