"""The CSV importer: the three header versions, every export quirk, dedup and all-or-nothing files."""

import gzip
import hashlib
import json
import pickle
import zlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError

from apps.trades import bulk, csv_import, lots
from apps.trades.csv_import import CsvFile, account_number_from_file_name, import_csv_files, preview
from apps.trades.models import BrokerAccount, DataIssue, PnlEvent, Transaction
from apps.trades.tests.factories import TransactionFactory

SAMPLES = Path(__file__).parent / "csv_samples"
V3_HEADER = (
    "Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,Fees,"
    "Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #,Total,Currency"
)
ACCOUNT = "5WT00001"


NEW_YORK = ZoneInfo("America/New_York")


def sample(name: str) -> CsvFile:
    return CsvFile(name=name, content=(SAMPLES / name).read_bytes())


def v3(*rows: str, name: str = "made.csv") -> CsvFile:
    return CsvFile(name=name, content="\n".join([V3_HEADER, *rows]).encode())


def run(user, *files: CsvFile, **options):
    return import_csv_files(user=user, account_number=ACCOUNT, files=list(files), **options)


def ledger(user):
    return Transaction.objects.for_user(user)


def row(user, **lookup) -> Transaction:
    return ledger(user).get(**lookup)


# -- header versions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "rows"), [("legacy_2021.csv", "legacy", 7), ("v2_2024.csv", "v2", 11), ("v3_2026.csv", "v3", 12)]
)
def test_it_detects_each_header_version_and_imports_every_row(user, name, fmt, rows):
    report = run(user, sample(name))
    assert (report.files[0].format, report.new, ledger(user).count()) == (fmt, rows, rows)


def test_a_file_in_no_known_format_is_refused_naming_the_columns_found(user):
    report = run(user, sample("tax_center_ytd.csv"))
    refused = report.files[0].refused
    assert "found 12 columns: ACCOUNT_NR, SEC_TYPE" in refused and "GAIN_LOSS" in refused
    assert ledger(user).count() == 0


def test_a_file_that_is_not_utf8_text_is_refused(user):
    report = run(user, CsvFile(name="photo.jpg", content=b"\xff\xd8\xff\xe0 JFIF"))
    assert report.files[0].refused.startswith("This file is not a TastyTrade export: TastyTrade exports are CSV text")


def test_a_file_in_no_known_format_is_told_it_is_not_a_tastytrade_export(user):
    report = run(user, sample("tax_center_ytd.csv"))
    assert report.files[0].refused.startswith("This file is not a TastyTrade export:")


def test_a_file_that_turns_unreadable_part_way_is_refused_naming_the_line(user):
    lines = (SAMPLES / "v3_2026.csv").read_bytes().splitlines()
    content = b"\n".join([*lines[:3], lines[3] + b"\xff", *lines[4:]])
    report = run(user, CsvFile(name="broken.csv", content=content))
    assert report.files[0].refused == (
        "This file is not a TastyTrade export: TastyTrade exports are CSV text, and this file is not text "
        "(an unreadable byte on line 4)."
    )
    assert ledger(user).count() == 0


def test_old_mac_line_ends_are_accepted(user):
    content = (SAMPLES / "v3_2026.csv").read_bytes().replace(b"\n", b"\r")
    assert run(user, CsvFile(name="mac.csv", content=content)).new == 12


def test_a_stored_upload_reads_the_same_compressed_as_plain(user):
    plain = (SAMPLES / "v3_2026.csv").read_bytes()
    stored = csv_import.stored_file("v3_2026.csv", csv_import.compress([plain[:100], plain[100:]]))
    assert stored.compressed and run(user, stored).new == 12


def test_an_empty_file_is_refused(user):
    assert run(user, CsvFile(name="empty.csv", content=b"\n\n")).files[0].refused == "The file is empty."


def test_a_byte_order_mark_and_crlf_line_ends_are_accepted(user):
    content = b"\xef\xbb\xbf" + (SAMPLES / "v3_2026.csv").read_bytes().replace(b"\n", b"\r\n")
    assert run(user, CsvFile(name="excel.csv", content=content)).new == 12


def test_a_header_only_file_imports_nothing_and_creates_no_account(user):
    report = run(user, v3())
    assert (report.files[0].refused, report.new, BrokerAccount.objects.count()) == ("", 0, 0)


# -- mapping ---------------------------------------------------------------------------------


def test_an_option_trade_maps_onto_the_same_fields_as_the_api_sync(user):
    run(user, sample("v3_2026.csv"))
    fill = row(user, order_id=451000001)
    assert (fill.source, fill.tastytrade_id, fill.transaction_type, fill.transaction_sub_type, fill.action) == (
        "csv",
        None,
        "Trade",
        "Buy to Close",
        "Buy to Close",
    )
    assert (fill.symbol, fill.underlying_symbol, fill.instrument_type) == (
        "XLF   260417C00052000",
        "XLF",
        "Equity Option",
    )
    assert (fill.quantity, fill.price, fill.value, fill.commission, fill.fees, fill.net_value) == (
        Decimal(2),
        Decimal("0.41"),
        Decimal("-82.00"),
        Decimal(0),
        Decimal("-0.25"),
        Decimal("-82.25"),
    )
    assert (fill.expires_on, fill.strike, fill.option_type, fill.multiplier) == (date(2026, 4, 17), 52, "C", 100)


def test_timestamps_use_their_own_offset_and_are_stored_in_utc(user):
    run(user, sample("v3_2026.csv"))
    assert row(user, order_id=451000001).executed_at == datetime(2026, 4, 2, 13, 46, 35, tzinfo=UTC)


