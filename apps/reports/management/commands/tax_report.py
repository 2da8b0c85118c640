"""`python manage.py tax_report --user EMAIL --year YYYY [--format json|csv]`.

The US tax year of the user's included accounts, as the Tax year page shows it: JSON prints the totals,
the bridge from FIFO realized P&L to the taxable total, the Section 1256 year-end marks and every tax
line; CSV prints every tax line (the page's "Every lot" export). A report to help check a 1099-B, not
tax advice.
"""

import csv
import json

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.reports.tax import tax_year
from apps.reports.tax_exports import LINE_COLUMNS, line_row, tax_year_json


class Command(BaseCommand):
    help = "Print a user's US tax year (short and long term, Section 1256, wash sales, the bridge) as JSON or CSV."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, metavar="EMAIL", help="whose accounts")
        parser.add_argument("--year", required=True, type=int, help="the tax year, e.g. 2025")
        parser.add_argument("--format", choices=("json", "csv"), default="json")

    def handle(self, *args, **options) -> None:
        try:
            user = User.objects.get_by_natural_key(options["user"])
        except User.DoesNotExist:
            raise CommandError(f"No user with the email address {options['user']}") from None
        report = tax_year(user=user, year=options["year"])
        if options["format"] == "json":
            self.stdout.write(json.dumps(tax_year_json(report), indent=2))
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(LINE_COLUMNS)
        writer.writerows(line_row(line) for line in report.lines)
