from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.trades import csv_import

SHOWN_PROBLEMS = 100


class Command(BaseCommand):
    help = (
        "Import tastytrade transaction-history CSV exports (legacy, 2024 or 2025 format) into a user's account. "
        "Each file lands whole or not at all; rows already in the ledger are skipped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, help="the user's email address")
        parser.add_argument("--account", required=True, help="the tastytrade account number, e.g. 5WT00001")
        parser.add_argument("files", nargs="+", metavar="FILE", help="CSV files exported from tastytrade")
        parser.add_argument(
            "--skip-bad-rows", action="store_true", help="import a file's good rows even if some rows are bad"
        )
        parser.add_argument("--dry-run", action="store_true", help="show what would be imported, write nothing")

    def handle(self, *args, **options) -> None:
        try:
            user = User.objects.get_by_natural_key(options["user"])
        except User.DoesNotExist:
            raise CommandError(f"No user with the email address {options['user']}.") from None
        files = [self._read(name) for name in options["files"]]
        run = csv_import.preview if options["dry_run"] else csv_import.import_csv_files
        report = run(
            user=user,
            account_number=options["account"].strip().upper(),
            files=files,
            skip_bad_rows=options["skip_bad_rows"],
        )
        self._print(report)
        if report.refused_files:
            raise CommandError(f"{len(report.refused_files)} of {len(report.files)} files were not imported.")

    def _read(self, name: str) -> csv_import.CsvFile:
        path = Path(name)
        try:
            return csv_import.CsvFile(name=path.name, content=path.read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror or exc}.") from None

    def _print(self, report: csv_import.ImportReport) -> None:
        verb = "Would import" if not report.committed else "Imported"
        created = "" if report.account_exists else " (a new CSV-only account)"
        self.stdout.write(f"{verb} into account {report.account_number}{created}:")
        for file in report.files:
            self.stdout.write(
                f"  {file.name}: {file.format_name}, {file.rows} rows: {file.new} new, "
                f"{file.already_present} already present, {file.rejected} rejected"
            )
            if file.refused:
                self.stderr.write(f"    NOT IMPORTED: {file.refused}")
            for note in file.notes:
                self.stdout.write(f"    Note: {note}")
            if not file.refused:
                for line in file.present_lines:
                    self.stdout.write(f"    Already present: {line}")
            for kind, problems in (("Bad row", file.problems), ("Data issue", file.data_issues)):
                for problem in problems[:SHOWN_PROBLEMS]:
                    where = f"line {problem.line}" + (f", {problem.column}" if problem.column else "")
                    self.stdout.write(f"    {kind}, {where}: {problem.value!r} {problem.message}")
                if len(problems) > SHOWN_PROBLEMS:
                    self.stdout.write(f"    … and {len(problems) - SHOWN_PROBLEMS} more")
        style = self.style.WARNING if report.refused_files else self.style.SUCCESS
        self.stdout.write(
            style(f"Total: {report.new} new, {report.already_present} already present, {report.rejected} rejected.")
        )
