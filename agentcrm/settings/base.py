"""Settings shared by every environment.

Everything that differs between machines comes from the environment through the
typed helpers of django-environ; a malformed value fails at start-up, not later.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
VAR_DIR.mkdir(exist_ok=True)  # the SQLite file and the filesystem broker live here

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    # Named partials ({% partialdef %}; "page.html#rows" renders one): its app config wraps
    # the template loaders of TEMPLATES below in its own loader.
    "template_partials",
    "django_filters",
    "django_celery_beat",
    "phonenumber_field",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "agentcrm.accounts",
    "agentcrm.core",
    # Domain apps, lower floors first: an app may import only those listed above it
    # (import-linter's layers in pyproject.toml), and touches' ready() runs after the
    # occasions it builds.
    "clients",
    "policies",
    "servicing",
    "spreadsheets",
    "referrals",
    "touches",
    "introductions",
    "campaigns",
    "events",
    "gifts",
    "handouts",
    "handover",
    "privacy",
    "discipline",
    # The local and test settings add "demo" (seed_demo) on top; production never loads it.
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user verified once a second factor was given in this session.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A manager or admin who enrolled a TOTP device passes /accounts/otp/ before any page.
    "agentcrm.accounts.middleware.OTPRequiredMiddleware",
    # Moves the session's expiry forward while it is in use: 8 hours idle ends it.
    "agentcrm.accounts.middleware.SessionIdleRefreshMiddleware",
    "agentcrm.core.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records who made each change in the audit history.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns a locked-out login into the lockout page; axes wants to be last.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp 4), enforced everywhere (local, test, production): the
# pages load scripts, styles, fonts and images from this site only and run no inline script,
# no inline event handler and no style attribute (tests/test_csp.py scans every template).
# Data for scripts travels in data- attributes or json_script. `data:` images are Bootstrap's
# own icons (the select arrow, the check marks) inside its stylesheet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

ROOT_URLCONF = "agentcrm.urls"
# A refused form token gets the app's own page (in the agent's language, with a way back).
CSRF_FAILURE_VIEW = "agentcrm.core.views.csrf_failure"
WSGI_APPLICATION = "agentcrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite needs no server, so a fresh clone runs with no environment at all.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'agentcrm.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# A kept-open connection (CONN_MAX_AGE) is checked before a request first uses it: after the
# database restarted or a proxy dropped idle connections, the request reconnects instead of
# answering 500 on the dead one (once per gunicorn worker otherwise).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat write to one file at once (`make run`):
    # - WAL lets readers go on while one connection writes;
    # - IMMEDIATE transactions take the write lock when they begin, so two writers queue on
    #   the busy timeout instead of one failing at its first write ("database is locked"
    #   comes from a deferred transaction upgrading its read lock, which SQLite never waits
    #   for);
    # - synchronous=NORMAL is safe with WAL and keeps each commit to one fsync-free append.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# The axes backend comes first: it refuses a locked-out (username, IP) before any
# password is checked. Every authenticate() call must pass the request.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions live in the database, in a table that also records whose session each row is
# (agentcrm.accounts.sessions), so deactivating a user ends their sessions at once.
SESSION_ENGINE = "agentcrm.accounts.sessions"
# Idle timeout: a session unused for 8 hours is over. SessionIdleRefreshMiddleware moves the
# expiry forward at most once per SESSION_IDLE_REFRESH_SECONDS, not on every request.
SESSION_COOKIE_AGE = 8 * 3600
SESSION_IDLE_REFRESH_SECONDS = 300

# Login throttling (django-axes): 5 failures for one username from one IP address lock
# that pair out for 15 minutes; a success clears the count.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The page a locked-out login gets: registration/lockout.html, HTTP 429.
AXES_LOCKOUT_CALLABLE = "agentcrm.accounts.views.lockout"
# The client address axes counts by: agentcrm.core.http.client_ip, which believes
# X-Forwarded-For only as far as TRUSTED_PROXY_COUNT proxies of ours wrote it. 0 (here, in
# local and test): no proxy, REMOTE_ADDR alone; production reads it from the environment
# (default 0 there too).
AXES_CLIENT_IP_CALLABLE = "agentcrm.core.http.client_ip"
TRUSTED_PROXY_COUNT = 0

# Second factor (django-otp) for managers and admins who enrol: the name their
# authenticator app shows.
OTP_TOTP_ISSUER = "AgentCRM"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own date formats for zh_Hans (1月3日, not Django's 01月3日); English keeps Django's.
FORMAT_MODULE_PATH = ["agentcrm.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Uploaded files (spreadsheet imports) live under var/, never under a served URL: the
# worker reads them from here, so web and worker must share this directory.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Spreadsheet imports (spreadsheets): the largest file accepted and its row limit.
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
# What reading one file may cost the worker (spreadsheets.reader): a workbook whose zip members
# would expand past this is refused before it is opened; cells read (empty ones included) and
# seconds spent on one step are bounded too. Each past its bound is refused with a message.
IMPORT_MAX_UNZIPPED_BYTES = env.int("IMPORT_MAX_UNZIPPED_BYTES", default=128 * 1024 * 1024)
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=5_000_000)
IMPORT_MAX_SECONDS = env.int("IMPORT_MAX_SECONDS", default=1200)

# Personal data that must not outlive its purpose (PIPL; privacy app, README "Personal data").
# ID numbers are Fernet-encrypted at rest (agentcrm.core.crypto): the first key of
# FIELD_ENCRYPTION_KEYS encrypts, every key decrypts (rotation: put a new key first, run
# `manage.py id_numbers_reencrypt`, then drop the old one). ID_NUMBER_DIGEST_KEY keys the HMAC
# stored beside the ciphertext so equal ID numbers can be found. local and test set
# development values; production requires both.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
ID_NUMBER_DIGEST_KEY = env.str("ID_NUMBER_DIGEST_KEY", default="")
# A referred person's contact details, given by the referrer without their consent, are
# purged this many days after the referral's last step unless it was won.
REFERRAL_CONTACT_RETENTION_DAYS = env.int("REFERRAL_CONTACT_RETENTION_DAYS", default=365)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

PHONENUMBER_DEFAULT_REGION = "CN"
PHONENUMBER_DB_FORMAT = "E164"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# Where links in emails point (the digest's "open the dashboard").
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="AgentCRM <noreply@localhost>")

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport, which
# needs no server, so `make run` works on a bare machine.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_DATA_DIR = Path(env.str("CELERY_DATA_DIR", default=str(VAR_DIR / "celery")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    for sub in ("queue", "processed", "results", "control"):
        (CELERY_DATA_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = f"file://{CELERY_DATA_DIR / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "store_processed": False,
        # Without this, kombu writes its broadcast (pidbox) files to ./control.
        "control_folder": str(CELERY_DATA_DIR / "control"),
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "agentcrm.core.beat:Scheduler"
# Spreadsheet imports on a queue of their own, so touch builds, digests and other agents' work
# never wait behind one agent's upload: every worker command names both queues or runs a
# worker for each (bin/dev-run; README, Production).
IMPORT_QUEUE = "imports"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "policies.tasks.import_validate": {"queue": IMPORT_QUEUE},
    "policies.tasks.import_run": {"queue": IMPORT_QUEUE},
}
# Declared here, synced into django-celery-beat's tables by the scheduler, so the
# schedule is visible (and adjustable) in the admin.
CELERY_BEAT_SCHEDULE = {
    "nightly-run": {
        "task": "agentcrm.core.tasks.nightly_run",
        "schedule": crontab(hour=1, minute=0),
    },
    # The day's service touches (and any day missed while beat or the workers were down).
    "build-touches": {
        "task": "agentcrm.touches.tasks.build_touches",
        "schedule": crontab(hour=1, minute=0),
    },
    # The team referral figures kept by month (referrals.summary): missed nights caught up.
    "build-referral-months": {
        "task": "agentcrm.referrals.tasks.build_referral_months",
        "schedule": crontab(hour=1, minute=30),
    },
    # Each user's morning email: today's list, at the time each user chose (07:00 unless
    # changed); every quarter of an hour sends those whose time has come, once a day each.
    "touch-digests": {
        "task": "agentcrm.touches.tasks.send_digests",
        "schedule": crontab(minute="*/15"),
    },
}

# How long /healthz waits for the broker before calling it down.
HEALTH_BROKER_TIMEOUT = env.float("HEALTH_BROKER_TIMEOUT", default=1.0)

# Rows per page of the list pages (clients, policies, service requests, referrals, touches).
LIST_PAGE_SIZE = 25

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No full mobile or ID-card number reaches a log line (agentcrm.core.logging).
    "filters": {"mask_personal": {"()": "agentcrm.core.logging.MaskPersonalNumbersFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Labels used by templates for the brand; kept here so tests and pages agree.
SITE_NAME = _("AgentCRM")