def test_the_trading_date_is_the_new_york_date_of_the_execution(user):
    run(user, v3("2026-04-02T23:30:00-0400,Money Movement,Deposit,,,,ACH DEPOSIT,10.00,0,,--,0.00,,,,,,,,10.00,USD"))
    deposit = row(user, description="ACH DEPOSIT")
    assert (deposit.executed_at.date(), deposit.transaction_date) == (date(2026, 4, 3), date(2026, 4, 2))


def test_commissions_and_fees_are_split_as_the_export_gives_them(user):
    run(user, sample("v2_2024.csv"))
    fill = row(user, order_id=337454037)
    assert (fill.commission, fill.other_charge, fill.net_value) == (
        Decimal("-1.00"),
        Decimal("-0.15"),
        Decimal("368.85"),
    )


def test_a_v2_net_value_is_value_plus_commissions_plus_fees(user):
    run(user, sample("v2_2024.csv"))
    assert row(user, order_id=336999001).net_value == Decimal("203.86")


def test_a_future_gets_its_product_as_underlying_and_no_guessed_multiplier(user):
    run(user, sample("v3_2026.csv"))
    future = row(user, symbol="/CLJ6")
    assert (future.underlying_symbol, future.multiplier, future.price, future.value) == (
        "/CL",
        None,
        Decimal("79.53"),
        Decimal("-160.00"),
    )


def test_a_future_option_takes_its_multiplier_from_the_cash_not_the_multiplier_column(user):
    run(user, sample("v3_2026.csv"))
    option = row(user, instrument_type="Future Option")
    assert (option.multiplier, option.price, option.expires_on, option.strike, option.option_type) == (
        5,
        Decimal("22.0"),
        date(2026, 5, 29),
        5800,
        "P",
    )


def test_a_future_option_is_booked_under_its_futures_family(user):
    run(user, sample("v3_2026.csv"))
    option = row(user, instrument_type="Future Option")
    assert (option.symbol, option.underlying_symbol, option.raw["row"]["Underlying Symbol"]) == (
        "./MESM6 EXK6 260529P5800",
        "/MES",
        "/MESM6",
    )


def test_the_original_row_is_kept_in_raw(user):
    run(user, sample("v3_2026.csv"))
    raw = row(user, order_id=451000001).raw
    assert (raw["csv_format"], raw["row"]["Total"]) == ("v3", "-82.25")


# -- quirks (issue item 4) -------------------------------------------------------------------


def test_an_expiration_row_keeps_its_empty_action(user):
    run(user, sample("v3_2026.csv"))
    assert row(user, transaction_sub_type="Expiration").action == ""


def test_an_assignment_removal_row_keeps_its_empty_action(user):
    run(user, sample("v3_2026.csv"))
    assert row(user, transaction_sub_type="Assignment").action == ""


def test_a_legacy_expiration_row_keeps_its_empty_action(user):
    run(user, sample("legacy_2021.csv"))
    assert row(user, transaction_sub_type="Expiration").action == ""


def test_the_expiration_comes_from_the_option_symbol_not_the_expiration_date_column(user):
    run(user, sample("v3_2026.csv"))  # the Expiration Date column says 3/19/26 for XLF 260320
    assert row(user, transaction_sub_type="Expiration").expires_on == date(2026, 3, 20)


def test_a_v2_expiration_date_column_a_day_late_is_ignored_too(user):
    run(user, sample("v2_2024.csv"))  # the column says 6/22/24 for CLNE 240621
    assert row(user, transaction_sub_type="Expiration").expires_on == date(2024, 6, 21)


def test_an_option_symbol_that_does_not_parse_rejects_the_row(user):
    bad = (
        "2026-04-02T06:46:35-0700,Trade,Buy to Close,BUY_TO_CLOSE,XLF CALL,Equity Option,x,"
        "-82.00,2,,0,0,100,,,,,,1,-82.00,USD"
    )
    problem = run(user, v3(bad)).files[0].problems[0]
    assert (problem.line, problem.column, problem.value) == (2, "Symbol", "XLF CALL")


def test_interest_booked_as_a_deposit_becomes_credit_interest(user):
    run(user, sample("v2_2024.csv"))
    assert row(user, description="INTEREST ON CREDIT BALANCE").transaction_sub_type == "Credit Interest"


def test_margin_interest_booked_as_a_withdrawal_becomes_debit_interest(user):
    run(user, sample("v2_2024.csv"))
    assert row(user, description="FROM 03/16 THRU 04/15 @ 8 %").transaction_sub_type == "Debit Interest"


def test_a_wire_received_booked_as_a_withdrawal_becomes_a_deposit_by_its_sign(user):
    run(user, sample("v2_2024.csv"))
    wire = row(user, description="Wire Funds Received", value=Decimal("1234.50"))
    assert wire.transaction_sub_type == "Deposit"


def test_a_fund_dividend_booked_as_a_deposit_becomes_a_dividend(user):
    run(user, sample("v2_2024.csv"))
    assert row(user, symbol="ICSH").transaction_sub_type == "Dividend"


def test_real_deposits_and_withdrawals_stay_as_they_are(user):
    run(user, sample("v2_2024.csv"))
    kept = {(t.description, t.transaction_sub_type) for t in ledger(user).filter(description__contains="WIRE")}
    assert ("WIRE TRANSFER", "Withdrawal") in kept


def test_a_reclassified_row_is_reported_and_keeps_its_original_sub_type_in_raw(user):
    report = run(user, sample("v2_2024.csv"))
    issue = next(i for i in report.files[0].data_issues if i.line == 7)
    assert (issue.column, issue.value, issue.message.startswith("booked as Credit Interest")) == (
        "Sub Type",
        "Deposit",
        True,
    )
    assert row(user, description="INTEREST ON CREDIT BALANCE").raw["row"]["Sub Type"] == "Deposit"


