"""Inzet settings. Everything comes from the environment; see README "Configuration"."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from backend.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in production, or DEBUG=true for development."
        )
    SECRET_KEY = "inzet-insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    # Refresh tokens are used once: each refresh answers a new one and revokes the old one,
    # and log-out revokes the one given (backend/accounts/sessions.py).
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "channels",
    "backend.core",
    "backend.accounts",
    "backend.organisations",
    "backend.allowances",
    "backend.shifts",
    "backend.api",
    "backend.board",
    "backend.telegram",
    "backend.notifications",
    "realtime",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything that may answer: a preflight (OPTIONS) is answered here, without
    # authentication, and every API answer to an allowed origin carries the CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.config.urls"
ASGI_APPLICATION = "backend.config.asgi.application"
WSGI_APPLICATION = "backend.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Embedded default: a SQLite file. DATABASE_URL switches to PostgreSQL (or anything Django has).
SQLITE_PATH = BASE_DIR / "var" / "inzet.sqlite3"
DATABASE_URL = env_str("DATABASE_URL")
DB_POOL = env_bool("DB_POOL", default=False)
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 8)

if DATABASE_URL:
    _db = cast(dict[str, Any], dj_database_url.parse(DATABASE_URL))
else:
    SQLITE_PATH.parent.mkdir(exist_ok=True)
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(SQLITE_PATH),
        # A file, not Django's default in-memory test database: the concurrency tests need
        # several connections that wait for each other's locks, as in production.
        "TEST": {"NAME": str(SQLITE_PATH.parent / "test_inzet.sqlite3")},
    }

if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing with
    # "database is locked" when a reader tries to upgrade; WAL lets readers run meanwhile.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("OPTIONS", {})
    # A row lock is waited for this long at most; then the request answers 503 `busy` (see
    # backend/shifts/locks.py) instead of holding its thread and connection for ever.
    _db["OPTIONS"]["options"] = f"-c lock_timeout={env_int('DB_LOCK_TIMEOUT_MS', 5000)}"
    if DB_POOL:
        # Under ASGI each sync view runs in a thread; a pool avoids a new connection per request.
        _db["OPTIONS"]["pool"] = {"min_size": 2, "max_size": DB_POOL_MAX_SIZE, "timeout": 10}
        _db["CONN_MAX_AGE"] = 0
        # The pool tests a connection (an empty query) before handing it out: after a
        # failover or restart, its idle connections are dead, and without the test each would
        # fail one request in turn before being replaced.
        _db["CONN_HEALTH_CHECKS"] = env_bool("DB_HEALTH_CHECKS", default=True)
    else:
        _db["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 0)
        _db["CONN_HEALTH_CHECKS"] = True

DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels and cache ---------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# channels_redis waits for a socket's next message with BZPOPMIN, blocking up to its
# brpop_timeout (5 s) per call. redis-py 8 reads with a 5 s socket timeout by default (before
# it: none), so every quiet 5 seconds looked like an outage: `ws/v1/me/` closed with 4503 and
# the boards' hub reconnected. The read timeout must outlast that wait (a test pins it); it
# still bounds how long a dead connection that sent no reset goes unnoticed.
CHANNEL_LAYER_READ_TIMEOUT = 15


def redis_channel_layers(url: str) -> dict[str, Any]:
    """The channel layer on the Redis at ``url``."""
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": url,
                        "socket_timeout": CHANNEL_LAYER_READ_TIMEOUT,
                        "socket_connect_timeout": 5,
                        "socket_keepalive": True,
                    }
                ],
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }


def redis_caches(url: str) -> dict[str, Any]:
    """The cache on the Redis at ``url``."""
    return {
        "default": {
            "BACKEND": "backend.core.cache.SharedRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "inzet"),
            # Explicit, whatever redis-py's default of the day: short commands only (GET,
            # SET, INCR), and an unreachable Redis must fail fast rather than hold a request.
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }


if REDIS_URL:
    CHANNEL_LAYERS = redis_channel_layers(REDIS_URL)
    CACHES = redis_caches(REDIS_URL)
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The board's log-in page (staff use it too; the admin has its own at /admin/login/).
LOGIN_URL = "/accounts/login/"

# Rate limits (backend/core/rate_limits.py): a sliding window per scope and identity, counted
# in Redis when REDIS_URL is set (so across every web process), written like "10/min",
# "20/hour" or "3/15min". Every refusal answers 429 with Retry-After (the API) or says how long
# to wait (the pages, the bot).
RATE_LIMITS = {
    # Wrong passwords, wherever a password is asked (the API's and the board's log-in,
    # changing the password, erasing the account): per client address and per account. Only
    # failures count, and over the limit the password is not even checked.
    "login_address": env_str("THROTTLE_LOGIN_ADDRESS", "10/min"),
    "login_account": env_str("THROTTLE_LOGIN_ACCOUNT", "20/hour"),
    # Sign-ups (volunteers through the API, organisations on the board) per client address.
    "signup_address": env_str("THROTTLE_SIGNUP", "10/hour"),
    # Token refreshes per user (an invalid token: per client address). Never counted against
    # log-in.
    "refresh": env_str("THROTTLE_REFRESH", "30/min"),
    # Password-reset e-mails asked, per client address and per e-mail address.
    "password_reset_address": env_str("THROTTLE_PASSWORD_RESET_ADDRESS", "10/hour"),
    "password_reset_account": env_str("THROTTLE_PASSWORD_RESET_ACCOUNT", "3/hour"),
    # E-mail address changes asked (each sends a confirmation mail), per user.
    "email_change": env_str("THROTTLE_EMAIL_CHANGE", "5/hour"),
    # Claims and cancellations per user.
    "claims": env_str("THROTTLE_CLAIMS", "60/min"),
}


# --- E-mail ---------------------------------------------------------------------------------
def email_settings(url: str) -> dict[str, Any]:
    """Django's e-mail settings from ``EMAIL_URL``: ``smtp://user:password@host:587`` (STARTTLS
    on port 587 or with ``?tls=true``), ``smtps://user:password@host:465`` (TLS from the
    start), ``console://`` (printed by the worker: development). Empty: the console."""
    parts = urlsplit(url or "console://")
    query = parse_qs(parts.query)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in ("smtp", "smtps"):
        raise ImproperlyConfigured(f"EMAIL_URL: use smtp://, smtps:// or console://, not {url!r}")
    ssl = parts.scheme == "smtps"
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if ssl else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": ssl,
        "EMAIL_USE_TLS": not ssl
        and (parts.port == 587 or query.get("tls", [""])[0].lower() in ("1", "true")),
        "EMAIL_TIMEOUT": 10,
    }


