"""The sync on django.tasks: with a worker (the database backend) pages only queue and follow runs; without one
(the Immediate backend) the request carries a run slice by slice, as before."""

import io
import threading
from datetime import UTC, datetime, time, timedelta
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection as db
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from apps.tastytrade_sync import sync, tasks
from apps.tastytrade_sync.models import Connection, SyncRun
from apps.tastytrade_sync.sync import create_connection, queue_sync, sync_connection
from apps.tastytrade_sync.tests.factories import SyncRunFactory
from apps.trades.models import Transaction

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


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
        user=user, environment="simulator", client_secret=server.client_secret, refresh_token=server.refresh_token
    )


@pytest.fixture
def worker_queue(settings):
    """Tasks wait in the database for `db_worker`, as on Heroku with a worker dyno."""
    settings.TASKS = DATABASE_BACKEND


def run_worker() -> None:
    """One `db_worker` pass: every ready task, then exit."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", "--no-reload", stdout=io.StringIO())


def all_transactions(simulator) -> int:
    return sum(len(simulator.transactions(n)) for n in simulator.account_numbers)


def test_sync_now_with_a_worker_only_queues_a_slice(user_client, connection, worker_queue):
    response = user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]), follow=True)
    run = SyncRun.objects.get()
    assert b"Sync queued" in response.content and Transaction.objects.count() == 0
    assert DBTaskResult.objects.get().args_kwargs["kwargs"]["run_id"] == run.pk


def test_sync_now_with_a_worker_sends_the_page_to_follow_the_run(user_client, connection, worker_queue):
    response = user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]))
    assert response["Location"].endswith(f"?run={SyncRun.objects.get().pk}")


def test_without_a_worker_sync_now_carries_the_run_in_the_request(user_client, connection, server):
    response = user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]), follow=True)
    assert b"Sync finished" in response.content
    assert Transaction.objects.count() == all_transactions(server)


def test_the_page_following_a_queued_run_queues_nothing_more(user_client, connection, worker_queue):
    user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]))
    run = SyncRun.objects.get()
    progress = user_client.post(reverse("tastytrade_sync:run_continue", args=[run.pk])).json()
    assert (progress["status"], progress["active"]) == ("queued", True)
    assert DBTaskResult.objects.count() == 1 and Transaction.objects.count() == 0


def test_the_page_queues_a_run_again_when_its_worker_died_mid_slice(user_client, connection, worker_queue):
    run = tasks.hand_to_worker(queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL))
    # A worker claimed the slice and died: the queue says running for ever, the lease lapsed.
    DBTaskResult.objects.update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(seconds=sync.LEASE_SECONDS + 1)
    )
    user_client.post(reverse("tastytrade_sync:run_continue", args=[run.pk]))
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1


def test_the_page_leaves_a_slice_a_live_worker_runs(user_client, connection, worker_queue):
    run = tasks.hand_to_worker(queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL))
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    user_client.post(reverse("tastytrade_sync:run_continue", args=[run.pk]))
    assert DBTaskResult.objects.count() == 1


def test_another_users_run_is_not_followed(other_client, connection, worker_queue):
    run = queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    assert other_client.post(reverse("tastytrade_sync:run_continue", args=[run.pk])).status_code == 404


def test_a_paused_run_waits_in_the_queue_until_tastytrade_said_to_come_back(connection, worker_queue):
    resume = timezone.now() + timedelta(minutes=5)
    run = SyncRunFactory(connection=connection, status=SyncRun.Status.PARTIAL, resume_after=resume)
    tasks.carry_on(run)
    assert DBTaskResult.objects.get().run_after == resume


def test_sync_now_follows_a_run_already_running_instead_of_queuing_another(user_client, connection, worker_queue):
    running = SyncRunFactory(connection=connection, status=SyncRun.Status.RUNNING)
    user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]))
    assert list(SyncRun.objects.all()) == [running]


def test_a_new_sync_marks_a_run_left_running_by_a_dead_process_as_stopped(connection, server):
    dead = SyncRunFactory(connection=connection, status=SyncRun.Status.RUNNING)
    sync_connection(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    dead.refresh_from_db()
    assert (dead.status, dead.error_code) == (SyncRun.Status.FAILED, "stopped")


def test_the_scheduled_sync_without_a_worker_syncs_every_allowed_connection_to_the_end(connection, server):
    call_command("queue_scheduled_sync", stdout=io.StringIO())
    run = SyncRun.objects.get()
    assert (run.trigger, run.status) == (SyncRun.Trigger.SCHEDULE, SyncRun.Status.SUCCEEDED)
    assert Transaction.objects.count() == all_transactions(server)


def test_the_scheduled_sync_leaves_connections_whose_owner_turned_it_off(user, connection, server):
    user.sync_scheduled = False
    user.save(update_fields=["sync_scheduled"])
    call_command("queue_scheduled_sync", stdout=io.StringIO())
    assert not SyncRun.objects.exists()


def test_the_scheduled_sync_with_a_worker_only_queues_its_task(connection, worker_queue):
    call_command("queue_scheduled_sync", stdout=io.StringIO())
    assert DBTaskResult.objects.get().task_path.endswith("sync_every_connection")
    assert not SyncRun.objects.exists()


def test_the_scheduled_task_queues_a_slice_of_each_connection_for_the_worker(connection, worker_queue):
    tasks.sync_every_connection.call()
    run = SyncRun.objects.get()
    assert (run.trigger, run.status) == (SyncRun.Trigger.SCHEDULE, SyncRun.Status.QUEUED)
    assert DBTaskResult.objects.get().args_kwargs["kwargs"]["run_id"] == run.pk


# -- real workers: the database backend, `db_worker` claiming tasks in this process (committed rows) ----------


@pytest.mark.django_db(transaction=True)
def test_a_worker_carries_a_run_to_the_end_slice_after_slice(connection, server, worker_queue, settings):
    settings.SYNC_WORKER_SLICE_SECONDS = 0  # every slice pauses after its first page and queues the next
    run = tasks.hand_to_worker(queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL))
    run_worker()
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert Transaction.objects.count() == all_transactions(server)
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() > 1


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="concurrent workers need PostgreSQL's row locks (CI runs it); SQLite's shared in-memory test "
    "database refuses a second writer with 'table is locked'",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_one_task_or_one_connections_sync_at_once(connection, server, worker_queue, settings):
    settings.SYNC_WORKER_SLICE_SECONDS = 0
    run = tasks.hand_to_worker(queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL))
    for _ in range(3):  # the same run queued more than once, as a page and the schedule might
        tasks._queue_slice(run, budget_seconds=0)
    syncing, most, lock = [0], [0], threading.Lock()
    real_sync_accounts = sync._sync_accounts  # only ever called with the connection's lease held

    def watched(**kwargs):
        with lock:
            syncing[0] += 1
            most[0] = max(most[0], syncing[0])
        try:
            return real_sync_accounts(**kwargs)
        finally:
            with lock:
                syncing[0] -= 1

    def worker(name: str) -> None:
        # db_worker's own loop; the command itself installs signal handlers, which only the main thread may.
        options = {"queue_names": ["default"], "excluded_queue_names": [], "backend_name": "default"}
        try:
            Worker(**options, interval=0, batch=True, startup_delay=False, max_tasks=None, worker_id=name).run()
        finally:
            db.close()

    with mock.patch.object(sync, "_sync_accounts", watched):
        threads = [threading.Thread(target=worker, args=[f"worker-{n}"]) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED and Transaction.objects.count() == all_transactions(server)
    assert {len(result.worker_ids) for result in DBTaskResult.objects.all()} == {1}  # one worker per task
    assert len({w for result in DBTaskResult.objects.all() for w in result.worker_ids}) == 2  # both worked
    assert most[0] == 1  # and never two syncs of the connection at once


def test_the_scheduled_sync_without_a_worker_finishes_a_paused_run_too(connection, server, settings):
    settings.SYNC_REQUEST_BUDGET_SECONDS = 0  # a page's slice would pause after its first page
    paused = SyncRunFactory(connection=connection, status=SyncRun.Status.PARTIAL, trigger=SyncRun.Trigger.MANUAL)
    call_command("queue_scheduled_sync", stdout=io.StringIO())
    paused.refresh_from_db()
    assert paused.status == SyncRun.Status.SUCCEEDED
    assert Transaction.objects.count() == all_transactions(server)


def test_check_older_history_with_a_worker_queues_a_slice_of_a_deep_checking_run(user_client, connection, worker_queue):
    user_client.post(reverse("tastytrade_sync:deep_check", args=[connection.pk]))
    run = SyncRun.objects.get()
    assert DBTaskResult.objects.get().args_kwargs["kwargs"]["run_id"] == run.pk
    assert not connection.accounts.filter(sync_state__deep_checked_at__isnull=False).exists()
