"""For Heroku Scheduler (daily): a backup of every trader who turned on "keep a nightly backup".

With a worker (TASKS_BACKEND=database) this only queues the task and returns at once; without one the task
runs here, in the scheduler's one-off dyno.
"""

from django.core.management.base import BaseCommand
from django.tasks import TaskResultStatus

from apps.reports.tasks import nightly_backups


class Command(BaseCommand):
    help = "Queue the nightly backup of every trader who asked for one (the last 7 are kept)."

    def handle(self, *args, **options) -> None:
        result = nightly_backups.enqueue()
        if result.status == TaskResultStatus.SUCCESSFUL:
            self.stdout.write(f"Nightly backups written: {result.return_value}.")
        else:
            self.stdout.write(f"Nightly backups queued (task {result.id}).")
