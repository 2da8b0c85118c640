"""python manage.py import_tastytrade_csv --user EMAIL --account NUMBER FILE [FILE ...]"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.trades.models import BrokerAccount, Transaction

SAMPLES = Path(__file__).parent / "csv_samples"


def import_csv(*names: str, user_email="alice@example.com", account="5WT00001", **options) -> str:
    out = StringIO()
    files = [str(SAMPLES / name) for name in names]
    call_command("import_tastytrade_csv", "--user", user_email, "--account", account, *files, stdout=out, **options)
    return out.getvalue()


def test_the_command_imports_files_into_the_users_account(user):
    import_csv("v2_2024.csv", "v2_2024_overlap.csv")
    account = BrokerAccount.objects.get(user=user, account_number="5WT00001")
    assert (account.connection, account.transactions.count()) == (None, 13)


def test_the_command_prints_new_already_present_and_rejected_counts(user):
    import_csv("v2_2024.csv")
    output = import_csv("v2_2024_overlap.csv")
    assert "v2_2024_overlap.csv: 2024 export (20 columns), 6 rows: 2 new, 4 already present, 0 rejected" in output
    assert "Total: 2 new, 4 already present, 0 rejected." in output


def test_the_command_says_why_rows_are_already_present(user):
    import_csv("v2_2024.csv")
    assert "Already present: 4 were imported before from identical rows" in import_csv("v2_2024_overlap.csv")


def test_the_command_finds_the_user_by_email_in_any_case(user):
    import_csv("v3_2026.csv", user_email="Alice@Example.COM")
    assert Transaction.objects.for_user(user).count() == 12


def test_the_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match=r"No user with the email address nobody@example\.com"):
        import_csv("v3_2026.csv", user_email="nobody@example.com")


def test_the_command_names_a_file_it_cannot_read(user):
    with pytest.raises(CommandError, match=r"Cannot read .*missing\.csv"):
        import_csv("v3_2026.csv", "missing.csv")
    assert Transaction.objects.count() == 0


def test_the_command_fails_when_a_file_is_not_imported_and_writes_nothing_from_it(user):
    with pytest.raises(CommandError, match="1 of 2 files were not imported"):
        import_csv("v3_bad_rows.csv", "v3_2026.csv")
    assert Transaction.objects.for_user(user).count() == 12


def test_the_command_reports_bad_rows_with_line_column_and_value(user):
    output = import_csv("v3_bad_rows.csv", skip_bad_rows=True)
    assert "Bad row, line 3, Date: 'yesterday' not a date and time" in output


def test_the_skip_bad_rows_flag_imports_the_good_rows(user):
    import_csv("v3_bad_rows.csv", skip_bad_rows=True)
    assert Transaction.objects.for_user(user).count() == 3


def test_the_command_refuses_a_file_in_no_known_format_naming_its_columns(user):
    err = StringIO()
    with pytest.raises(CommandError):
        import_csv("tax_center_ytd.csv", stderr=err)
    assert "found 12 columns: ACCOUNT_NR" in err.getvalue()


def test_a_dry_run_writes_nothing(user):
    output = import_csv("v3_2026.csv", dry_run=True)
    assert output.startswith("Would import into account 5WT00001 (a new CSV-only account):")
    assert (Transaction.objects.count(), BrokerAccount.objects.count()) == (0, 0)
