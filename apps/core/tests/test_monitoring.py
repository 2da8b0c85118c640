import logging
import warnings
from unittest import mock

import pytest
import sentry_sdk
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from sentry_sdk.transport import Transport

from apps.core.monitoring import RequestIdFilter, forget_task_id, name_task_lines, request_id_var, sentry_options
from apps.core.redact import REDACTED, scrub_event
from apps.core.tasks import heartbeat
from apps.core.tests.failing_urls import CLIENT_SECRET, PASSWORD, REFRESH_TOKEN, SENTINELS


class MemoryTransport(Transport):
    """Keeps every envelope Sentry would send, as bytes; nothing goes on the network."""

    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes: list[bytes] = []

    def capture_envelope(self, envelope) -> None:
        self.envelopes.append(envelope.serialize())


@pytest.fixture
def sentry_events():
    """Sentry as production starts it (the same options), sending into memory."""
    transport = MemoryTransport()
    options = sentry_options(
        dsn="https://public@sentry.invalid/1", environment="test", release="", traces_sample_rate=1.0
    )
    sentry_sdk.init(**options, transport=transport)
    yield transport.envelopes
    sentry_sdk.init()  # no DSN: off again for the other tests


def fail_with_secrets() -> None:
    browser = Client(raise_request_exception=False)
    response = browser.get(
        f"/boom?code={CLIENT_SECRET}&password={PASSWORD}",
        headers={"Authorization": f"Bearer {REFRESH_TOKEN}", "Cookie": f"sessionid={PASSWORD}"},
    )
    assert response.status_code == 500
    sentry_sdk.flush()


@pytest.mark.urls("apps.core.tests.failing_urls")
def test_a_failing_request_is_reported_to_sentry(db, sentry_events):
    fail_with_secrets()
    reported = b"".join(sentry_events)
    assert b"RuntimeError" in reported and b"TastyTrade refused the grant" in reported


@pytest.mark.urls("apps.core.tests.failing_urls")
def test_no_tastytrade_secret_refresh_token_or_password_reaches_a_sentry_event(db, sentry_events):
    fail_with_secrets()
    reported = b"".join(sentry_events)
    assert sentry_events and REDACTED.encode() in reported
    assert [sentinel for sentinel in SENTINELS if sentinel.encode() in reported] == []


@pytest.mark.urls("apps.core.tests.failing_urls")
def test_a_sentry_event_names_the_request_id_the_response_carries(db, sentry_events):
    browser = Client(raise_request_exception=False)
    browser.get("/boom", headers={"X-Request-ID": "router-id-0001"})
    sentry_sdk.flush()
    assert b"router-id-0001" in b"".join(sentry_events)


def test_sentry_sends_no_personal_data_and_no_local_variables(sentry_events):
    client_options = sentry_sdk.get_client().options
    collected = client_options["data_collection"]
    assert (collected["user_info"], collected["stack_frame_variables"], client_options["max_request_body_size"]) == (
        False,
        False,
        "never",
    )


def test_sentry_keeps_its_own_scrubber_beside_ours(sentry_events):
    assert sentry_sdk.get_client().options["event_scrubber"] is not None


def test_sentry_starts_without_a_deprecation_warning():
    options = sentry_options(dsn="https://public@sentry.invalid/1", environment="t", release="", traces_sample_rate=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        sentry_sdk.init(**options, transport=MemoryTransport())
    sentry_sdk.init()


def test_sentry_is_off_without_a_dsn(settings):
    assert settings.SENTRY_DSN == "" and sentry_sdk.get_client().dsn is None


def test_scrubbing_takes_secret_named_values_out_at_any_depth():
    event = {"contexts": {"tastytrade": {"nested": [{"Refresh-Token": "abc", "symbol": "SPY"}]}}}
    assert scrub_event(event)["contexts"]["tastytrade"]["nested"] == [{"Refresh-Token": REDACTED, "symbol": "SPY"}]


def test_scrubbing_takes_jwts_and_bearer_tokens_out_of_free_text():
    event = {"message": f"refresh {REFRESH_TOKEN} then Bearer abc.def-123 failed"}
    assert scrub_event(event)["message"] == f"refresh {REDACTED} then Bearer {REDACTED} failed"


def test_every_response_carries_a_request_id(client, db):
    request_id = client.get(reverse("healthz"))["X-Request-ID"]
    assert len(request_id) == 32 and request_id.isalnum()


def test_each_request_gets_its_own_id(client, db):
    assert client.get(reverse("healthz"))["X-Request-ID"] != client.get(reverse("healthz"))["X-Request-ID"]


def test_the_routers_request_id_is_kept(client, db):
    request_id = "0b5d5f5e-6a8f-4d3c-9a51-2f3e4c5d6e7f"
    assert client.get(reverse("healthz"), headers={"X-Request-ID": request_id})["X-Request-ID"] == request_id


@pytest.mark.parametrize("offered", ["short", "x" * 129, "evil\r\nSet-Cookie: a=b", "<script>alert(1)</script>"])
def test_an_insane_incoming_request_id_is_replaced(client, db, offered):
    assert client.get(reverse("healthz"), headers={"X-Request-ID": offered})["X-Request-ID"] != offered


def test_log_lines_written_during_a_request_carry_its_id(client, db, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.get("/no-such-page/", headers={"X-Request-ID": "router-id-0002"})
    assert response.status_code == 404
    assert [record.request_id for record in caplog.records if record.name == "django.request"] == ["router-id-0002"]


def test_log_lines_outside_a_request_carry_a_dash():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "worker line", None, None)
    RequestIdFilter().filter(record)
    assert (record.request_id, request_id_var.get()) == ("-", "-")


def test_the_log_format_prints_the_request_id(settings):
    assert "%(request_id)s" in settings.LOGGING["formatters"]["plain"]["format"]


@pytest.fixture
def worker_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True)  # the worker closes its connection when it stops
def test_a_workers_task_names_its_log_lines_with_its_task_id(worker_queue, caplog):
    result = heartbeat.enqueue()
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="django.tasks"):
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False)
    finished = [
        record for record in caplog.records if record.name == "django.tasks" and "SUCCESSFUL" in record.getMessage()
    ]
    assert ([record.request_id for record in finished], request_id_var.get()) == ([f"task-{result.id}"], "-")


def test_a_task_run_inside_a_request_keeps_the_requests_id(db):
    task_result = mock.Mock(id="abc")
    token = request_id_var.set("router-id-0003")
    try:
        name_task_lines(sender=None, task_result=task_result)
        assert request_id_var.get() == "router-id-0003"
        forget_task_id(sender=None, task_result=task_result)
        assert request_id_var.get() == "router-id-0003"
    finally:
        request_id_var.reset(token)
