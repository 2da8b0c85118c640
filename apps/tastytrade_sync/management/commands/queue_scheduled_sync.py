"""For Heroku Scheduler (nightly by default): sync every connection whose owner allows scheduled syncs.

With a worker (TASKS_BACKEND=database) this only queues the task and returns at once; without one the
task runs here, each connection to the end.
"""

from django.core.management.base import BaseCommand

from apps.tastytrade_sync.tasks import sync_every_connection, worker_runs_tasks


class Command(BaseCommand):
    help = "Queue the scheduled sync of every connection whose owner allows it."

    def handle(self, *args, **options) -> None:
        result = sync_every_connection.enqueue()
        if worker_runs_tasks():
            self.stdout.write(f"Scheduled sync queued (task {result.id}).")
        else:
            self.stdout.write(f"Scheduled sync ran: {result.return_value} connection(s).")