def test_legacy_mislabelled_money_movements_are_reclassified(user):
    run(user, sample("legacy_2021.csv"))
    sub_types = dict(
        ledger(user).filter(transaction_type="Money Movement").values_list("description", "transaction_sub_type")
    )
    assert sub_types == {
        "FROM 03/16 THRU 04/15 @ 8 %": "Debit Interest",
        "Wire Funds Received a/o 2/18": "Deposit",
        "INTEREST ON CREDIT BALANCE": "Credit Interest",
        "ACH DEPOSIT": "Deposit",
    }


def test_legacy_positive_three_decimal_fees_are_stored_as_negative_charges(user):
    run(user, sample("legacy_2021.csv"))
    sale = row(user, transaction_sub_type="Sell to Open")
    assert (sale.other_charge, sale.commission, sale.fees) == (Decimal("-1.142"), Decimal(0), Decimal("-1.142"))


def test_legacy_net_value_is_amount_minus_fees(user):
    run(user, sample("legacy_2021.csv"))
    assert row(user, transaction_sub_type="Sell to Open").net_value == Decimal("93.858")


def test_a_legacy_option_gets_its_occ_symbol_built_from_its_columns(user):
    run(user, sample("legacy_2021.csv"))
    sale = row(user, transaction_sub_type="Sell to Open")
    assert (sale.symbol, sale.underlying_symbol, sale.instrument_type, sale.action, sale.price, sale.multiplier) == (
        "CLNE  210618C00014000",
        "CLNE",
        "Equity Option",
        "Sell to Open",
        Decimal("0.95"),
        100,
    )


def test_legacy_times_are_read_in_the_users_time_zone_and_the_report_says_so(user):
    user.time_zone = "Europe/Berlin"
    user.save()
    report = run(user, sample("legacy_2021.csv"))
    assert row(user, symbol="AAPL").executed_at == datetime(2021, 3, 2, 9, 30, tzinfo=UTC)
    assert "Europe/Berlin" in report.files[0].notes[0]


def test_double_dash_means_zero(user):
    run(user, sample("v3_2026.csv"))
    assert row(user, transaction_sub_type="Dividend").commission == 0


def test_thousands_separators_are_read(user):
    run(user, sample("v3_2026.csv"))
    assignment_stock = row(user, transaction_type="Receive Deliver", symbol="KO")
    assert (assignment_stock.value, assignment_stock.net_value) == (Decimal("-14000.00"), Decimal("-14005.00"))


def test_misplaced_thousands_separators_reject_the_row(user):
    report = run(user, sample("v3_bad_rows.csv"), skip_bad_rows=True)
    assert ("Value", "-2,15,0.00") in {(p.column, p.value) for p in report.files[0].problems}


def test_rows_newest_first_are_all_imported_at_their_own_times(user):
    run(user, sample("v3_2026.csv"))
    times = list(ledger(user).order_by("executed_at").values_list("executed_at", flat=True))
    assert (times[0], times[-1]) == (
        datetime(2026, 3, 3, 15, 5, 16, tzinfo=UTC),
        datetime(2026, 4, 2, 13, 46, 35, tzinfo=UTC),
    )


def test_a_total_off_by_a_cent_is_kept_as_the_broker_wrote_it(user):
    run(user, sample("v3_2026.csv"))
    assert row(user, order_id=448000004).net_value == Decimal("643.75")  # 646.00 - 2.00 - 0.26 = 643.74


def test_a_total_off_by_a_cent_is_reported_as_a_data_issue(user):
    report = run(user, sample("v3_2026.csv"))
    [issue] = report.files[0].data_issues
    assert (issue.line, issue.column, issue.value, "643.74" in issue.message) == (11, "Total", "643.75", True)


# -- dedup (issue item 5) ----------------------------------------------------------------------


def test_importing_the_same_file_twice_adds_nothing(user):
    run(user, sample("v3_2026.csv"))
    again = run(user, sample("v3_2026.csv"))
    assert (again.new, again.already_present, ledger(user).count()) == (0, 12, 12)


def test_the_same_file_twice_in_one_import_adds_it_once(user):
    report = run(user, sample("v3_2026.csv"), sample("v3_2026.csv"))
    assert (report.new, report.already_present, ledger(user).count()) == (12, 12, 12)


def test_overlapping_files_add_only_the_rows_not_seen_before(user):
    run(user, sample("v2_2024.csv"))
    report = run(user, sample("v2_2024_overlap.csv"))
    assert (report.new, report.already_present, ledger(user).count()) == (2, 4, 13)


def test_overlap_is_recognised_although_the_files_were_exported_in_different_time_zones(user):
    run(user, sample("v2_2024.csv"))  # +0200 (Germany); the overlap file was exported at -0700
    run(user, sample("v2_2024_overlap.csv"))
    assert ledger(user).filter(order_id=337454037).count() == 1


def test_a_2025_export_of_rows_already_imported_from_a_2024_export_adds_nothing(user):
    run(user, sample("v2_2024.csv"))
    v2_row = (SAMPLES / "v2_2024.csv").read_text().splitlines()[1]
    as_v3 = v2_row.removesuffix(",USD") + ",368.85,USD"
    assert run(user, v3(as_v3)).already_present == 1


def test_identical_rows_inside_one_file_are_separate_fills_and_all_kept(user):
    run(user, sample("v3_2026.csv"))
    assert ledger(user).filter(order_id=449000003).count() == 2


def test_identical_rows_keep_their_count_when_the_file_is_imported_again(user):
    run(user, sample("v3_2026.csv"))
    run(user, sample("v3_2026.csv"))
    assert ledger(user).filter(order_id=449000003).count() == 2