globals().update(email_settings(env_str("EMAIL_URL")))
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "Inzet <no-reply@inzet.invalid>")
# Where links in e-mails point (e.g. https://inzet.example.org); empty: the address the
# request came to (which ALLOWED_HOSTS checks).
PUBLIC_URL = env_str("PUBLIC_URL").rstrip("/")
# How long a password-reset link works (and only once: it stops when the password changes).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_HOURS", 4) * 3600
# How long a link confirming a new e-mail address works.
EMAIL_CHANGE_TIMEOUT = 2 * 24 * 3600

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "nl")
# English dates and times as in Dutch and French (backend/config/formats/en/formats.py).
FORMAT_MODULE_PATH = ["backend.config.formats"]
LANGUAGES = [("nl", _("Dutch")), ("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Brussels")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- Security (production) ------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Domain rules ---------------------------------------------------------------------------
INZET_MAX_UPCOMING_CLAIMS = env_int("INZET_MAX_UPCOMING_CLAIMS", 10)
INZET_MAX_SHIFT_HOURS = 24
# "Help now" offers (shifts starting soon that are still short) one volunteer gets in a day.
INZET_HELP_NOW_PER_DAY = env_int("INZET_HELP_NOW_PER_DAY", 3)

# --- Telegram (the bot, its webhook, the notification worker) -------------------------------
# Read here, not on use, so tests override them with pytest-django's ``settings`` fixture.
# The bot's token from @BotFather; empty: no bot (the worker plans; messages to Telegram
# chats wait, the others go to the app).
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN").strip()
# Webhook mode: what Telegram sends in X-Telegram-Bot-Api-Secret-Token; empty: webhook off.
TELEGRAM_WEBHOOK_SECRET = env_str("TELEGRAM_WEBHOOK_SECRET").strip()
# The bot's username (without @), for the t.me deep links of invite codes and their posters;
# empty: the cockpit shows the codes and explains that links need it.
TELEGRAM_BOT_USERNAME = env_str("TELEGRAM_BOT_USERNAME").strip().lstrip("@")
# The Bot API prefix the token is appended to (a self-hosted Bot API server, or a test one).
TELEGRAM_API_BASE_URL = env_str("TELEGRAM_API_BASE_URL").strip() or "https://api.telegram.org/bot"

# --- Notifications worker (manage.py run_worker) --------------------------------------------
# Messages a second for the bot, all processes together (Telegram allows about 30).
TELEGRAM_MESSAGES_PER_SECOND = float(env_str("TELEGRAM_MESSAGES_PER_SECOND", "29.5"))
# Seconds between two messages to one chat (Telegram allows about one a second).
TELEGRAM_CHAT_INTERVAL_SECONDS = float(env_str("TELEGRAM_CHAT_INTERVAL_SECONDS", "1.0"))

# --- Push -------------------------------------------------------------------------------------
# Web Push (browsers, PWAs): the VAPID key pair's private key (PEM, or the raw key in base64url
# as `vapid --gen` and web-push tools print it) and the contact URL push services ask for
# (mailto: or https:, which Apple requires). FCM (Android, iOS): a service account's JSON key
# file. Without them that kind of push is off and the worker says so once at start.
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY")
VAPID_SUBJECT = env_str("VAPID_SUBJECT")
if VAPID_PRIVATE_KEY and not VAPID_SUBJECT.startswith(("mailto:", "https:")):
    raise ImproperlyConfigured(
        "VAPID_SUBJECT must be a mailto: or https: URL, e.g. mailto:ops@example.org"
    )
FCM_CREDENTIALS_FILE = env_str("FCM_CREDENTIALS_FILE")
# Where FCM's HTTP v1 API is (tests point it at a local fake).
FCM_BASE_URL = env_str("FCM_BASE_URL", "https://fcm.googleapis.com").rstrip("/")
# Web Push endpoints must be https (a push service); tests allow their local http fake.
WEBPUSH_ALLOW_HTTP = env_bool("WEBPUSH_ALLOW_HTTP", False)

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backend.api.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser, refusing bodies nested too deeply or holding lone surrogates.
    "DEFAULT_PARSER_CLASSES": ["backend.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "backend.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "backend.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "backend.api.errors.exception_handler",
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 14)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    # Tokens carry a digest of the password hash; a password change ends every token issued
    # before it (backend/accounts/tokens.py). Tokens from before this setting lack the claim
    # and are refused too: apps log in once more.
    "CHECK_REVOKE_TOKEN": True,
    # A refresh answers a new refresh token and revokes the one used, so an app that keeps
    # refreshing stays signed in past JWT_REFRESH_DAYS, and a stolen token that was already
    # used (by the app or the thief) stops working (backend/accounts/sessions.py).
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Inzet API",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend.api.schema.markdown_descriptions",
    ],
    "DESCRIPTION": (
        "Volunteer coordination for care organisations. Errors always have the shape "
        '`{"code": "...", "detail": "...", "fields": {...}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "backend.organisations.models.Role",
        "DeviceKindEnum": "backend.notifications.models.DeviceKind",
        "NotificationKindEnum": "backend.notifications.models.Kind",
        "ChannelEnum": "backend.notifications.models.Channel",
        "OrganisationKindEnum": "backend.organisations.models.OrganisationKind",
        "LegalFormEnum": "backend.organisations.models.LegalForm",
        "AllowanceKindEnum": "backend.organisations.models.AllowanceKind",
        "AckChannelEnum": "backend.organisations.models.AckChannel",
        "PolicyKindEnum": "backend.allowances.models.PolicyKind",
        "BenefitEnum": "backend.accounts.models.Benefit",
        "FlatRatePerEnum": "backend.allowances.models.FlatRatePer",
        "RegimeEnum": "backend.allowances.models.Regime",
        "HigherCapCategoryEnum": "backend.allowances.models.HigherCapCategory",
        # A claim's status keeps the name it had before other "status" fields came.
        "StatusEnum": "backend.shifts.models.ClaimStatus",
        "StandInStatusEnum": "backend.shifts.models.StandInStatus",
        "SwapStatusEnum": "backend.shifts.models.SwapStatus",
    },
    # Path ids (backend/api/converters.py) are integers, so generated clients take ints.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1}},
    # Swagger UI and ReDoc from the installed drf-spectacular-sidecar (static files), never
    # from a CDN: the docs work offline and behind a strict firewall.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- CORS (web and hybrid apps on another origin) ----------------------------------------
# Comma-separated origins, e.g. "https://app.example.org,capacitor://localhost"; empty (the
# default): no cross-origin access. Only the API; its bearer tokens are not cookies, so no
# credentials are allowed.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
CORS_PREFLIGHT_MAX_AGE = 86400

# Every handler redacts secrets (backend/core/logging.py): bot token, webhook secret, JWTs,
# calendar feed tokens. The web, bot and worker processes all log through this dict.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "backend.core.logging.RedactSecrets"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's defaults give "django" handlers of its own, without the filter (its console
        # one printed every 404's path, a calendar token too, under DEBUG); root's console
        # prints these records instead.
        "django": {"handlers": ["mail_admins"]},
        # Their INFO line for each request is the URL, and Bot API URLs hold the bot token.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
