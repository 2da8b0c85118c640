import sys

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.reports.backup import BackupError, read_backup, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by backup_user into a user's data: each account in the file is replaced "
        "by the file's copy; other accounts stay as they are."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, metavar="EMAIL", help="the user's email address")
        parser.add_argument("file", help="the backup's path, or - to read standard input")

    def handle(self, *args, **options) -> None:
        try:
            user = User.objects.get_by_natural_key(options["user"])
        except User.DoesNotExist:
            raise CommandError(f"No user with the email address {options['user']}") from None
        try:
            if options["file"] == "-":
                backup = read_backup(sys.stdin)
            else:
                with open(options["file"], encoding="utf-8") as stream:
                    backup = read_backup(stream)
            summary = restore_backup(user=user, backup=backup)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        rows = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in summary.rows.items())
        self.stdout.write(self.style.SUCCESS(f"Restored {summary.accounts} account(s) for {user.email}: {rows}."))
