"""Settings shared by every environment.

Everything lives here; development.py and production.py only override. The environment is
read one way (django-environ) and a malformed value stops startup with a message naming it.
"""

from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def read(name: str, parse, *args, **kwargs):
    """Read one variable; any parsing failure names the variable instead of a bare traceback."""
    try:
        return parse(name, *args, **kwargs)
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(f"Environment variable {name} is invalid: {exc}") from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ImproperlyConfigured(f"Environment variable {name} is invalid: {exc!r}") from exc


DEBUG = read("DEBUG", env.bool, default=False)
SECRET_KEY = read("SECRET_KEY", env.str, default="")
ALLOWED_HOSTS = read("ALLOWED_HOSTS", env.list, default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = read("CSRF_TRUSTED_ORIGINS", env.list, default=[])
for origin in CSRF_TRUSTED_ORIGINS:
    if "://" not in origin:
        raise ImproperlyConfigured(
            f"Environment variable CSRF_TRUSTED_ORIGINS is invalid: {origin!r} needs a scheme (https://...)"
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_bootstrap5",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.apple",
    "allauth.mfa",
    "django_tasks_db",
    "apps.core",
    "apps.accounts",
    "apps.tastytrade_sync",
    "apps.trades",
    "apps.reports",
    "apps.journal",
    "apps.dashboard",
]

MIDDLEWARE = [
    "apps.core.monitoring.RequestIdMiddleware",  # first, so every later log line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "apps.core.middleware.RequestBodyLimitMiddleware",  # before anything reads the body (the CSRF check does)
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "apps.core.middleware.user_time_zone",
    "apps.core.middleware.no_store_for_signed_in_users",
    "apps.core.middleware.permissions_policy",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.site",
                "apps.core.context_processors.navigation",
            ],
            "builtins": ["apps.core.templatetags.money"],
        },
    }
]

