"""The sync worker (Procfile `worker:`): queued syncs run there, and pages only follow them."""

import io
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from apps.tastytrade_sync.management.commands import sync_worker
from apps.tastytrade_sync.models import Connection, SyncRun, SyncWorker
from apps.tastytrade_sync.sync import create_connection, queue_sync, sync_connection
from apps.tastytrade_sync.tests.factories import ConnectionFactory, SyncRunFactory
from apps.trades.models import Transaction


@pytest.fixture
def server(simulator_server, settings):
    settings.TASTYTRADE_SIMULATOR_URL = simulator_server.url
    settings.SYNC_NOW_MIN_INTERVAL_SECONDS = 0
    cache.clear()
    with time_machine.travel(datetime.combine(simulator_server.simulator.today, time(22, 30), tzinfo=UTC), tick=True):
        yield simulator_server.simulator


@pytest.fixture
def connection(user, server) -> Connection:
    return create_connection(
        user=user,
        environment="simulator",
        client_secret=server.client_secret,
        refresh_token=server.refresh_token,
    )


@pytest.fixture
def live_worker(db):
    return SyncWorker.objects.create(name="worker-host:1", seen_at=timezone.now())


def all_transactions(simulator) -> int:
    return sum(len(simulator.transactions(n)) for n in simulator.account_numbers)


def test_sync_now_with_a_live_worker_only_queues_the_run(user_client, connection, live_worker):
    response = user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]), follow=True)
    assert b"Sync queued" in response.content
    assert SyncRun.objects.get().status == SyncRun.Status.QUEUED and Transaction.objects.count() == 0


def test_sync_now_with_a_live_worker_sends_the_page_to_follow_the_run(user_client, connection, live_worker):
    response = user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]))
    assert response["Location"].endswith(f"?run={SyncRun.objects.get().pk}")


def test_the_page_only_follows_a_run_while_a_worker_is_alive(user_client, connection, live_worker):
    run = queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    progress = user_client.post(reverse("tastytrade_sync:run_continue", args=[run.pk])).json()
    assert (progress["status"], progress["active"]) == ("queued", True)
    assert Transaction.objects.count() == 0


def test_a_worker_not_heard_from_lately_counts_as_gone(user_client, connection, server, settings):
    SyncWorker.objects.create(
        name="gone:1", seen_at=timezone.now() - timedelta(seconds=settings.SYNC_WORKER_ALIVE_SECONDS + 1)
    )
    response = user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]), follow=True)
    assert b"Sync finished" in response.content
    assert Transaction.objects.count() == all_transactions(server)


def test_the_worker_carries_a_queued_run_to_the_end(connection, server):
    run = queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    call_command("sync_worker", "--until-idle", stdout=io.StringIO())
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert Transaction.objects.count() == all_transactions(server)


def test_the_worker_continues_a_paused_run_over_several_slices(connection, server, settings):
    settings.SYNC_WORKER_SLICE_SECONDS = 0  # every slice pauses after its first page
    run = queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    call_command("sync_worker", "--until-idle", stdout=io.StringIO())
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert Transaction.objects.count() == all_transactions(server)


def test_the_worker_resumes_a_run_left_running_by_a_process_that_died(connection, server):
    run = SyncRunFactory(connection=connection, status=SyncRun.Status.RUNNING)
    Connection.objects.filter(pk=connection.pk).update(
        lease_token="dead", lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    call_command("sync_worker", "--until-idle", stdout=io.StringIO())
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert Transaction.objects.count() == all_transactions(server)


def test_the_worker_leaves_a_run_whose_connection_a_live_sync_holds(connection, server):
    queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    Connection.objects.filter(pk=connection.pk).update(
        lease_token="live", lease_expires_at=timezone.now() + timedelta(seconds=60)
    )
    assert not SyncRun.objects.waiting().exists()


def test_queued_runs_go_before_paused_ones(user, other_user):
    earlier = timezone.now() - timedelta(minutes=5)
    paused = SyncRunFactory(connection=ConnectionFactory(user=user), status=SyncRun.Status.PARTIAL, started_at=earlier)
    queued = SyncRunFactory(connection=ConnectionFactory(user=other_user), status=SyncRun.Status.QUEUED)
    assert list(SyncRun.objects.waiting()) == [queued, paused]


def test_finished_runs_are_not_waiting(user):
    SyncRunFactory(connection=ConnectionFactory(user=user), status=SyncRun.Status.SUCCEEDED)
    SyncRunFactory(connection=ConnectionFactory(user=user), status=SyncRun.Status.FAILED)
    assert not SyncRun.objects.waiting().exists()


def test_a_new_sync_marks_a_run_left_running_by_a_dead_process_as_stopped(connection, server):
    dead = SyncRunFactory(connection=connection, status=SyncRun.Status.RUNNING)
    sync_connection(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    dead.refresh_from_db()
    assert (dead.status, dead.error_code) == (SyncRun.Status.FAILED, "stopped")
    assert dead.finished_at is not None and "restarted" in dead.error_message


def test_sync_now_follows_a_run_already_running_instead_of_queuing_another(user_client, connection, live_worker):
    running = SyncRunFactory(connection=connection, status=SyncRun.Status.RUNNING)
    user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]))
    assert list(SyncRun.objects.all()) == [running]


