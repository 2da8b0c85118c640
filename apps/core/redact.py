"""Keep one-time secrets that travel in URLs out of every log line.

A password-reset key or an email-confirmation key in a log can be replayed by whoever reads the log, and an
OAuth `code`/`state` pair can finish someone else's sign-in. They appear in request lines (gunicorn's access
log, config/gunicorn.py), in Referer headers of the pages they open, and in Django's own "Not Found: /path"
lines (the filter below, in LOGGING)."""

import logging
import re

REDACTED = "[redacted]"

# Path segments that are secrets: allauth's /accounts/password/reset/key/<uidb36>-<key>/ and
# /accounts/confirm-email/<key>/ (also written %2F-encoded inside a ?next= value).
SECRET_PATH = re.compile(r"(/accounts/(?:password/reset/key|confirm-email)(?:/|%2F))[^/%\s?&\"']+", re.IGNORECASE)
# Query values that are secrets: OAuth's code and state (TastyTrade, Google), keys, and any parameter whose name
# says token, secret or password (refresh_token, client_secret...).
SECRET_QUERY = re.compile(
    r"((?:[?&]|%3F|%26)(?:code|state|key|[\w-]*(?:token|secret|password)[\w-]*)(?:=|%3D))[^&\s\"']+",
    re.IGNORECASE,
)


def redact_secrets(text: str) -> str:
    return SECRET_QUERY.sub(rf"\g<1>{REDACTED}", SECRET_PATH.sub(rf"\g<1>{REDACTED}", text))


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record's message with the secrets above taken out (it never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


# Bearer tokens and JSON Web Tokens (TastyTrade's access and refresh tokens are JWTs) wherever they appear.
BEARER = re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# A value kept under a key with one of these words in its name is a secret whatever it looks like.
SECRET_KEY_WORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "session",
    "csrf",
    "api_key",
    "apikey",
    "private_key",
    "credential",
    "dsn",
    "encryption_key",
    "signature",
)


def is_secret_key(name: str) -> bool:
    lowered = name.lower().replace("-", "_")
    return any(word in lowered for word in SECRET_KEY_WORDS)


def redact_text(text: str) -> str:
    """redact_secrets, plus bearer tokens and JWTs: for error reports, which quote anything."""
    return JWT.sub(REDACTED, BEARER.sub(rf"\g<1>{REDACTED}", redact_secrets(text)))


def redact_value(value, *, depth: int = 0):
    """A copy of `value` (dicts, lists, strings, nested) with secret-named keys and secret-looking text taken
    out. Sentry quotes local variables as their repr, so strings are scrubbed by pattern too."""
    if depth > 20:  # deeper than any event Sentry builds; never recurse without end
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {
            key: REDACTED if isinstance(key, str) and is_secret_key(key) else redact_value(item, depth=depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_value(item, depth=depth + 1) for item in value]
    return value


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send and before_send_transaction: the event with every secret taken out
    (apps/core/monitoring.py). Runs on the whole event: request, frames' local variables, messages,
    breadcrumbs (log lines), extra data and contexts."""
    return redact_value(event)
