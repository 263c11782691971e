"""Settings for the couples worksheet service.

Everything comes from environment variables. With none set, the project runs on embedded
parts (SQLite, a filesystem Celery broker, e-mail written to files) so that a bare machine can
run the demo. `DJANGO_ENV=production` turns on the production checks below.
"""

import base64
import hashlib
import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
import phonenumbers
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from error


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in env_str(name, default).split(",") if part.strip()]


def env_match(name: str, pattern: str, what: str, default: str = "", secret: bool = False) -> str:
    """A value that, when set, must match `pattern` in full; `what` says what it should be. A
    secret's value is never repeated in the message."""
    raw = env_str(name, default)
    if raw and not re.fullmatch(pattern, raw):
        shown = "" if secret else f", not {raw!r}"
        raise ImproperlyConfigured(f"{name} must be {what}{shown}")
    return raw


ENVIRONMENT = env_str("DJANGO_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)
_DEV_SECRET = "dev-only-secret-key-never-use-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1]")

if PRODUCTION:
    if len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET:
        raise ImproperlyConfigured("Production needs SECRET_KEY: 50 or more random characters.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Production needs ALLOWED_HOSTS (comma-separated host names).")
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG cannot be on in production.")


def _derived_key(purpose: str) -> bytes:
    """A development-only key derived from the development SECRET_KEY."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"{purpose}:{SECRET_KEY}".encode()).digest())


# Answers, counselors' notes and partners' contact details are stored encrypted
# (therapy/encryption.py). Comma-separated Fernet keys: the first encrypts, all decrypt.
# Make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key())"
FIELD_ENCRYPTION_KEYS = env_list(
    "FIELD_ENCRYPTION_KEYS", "" if PRODUCTION else _derived_key("field-encryption").decode()
)
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must hold one or more Fernet keys, comma-separated."
    )
for _position, _key in enumerate(FIELD_ENCRYPTION_KEYS, start=1):
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS: key {_position} is not a Fernet key "
            "(32 bytes in URL-safe base64, 44 characters)."
        ) from None
# The key of the digests that find a partner by e-mail address or phone number.
FIELD_LOOKUP_KEY = env_str(
    "FIELD_LOOKUP_KEY", "" if PRODUCTION else _derived_key("field-lookup").decode()
)
if len(FIELD_LOOKUP_KEY) < 32:
    raise ImproperlyConfigured("FIELD_LOOKUP_KEY must be 32 or more random characters.")

# The public address of the site, used to build links in e-mails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Where the portal's quick exit goes: an ordinary site that gives nothing away.
QUICK_EXIT_URL = env_str("QUICK_EXIT_URL", "https://www.bbc.com/weather")

INSTALLED_APPS = [
    "therapy.apps.TherapyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # The API's OpenAPI schema and its docs page, with Swagger UI from our own static files.
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "simple_history",
    "therapy",
    "clients",
    "worksheets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, which answers for static files itself: those carry both policies too.
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the query or the form (therapy/input_limits.py).
    "therapy.input_limits.CleanInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language picks the date and time formats (LANGUAGES, FORMAT_MODULE_PATH).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Names the signed-in user in each change-history row (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "therapy.middleware.PracticeTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "therapy.middleware.StaffIdleTimeoutMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "therapy.urls"
WSGI_APPLICATION = "therapy.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "therapy" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clients.context_processors.portal",
            ],
        },
    },
]

_default_database = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _default_database), conn_max_age=env_int("DB_CONN_MAX_AGE", 60)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # SQLite serialises writers; a busy timeout lets the demo's web, worker and beat share it.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Only the formats differ: month first or day first, 12- or 24-hour times (therapy/formats/).
# Australian and Irish English write dates as British English does; any other English (en-ca,
# en-nz) takes the first of these, and any other language LANGUAGE_CODE.
LANGUAGES = [
    ("en-us", "English (US)"),
    ("en-gb", "English (UK)"),
    ("en-au", "English (Australia)"),
    ("en-ie", "English (Ireland)"),
]
FORMAT_MODULE_PATH = ["therapy.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Rate limits count in the cache; with several web processes it must be shared (Redis).
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Sessions and security -------------------------------------------------------------------

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 8)
# Staff are signed out after this long without a request; the dashboard shows client data.
STAFF_IDLE_TIMEOUT = timedelta(minutes=env_int("STAFF_IDLE_MINUTES", 30))

# Staff sign-in: after STAFF_LOGIN_FAILURE_LIMIT wrong passwords for one username, that
# username is locked for STAFF_LOCKOUT_MINUTES, whatever the password (django-axes).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("STAFF_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("STAFF_LOCKOUT_MINUTES", 15))
# axes locks by username; wrong passwords from one address are counted apart, with a higher
# limit (below), since a practice's staff share an office address. Hence axes' own advice to
# lock by address in the same count (its check W006) is turned off on purpose.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
# Wrong passwords from one address, whichever usernames, pause sign-in from it for the same
# window (therapy/sign_in_limits.py); higher, since a practice's staff share an office.
STAFF_ADDRESS_FAILURE_LIMIT = env_int("STAFF_ADDRESS_FAILURE_LIMIT", 20)
# Reverse proxies in front of the service, for the client's address (therapy/client_address.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "therapy.client_address.client_ip"
AXES_LOCKOUT_CALLABLE = "therapy.admin_site.locked_out"
# Failed attempts are kept for the lockout; successful sign-ins are not logged a second time,
# and nothing of it is shown in the counselors' admin.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False

# After the password, a code from an authenticator app (TOTP). Required in production; off by
# default elsewhere so that the demo's logins work without an app.
STAFF_TWO_FACTOR = env_bool("STAFF_TWO_FACTOR", PRODUCTION)
OTP_TOTP_ISSUER = "Between sessions"
# The operator's list of staff authenticator apps shows no secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts, styles, images and fonts come from our own static files only: no inline script or
# style, no eval, no plugins, and no page of ours inside another site's frame. The charts and
# the two-step QR code are inline SVG drawn with attributes, never style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features neither the portal nor the dashboard uses, refused to every page and frame.
# Only names Chromium knows: it reports any other as an error on every page.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "window-management",
        "xr-spatial-tracking",
    )
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 400

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- E-mail ----------------------------------------------------------------------------------

EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "therapy.mailfiles.MessageFileBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Worksheets <worksheets@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Text messages ---------------------------------------------------------------------------

SMS_BACKEND = env_str("SMS_BACKEND", "clients.sms.FileSmsBackend")
SMS_FILE_PATH = Path(env_str("SMS_FILE_PATH", str(VAR_DIR / "sms")))
# Twilio (clients.sms.TwilioSmsBackend). The auth token also checks the signature of every
# delivery report and incoming text Twilio posts to us (clients/sms_views.py).
_HEX32 = "[0-9a-fA-F]{32}"
_URL = r"https?://[^\s]+"
TWILIO_ACCOUNT_SID = env_match(
    "TWILIO_ACCOUNT_SID", f"AC{_HEX32}", "an account SID: AC and 32 hexadecimal digits"
)
TWILIO_AUTH_TOKEN = env_match(
    "TWILIO_AUTH_TOKEN", _HEX32, "an auth token of 32 hexadecimal digits", secret=True
)
# The sender: a Twilio number, or a messaging service (which wins when both are set).
TWILIO_FROM_NUMBER = env_match(
    "TWILIO_FROM_NUMBER", r"\+[1-9][0-9]{6,14}", "a number in E.164 form, e.g. +12015550123"
)
TWILIO_MESSAGING_SERVICE_SID = env_match(
    "TWILIO_MESSAGING_SERVICE_SID", f"MG{_HEX32}", "a messaging service SID: MG and 32 hex digits"
)
# Where Twilio reports what became of each text; set it empty for no reports. Reports are
# checked against the address built from SITE_URL, so it must lie under SITE_URL.
TWILIO_STATUS_CALLBACK_URL = env_match(
    "TWILIO_STATUS_CALLBACK_URL", _URL, "a web address", default=SITE_URL + "/sms/status/"
)
if TWILIO_STATUS_CALLBACK_URL and not TWILIO_STATUS_CALLBACK_URL.startswith(SITE_URL + "/"):
    raise ImproperlyConfigured("TWILIO_STATUS_CALLBACK_URL must be an address under SITE_URL.")
# Empty for Twilio's own API; the tests point it at a local server.
TWILIO_API_BASE_URL = env_match("TWILIO_API_BASE_URL", _URL, "a web address").rstrip("/")
# How long to wait for Twilio to connect, and then to answer, before trying again later.
TWILIO_TIMEOUT_SECONDS = env_int("TWILIO_TIMEOUT_SECONDS", 10)
if TWILIO_TIMEOUT_SECONDS <= 0:
    raise ImproperlyConfigured("TWILIO_TIMEOUT_SECONDS must be a positive number of seconds.")
if SMS_BACKEND == "clients.sms.TwilioSmsBackend" and not (
    TWILIO_ACCOUNT_SID
    and TWILIO_AUTH_TOKEN
    and (TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID)
):
    raise ImproperlyConfigured(
        "TwilioSmsBackend needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, and TWILIO_FROM_NUMBER "
        "or TWILIO_MESSAGING_SERVICE_SID."
    )
if PRODUCTION and TWILIO_API_BASE_URL and not TWILIO_API_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured("In production TWILIO_API_BASE_URL must start with https://.")
# Phone numbers typed without a country code are read as numbers of this region (ISO 3166).
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "US").upper()
if PHONE_DEFAULT_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        "PHONE_DEFAULT_REGION must be a two-letter country code such as US or GB, "
        f"not {PHONE_DEFAULT_REGION!r}"
    )

# --- Celery ----------------------------------------------------------------------------------

_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    (_BROKER_DIR / "queue").mkdir(parents=True, exist_ok=True)
    (_BROKER_DIR / "processed").mkdir(parents=True, exist_ok=True)
    (_BROKER_DIR / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Otherwise kombu keeps its exchange tables in ./control, wherever the worker started.
        "control_folder": str(_BROKER_DIR / "control"),
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "store_processed": False,
    }
else:
    # A message not acknowledged within an hour is delivered again; no task of ours runs that
    # long, and no task is scheduled further ahead than a minute, so nothing is doubled.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
REMINDER_SWEEP_SECONDS = env_int("REMINDER_SWEEP_SECONDS", 60)
REMINDER_BATCH_SIZE = env_int("REMINDER_BATCH_SIZE", 500)
REMINDER_LEASE = timedelta(seconds=env_int("REMINDER_LEASE_SECONDS", 300))
# A sweep keeps claiming until nothing due is left, for at most this long; the next beat goes on.
REMINDER_SWEEP_BUDGET = env_int("REMINDER_SWEEP_BUDGET_SECONDS", 45)
# Webhooks (therapy/webhooks.py): how long a receiver has to connect, and again to answer.
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
# Plain http to this machine (127.0.0.1, localhost) for a receiver in development or a test;
# everywhere else a webhook goes to a public https address only.
WEBHOOK_ALLOW_LOCAL_HTTP = env_bool("WEBHOOK_ALLOW_LOCAL_HTTP", DEBUG)
if PRODUCTION and WEBHOOK_ALLOW_LOCAL_HTTP:
    raise ImproperlyConfigured("WEBHOOK_ALLOW_LOCAL_HTTP cannot be on in production.")
# The longest one send may take: a provider's timeout (Twilio's and a webhook's apply to
# connecting and to answering, so twice over at worst).
_SLOWEST_SEND = max(EMAIL_TIMEOUT, 2 * TWILIO_TIMEOUT_SECONDS, 2 * WEBHOOK_TIMEOUT)
# A send batch starts no new send after this long, so that with one slow send (at most
# _SLOWEST_SEND) it still ends well inside the task's 60-second soft time limit.
OUTBOX_BATCH_SECONDS = env_int("OUTBOX_BATCH_SECONDS", 30)
# A row marked "sending" is settled by its kind's rule if still so after this: it covers the
# rest of its batch and one slow send.
OUTBOX_SENDING_LEASE = timedelta(
    seconds=env_int("OUTBOX_SENDING_LEASE_SECONDS", 2 * 30 + 2 * _SLOWEST_SEND)
)
# The longest a submission waits for a send to the same partner that is under way.
SUBMIT_WAIT_FOR_SEND_MS = env_int("SUBMIT_WAIT_FOR_SEND_MS", 1000)
# An alert when the partners' gap in preferred balance widens by this much (0–10 scale).
ALERT_GAP_WIDENING = env_int("ALERT_GAP_WIDENING", 2)

# --- Client portal ---------------------------------------------------------------------------

# A closed couple's records, and every access-log and change-history row, are kept this long
# (therapy/retention.py). Seven years is a common rule for clinical records; set your own.
RECORDS_RETENTION_DAYS = env_int("RECORDS_RETENTION_DAYS", 7 * 365)
PORTAL_LINK_LIFETIME = timedelta(days=env_int("PORTAL_LINK_DAYS", 7))
PORTAL_SESSION_SECONDS = env_int("PORTAL_SESSION_SECONDS", 60 * 60 * 2)

# --- REST framework --------------------------------------------------------------------------

# Requests per API key (therapy/api_auth.py), counted in the default cache: "120/min", "5/s".
_API_KEY_RATE = env_str("API_KEY_RATE", "120/min")
if not re.fullmatch(r"[1-9]\d*/(s|sec|m|min|h|hour|d|day)", _API_KEY_RATE):
    raise ImproperlyConfigured(f"API_KEY_RATE must be like 120/min, not {_API_KEY_RATE!r}.")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["therapy.input_limits.CleanJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"api_key": _API_KEY_RATE},
    "EXCEPTION_HANDLER": "therapy.api_problems.problem_exception_handler",
}
# The schema at /api/schema/ (committed as docs/openapi.yaml) and its page at /api/docs/.
SPECTACULAR_SETTINGS = {
    "TITLE": "Couples worksheets API",
    "DESCRIPTION": "The caseload, couples and partners, sessions, alerts, worksheets, "
    "assignments, responses and their stored scores, the session brief and CSV exports, by "
    "the dashboard's rules and scope. Worksheet results are reflective exercises, not a "
    "diagnosis. Errors are RFC 9457 problems; every POST takes an Idempotency-Key. See "
    "docs/api.md.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging ---------------------------------------------------------------------------------

# Personal-link tokens are taken out of every log record (therapy/log_redaction.py).
LOGGING_CONFIG = "therapy.log_redaction.configure_logging"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Every sign-in would be a line; lockouts are warnings and still show.
        "axes": {"level": "WARNING"},
        # Twilio's client writes every request's address and headers at INFO.
        "twilio.http_client": {"level": "WARNING"},
        # WeasyPrint and its font library narrate each step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