def api_row(account, **fields) -> Transaction:
    defaults = {
        "source": Transaction.Source.API,
        "tastytrade_id": 3100000001,
        "transaction_type": "Trade",
        "transaction_sub_type": "Buy to Close",
        "action": "Buy to Close",
        "symbol": "XLF   260417C00052000",
        "instrument_type": "Equity Option",
        "quantity": Decimal("2.0"),
        "value": Decimal("-82.0"),
        "clearing_fees": Decimal("-0.10"),
        "regulatory_fees": Decimal("-0.15"),
        "net_value": Decimal("-82.25"),
        "executed_at": datetime(2026, 4, 2, 13, 46, 35, 412000, tzinfo=UTC),
        "transaction_date": date(2026, 4, 2),
    }
    return Transaction.objects.create(account=account, **(defaults | fields))


def test_a_row_already_synced_from_the_api_is_not_duplicated(user):
    api_row(BrokerAccount.objects.create(user=user, account_number=ACCOUNT))
    report = run(user, sample("v3_2026.csv"))
    assert (report.new, report.already_present, ledger(user).filter(order_id=451000001).count()) == (11, 1, 0)


def test_an_api_row_whose_fees_the_export_rounded_to_the_cent_is_the_same_fill(user):
    # The API gives 0.255 in fees; the export says -0.25.
    api_row(BrokerAccount.objects.create(user=user, account_number=ACCOUNT), regulatory_fees=Decimal("-0.155"))
    report = run(user, sample("v3_2026.csv"))
    assert (report.new, report.already_present) == (11, 1)


def test_an_api_row_with_other_charges_does_not_hide_a_csv_row(user):
    api_row(BrokerAccount.objects.create(user=user, account_number=ACCOUNT), commission=Decimal("-1.00"))
    assert run(user, sample("v3_2026.csv")).new == 12


def test_an_api_row_in_another_minute_does_not_hide_a_csv_row(user):
    api_row(
        BrokerAccount.objects.create(user=user, account_number=ACCOUNT),
        executed_at=datetime(2026, 4, 2, 13, 47, 35, tzinfo=UTC),
    )
    assert run(user, sample("v3_2026.csv")).new == 12


def test_an_api_row_with_another_action_does_not_hide_a_csv_row(user):
    api_row(BrokerAccount.objects.create(user=user, account_number=ACCOUNT), action="Sell to Close")
    assert run(user, sample("v3_2026.csv")).new == 12


def test_an_api_row_in_another_users_account_does_not_hide_a_csv_row(user, other_user):
    api_row(BrokerAccount.objects.create(user=other_user, account_number=ACCOUNT))
    assert run(user, sample("v3_2026.csv")).new == 12


def test_two_identical_csv_fills_over_one_api_fill_add_the_other_one(user):
    account = BrokerAccount.objects.create(user=user, account_number=ACCOUNT)
    api_row(
        account,
        transaction_sub_type="Sell to Open",
        action="Sell to Open",
        symbol="KO    260320P00070000",
        quantity=Decimal(1),
        value=Decimal(105),
        commission=Decimal("-1.00"),
        clearing_fees=Decimal("-0.10"),
        regulatory_fees=Decimal("-0.03"),
        executed_at=datetime(2026, 3, 10, 14, 31, 2, 120000, tzinfo=UTC),
    )
    run(user, sample("v3_2026.csv"))
    assert account.transactions.filter(symbol="KO    260320P00070000", action="Sell to Open").count() == 2


def test_a_legacy_row_matches_an_api_row_within_its_minute(user):
    account = BrokerAccount.objects.create(user=user, account_number=ACCOUNT)
    api_row(
        account,
        transaction_sub_type="Buy to Open",
        action="Buy to Open",
        symbol="AAPL",
        instrument_type="Equity",
        quantity=Decimal(10),
        value=Decimal("-1205.00"),
        clearing_fees=Decimal("0"),
        regulatory_fees=Decimal("-0.008"),
        executed_at=datetime(2021, 3, 2, 15, 30, 41, tzinfo=UTC),  # 10:30 AM in New York
    )
    assert run(user, sample("legacy_2021.csv")).already_present == 1


# -- all or nothing (issue item 6) -------------------------------------------------------------


def test_a_file_with_a_bad_row_imports_nothing(user):
    report = run(user, sample("v3_bad_rows.csv"))
    assert (report.files[0].refused != "", report.new, report.rejected, ledger(user).count()) == (True, 0, 5, 0)


def test_bad_rows_are_reported_with_line_column_and_value(user):
    report = run(user, sample("v3_bad_rows.csv"))
    assert [(p.line, p.column, p.value) for p in report.files[0].problems] == [
        (3, "Date", "yesterday"),
        (5, "Value", "-2,15,0.00"),
    ]


def test_skipping_bad_rows_imports_the_good_rows_when_asked(user):
    report = run(user, sample("v3_bad_rows.csv"), skip_bad_rows=True)
    assert (report.files[0].refused, report.new, report.rejected, ledger(user).count()) == ("", 3, 2, 3)


def test_a_bad_file_does_not_stop_the_other_files(user):
    report = run(user, sample("v3_bad_rows.csv"), sample("v3_2026.csv"))
    assert ([bool(f.refused) for f in report.files], ledger(user).count()) == ([True, False], 12)


def test_a_row_with_the_wrong_number_of_cells_is_a_bad_row(user):
    problem = run(user, v3("2026-04-02T06:46:35-0700,Trade,Buy")).files[0].problems[0]
    assert (problem.line, problem.value) == (2, "3 cells")


def test_a_quoted_cell_spanning_lines_reports_the_line_its_row_starts_on(user):
    deposit = "2026-04-01T09:00:00-0400,Money Movement,Deposit,,,,ACH DEPOSIT,1.00,0,,--,0.00,,,,,,,,1.00,USD"
    report = run(
        user,
        v3(
            '2026-04-02T09:00:00-0400,Money Movement,Fee,,,,"TWO\nLINES",-1.00,0,,--,0.00,,,,,,,,-1.00,USD',
            deposit.replace("1.00", "x"),
        ),
    )
    assert [p.line for p in report.files[0].problems] == [4, 4]


