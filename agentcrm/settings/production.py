"""Production: every secret from the environment, HTTPS only, DEBUG never on."""

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False  # not read from the environment on purpose
SECRET_KEY = env.str("SECRET_KEY")  # no default: start-up fails loudly without it
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# No default: ID numbers cannot be stored or read without them. A malformed key stops
# start-up here rather than at the first page that shows an ID number.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
ID_NUMBER_DIGEST_KEY = env.str("ID_NUMBER_DIGEST_KEY")
if not FIELD_ENCRYPTION_KEYS or not ID_NUMBER_DIGEST_KEY:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS and ID_NUMBER_DIGEST_KEY must not be empty.")
try:
    [Fernet(key) for key in FIELD_ENCRYPTION_KEYS]
except ValueError as exc:
    raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS: {exc}") from None
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The app sits behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# A trial of the production settings over plain http on one machine (no TLS proxy yet):
# PLAIN_HTTP_TRIAL=1 turns off the secure-only cookies, the https redirect and HSTS, which
# otherwise make signing in impossible over http. Never for real use: `check --deploy` then
# reports each of them (security.W004, W008, W012, W016) and agentcrm.W001.
PLAIN_HTTP_TRIAL = env.bool("PLAIN_HTTP_TRIAL", default=False)
if PLAIN_HTTP_TRIAL:
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
    SECURE_HSTS_SECONDS = 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = False
# Lax: the session cookie is not sent with cross-site POSTs (a second line behind CSRF)
# but still with a plain link into the site from elsewhere.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: htmx sends the token rendered into the page (base.html).
CSRF_COOKIE_HTTPONLY = True

# Reverse proxies of ours in front of gunicorn. Each appends the address it received the
# request from to X-Forwarded-For, so the client is the entry this many places from the
# right; anything further left was written by the client and is ignored (login throttling
# counts by this address). 0, the default, when gunicorn faces the clients directly: trusting
# a proxy that is not there would let anyone who reaches gunicorn write their own address
# into the header and get fresh login tries with each one. Set it to 1 behind the proxy.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
if EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
