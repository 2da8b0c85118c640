"""Procfile `worker:`: carry out queued syncs (Sync now, sign-in) off the web processes.

While a worker is alive, pressing Sync now only queues a run and the page shows its progress;
no web process spends seconds talking to TastyTrade, so pages stay fast for everyone else.
Without one, pages run syncs themselves in budgeted slices, as before.
"""

import contextlib
import logging
import os
import signal
import socket
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from apps.tastytrade_sync.models import SyncRun, SyncWorker
from apps.tastytrade_sync.sync import sync_connection

IDLE_SECONDS = 1.0
RETRY_SECONDS = 5.0

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run queued TastyTrade syncs until stopped (SIGTERM finishes the current slice first)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--until-idle", action="store_true", help="stop once no run is waiting")

    def handle(self, *args, **options) -> None:
        self.stopping = False
        self.served: dict[int, float] = {}  # run id -> when this worker last gave it a slice
        signal.signal(signal.SIGTERM, self._stop)
        name = f"{socket.gethostname()}:{os.getpid()}"[:100]
        SyncWorker.objects.filter(seen_at__lt=timezone.now() - timedelta(days=1)).delete()  # long-gone workers
        self.stdout.write(f"sync worker {name} started")
        try:
            while not self.stopping:
                try:
                    worked = self._step(name)
                except Exception:
                    if options["until_idle"]:
                        raise  # a one-off run reports the failure instead of carrying on
                    # Neither the database restarting nor a bug met on one account's data (the P&L
                    # recompute runs after the sync) may end the worker: log it, wait, go on.
                    logger.exception("sync worker %s: step failed; going on in %s s", name, RETRY_SECONDS)
                    time.sleep(RETRY_SECONDS)
                    continue
                if not worked:
                    if options["until_idle"]:
                        break
                    time.sleep(IDLE_SECONDS)
        finally:
            with contextlib.suppress(DatabaseError):
                SyncWorker.objects.filter(name=name).delete()
        self.stdout.write(f"sync worker {name} stopped")

    def _step(self, name: str) -> bool:
        """Check in, then carry the next waiting run one slice further; False when none waits."""
        if not connection.in_atomic_block:  # inside a transaction (a test's), closing would lose it
            close_old_connections()  # drop a connection the database closed or that outlived CONN_MAX_AGE
        SyncWorker.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})
        waiting = list(SyncRun.objects.waiting().select_related("connection")[:100])
        if not waiting:
            return False
        # Fresh requests first; among the rest, the one this worker served longest ago (round robin).
        run = min(waiting, key=lambda r: (r.status != SyncRun.Status.QUEUED, self.served.get(r.pk, 0.0)))
        self.served = {r.pk: self.served[r.pk] for r in waiting if r.pk in self.served}
        self.served[run.pk] = time.monotonic()
        result = sync_connection(
            connection=run.connection, trigger=run.trigger, run=run, budget_seconds=settings.SYNC_WORKER_SLICE_SECONDS
        )
        self.stdout.write(f"run {run.pk} (user {run.connection.user_id}): {result.status}, {result.inserted} new")
        return True

    def _stop(self, signum, frame) -> None:
        self.stopping = True