def test_a_failure_while_writing_rolls_back_the_whole_file(user):
    real_insert_rows = bulk.insert_rows

    def write_some_then_fail(model, fields, rows):
        real_insert_rows(model, fields, list(rows)[:3])
        raise IntegrityError("duplicate key")

    with mock.patch.object(bulk, "insert_rows", side_effect=write_some_then_fail):
        report = run(user, sample("v3_2026.csv"))
    assert (report.files[0].refused.startswith("Another import"), ledger(user).count()) == (True, 0)


def test_a_row_another_import_wrote_meanwhile_refuses_the_file_and_writes_none_of_it(user):
    # The racing import's row has this file's first import key but lies outside its time span, so the check
    # before the write misses it and the database's unique key (COPY on PostgreSQL) refuses the write.
    parsed = csv_import.parse_file(sample("v3_2026.csv"), tz=UTC)
    account = BrokerAccount.objects.create(user=user, account_number=ACCOUNT)
    raced = TransactionFactory(account=account, executed_at=datetime(2001, 1, 2, 15, 0, tzinfo=UTC))
    Transaction.objects.filter(pk=raced.pk).update(import_key=parsed.rows[0].import_key)

    report = run(user, sample("v3_2026.csv"))

    assert (report.files[0].refused.startswith("Another import"), ledger(user).count()) == (True, 1)


# -- accounts and the P&L hook -----------------------------------------------------------------


def test_an_account_number_the_user_does_not_have_creates_a_csv_only_account(user):
    run(user, sample("v3_2026.csv"))
    account = BrokerAccount.objects.get(user=user, account_number=ACCOUNT)
    assert (account.connection, account.transactions.count()) == (None, 12)


def test_an_import_goes_into_the_users_existing_account(user):
    account = BrokerAccount.objects.create(user=user, account_number=ACCOUNT, nickname="Roth")
    report = run(user, sample("v3_2026.csv"))
    assert (report.account_exists, account.transactions.count(), BrokerAccount.objects.count()) == (True, 12, 1)


def test_another_users_account_with_the_same_number_is_never_touched(user, other_user):
    theirs = BrokerAccount.objects.create(user=other_user, account_number=ACCOUNT)
    run(user, sample("v3_2026.csv"))
    assert (theirs.transactions.count(), ledger(user).count()) == (0, 12)


def test_a_refused_file_creates_no_account(user):
    run(user, sample("v3_bad_rows.csv"))
    assert not BrokerAccount.objects.exists()


def test_the_pnl_is_recomputed_after_an_import(user):
    with mock.patch("apps.trades.lots.recompute_account") as recompute:
        run(user, sample("v3_2026.csv"))
    recompute.assert_called_once_with(account=BrokerAccount.objects.get(user=user))


def test_the_pnl_is_not_recomputed_when_nothing_new_arrived(user):
    run(user, sample("v3_2026.csv"))
    with mock.patch("apps.trades.lots.recompute_account") as recompute:
        run(user, sample("v3_2026.csv"))
    recompute.assert_not_called()


# -- preview -----------------------------------------------------------------------------------


def test_preview_writes_nothing(user):
    preview(user=user, account_number=ACCOUNT, files=[sample("v3_2026.csv")])
    assert (Transaction.objects.count(), BrokerAccount.objects.count()) == (0, 0)


def test_preview_counts_new_already_present_and_rejected(user):
    run(user, sample("v2_2024.csv"))
    files = [sample("v2_2024_overlap.csv"), sample("v3_bad_rows.csv")]
    report = preview(user=user, account_number=ACCOUNT, files=files, skip_bad_rows=True)
    assert (report.new, report.already_present, report.rejected, report.committed) == (5, 4, 2, False)


def test_preview_counts_are_what_the_import_then_does(user):
    files = [sample("v2_2024.csv"), sample("v2_2024_overlap.csv"), sample("v3_bad_rows.csv")]
    planned = preview(user=user, account_number=ACCOUNT, files=files)
    done = run(user, *files)
    assert (planned.new, planned.already_present, planned.rejected) == (done.new, done.already_present, done.rejected)


# -- file names --------------------------------------------------------------------------------


def test_the_account_number_is_read_from_tastytrades_file_names():
    name = "tastytrade_transactions_history_x5wt00001_240101_to_241231.csv"
    assert (account_number_from_file_name(name), account_number_from_file_name("history.csv")) == (ACCOUNT, None)


# -- order inside one timestamp ------------------------------------------------------------------

LEGACY_HEADER = (
    "Date/Time,Transaction Code,Transaction Subcode,Symbol,Buy/Sell,Open/Close,Quantity,Expiration Date,Strike,"
    "Call/Put,Price,Fees,Amount,Description,Account Reference"
)


def test_rows_sharing_a_timestamp_are_applied_in_the_order_the_broker_executed_them(user):
    # A day trade inside one minute: the export lists the newest row (the sale) first.
    legacy = "\n".join(
        [
            LEGACY_HEADER,
            "03/02/2021 10:31 AM,Trade,Sell to Close,AAPL,Sell,Close,10,,,,121.00,0.05,1210.00,Sold 10 AAPL @ 121.00,x",
            "03/02/2021 10:31 AM,Trade,Buy to Open,AAPL,Buy,Open,10,,,,120.00,0.00,-1200.00,Bought 10 AAPL @ 120.00,x",
        ]
    )
    run(user, CsvFile("legacy.csv", legacy.encode()))
    [event] = PnlEvent.objects.filter(account__user=user)
    # A long position bought and sold, not a short one sold and bought back.
    assert (event.quantity, event.realized_pnl) == (Decimal(10), Decimal("9.95"))
    assert not DataIssue.objects.filter(account__user=user).exists()


