"""`python manage.py pnl_report --user EMAIL [--account NUMBER] --by GROUPING [--stats] [--format json|csv]`.

Realized P&L from the engine's events, grouped by year, month, day (in the user's time zone),
underlying, strategy or instrument type, with the income and expense lines that are not trade P&L,
the cash (the sum of every transaction's net value) and what is still open. JSON prints the whole
report; CSV prints the rows and a final `total` row.

With `--stats`, it prints statistics of the closed trades instead (a trade is a whole position or
chain: win rate, expectancy, profit factor...) by strategy, underlying, tag, dte (days to expiration
at entry), weekday (opened) or month (closed), as the Reports tab's Edge report shows them.
"""

import csv
import json

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.trades.analytics import BREAKDOWNS, STATS_COLUMNS, stats_report
from apps.trades.models import BrokerAccount
from apps.trades.pnl import GROUPINGS, pnl_report

CSV_COLUMNS = ("key", "realized_pnl", "commissions", "fees", "closed_events")


class Command(BaseCommand):
    help = "Print realized P&L by year, month, day, underlying, strategy or instrument type, as JSON or CSV."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, metavar="EMAIL", help="whose accounts")
        parser.add_argument("--account", metavar="NUMBER", help="one account (default: every included account)")
        choices = list(dict.fromkeys([*GROUPINGS, *BREAKDOWNS]))
        parser.add_argument("--by", required=True, choices=choices, help="how to group the realized P&L")
        parser.add_argument("--stats", action="store_true", help="statistics of closed trades per group instead")
        parser.add_argument("--format", choices=("json", "csv"), default="json")

    def handle(self, *args, **options) -> None:
        try:
            user = User.objects.get_by_natural_key(options["user"])
        except User.DoesNotExist:
            raise CommandError(f"No user with the email address {options['user']}") from None
        stats = options["stats"]
        if stats and options["by"] not in BREAKDOWNS:
            raise CommandError(f"--stats groups by {', '.join(BREAKDOWNS)}")
        if not stats and options["by"] not in GROUPINGS:
            raise CommandError(f"--by {options['by']} needs --stats")
        build = stats_report if stats else pnl_report
        try:
            report = build(user=user, by=options["by"], account_number=options["account"])
        except BrokerAccount.DoesNotExist:
            raise CommandError(f"{user} has no account {options['account']}") from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, indent=2))
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        if stats:
            writer.writerow(("key", *STATS_COLUMNS))
            writer.writerows([row[column] for column in ("key", *STATS_COLUMNS)] for row in report["rows"])
            return
        writer.writerow(CSV_COLUMNS)
        for row in report["rows"]:
            writer.writerow([row[column] for column in CSV_COLUMNS])
        writer.writerow(["total", *(report["totals"][column] for column in CSV_COLUMNS[1:])])
