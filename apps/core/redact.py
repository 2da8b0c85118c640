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
# Query values that are secrets: OAuth's code and state (TastyTrade, Google), tokens and keys of any kind.
SECRET_QUERY = re.compile(
    r"((?:[?&]|%3F|%26)(?:code|state|key|token|id_token|access_token|refresh_token|password)(?:=|%3D))[^&\s\"']+",
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