def test_a_squashed_future_option_symbol_is_the_same_contract_the_api_closes(user):
    run(user, sample("v3_2026.csv"))
    account = BrokerAccount.objects.get(user=user)
    api_row(
        account, transaction_sub_type="Buy to Close", action="Buy to Close", symbol="./MESM6 EXK6 260529P5800",
        underlying_symbol="/MESM6", instrument_type="Future Option", quantity=Decimal(2), price=Decimal("10.0"),
        multiplier=Decimal(5), value=Decimal("-100.00"), net_value=Decimal("-100.00"), clearing_fees=Decimal(0),
        regulatory_fees=Decimal(0), executed_at=datetime(2026, 4, 20, 15, 0, tzinfo=UTC),
        transaction_date=date(2026, 4, 20),
    )  # fmt: skip
    lots.recompute_account(account=account)
    [event] = PnlEvent.objects.filter(account=account, symbol="./MESM6 EXK6 260529P5800")
    assert (event.quantity, event.realized_pnl) == (Decimal(-2), Decimal("115.96"))
    assert not DataIssue.objects.filter(account=account, symbol__startswith="./").exists()


# -- read once: what the preview keeps for the import -------------------------------------------


@pytest.mark.parametrize("name", ["v3_2026.csv", "v2_2024.csv", "legacy_2021.csv", "v3_bad_rows.csv"])
def test_a_kept_reading_gives_back_the_same_rows_and_report(name):
    parsed = csv_import.parse_file(sample(name), tz=NEW_YORK)
    kept = csv_import.load_parsed(csv_import.dump_parsed(parsed, tz=NEW_YORK), tz=NEW_YORK)
    assert kept.report == parsed.report
    assert [(r.line, r.fields, r.match_key, r.charges, r.import_key) for r in kept.rows] == [
        (r.line, r.fields, r.match_key, r.charges, r.import_key) for r in parsed.rows
    ]


def test_the_reading_a_preview_keeps_has_the_report_as_read_not_the_previews_counts(user):
    kept: dict[int, csv_import.ParsedFile] = {}
    files = [sample("v3_bad_rows.csv")]
    preview = csv_import.preview(user=user, account_number="5WT00001", files=files, keep_parsed=kept.__setitem__)
    assert preview.files[0].refused  # bad rows, not skipped
    reading = csv_import.load_parsed(csv_import.dump_parsed(kept[0], tz=user.tz), tz=user.tz)
    assert reading.report == csv_import.parse_file(sample("v3_bad_rows.csv"), tz=user.tz).report
    assert (reading.report.refused, reading.report.new) == ("", 0)


def test_a_reading_kept_in_another_time_zone_is_not_used():
    kept = csv_import.dump_parsed(csv_import.parse_file(sample("legacy_2021.csv"), tz=NEW_YORK), tz=NEW_YORK)
    assert csv_import.load_parsed(kept, tz=ZoneInfo("Europe/Berlin")) is None


def exactly(fields: dict) -> dict:
    """Every field as its type and its text: Decimal("1.50") == Decimal("1.5"), but only one is what was read.
    (Text is text: `source` is read as Transaction.Source.CSV, a str, and kept as "csv".)"""
    return {name: (str if isinstance(value, str) else type(value), str(value)) for name, value in fields.items()}


def test_a_kept_reading_gives_back_every_field_exactly_as_read():
    parsed = csv_import.parse_file(sample("v3_2026.csv"), tz=NEW_YORK)
    first, second = parsed.rows[0].fields, parsed.rows[1].fields
    first.update(
        quantity=Decimal("0.00000001"),
        price=Decimal("-12345678.12345678"),
        value=Decimal("1E+2"),
        commission=Decimal("-0.0000"),
        multiplier=None,
        strike=Decimal("2975.50"),
        expires_on=date(2026, 6, 19),
        order_id=2**62 + 1,
        executed_at=datetime(2026, 1, 2, 15, 4, 5, 123456, tzinfo=UTC),
        description="Sold 1 ./ESZ9 EW4U9 190927P2975 @ 1,234.5 — “quoted”, tab\tand\nline",
    )
    second.update(price=None, order_id=None, expires_on=None, strike=None, transaction_date=date(2026, 12, 31))
    kept = csv_import.load_parsed(csv_import.dump_parsed(parsed, tz=NEW_YORK), tz=NEW_YORK)
    assert [exactly(row.fields) for row in kept.rows] == [exactly(row.fields) for row in parsed.rows]


def test_a_kept_reading_of_a_file_with_no_rows_is_an_empty_reading():
    parsed = csv_import.parse_file(v3(), tz=NEW_YORK)
    kept = csv_import.load_parsed(csv_import.dump_parsed(parsed, tz=NEW_YORK), tz=NEW_YORK)
    assert (kept.rows, kept.report) == ([], parsed.report)


def test_a_reading_kept_in_the_older_json_layout_is_read_again():
    older = {"version": 2, "tz": "America/New_York", "report": {}, "lines": [], "columns": {}}
    assert csv_import.load_parsed(gzip.compress(json.dumps(older).encode()), tz=NEW_YORK) is None


def test_a_kept_reading_changed_in_the_database_is_not_loaded():
    kept = csv_import.dump_parsed(csv_import.parse_file(sample("v3_2026.csv"), tz=NEW_YORK), tz=NEW_YORK)
    changed = kept[:-1] + bytes([kept[-1] ^ 1])
    assert csv_import.load_parsed(changed, tz=NEW_YORK) is None


def test_a_kept_reading_with_its_signature_replaced_is_not_loaded():
    kept = csv_import.dump_parsed(csv_import.parse_file(sample("v3_2026.csv"), tz=NEW_YORK), tz=NEW_YORK)
    start = len(csv_import.PARSED_HEADER)
    forged = kept[:start] + hashlib.sha256(kept[start + 32 :]).digest() + kept[start + 32 :]
    assert csv_import.load_parsed(forged, tz=NEW_YORK) is None


