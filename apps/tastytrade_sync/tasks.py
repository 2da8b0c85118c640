"""The sync's long work as django.tasks: a slice of one run, and the scheduled sync of every connection.

With the database backend a `db_worker` process (Procfile: worker) runs the tasks, and a run goes on slice
after slice, each slice queuing the next. With the Immediate backend (no worker) a task runs inside the
request that queues it, so a slice gets the request's budget and the open page asks for the next one.
Either way one sync per connection at a time is the lease's job (sync.py), not the queue's: two workers
given slices of the same run make one of them return "already syncing".
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.tasks import TaskResultStatus, default_task_backend, task
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone

from .models import Connection, SyncRun
from .sync import LEASE_SECONDS, queue_sync, sync_connection

logger = logging.getLogger(__name__)


def worker_runs_tasks() -> bool:
    """Whether tasks wait in a queue for a worker (True) or run inside the request that queues them."""
    # The Immediate backend cannot defer a task; every queue that a worker reads can.
    return default_task_backend.supports_defer


@task
def sync_slice(*, run_id: int, budget_seconds: float | None) -> str:
    """Carry one run one slice further; with a worker, queue the next slice while work is left."""
    run = SyncRun.objects.select_related("connection").filter(pk=run_id).first()
    if run is None or not run.is_active:
        return "done"
    result = sync_connection(connection=run.connection, trigger=run.trigger, run=run, budget_seconds=budget_seconds)
    # SKIPPED: another process holds the lease and queues its own next slice, so this one stops here.
    if result.status != SyncRun.Status.SKIPPED and result.is_active and worker_runs_tasks():
        _queue_slice(result, budget_seconds=budget_seconds)
    return result.status


@task
def sync_every_connection() -> int:
    """The scheduled sync (nightly by default): every active connection whose owner allows it.

    Also restarts runs nothing carries any more (a worker that died mid-slice). Returns how many runs it started.
    """
    started = 0
    connections = Connection.objects.filter(status=Connection.Status.ACTIVE, user__sync_scheduled=True)
    for connection in connections.select_related("user"):
        run = queue_sync(connection=connection, trigger=SyncRun.Trigger.SCHEDULE)
        if worker_runs_tasks():
            carry_on(run)
        else:  # a scheduler dyno has no request to keep short: it syncs to the end (a paused run too)
            sync_slice.call(run_id=run.pk, budget_seconds=None)
        started += 1
    return started


def carry_on(run: SyncRun, *, budget_seconds: float | None = None) -> SyncRun:
    """Make sure something carries an active run on, and return it as it now stands.

    With a worker: queue a slice unless one is queued or running already. Without one: run a slice here,
    within `budget_seconds` (the request's budget by default); an unsaved SKIPPED run when another
    process holds the connection's lease.
    """
    if not run.is_active:
        return run
    if worker_runs_tasks():
        if not is_carried(run):
            _queue_slice(run, budget_seconds=settings.SYNC_WORKER_SLICE_SECONDS)
        return run
    if budget_seconds is None:
        budget_seconds = settings.SYNC_REQUEST_BUDGET_SECONDS
    if run.resume_after and run.resume_after > timezone.now():
        return run  # TastyTrade asked us to wait (Retry-After)
    outcome = sync_slice.enqueue(run_id=run.pk, budget_seconds=budget_seconds)
    if outcome.status == TaskResultStatus.FAILED:
        logger.error("sync slice of run %s failed: %s", run.pk, outcome.errors[-1].traceback)
    if outcome.status == TaskResultStatus.SUCCESSFUL and outcome.return_value == SyncRun.Status.SKIPPED:
        return SyncRun(connection=run.connection, trigger=run.trigger, status=SyncRun.Status.SKIPPED)
    run.refresh_from_db()
    return run


def hand_to_worker(run: SyncRun) -> SyncRun:
    """Queue a run's first slice when a worker runs tasks; without one, the page that follows it carries it on."""
    return carry_on(run) if worker_runs_tasks() else run


def is_carried(run: SyncRun) -> bool:
    """Whether a worker has this run in hand: its last slice waits in the queue, or runs and holds the lease.

    A slice whose worker died stays "running" in the queue for ever; its lease lapses, and then it no
    longer counts once it started longer ago than a lease lasts.
    """
    if not run.task_id:
        return False
    try:
        queued = sync_slice.get_result(run.task_id)
    except TaskResultDoesNotExist:
        return False
    if queued.status == TaskResultStatus.READY:
        return True
    if queued.status != TaskResultStatus.RUNNING:
        return False
    lease = Connection.objects.filter(pk=run.connection_id).values_list("lease_expires_at", flat=True).first()
    now = timezone.now()
    return (lease is not None and lease > now) or queued.started_at > now - timedelta(seconds=LEASE_SECONDS)


def _queue_slice(run: SyncRun, *, budget_seconds: float | None) -> None:
    slice_task = sync_slice
    if run.resume_after and run.resume_after > timezone.now():
        slice_task = sync_slice.using(run_after=run.resume_after)  # TastyTrade's Retry-After
    queued = slice_task.enqueue(run_id=run.pk, budget_seconds=budget_seconds)
    SyncRun.objects.filter(pk=run.pk).update(task_id=queued.id)
    run.task_id = queued.id
