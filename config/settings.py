"""Confide settings, read from the environment.

Development (DJANGO_DEBUG=1) creates its own secret and encryption keys in a git-ignored file on
first run. Production (DJANGO_DEBUG off, the default) refuses to start without them.
"""

import json
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG")

DEV_SECRETS_FILE = Path(os.environ.get("CONFIDE_DEV_SECRETS", BASE_DIR / ".secrets" / "dev.json"))


def _development_secrets() -> dict[str, str]:
    """Keys for a developer's machine, made once and kept out of git (.secrets/ is ignored)."""
    if DEV_SECRETS_FILE.exists():
        return json.loads(DEV_SECRETS_FILE.read_text())
    from core.crypto import new_key_spec

    values = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "CONFIDE_ENCRYPTION_KEYS": new_key_spec(),
    }
    DEV_SECRETS_FILE.parent.mkdir(parents=True, exist_ok=True)
    DEV_SECRETS_FILE.write_text(json.dumps(values, indent=2))
    DEV_SECRETS_FILE.chmod(0o600)
    return values


_required = ("DJANGO_SECRET_KEY", "CONFIDE_ENCRYPTION_KEYS")
_missing = [name for name in _required if not os.environ.get(name)]
if _missing and DEBUG:
    _dev = _development_secrets()
    _values = {name: os.environ.get(name) or _dev[name] for name in _required}
elif _missing and sys.argv[1:2] == ["generate_key"]:
    # Making the first key must work on a machine that has none yet.
    _values = {"DJANGO_SECRET_KEY": "generate-key-only", "CONFIDE_ENCRYPTION_KEYS": ""}
elif _missing:
    raise ImproperlyConfigured(
        "Confide will not start in production without "
        + " and ".join(_missing)
        + ". Set them in the environment (python manage.py generate_key prints an encryption "
        "key), or set DJANGO_DEBUG=1 for a development machine."
    )
else:
    _values = {name: os.environ[name] for name in _required}

SECRET_KEY = _values["DJANGO_SECRET_KEY"]
CONFIDE_ENCRYPTION_KEYS = _values["CONFIDE_ENCRYPTION_KEYS"]
# Once `manage.py reencrypt` has brought every value to the current format (bound to the columns
# that decide who reads it, empty values encrypted too): refuse the old format, and empty columns.
CONFIDE_REFUSE_LEGACY_CIPHERTEXT = env_bool("CONFIDE_REFUSE_LEGACY_CIPHERTEXT")

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else ""
    ).split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "config.apps.ConfideAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "guardian",
    "auditlog",
    "django_tasks_db",
    "core",
    "audit",
    "accounts",
    "records",
    "consent",
    "access_requests",
    "lifecycle",
    "governance",
    "safeguarding",
    "home",
    "demo",
]

MIDDLEWARE = [
    "core.middleware.KeyCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionLimitsMiddleware",
    "accounts.middleware.RequireTwoFactorMiddleware",
    "records.middleware.WorkingSettingMiddleware",
    "accounts.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
    "core.middleware.IntegrityFailureMiddleware",
    "core.middleware.FileStorageFailureMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "home.context_processors.confide",
            ],
        },
    },
]

FORM_RENDERER = "config.forms.ConfideFormRenderer"

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
    )
}
# A group's deployment (docs/deployment.md): a read replica for the reports (core.replica), and
# PgBouncer in transaction mode, which cannot keep a prepared statement or a server-side cursor
# from one transaction to the next.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=60
    )
    # Tests read the primary's test database through it.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
    CONFIDE_READ_REPLICA = True