# The embedded default is SQLite next to manage.py; production and CI use PostgreSQL.
DATABASES = {"default": read("DATABASE_URL", env.db_url, default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": read("CACHE_URL", env.cache_url, default="locmemcache://")}


def mailers_from(config: dict) -> dict:
    """Turn django-environ's EMAIL_URL parse into Django 6.1's MAILERS setting."""
    backend = config["EMAIL_BACKEND"]
    options = {}
    if backend.endswith("smtp.EmailBackend"):
        options = {
            "host": config.get("EMAIL_HOST") or "localhost",
            "port": config.get("EMAIL_PORT") or 25,
            "username": config.get("EMAIL_HOST_USER") or "",
            "password": config.get("EMAIL_HOST_PASSWORD") or "",
            "use_tls": bool(config.get("EMAIL_USE_TLS")),
            "use_ssl": bool(config.get("EMAIL_USE_SSL")),
            "timeout": 10,
        }
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


MAILERS = mailers_from(read("EMAIL_URL", env.email_url, default="consolemail://"))
DEFAULT_FROM_EMAIL = read("DEFAULT_FROM_EMAIL", env.str, default="TastyTrade Tracker <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Where Django's admin lives ("admin/" by default; pick something less guessable, or leave it empty to turn
# the admin off). Its sign-in is allauth's, with the second factor and rate limits (config/urls.py).
ADMIN_URL = read("ADMIN_URL", env.str, default="admin/")
if ADMIN_URL and (not ADMIN_URL.endswith("/") or ADMIN_URL.startswith("/")):
    raise ImproperlyConfigured("Environment variable ADMIN_URL is invalid: write it like staff-only/ (no leading /)")

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "dashboard:landing"

# django-allauth: the email address is the login; verification is mandatory.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None  # the "remember me" box decides
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[TastyTrade Tracker] "
# allauth counts attempts in the default cache (CACHE_URL), so every dyno sees the same count. Written out
# (these are allauth's defaults) because the tests pin them: the 6th failed sign-in for one address within
# five minutes is refused, whichever IP it comes from.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
# Heroku's router appends the address it saw to X-Forwarded-For; every entry before it is whatever the client
# sent. Trusting exactly one proxy there (production.py's default) makes allauth take the last entry, so rotating
# the header does not escape a rate limit and not every visitor lands in the router's bucket. With nothing in
# front of the app (development, `make run`) every entry is the client's own: trust none, use the socket's address.
ALLAUTH_TRUSTED_PROXY_COUNT = read("TRUSTED_PROXY_COUNT", env.int, default=0)
if ALLAUTH_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("Environment variable TRUSTED_PROXY_COUNT is invalid: use 0 or more")

# Optional two-factor sign-in: an authenticator app (TOTP) with recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "TastyTrade Tracker"

ACCOUNT_ADAPTER = "apps.accounts.adapter.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "apps.accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = False  # a provider's sign-in starts with a POST, never a plain link
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # no takeover through a provider's unverified email
SOCIALACCOUNT_STORE_TOKENS = False  # we only need to know who signed in, never to call Google or Apple


def sign_in_providers(
    *,
    google_client_id: str = "",
    google_client_secret: str = "",
    apple_client_id: str = "",
    apple_team_id: str = "",
    apple_key_id: str = "",
    apple_private_key: str = "",
) -> dict:
    """allauth's settings-based provider apps (no SocialApp rows). A provider missing any variable gets no
    app, and allauth shows no button for a provider without one."""
    google: dict = {"OAUTH_PKCE_ENABLED": True, "APPS": []}
    if google_client_id and google_client_secret:
        google["APPS"].append({"client_id": google_client_id, "secret": google_client_secret, "key": ""})
    apple: dict = {"APPS": []}
    if apple_client_id and apple_team_id and apple_key_id and apple_private_key:
        apple["APPS"].append(
            {
                # allauth's names: "secret" holds the key ID, "key" the team ID.
                "client_id": apple_client_id,
                "secret": apple_key_id,
                "key": apple_team_id,
                # A one-line config var may carry the PEM's line breaks as literal "\n".
                "settings": {"certificate_key": apple_private_key.replace("\\n", "\n")},
            }
        )
    return {"google": google, "apple": apple}


SOCIALACCOUNT_PROVIDERS = sign_in_providers(
    google_client_id=read("GOOGLE_CLIENT_ID", env.str, default=""),
    google_client_secret=read("GOOGLE_CLIENT_SECRET", env.str, default=""),
    apple_client_id=read("APPLE_CLIENT_ID", env.str, default=""),
    apple_team_id=read("APPLE_TEAM_ID", env.str, default=""),
    apple_key_id=read("APPLE_KEY_ID", env.str, default=""),
    apple_private_key=read("APPLE_PRIVATE_KEY", env.str, default=""),
)

SESSION_COOKIE_AGE = 14 * 24 * 60 * 60  # "remember me" keeps a session for 14 days
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_USER_TIME_ZONE = "America/New_York"

STATIC_URL = "static/"
STATIC_ROOT = read("STATIC_ROOT", env.path, default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]


def attachments_storage(*, bucket: str, location: Path, options: dict) -> dict:
    """Where chart screenshots and nightly backups go: an S3-compatible bucket when one is named (Heroku has no
    persistent disk), else the local `media/` folder. Either way nothing there has a public URL: files are
    served only through views that check the owner (apps/journal/views.py, apps/reports/views.py)."""
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            **{name: value for name, value in options.items() if value},
        },
    }


MEDIA_ROOT = read("MEDIA_ROOT", env.path, default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": attachments_storage(
        bucket=read("ATTACHMENTS_BUCKET", env.str, default=""),
        location=Path(MEDIA_ROOT) / "private",
        options={
            "endpoint_url": read("ATTACHMENTS_ENDPOINT_URL", env.str, default=""),
            "region_name": read("ATTACHMENTS_REGION", env.str, default=""),
            "access_key": read("ATTACHMENTS_ACCESS_KEY_ID", env.str, default=""),
            "secret_key": read("ATTACHMENTS_SECRET_ACCESS_KEY", env.str, default=""),
            "location": read("ATTACHMENTS_PREFIX", env.str, default=""),
        },
    ),
}
# Chart screenshots: the largest file one upload takes, and what one trader may keep in all.
ATTACHMENT_MAX_MB = read("ATTACHMENT_MAX_MB", env.int, default=5)
ATTACHMENT_QUOTA_MB = read("ATTACHMENT_QUOTA_MB", env.int, default=200)
if ATTACHMENT_MAX_MB < 1 or ATTACHMENT_QUOTA_MB < ATTACHMENT_MAX_MB:
    raise ImproperlyConfigured(
        "Environment variables ATTACHMENT_MAX_MB / ATTACHMENT_QUOTA_MB are invalid: use 1 or more, quota >= max"
    )