def test_a_reading_kept_under_another_secret_key_is_not_loaded(settings):
    kept = csv_import.dump_parsed(csv_import.parse_file(sample("v3_2026.csv"), tz=NEW_YORK), tz=NEW_YORK)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert csv_import.load_parsed(kept, tz=NEW_YORK) is None


def test_a_kept_reading_that_names_a_class_no_longer_there_is_read_again():
    pickled = csv_import.pickle_parsed(csv_import.parse_file(sample("v3_2026.csv"), tz=NEW_YORK), tz=NEW_YORK)
    renamed = pickled.replace(b"FileReport", b"FileRecord")  # as an older deploy may have called it
    assert csv_import.load_parsed(csv_import.seal_parsed(renamed), tz=NEW_YORK) is None


def test_an_upload_whose_kept_reading_is_not_signed_by_us_is_read_again_from_its_file(user):
    # A reading of no rows that, if it were loaded, would import nothing.
    empty = {"tz": str(user.tz), "report": csv_import.FileReport(name="v3_2026.csv", format="v3"), "lines": []}
    empty |= {"columns": {}, "raw_format": "", "raw_columns": [], "raw_cells": []}
    forged = csv_import.PARSED_HEADER + bytes(32) + zlib.compress(pickle.dumps(empty))
    report = run(user, csv_import.stored_file("v3_2026.csv", sample("v3_2026.csv").content, forged))
    assert report.new == len(csv_import.parse_file(sample("v3_2026.csv"), tz=user.tz).rows)


# -- remembered readings: each distinct text is read once, and nothing carries over between rows or users ----


def test_the_same_bad_number_on_two_rows_is_reported_on_each_line():
    trade = (
        "2026-01-05T10:00:00-0500,Trade,Buy to Open,BUY_TO_OPEN,KO,Equity,Bought 1 KO @ 60,{},1,60,0,0,1,,,,,,1,-60,USD"
    )
    report = csv_import.parse_file(v3(trade.format("-6O.00"), trade.format("-6O.00")), tz=NEW_YORK).report
    assert [(p.line, p.column, p.message) for p in report.problems] == [
        (2, "Value", "not a number"),
        (3, "Value", "not a number"),
    ]


def test_a_number_read_before_with_too_many_places_is_refused_again_in_another_column():
    trade = (
        "2026-01-05T10:00:00-0500,Trade,Buy to Open,BUY_TO_OPEN,KO,Equity,"
        "Bought 1 KO @ 60,-60,{},60,0,0,1,,,,,,1,{},USD"
    )
    # 0.00001: fine as a quantity (8 places), too many places for money (4): the places are part of what is read.
    rows = v3(trade.format("0.00001", "-60"), trade.format("1", "0.00001"))
    report = csv_import.parse_file(rows, tz=NEW_YORK).report
    assert [(p.line, p.column, p.message) for p in report.problems] == [(3, "Total", "more than 4 decimal places")]


def test_the_same_legacy_file_read_in_two_time_zones_gives_each_its_own_times():
    in_new_york = csv_import.parse_file(sample("legacy_2021.csv"), tz=NEW_YORK)
    in_berlin = csv_import.parse_file(sample("legacy_2021.csv"), tz=ZoneInfo("Europe/Berlin"))
    apart = {
        a.fields["executed_at"] - b.fields["executed_at"] for a, b in zip(in_new_york.rows, in_berlin.rows, strict=True)
    }
    assert apart == {timedelta(hours=6)}


def test_two_users_importing_the_same_file_get_the_same_rows_each_in_their_own_account(user, other_user):
    run(user, sample("v3_2026.csv"))
    report = run(other_user, sample("v3_2026.csv"))
    fields = ["executed_at", "symbol", "quantity", "value", "net_value", "import_key"]
    assert report.new == 12
    assert list(ledger(other_user).order_by("pk").values_list(*fields)) == list(
        ledger(user).order_by("pk").values_list(*fields)
    )


# -- reading column by column: the same rows as reading row by row -------------------------------------


def read_row_by_row(monkeypatch, csv_file: CsvFile) -> csv_import.ParsedFile:
    """The file as the row reader alone reads it (`_parse_row` for every row), the reference for the columns."""
    with monkeypatch.context() as patched:
        patched.setattr(csv_import, "_read_plain_rows", lambda records, lines, fmt: [None] * len(records))
        return csv_import.parse_file(csv_file, tz=NEW_YORK)


def everything(parsed: csv_import.ParsedFile) -> tuple:
    """The report and every row, each field as its type and its text (Decimal("1.50") is not Decimal("1.5"))."""
    rows = [
        (r.line, exactly(r.fields), r.fields, r.identity, r.match_key, r.charges, r.import_key) for r in parsed.rows
    ]
    return parsed.report, rows


@pytest.mark.parametrize("name", ["v3_2026.csv", "v2_2024.csv", "v2_2024_overlap.csv", "v3_bad_rows.csv"])
def test_reading_column_by_column_gives_what_reading_row_by_row_gives(monkeypatch, name):
    by_column = csv_import.parse_file(sample(name), tz=NEW_YORK)
    assert everything(by_column) == everything(read_row_by_row(monkeypatch, sample(name)))


TRADE = (
    "2026-01-05T10:00:00-0500,Trade,Buy to Open,BUY_TO_OPEN,KO,Equity,Bought 1 KO @ 60,{},1,-60,0,{},,,,,,,{},{},USD"
)


def lines_read_row_by_row(monkeypatch, csv_file: CsvFile) -> list[int]:
    read = csv_import._parse_row
    lines: list[int] = []

    def spy(cells, columns, line, *rest):
        lines.append(line)
        return read(cells, columns, line, *rest)

    monkeypatch.setattr(csv_import, "_parse_row", spy)
    csv_import.parse_file(csv_file, tz=NEW_YORK)
    return lines


