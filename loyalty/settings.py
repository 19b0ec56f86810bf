"""Settings for the loyalty platform, read from the environment.

Every setting an operator may change is documented in README.md ("Configuration").
"""
from pathlib import Path
import os

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless asked for: `make run` and the tests set DEBUG=1; a server started any other way is in production mode.
DEBUG = env_bool("DEBUG", False)
# The development key is only accepted while DEBUG is on; production must set SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "dev-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ" if DEBUG else ""
)
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off. In production set SECRET_KEY (50 random characters); "
        "for development on your own machine set DEBUG=1 (as `make run` does)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_q",
    "django_htmx",
    "template_partials",
    "pgtrigger",
    "axes",
    "csp",
    "drf_spectacular_sidecar",
    "accounts",
    "loyalty",
    "promotions",
    "referrals",
    "campaigns",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "loyalty.middleware.InputGuardMiddleware",
    "loyalty.api.middleware.ApiErrorMiddleware",
    "loyalty.middleware.Sessions",  # these five skip /api/v1/ (ScreensOnly)
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "loyalty.middleware.Csrf",
    "loyalty.middleware.Authentication",
    "loyalty.middleware.Messages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "loyalty.middleware.Htmx",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "loyalty.urls"
WSGI_APPLICATION = "loyalty.wsgi.application"

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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the job worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"

# Login throttling: five failures for one email from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# The lockout page is one of ours (base template, both languages), answered with 429.
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
# The client's address through this many reverse proxies (X-Forwarded-For); 0 uses REMOTE_ADDR.
# Used by the portal's code limits and by axes alike (accounts/client_ip.py).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Money: every amount column uses these, and is quantized to the currency's precision at the edges.
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2

# The API refuses bodies over 1 MiB with 413.
API_MAX_BODY_BYTES = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# Customer imports (POST /api/v1/imports, the office's upload): files up to 50 MB, plus the multipart envelope.
IMPORT_MAX_BODY_BYTES = 50 * 1024 * 1024 + 64 * 1024
# Webhooks: how long a merchant's subscriptions are cached per process, the first retry delay (doubling
# each time), how long a delivery is retried, and the POST's timeout.
WEBHOOK_CACHE_SECONDS = int(os.environ.get("WEBHOOK_CACHE_SECONDS", "60"))
WEBHOOK_RETRY_BASE_SECONDS = 30
WEBHOOK_RETRY_FOR_SECONDS = 24 * 3600
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["loyalty.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["loyalty.api.auth.HasPosScope"],
    "DEFAULT_RENDERER_CLASSES": ["loyalty.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["loyalty.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "loyalty.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Loyalty platform POS and program API",
    "DESCRIPTION": "Customers, receipts (calculate, commit, refund) and program settings. "
    "Authenticate with `Authorization: Bearer <api-key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "loyalty.api.schema.common_errors_hook"],
    # Swagger UI from the installed sidecar package, not a CDN, so /api/docs/ works under the CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Content-Security-Policy on every response: scripts, styles and everything else from this origin
# only; no inline scripts, event handlers or style attributes (templates keep them in static/).
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

REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER = {
    "name": "loyalty",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 600,
    "retry": 900,
    "catch_up": False,
    "save_limit": 500,
    "label": "Jobs",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
if env_bool("Q_SYNC", False):
    Q_CLUSTER["sync"] = True

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "loyalty@localhost")
# Text messages (portal sign-in codes): a dotted path to a class with send(phone, text), such as
# "accounts.sms.ConsoleSmsBackend"; empty sends no SMS and codes go by email only.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
# One console handler, and every record reaches it once: Django's own default handlers on the
# `django` and `django.server` loggers are replaced (left in place they print each error line a
# second time beside the root handler). Refused requests (4xx) are one line, without a traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_traceback_below_500": {"()": "loyalty.log_filters.NoTracebackBelow500"}},
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["no_traceback_below_500"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# Campaigns and triggers (campaigns app): SMS gateway adapter, Web Push keys, the sending worker's batches.
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")  # base URL of the JSON SMS gateway (campaigns.channels.HttpSmsBackend)
SMS_HTTP_TOKEN = os.environ.get("SMS_HTTP_TOKEN", "")
SMS_HTTP_SENDER = os.environ.get("SMS_HTTP_SENDER", "")
VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:loyalty@localhost")
SITE_URL = os.environ.get("SITE_URL", "")  # absolute links in emails (unsubscribe), e.g. https://loyalty.example.com
CAMPAIGN_SEND_BATCH = int(os.environ.get("CAMPAIGN_SEND_BATCH", "500"))
CAMPAIGN_SEND_PAUSE = float(os.environ.get("CAMPAIGN_SEND_PAUSE", "0"))  # seconds between batches (throttling)
CAMPAIGN_CLAIM_LEASE = int(os.environ.get("CAMPAIGN_CLAIM_LEASE", "600"))  # seconds before an unconfirmed claim counts as interrupted
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or None  # for django.core.mail.backends.filebased.EmailBackend
