"""Error reporting (Sentry) and the request id every log line and response carries.

Sentry is on only when SENTRY_DSN is set. It sends no personal data (no user, no IP, no cookies, no request
bodies) and every event goes through apps.core.redact.scrub_event before it leaves the process."""

import logging
import re
import uuid
from contextvars import ContextVar

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.tasks.signals import task_finished, task_started

from apps.core.redact import scrub_event

REQUEST_ID_HEADER = "X-Request-ID"
# Heroku's router sends a UUID; accept any short id of safe characters, so a forged one cannot inject text
# into a log line or a header, and make our own otherwise.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
NO_REQUEST = "-"

request_id_var: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


def sentry_options(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> dict:
    """The options sentry_sdk.init gets (config/settings/base.py), in one place so a test can use the same."""
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    return {
        "dsn": dsn,
        "environment": environment,
        "release": release or None,
        # No personal data is the SDK's default; naming send_default_pii (deprecated) only warns, and the
        # data_collection option that replaces it would switch off the SDK's own EventScrubber.
        # Frames' local variables would carry decrypted credentials; the scrubber would catch named ones,
        # but a secret under a plain name (a tuple, a positional argument) must never leave the process.
        "include_local_variables": False,
        "max_request_body_size": "never",
        "traces_sample_rate": traces_sample_rate,
        "before_send": scrub_event,
        "before_send_transaction": scrub_event,
        "integrations": [DjangoIntegration(), LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
    }


def incoming_request_id(request: HttpRequest) -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Give each request an id: the router's X-Request-ID when it is sane, else a new one. Log lines written
    while the request runs carry it (RequestIdFilter), and so does the response, so a trader's report of a
    failure can be matched with the log."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = incoming_request_id(request)
        request.request_id = request_id
        # Kept until the response is closed (forget_request_id), not reset on the way out: Django writes its
        # "Not Found" and "Internal Server Error" lines after the middleware chain has returned.
        request_id_var.set(request_id)
        _tag_sentry_scope(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def forget_request_id(**kwargs) -> None:
    request_id_var.set(NO_REQUEST)


request_finished.connect(forget_request_id, dispatch_uid="apps.core.monitoring.forget_request_id")


def task_line_id(task_result) -> str:
    return f"task-{task_result.id}"


def name_task_lines(sender, task_result, **kwargs) -> None:
    """In the worker, a task's log lines carry "task-<its id>" where a request's carry the request id. A task
    run inside a request (the Immediate backend) keeps the request's id."""
    if request_id_var.get() == NO_REQUEST:
        request_id_var.set(task_line_id(task_result))


def forget_task_id(sender, task_result, **kwargs) -> None:
    if request_id_var.get() == task_line_id(task_result):
        request_id_var.set(NO_REQUEST)


task_started.connect(name_task_lines, dispatch_uid="apps.core.monitoring.name_task_lines")
task_finished.connect(forget_task_id, dispatch_uid="apps.core.monitoring.forget_task_id")


def _tag_sentry_scope(request_id: str) -> None:
    try:
        import sentry_sdk
    except ImportError:  # pragma: no cover - sentry-sdk is a pinned dependency
        return
    sentry_sdk.get_isolation_scope().set_tag("request_id", request_id)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record as `request_id` ("task-<id>" in a worker's task, "-"
    elsewhere)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True