WHITENOISE_MAX_AGE = 60  # hashed files get a year automatically; others stay short-lived

# Bootstrap comes from our own static copy (static/vendor/), never a CDN.
# server_side_validation off: with it on, every error-free field of a failed submit turns green ("is-valid"),
# as if it had been checked and accepted. Errors still show under their field, and a field Django marks
# aria-invalid is drawn red by static/css/app.css.
BOOTSTRAP5 = {
    "css_url": {"url": "/static/vendor/bootstrap/bootstrap.min.css"},
    "javascript_url": {"url": "/static/vendor/bootstrap/bootstrap.bundle.min.js"},
    "server_side_validation": False,
}

# Content-Security-Policy: scripts only from us or with the request's nonce; nothing from outside.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page here uses, denied to every origin (apps.core.middleware.permissions_policy).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in [
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "xr-spatial-tracking",
    ]
)

# Broker credentials are encrypted with the first key; every key listed can decrypt (rotation).
FIELD_ENCRYPTION_KEYS = read("FIELD_ENCRYPTION_KEYS", env.list, default=[])

LOG_LEVEL = read("LOG_LEVEL", env.str, default="INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"Environment variable LOG_LEVEL is invalid: {LOG_LEVEL!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    # Reset and confirmation keys and OAuth codes never reach a log line (apps/core/redact.py); every line
    # names the request it belongs to ("-" outside one: the worker, commands), as the X-Request-ID header does.
    "filters": {
        "redact_secrets": {"()": "apps.core.redact.RedactSecretsFilter"},
        "request_id": {"()": "apps.core.monitoring.RequestIdFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id", "redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        # runserver's request lines, through the same redaction.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Error reporting: on only when SENTRY_DSN is set. No personal data, secrets scrubbed before sending
# (apps/core/monitoring.py, apps/core/redact.py). Performance tracing is off unless a rate is given.
SENTRY_DSN = read("SENTRY_DSN", env.str, default="")
SENTRY_ENVIRONMENT = read("SENTRY_ENVIRONMENT", env.str, default="production")
SENTRY_RELEASE = read("SENTRY_RELEASE", env.str, default="") or read("HEROKU_SLUG_COMMIT", env.str, default="")
SENTRY_TRACES_SAMPLE_RATE = read("SENTRY_TRACES_SAMPLE_RATE", env.float, default=0.0)
if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
    raise ImproperlyConfigured("Environment variable SENTRY_TRACES_SAMPLE_RATE is invalid: use 0 to 1")
if SENTRY_DSN:
    import sentry_sdk

    from apps.core.monitoring import sentry_options

    sentry_sdk.init(
        **sentry_options(
            dsn=SENTRY_DSN,
            environment=SENTRY_ENVIRONMENT,
            release=SENTRY_RELEASE,
            traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
        )
    )

# /healthz calls the task worker dead when a task that is due has waited longer than this (database backend).
HEALTHZ_WORKER_MAX_WAIT_SECONDS = read("HEALTHZ_WORKER_MAX_WAIT_SECONDS", env.int, default=300)
if HEALTHZ_WORKER_MAX_WAIT_SECONDS < 30:
    raise ImproperlyConfigured("Environment variable HEALTHZ_WORKER_MAX_WAIT_SECONDS is invalid: use 30 or more")

SITE_NAME = "TastyTrade Tracker"


def site_url_from(value: str, *, allowed_hosts: list[str], scheme: str) -> str:
    """SITE_URL, or the first ALLOWED_HOSTS entry that names one host. Links in emails start with it, never
    with the Host header of a request (apps/accounts/adapter.py)."""
    if not value:
        hosts = [host for host in allowed_hosts if host != "*" and not host.startswith(".")]
        if not hosts:
            raise ImproperlyConfigured("Environment variable SITE_URL is required when ALLOWED_HOSTS names no one host")
        value = f"{scheme}://{hosts[0]}"
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path.strip("/") or parts.query:
        raise ImproperlyConfigured(
            f"Environment variable SITE_URL is invalid: {value!r} (like https://tracker.example.com)"
        )
    return value.rstrip("/")


SITE_URL = site_url_from(read("SITE_URL", env.str, default=""), allowed_hosts=ALLOWED_HOSTS, scheme="http")

# The largest backup file a restore accepts; a bigger request is refused before it is read. A restore runs
# inside the request, so this also bounds its time (about 1 s per 2 MB).
BACKUP_RESTORE_MAX_MB = read("BACKUP_RESTORE_MAX_MB", env.int, default=20)
if BACKUP_RESTORE_MAX_MB < 1:
    raise ImproperlyConfigured("Environment variable BACKUP_RESTORE_MAX_MB is invalid: use 1 or more")
BACKUP_RESTORE_MAX_BYTES = BACKUP_RESTORE_MAX_MB * 1024 * 1024

# The yearly risk-free rate the Returns report's Sharpe and Sortino ratios subtract (0.04 is 4% a year, about
# the 3-month US Treasury bill yield of 2025-2026); 0 compares returns with cash earning nothing.
RISK_FREE_RATE = read("RISK_FREE_RATE", env.str, default="0.04")
try:
    RISK_FREE_RATE = Decimal(RISK_FREE_RATE)
except ArithmeticError as exc:
    raise ImproperlyConfigured(f"Environment variable RISK_FREE_RATE is invalid: {RISK_FREE_RATE!r}") from exc
if not RISK_FREE_RATE.is_finite() or not -1 < RISK_FREE_RATE < 1:
    raise ImproperlyConfigured("Environment variable RISK_FREE_RATE is invalid: use a yearly rate such as 0.04")

# TastyTrade. Connections pick production or sandbox; the simulator (development and tests) is
# offered only when its URL is set. The OAuth app settings enable "Connect with TastyTrade".
TASTYTRADE_SIMULATOR_URL = read("TASTYTRADE_SIMULATOR_URL", env.str, default="")
TASTYTRADE_CLIENT_ID = read("TASTYTRADE_CLIENT_ID", env.str, default="")
TASTYTRADE_CLIENT_SECRET = read("TASTYTRADE_CLIENT_SECRET", env.str, default="")
TASTYTRADE_REDIRECT_URI = read("TASTYTRADE_REDIRECT_URI", env.str, default="")
TASTYTRADE_AUTHORIZE_URL = read("TASTYTRADE_AUTHORIZE_URL", env.str, default="https://my.tastytrade.com/auth.html")
TASTYTRADE_TIMEOUT_SECONDS = read("TASTYTRADE_TIMEOUT_SECONDS", env.float, default=10.0)
TASTYTRADE_RETRY_ATTEMPTS = read("TASTYTRADE_RETRY_ATTEMPTS", env.int, default=5)
TASTYTRADE_RETRY_BASE_DELAY = read("TASTYTRADE_RETRY_BASE_DELAY", env.float, default=0.5)
TASTYTRADE_RETRY_MAX_DELAY = read("TASTYTRADE_RETRY_MAX_DELAY", env.float, default=8.0)
TASTYTRADE_RETRY_MAX_TOTAL_SECONDS = read("TASTYTRADE_RETRY_MAX_TOTAL_SECONDS", env.float, default=30.0)
# A sync started by a web request stops cleanly before Heroku's 30 s router limit and continues.
SYNC_REQUEST_BUDGET_SECONDS = read("SYNC_REQUEST_BUDGET_SECONDS", env.float, default=20.0)
SYNC_ON_LOGIN_AFTER_MINUTES = read("SYNC_ON_LOGIN_AFTER_MINUTES", env.int, default=60)
# Long work (sync slices, CSV imports, restores, P&L rebuilds) runs as django.tasks. "database" queues it in
# PostgreSQL for `manage.py db_worker` (Procfile: worker); "immediate" runs each task inside the request that
# asks for it, the sync in budgeted slices the open page carries on (a single process, no worker).
TASKS_BACKEND = read("TASKS_BACKEND", env.str, default="immediate")
TASK_BACKENDS = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured("Environment variable TASKS_BACKEND is invalid: use immediate or database")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASKS_BACKEND]}}
# A worker syncs a connection for at most this long per task before queuing the next slice (fairness between
# connections; also under Heroku's 30 s shutdown grace, so a restart never cuts a slice short).
SYNC_WORKER_SLICE_SECONDS = read("SYNC_WORKER_SLICE_SECONDS", env.float, default=20.0)
SYNC_NOW_MIN_INTERVAL_SECONDS = read("SYNC_NOW_MIN_INTERVAL_SECONDS", env.int, default=30)
# "Refresh marks" on the Positions page: at most once per user in this many seconds (each press asks TastyTrade).
MARKS_REFRESH_MIN_INTERVAL_SECONDS = read("MARKS_REFRESH_MIN_INTERVAL_SECONDS", env.int, default=60)
# Greeks (apps/trades/greeks.py): the annual risk-free rate and the continuous dividend yield the option models
# use, as fractions. 4% is near the US T-bill rate of 2025-26; 0 leaves dividends out unless set (1.3% is SPY's).
GREEKS_RISK_FREE_RATE = read("GREEKS_RISK_FREE_RATE", env.float, default=0.04)
GREEKS_DIVIDEND_YIELD = read("GREEKS_DIVIDEND_YIELD", env.float, default=0.0)
if not (-0.05 <= GREEKS_RISK_FREE_RATE <= 0.5 and 0 <= GREEKS_DIVIDEND_YIELD <= 0.5):
    raise ImproperlyConfigured("GREEKS_RISK_FREE_RATE or GREEKS_DIVIDEND_YIELD is invalid: give fractions (0.04 is 4%)")
SYNC_WINDOW_DAYS = read("SYNC_WINDOW_DAYS", env.int, default=90)
SYNC_OVERLAP_DAYS = read("SYNC_OVERLAP_DAYS", env.int, default=10)
# Every this many days a run compares each older window's count with TastyTrade's (late corrections).
SYNC_DEEP_CHECK_DAYS = read("SYNC_DEEP_CHECK_DAYS", env.int, default=7)
SYNC_PAGE_SIZE = read("SYNC_PAGE_SIZE", env.int, default=1000)
if not 1 <= SYNC_PAGE_SIZE <= 2000:
    raise ImproperlyConfigured("Environment variable SYNC_PAGE_SIZE is invalid: TastyTrade allows 1 to 2000")
if SYNC_OVERLAP_DAYS < 7:
    raise ImproperlyConfigured("Environment variable SYNC_OVERLAP_DAYS is invalid: late fixes need at least 7 days")

# SQLite (the first-run default) builds the Transaction (account, time) index without its included
# charge columns; PostgreSQL, where the speed matters, has them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