if env_bool("DATABASE_PGBOUNCER", False):
    for _database in DATABASES.values():
        if "postgresql" in _database["ENGINE"]:
            _database.setdefault("OPTIONS", {})["prepare_threshold"] = None
            _database["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Children who leave: room staff, the key person and authors keep access for this many days after
# the leaving date (DESIGN.md; default none); the Lead and Deputy keep it until destruction.
CONFIDE_LEAVER_GRACE_DAYS = int(os.environ.get("CONFIDE_LEAVER_GRACE_DAYS", "0"))

# Where the audit chain's head is anchored (audit.anchors): a directory the database server
# cannot write. On a development machine, one per database under .secrets/ (git ignores it).
CONFIDE_AUDIT_ANCHOR_DIR = Path(
    os.environ.get("CONFIDE_AUDIT_ANCHOR_DIR")
    or BASE_DIR / ".secrets" / "anchors" / str(DATABASES["default"]["NAME"]).replace("/", "_")
)
# Optionally also emailed (comma-separated addresses, for example the Lead's).
CONFIDE_AUDIT_ANCHOR_EMAIL = [
    a.strip() for a in os.environ.get("CONFIDE_AUDIT_ANCHOR_EMAIL", "").split(",") if a.strip()
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout (accounts.lockout.ConfideAxesHandler): per username, at most 10 failures within any 5 minutes,
# then locked for 15 minutes; per address the same at a higher threshold, so one person's typos never
# lock a whole nursery behind one address. Axes 8.3 on its own uses AXES_COOLOFF_TIME both as the
# window failures are counted in and as the length of the lockout, and keeps counting a run of
# failures for as long as each comes within that time of the last: the handler counts each failure
# at its own time instead. Wrong two-factor and enrolment codes count as failures too.
AXES_HANDLER = "accounts.lockout.ConfideAxesHandler"
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
# A username that is no account's is kept as a keyed hash (it may be a password typed in the wrong
# box); the form's data is kept with the username and password masked.
AXES_USERNAME_CALLABLE = "accounts.lockout.stored_username"
AXES_SENSITIVE_PARAMETERS = ["username", "password", "ip_address"]
# Failures are cleared after the second factor (accounts.signin.complete_sign_in), not after the
# password alone, so knowing the password does not reset the count of wrong codes.
AXES_RESET_ON_SUCCESS = False
# Attempts refused during a lockout are not counted: the lockout ends 15 minutes after it began.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
CONFIDE_FAILURE_WINDOW = timedelta(minutes=5)
CONFIDE_ADDRESS_FAILURE_LIMIT = 50

# Sessions: ended after 30 idle minutes, and in any case 12 hours after sign-in
# (accounts.middleware.SessionLimitsMiddleware); the cookie goes when the browser closes, so a shared
# tablet does not keep anyone signed in.
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CONFIDE_IDLE_TIMEOUT = timedelta(minutes=30)
CONFIDE_SESSION_MAX_AGE = timedelta(hours=12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-otp
OTP_TOTP_ISSUER = "Confide"

# Guardian: no anonymous user row; our grants use direct foreign-key permission models.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-auditlog: the client address comes from REMOTE_ADDR unless a trusted proxy says otherwise.
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Attachments and PDFs (every EncryptedBinaryField): encrypted in the database (the default), or
# encrypted here and then uploaded to S3-compatible object storage, the column keeping a reference
# (core.filestore; docs/deployment.md, "Object storage"). The credentials are boto3's own: the
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables, a profile, or the machine's role.
CONFIDE_FILE_STORAGE = (os.environ.get("CONFIDE_FILE_STORAGE") or "database").strip().lower()
if CONFIDE_FILE_STORAGE not in ("database", "s3"):
    raise ImproperlyConfigured(
        f"CONFIDE_FILE_STORAGE is {CONFIDE_FILE_STORAGE!r}: it must be database (the default) or s3."
    )
if CONFIDE_FILE_STORAGE == "s3" and not os.environ.get("CONFIDE_S3_BUCKET"):
    raise ImproperlyConfigured(
        "CONFIDE_FILE_STORAGE=s3 needs CONFIDE_S3_BUCKET (and CONFIDE_S3_ENDPOINT_URL for a "
        "store other than Amazon's, CONFIDE_S3_REGION where it asks for one)."
    )
# Named, the bucket is read even with CONFIDE_FILE_STORAGE back at database: the files written
# while it was s3 stay there.
if os.environ.get("CONFIDE_S3_BUCKET"):
    # Loaded only when there is object storage.
    from botocore.config import Config as _S3Config

    STORAGES["confide_files"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["CONFIDE_S3_BUCKET"],
            "endpoint_url": os.environ.get("CONFIDE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("CONFIDE_S3_REGION") or None,
            # Object names are random: no check for an existing one before each upload.
            "file_overwrite": True,
            # The bucket's own policy decides access (private: Confide never hands out its URLs).
            "default_acl": None,
            # A store that does not answer fails the page in seconds, not minutes.
            "client_config": _S3Config(
                connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}
            ),
        },
    }

# Attachments are kept encrypted (in the database, or in memory until uploaded), so uploads stay in
# memory up to this size.
CONFIDE_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = CONFIDE_MAX_ATTACHMENT_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = CONFIDE_MAX_ATTACHMENT_BYTES + 1024 * 1024

# Mail (Django 6.1's MAILERS): the console in development, SMTP from the environment in production.
MAILERS = {
    "default": (
        {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
        if DEBUG
        else {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("EMAIL_PORT", "587")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": 30,
            },
        }
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "confide@localhost")

# Background work (django.tasks): subject-access PDFs are rendered outside the request. Development
# and tests run tasks at once, in-process; production uses django-tasks-db's database backend, whose
# worker is `python manage.py db_worker` (README). CONFIDE_TASKS_BACKEND overrides either.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("CONFIDE_TASKS_BACKEND")
        or (
            "django.tasks.backends.immediate.ImmediateBackend"
            if DEBUG
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}

# Content Security Policy: nothing inline without a nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("DJANGO_BEHIND_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# One console handler, on the root logger. Django's own default gives the "django" logger a console
# handler of its own and lets it propagate to the root too, which printed every request warning and
# task line twice; here "django" only propagates. ("django.server", runserver's request lines, keeps
# Django's handler and does not propagate: once as well.)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}

# axes.W006 asks for lockout by address too; the design wants a *higher* per-address threshold
# than per-username (one nursery often shares one address), which accounts.lockout enforces itself.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