def test_only_rows_with_a_problem_or_a_data_issue_are_read_row_by_row(monkeypatch):
    export = v3(
        TRADE.format("-60.00", "0.00", 1, "-60.00"),
        TRADE.format("-6O.00", "0.00", 2, "-60.00"),  # not a number
        TRADE.format("-60.00", "-0.01", 3, "-60.00"),  # Total is not Value + Commissions + Fees
        TRADE.format("-60.00", "0.00", 4, "-60.00") + ",,",  # a trailing comma or two: still plain
    )
    assert lines_read_row_by_row(monkeypatch, export) == [3, 4]


def test_a_row_read_column_by_column_reports_its_problems_as_the_row_reader_does(monkeypatch):
    export = v3(TRADE.format("-60.00", "0.00", 1, "-60.00"), TRADE.format("-6O.00", "x", "1.5", "-60.00\x00"))
    by_column = csv_import.parse_file(export, tz=NEW_YORK)
    assert everything(by_column) == everything(read_row_by_row(monkeypatch, export))


def test_a_zero_charge_is_read_as_zero_column_by_column_as_row_by_row(monkeypatch):
    # `_Cells.amount` reads "0.00" as ZERO (Decimal("0")), which the kept row and its import key carry.
    export = v3(TRADE.format("-60.00", "0.00", 1, "-60.00"), TRADE.format("-60.00", "-0.00", 2, "-60.00"))
    [first, second] = csv_import.parse_file(export, tz=NEW_YORK).rows
    assert (str(first.fields["other_charge"]), str(second.fields["other_charge"])) == ("0", "0")
    assert everything(csv_import.parse_file(export, tz=NEW_YORK)) == everything(read_row_by_row(monkeypatch, export))


def test_a_malformed_line_still_reports_the_bad_rows_before_it(monkeypatch):
    too_long = "x" * 200_000  # past the csv module's field limit: csv.Error
    export = v3(TRADE.format("-6O.00", "0.00", 1, "-60.00"), too_long, TRADE.format("-60.00", "0.00", 2, "-60.00"))
    report = csv_import.parse_file(export, tz=NEW_YORK).report
    assert report.refused.startswith("Line 3: the CSV is malformed")
    assert (report.rows, [(p.line, p.column) for p in report.problems]) == (1, [(2, "Value")])


# -- reading a file at once: the same rows and report as reading it line by line ----------------------


def made(*lines: str, end: str = "\n") -> bytes:
    rows = [TRADE.format("-60.00", "0.00", n, "-60.00") if line == "trade" else line for n, line in enumerate(lines)]
    return end.join([V3_HEADER, *rows]).encode()


READ_AT_ONCE = {
    "blank lines and lines of spaces": made("", "trade", "   ", "trade", ", ,", "trade"),
    "Windows line ends and a byte order mark": b"\xef\xbb\xbf" + made("trade", "trade", end="\r\n"),
    "old Mac line ends": made("trade", "trade", "trade", end="\r"),
    "a bad row between good ones": made("trade", TRADE.format("-6O.00", "0.00", 9, "-60.00"), "trade"),
    "no rows after the header": made(""),
}
READ_LINE_BY_LINE = {
    "a description over two lines": made("trade", TRADE.replace("Bought 1 KO @ 60", '"Bought 1 KO\n@ 60"'), "trade"),
    "a byte that is not UTF-8": made("trade", "trade").replace(b"Bought", b"Bo\xffght", 1),
    "a line the csv module cannot read": made("trade", "x" * 200_000, "trade"),
}


def read_at_once_and_line_by_line(monkeypatch, content: bytes) -> tuple[tuple, tuple, list[bool]]:
    read_at_once = csv_import._read_rows_at_once
    calls: list[bool] = []

    def spy(*args) -> bool:
        calls.append(read_at_once(*args))
        return calls[-1]

    with monkeypatch.context() as patched:
        patched.setattr(csv_import, "_read_rows_at_once", spy)
        at_once = everything(csv_import.parse_file(CsvFile(name="made.csv", content=content), tz=NEW_YORK))
    with monkeypatch.context() as patched:
        patched.setattr(csv_import, "_read_rows_at_once", lambda *args: False)
        line_by_line = everything(csv_import.parse_file(CsvFile(name="made.csv", content=content), tz=NEW_YORK))
    return at_once, line_by_line, calls


@pytest.mark.parametrize("content", READ_AT_ONCE.values(), ids=READ_AT_ONCE.keys())
def test_a_file_of_one_line_a_record_is_read_at_once_into_what_reading_it_line_by_line_gives(monkeypatch, content):
    at_once, line_by_line, calls = read_at_once_and_line_by_line(monkeypatch, content)
    assert (at_once, calls) == (line_by_line, [True])


@pytest.mark.parametrize("content", READ_LINE_BY_LINE.values(), ids=READ_LINE_BY_LINE.keys())
def test_a_file_with_a_record_over_several_lines_or_an_unreadable_line_is_read_line_by_line(monkeypatch, content):
    at_once, line_by_line, calls = read_at_once_and_line_by_line(monkeypatch, content)
    assert (at_once, calls) == (line_by_line, [False])


def test_the_rows_after_a_blank_line_keep_their_line_numbers():
    parsed = csv_import.parse_file(CsvFile(name="made.csv", content=made("trade", "", "trade")), tz=NEW_YORK)
    assert [row.line for row in parsed.rows] == [2, 4]


def test_a_file_with_an_unknown_header_and_a_line_the_csv_module_cannot_read_is_refused_as_not_an_export():
    content = b"a,b,c\n1,2,3\n" + b"x" * 200_000 + b"\n4,5,6\n"
    report = csv_import.parse_file(CsvFile(name="made.csv", content=content), tz=NEW_YORK).report
    assert report.refused.startswith("This file is not a TastyTrade export") and "found 3 columns" in report.refused
