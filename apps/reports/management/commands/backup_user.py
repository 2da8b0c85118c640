from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.reports.backup import iter_backup


class Command(BaseCommand):
    help = "Write a full JSON backup of one user's data to standard output (never any credentials)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, metavar="EMAIL", help="the user's email address")

    def handle(self, *args, **options) -> None:
        try:
            user = User.objects.get_by_natural_key(options["user"])
        except User.DoesNotExist:
            raise CommandError(f"No user with the email address {options['user']}") from None
        for chunk in iter_backup(user):
            self.stdout.write(chunk, ending="")
