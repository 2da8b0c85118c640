"""`python manage.py pnl_report --user EMAIL [--account NUMBER] --by GROUPING [--format json|csv]`.

Realized P&L from the engine's events, grouped by year, month, day (in the user's time zone),
underlying, strategy or instrument type, with the income and expense lines that are not trade P&L,
the cash (the sum of every transaction's net value) and what is still open. JSON prints the whole
report; CSV prints the rows and a final `total` row.
"""

import csv
import json

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.trades.models import BrokerAccount
from apps.trades.pnl import GROUPINGS, pnl_report

CSV_COLUMNS = ("key", "realized_pnl", "commissions", "fees", "closed_events")


class Command(BaseCommand):
    help = "Print realized P&L by year, month, day, underlying, strategy or instrument type, as JSON or CSV."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, metavar="EMAIL", help="whose accounts")
        parser.add_argument("--account", metavar="NUMBER", help="one account (default: every included account)")
        parser.add_argument("--by", required=True, choices=GROUPINGS, help="how to group the realized P&L")
        parser.add_argument("--format", choices=("json", "csv"), default="json")

    def handle(self, *args, **options) -> None:
        try:
            user = User.objects.get_by_natural_key(options["user"])
        except User.DoesNotExist:
            raise CommandError(f"No user with the email address {options['user']}") from None
        try:
            report = pnl_report(user=user, by=options["by"], account_number=options["account"])
        except BrokerAccount.DoesNotExist:
            raise CommandError(f"{user} has no account {options['account']}") from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, indent=2))
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in report["rows"]:
            writer.writerow([row[column] for column in CSV_COLUMNS])
        writer.writerow(["total", *(report["totals"][column] for column in CSV_COLUMNS[1:])])
