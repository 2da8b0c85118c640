"""Connecting and syncing through the pages, against the simulator on a real loopback port."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from allauth.account.signals import user_logged_in
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from apps.tastytrade_sync.models import Connection, SyncRun
from apps.tastytrade_sync.tests.factories import ConnectionFactory, SyncRunFactory
from apps.trades.models import BrokerAccount, Transaction


@pytest.fixture
def server(simulator_server, settings):
    settings.TASTYTRADE_SIMULATOR_URL = simulator_server.url
    settings.SYNC_NOW_MIN_INTERVAL_SECONDS = 0
    cache.clear()  # the Sync now rate limit lives in the cache, which outlives a test
    with time_machine.travel(datetime.combine(simulator_server.simulator.today, time(22, 30), tzinfo=UTC), tick=True):
        yield simulator_server.simulator


def connect(user_client, simulator, refresh_token=None):
    return user_client.post(
        reverse("tastytrade_sync:connect"),
        {
            "label": "Main",
            "environment": "simulator",
            "client_secret": simulator.client_secret,
            "refresh_token": refresh_token or simulator.refresh_token,
        },
    )


def test_connecting_checks_the_grant_and_discovers_the_accounts(user_client, server):
    response = connect(user_client, server)
    assert response.status_code == 302
    assert sorted(BrokerAccount.objects.values_list("account_number", flat=True)) == sorted(server.account_numbers)


def test_connecting_queues_the_first_sync(user_client, server):
    connect(user_client, server)
    assert SyncRun.objects.get().status == SyncRun.Status.QUEUED


def test_a_refused_grant_is_a_clear_error_and_nothing_is_stored(user_client, server):
    response = connect(user_client, server, refresh_token="not-a-real-grant")
    assert b"TastyTrade refused" in response.content
    assert (Connection.objects.count(), BrokerAccount.objects.count()) == (0, 0)


def test_sync_now_syncs_and_says_what_it_did(user_client, server):
    connect(user_client, server)
    connection = Connection.objects.get()
    response = user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]), follow=True)
    assert b"Sync finished" in response.content
    assert Transaction.objects.count() == sum(len(server.transactions(n)) for n in server.account_numbers)


def test_sync_now_is_rate_limited_per_connection(user_client, server, settings):
    settings.SYNC_NOW_MIN_INTERVAL_SECONDS = 60
    connect(user_client, server)
    connection = Connection.objects.get()
    user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]))
    response = user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]), follow=True)
    assert b"A sync ran moments ago" in response.content


def test_the_page_drives_a_paused_sync_to_the_end(user_client, server, settings):
    connect(user_client, server)
    run = SyncRun.objects.get()
    settings.SYNC_REQUEST_BUDGET_SECONDS = 0  # every slice pauses after its first account
    progress = user_client.post(reverse("tastytrade_sync:run_continue", args=[run.pk])).json()
    assert progress["active"] and progress["status"] == "partial"
    settings.SYNC_REQUEST_BUDGET_SECONDS = 20
    progress = user_client.post(reverse("tastytrade_sync:run_continue", args=[run.pk])).json()
    assert (progress["active"], progress["status"]) == (False, "succeeded")


def test_the_sync_page_shows_a_running_sync_with_its_progress(user_client, server):
    connect(user_client, server)
    html = user_client.get(reverse("tastytrade_sync:page")).content.decode()
    assert "data-sync-run" in html and "Syncing" in html


def test_a_timeout_past_the_retries_fails_the_run_in_plain_words(user_client, server, settings):
    connect(user_client, server)
    settings.TASTYTRADE_TIMEOUT_SECONDS = 0.2
    settings.TASTYTRADE_RETRY_ATTEMPTS = 2
    server.faults.slow(seconds=0.6, path=r"/accounts/.*/transactions", times=None)
    connection = Connection.objects.get()
    response = user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]), follow=True)
    run = SyncRun.objects.get()
    assert (run.status, run.error_code) == (SyncRun.Status.FAILED, "unavailable")
    assert b"not answering right now" in response.content and b"Traceback" not in response.content


def test_signing_in_queues_a_sync_when_the_last_one_is_old(user, db):
    connection = ConnectionFactory(user=user)
    SyncRunFactory(connection=connection, finished_at=datetime.now(UTC) - timedelta(days=2))
    SyncRun.objects.update(started_at=datetime.now(UTC) - timedelta(days=2))
    user_logged_in.send(sender=user.__class__, request=RequestFactory().get("/"), user=user)
    assert connection.runs.filter(status=SyncRun.Status.QUEUED, trigger="login").exists()


def test_signing_in_does_not_queue_a_sync_after_a_recent_one(user, db):
    connection = ConnectionFactory(user=user)
    SyncRunFactory(connection=connection, finished_at=datetime.now(UTC))
    user_logged_in.send(sender=user.__class__, request=RequestFactory().get("/"), user=user)
    assert not connection.runs.filter(status=SyncRun.Status.QUEUED).exists()


def test_signing_in_does_not_sync_when_the_profile_says_no(user, db):
    user.sync_on_login = False
    user.save()
    connection = ConnectionFactory(user=user)
    user_logged_in.send(sender=user.__class__, request=RequestFactory().get("/"), user=user)
    assert not connection.runs.exists()


def test_signing_in_through_the_form_does_not_call_tastytrade(client, user, settings):
    settings.TASTYTRADE_SIMULATOR_URL = "http://127.0.0.1:9"  # nothing listens: a call would fail slowly
    ConnectionFactory(user=user)
    started = datetime.now(UTC)
    response = client.post(reverse("account_login"), {"login": user.email, "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert (datetime.now(UTC) - started).total_seconds() < 2


def test_sync_now_throttled_by_a_long_retry_after_says_when_it_resumes(user_client, server):
    connect(user_client, server)
    server.faults.status(429, retry_after=600, path=r"/accounts/.*/transactions", on=1)
    connection = Connection.objects.get()
    response = user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]), follow=True)
    assert SyncRun.objects.get().status == SyncRun.Status.PARTIAL
    assert b"TastyTrade asked us to pause: the sync resumes within 10 minutes if this page stays open" in (
        response.content
    )


def test_a_paused_run_promises_a_resume_without_conditions_only_while_a_worker_runs(user, user_client, settings, db):
    connection = ConnectionFactory(user=user)
    run = SyncRunFactory(
        connection=connection, status=SyncRun.Status.PARTIAL, resume_after=timezone.now() + timedelta(minutes=4)
    )
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    message = user_client.get(reverse("tastytrade_sync:run_status", args=[run.pk])).json()["message"]
    assert message == "TastyTrade asked us to pause: the sync resumes within 4 minutes."


def test_another_users_paused_run_is_404(other_client, user, db):
    run = SyncRunFactory(
        connection=ConnectionFactory(user=user),
        status=SyncRun.Status.PARTIAL,
        resume_after=timezone.now() + timedelta(minutes=4),
    )
    assert other_client.get(reverse("tastytrade_sync:run_status", args=[run.pk])).status_code == 404
