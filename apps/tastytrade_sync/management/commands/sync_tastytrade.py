"""Sync every active connection (or one user's) in this process, to the end, no time budget.

The schedule uses `queue_scheduled_sync` instead, which hands the work to the worker."""

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.tastytrade_sync.models import Connection, SyncRun
from apps.tastytrade_sync.sync import sync_connection


class Command(BaseCommand):
    help = "Sync TastyTrade connections: all active ones, or one user's with --user EMAIL."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", help="only this user's connections (email address)")

    def handle(self, *args, **options) -> None:
        connections = Connection.objects.filter(status=Connection.Status.ACTIVE).select_related("user")
        if options["user"]:
            user = User.objects.filter(email__iexact=options["user"]).first()
            if user is None:
                raise CommandError(f"No user with the email address {options['user']!r}.")
            connections = connections.filter(user=user)
        failed = 0
        for connection in connections:
            paused = connection.runs.active().first()
            run = sync_connection(connection=connection, trigger=SyncRun.Trigger.SCHEDULE, run=paused)
            failed += run.status == SyncRun.Status.FAILED
            self.stdout.write(
                f"{connection.user.email} · {connection}: {run.get_status_display()} "
                f"({run.inserted} new, {run.updated} updated, {run.unchanged} unchanged)"
                + (f" · {run.error_message}" if run.error_message else "")
            )
        if failed:
            raise CommandError(f"{failed} connection(s) failed to sync; see above.")
