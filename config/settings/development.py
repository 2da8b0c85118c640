"""Local development: DEBUG on, a throwaway secret and encryption key when none is set."""

from .base import *  # noqa: F403
from .base import env, read, site_url_from

DEBUG = read("DEBUG", env.bool, default=True)
SECRET_KEY = SECRET_KEY or "django-insecure-development-only-key-never-use-in-production"  # noqa: F405
# A fixed development key so `make run` works out of the box; production requires its own.
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or ["ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMtLS0="]  # noqa: F405
TASTYTRADE_SIMULATOR_URL = TASTYTRADE_SIMULATOR_URL or "http://127.0.0.1:8765"  # noqa: F405
# `make run` serves http://127.0.0.1:8000; links in emails (printed to the console) should open there.
SITE_URL = site_url_from(read("SITE_URL", env.str, default="http://127.0.0.1:8000"), allowed_hosts=[], scheme="http")
