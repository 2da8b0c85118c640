"""Production (Heroku): required secrets, HTTPS everywhere, hashed and compressed static files."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, DATABASES, env, mailers_from, read, site_url_from

DEBUG = False
SECRET_KEY = read("SECRET_KEY", env.str)
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Environment variable SECRET_KEY is invalid: use at least 50 random characters")
FIELD_ENCRYPTION_KEYS = read("FIELD_ENCRYPTION_KEYS", env.list)
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("Environment variable FIELD_ENCRYPTION_KEYS is required in production")
MAILERS = mailers_from(read("EMAIL_URL", env.email_url, default="smtp://localhost:25"))

SITE_URL = site_url_from(read("SITE_URL", env.str, default=""), allowed_hosts=ALLOWED_HOSTS, scheme="https")

# Behind Heroku's router, which appends one X-Forwarded-For entry (base.py says why this matters).
ALLAUTH_TRUSTED_PROXY_COUNT = read("TRUSTED_PROXY_COUNT", env.int, default=1)
if ALLAUTH_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("Environment variable TRUSTED_PROXY_COUNT is invalid: use 0 or more")

# Heroku's router terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

DATABASES["default"]["CONN_MAX_AGE"] = read("CONN_MAX_AGE", env.int, default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

STORAGES = {
    **STORAGES,  # noqa: F405 - the attachments' bucket comes from base.py
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
