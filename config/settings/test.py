"""Test runs: development settings with a fast password hasher."""

from .development import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Retries happen without real sleeping; the tests count attempts instead.
TASTYTRADE_RETRY_BASE_DELAY = 0.0
TASTYTRADE_RETRY_MAX_DELAY = 0.0
TASTYTRADE_TIMEOUT_SECONDS = 2.0
