"""The worker's heartbeat: a task that does nothing, queued by /healthz so an idle worker still shows it is
alive (apps/core/health.py)."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

HEARTBEAT_KEPT = timedelta(hours=1)


@task(priority=-50)  # below the default: a heartbeat never delays a sync slice or a restore
def heartbeat() -> str:
    """Proof that a worker took a task from the queue; also drops finished heartbeats older than an hour, so
    an uptime check calling /healthz every minute does not grow the task table."""
    DBTaskResult.objects.finished().filter(
        task_path=heartbeat.module_path, finished_at__lt=timezone.now() - HEARTBEAT_KEPT
    ).delete()
    return "alive"