def test_the_worker_says_it_is_alive_while_it_runs(connection, server):
    queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    seen = []

    def syncing(**kwargs):
        seen.append(SyncWorker.objects.alive().count())
        return sync_connection(**kwargs)

    with mock.patch("apps.tastytrade_sync.management.commands.sync_worker.sync_connection", syncing):
        call_command("sync_worker", "--until-idle", stdout=io.StringIO())
    assert seen == [1]


def test_the_worker_leaves_no_row_when_it_stops(db):
    call_command("sync_worker", "--until-idle", stdout=io.StringIO())
    assert not SyncWorker.objects.exists()


def test_the_worker_forgets_workers_gone_for_a_day(db):
    SyncWorker.objects.create(name="old:1", seen_at=timezone.now() - timedelta(days=2))
    call_command("sync_worker", "--until-idle", stdout=io.StringIO())
    assert not SyncWorker.objects.filter(name="old:1").exists()


def test_another_users_run_is_not_followed(client, connection, live_worker, django_user_model):
    other = django_user_model.objects.create_user("mallory@example.com", "mallory-password-1")
    client.force_login(other)
    run = queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    assert client.post(reverse("tastytrade_sync:run_continue", args=[run.pk])).status_code == 404


def test_a_database_error_does_not_end_the_worker(connection, server):
    run = queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    real_waiting = SyncRun.objects.waiting
    errors = iter([OperationalError("the server closed the connection unexpectedly")])

    def waiting():
        for error in errors:
            raise error
        return real_waiting()

    command = sync_worker.Command(stdout=io.StringIO())

    def sleep(seconds):
        if seconds == sync_worker.IDLE_SECONDS:  # idle: the queue is done, so stop as SIGTERM would
            command.stopping = True

    with (
        mock.patch.object(SyncRun.objects, "waiting", waiting),
        mock.patch.object(sync_worker, "time", SimpleNamespace(sleep=sleep, monotonic=sync_worker.time.monotonic)),
    ):
        call_command(command)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED


def test_a_one_off_worker_run_reports_a_database_error(connection, server):
    queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    with (
        mock.patch.object(SyncRun.objects, "waiting", mock.Mock(side_effect=OperationalError("gone"))),
        pytest.raises(OperationalError),
    ):
        call_command("sync_worker", "--until-idle", stdout=io.StringIO())


def test_an_unexpected_error_does_not_end_the_worker(connection, server):
    run = queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    calls = []

    def syncing(**kwargs):
        calls.append(kwargs["run"].pk)
        if len(calls) == 1:
            raise ZeroDivisionError("a bug met on one account's data")
        return sync_connection(**kwargs)

    command = sync_worker.Command(stdout=io.StringIO())

    def sleep(seconds):
        if seconds == sync_worker.IDLE_SECONDS:
            command.stopping = True

    with (
        mock.patch.object(sync_worker, "sync_connection", syncing),
        mock.patch.object(sync_worker, "time", SimpleNamespace(sleep=sleep, monotonic=sync_worker.time.monotonic)),
    ):
        call_command(command)
    run.refresh_from_db()
    assert (calls, run.status) == ([run.pk, run.pk], SyncRun.Status.SUCCEEDED)


def test_the_worker_gives_paused_runs_slices_in_turn(user, other_user, django_user_model):
    third = django_user_model.objects.create_user("carol@example.com", "carol-password-1")
    earlier = timezone.now() - timedelta(minutes=10)
    runs = [
        SyncRunFactory(
            connection=ConnectionFactory(user=owner),
            status=SyncRun.Status.PARTIAL,
            started_at=earlier + timedelta(minutes=n),
        )
        for n, owner in enumerate([user, other_user, third])
    ]
    command = sync_worker.Command(stdout=io.StringIO())
    served = []

    def slice_of(*, run, **kwargs):
        served.append(run.pk)
        if len(served) == 6:
            command.stopping = True
        return run  # still paused: it needs more slices

    with mock.patch.object(sync_worker, "sync_connection", slice_of):
        call_command(command)
    assert served == [r.pk for r in runs] * 2
