"""Password-reset keys, email-confirmation keys and OAuth codes never reach a log: not gunicorn's access log
(request line and Referer) as the Procfile runs it, and not Django's own log lines."""

import contextlib
import logging
import urllib.error
import urllib.request

import pytest

from apps.core.redact import RedactSecretsFilter, redact_secrets

RESET_KEY = "c5f2k1-0d3b1e8f2a4c6e8a0b2d4f6a8c0e2b4d"
CONFIRM_KEY = "mq9zkxa7yv4pwn2r8s6t0u1vdexyz12345abcdefghijklmnop"
OAUTH_CODE = "oauth-code-7Yb2kQ"
OAUTH_STATE = "oauth-state-Zx81pL"
SECRETS = [RESET_KEY, CONFIRM_KEY, OAUTH_CODE, OAUTH_STATE]
SECRET_URLS = [
    f"/accounts/password/reset/key/{RESET_KEY}/",
    f"/accounts/confirm-email/{CONFIRM_KEY}/",
    f"/sync/connect/callback/?code={OAUTH_CODE}&state={OAUTH_STATE}",
    f"/accounts/google/login/callback/?state={OAUTH_STATE}&code={OAUTH_CODE}&scope=email",
]


@pytest.mark.parametrize("url", SECRET_URLS)
def test_a_request_line_keeps_its_path_and_loses_its_secrets(url):
    line = redact_secrets(f"GET {url} HTTP/1.1")

    assert not [secret for secret in SECRETS if secret in line]
    assert line.startswith("GET /") and "[redacted]" in line


def test_a_secret_inside_a_next_parameter_is_redacted_too():
    line = redact_secrets(f"GET /accounts/login/?next=/accounts/confirm-email/{CONFIRM_KEY}/ HTTP/1.1")

    assert CONFIRM_KEY not in line


def test_ordinary_urls_are_logged_as_they_are():
    line = "GET /trades/?status=open&underlying=SPY&page=2 HTTP/1.1"

    assert redact_secrets(line) == line


def test_djangos_log_lines_go_through_the_redaction():
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", (SECRET_URLS[1],), None)
    handler = logging.getLogger().handlers[0]

    assert any(isinstance(f, RedactSecretsFilter) for f in handler.filters)
    handler.filter(record)
    assert CONFIRM_KEY not in record.getMessage()


@pytest.mark.slow
def test_gunicorn_as_the_procfile_runs_it_logs_no_secret(procfile_gunicorn):
    """The real web command, with Django's log lines on the same stream: each request's line is there,
    with its path, and no secret."""
    for url in [f"/accounts/confirm-email/{CONFIRM_KEY}/not-a-page", SECRET_URLS[2]]:
        request = urllib.request.Request(
            procfile_gunicorn.url + url, headers={"Referer": f"http://127.0.0.1{SECRET_URLS[0]}"}
        )
        # A 404, or a redirect to sign-in: the log lines are what matter.
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=30)

    log = procfile_gunicorn.stop()

    assert "GET /accounts/confirm-email/[redacted]/not-a-page" in log
    assert "Not Found: /accounts/confirm-email/[redacted]/not-a-page" in log  # Django's own line
    assert "GET /sync/connect/callback/?code=[redacted]&state=[redacted]" in log
    assert not [secret for secret in SECRETS if secret in log]


@pytest.mark.slow
def test_gunicorn_as_the_procfile_runs_it_puts_the_request_id_on_the_access_line_and_djangos(procfile_gunicorn):
    request = urllib.request.Request(procfile_gunicorn.url + "/not-a-page", headers={"X-Request-ID": "router-id-77"})
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=30)

    log = procfile_gunicorn.stop()

    assert '"GET /not-a-page HTTP/1.1" 404' in log and "rid=router-id-77" in log  # gunicorn's access line
    assert "[router-id-77] Not Found: /not-a-page" in log  # Django's own line
