"""What /healthz checks: the database, the cache and the task worker.

"Worker alive" means: no task that is due has waited in the queue longer than HEALTHZ_WORKER_MAX_WAIT_SECONDS.
A worker that is idle has nothing to prove that with, so each check also queues one tiny heartbeat task
(apps/core/tasks.py) when none is waiting: an uptime monitor calling /healthz every minute then learns of a
dead worker within that time plus a minute. `last_seen` is when a worker last started any task. With the
Immediate backend (no worker process; tasks run inside requests) the worker is reported as not used."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Count, Max, Q
from django.tasks import TaskResultStatus, default_task_backend
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from apps.core.tasks import heartbeat

logger = logging.getLogger(__name__)

OK, FAILING, NOT_USED = "ok", "unavailable", "not used"


@dataclass(frozen=True)
class WorkerHealth:
    status: str  # "ok", "stale" or "not used"
    last_seen: datetime | None = None
    overdue_tasks: int = 0

    @property
    def healthy(self) -> bool:
        return self.status != "stale"


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("healthz: database did not answer")
        return FAILING
    return OK


def check_cache() -> str:
    """Write a value and read it back (the shared cache holds rate limits: without it sign-in fails)."""
    token = uuid.uuid4().hex
    try:
        cache.set("healthz", token, timeout=30)
        answered = cache.get("healthz") == token
    except Exception:  # any backend's connection error; the check must answer, not raise
        logger.exception("healthz: cache did not answer")
        return FAILING
    if not answered:
        logger.error("healthz: cache did not keep a value")
        return FAILING
    return OK


def check_worker(*, now: datetime | None = None) -> WorkerHealth:
    if not default_task_backend.supports_defer:  # the Immediate backend: no worker to ask
        return WorkerHealth(status=NOT_USED)
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.HEALTHZ_WORKER_MAX_WAIT_SECONDS)
    ready = Q(status=TaskResultStatus.READY)
    overdue = ready & Q(enqueued_at__lt=cutoff) & (Q(run_after=get_date_max()) | Q(run_after__lt=cutoff))
    waiting_heartbeat = ready & Q(task_path=heartbeat.module_path)
    figures = DBTaskResult.objects.aggregate(
        last_seen=Max("started_at"),
        overdue=Count("id", filter=overdue),
        heartbeats_waiting=Count("id", filter=waiting_heartbeat),
    )
    if not figures["heartbeats_waiting"]:
        heartbeat.enqueue()
    status = "stale" if figures["overdue"] else OK
    return WorkerHealth(status=status, last_seen=figures["last_seen"], overdue_tasks=figures["overdue"])
