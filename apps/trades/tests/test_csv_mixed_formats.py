"""One account's history in every export format and through the API sync: each fill lands once.

The exports are written by `exports.export` from the simulator's own rows, so the three files and
the sync describe exactly the same fills (item 1 of the ledger-fidelity issue).
"""

from datetime import UTC, date, datetime, time
from itertools import permutations

import pytest
import time_machine

from apps.tastytrade_sync.models import SyncRun
from apps.tastytrade_sync.sync import sync_connection
from apps.tastytrade_sync.tests.factories import ConnectionFactory
from apps.tastytrade_sync.tests.test_sync import client_for
from apps.trades.csv_import import HEADERS, LEGACY, V2, V3, CsvFile, import_csv_files, preview
from apps.trades.models import Transaction
from apps.trades.pnl import pnl_report
from apps.trades.tests.exports import export
from apps.trades.tests.factories import UserFactory
from simulator import Scenario, Simulator

pytestmark = pytest.mark.django_db

SCENARIO = Scenario(seed=3, accounts=1, start=date(2024, 3, 1), days=45)
FORMATS = (LEGACY, V2, V3)
GROUPINGS = ("underlying", "month", "instrument-type")


@pytest.fixture(scope="module")
def simulator() -> Simulator:
    return Simulator(SCENARIO)


@pytest.fixture(scope="module")
def files(simulator) -> dict[str, CsvFile]:
    items = [row.to_api() for row in simulator.transactions(simulator.account_numbers[0])]
    # Legacy times are local with no offset: exported where the trader is (New York, the default).
    return {
        LEGACY: export(items, LEGACY, tz="America/New_York"),
        V2: export(items, V2, tz="Europe/Berlin"),
        V3: export(items, V3, tz="America/Los_Angeles"),
    }


def new_user():
    user = UserFactory()
    assert user.time_zone == "America/New_York"
    return user


def import_files(user, number: str, files: list[CsvFile]):
    return [import_csv_files(user=user, account_number=number, files=[csv_file]) for csv_file in files]


def sync(user, simulator) -> None:
    connection = ConnectionFactory(user=user, credentials=(simulator.client_secret, simulator.refresh_token))
    with time_machine.travel(datetime.combine(simulator.today, time(22, 30), tzinfo=UTC), tick=True):
        sync_connection(connection=connection, trigger=SyncRun.Trigger.MANUAL, client=client_for(simulator))


def reports(user) -> list[dict]:
    return [pnl_report(user=user, by=by) for by in GROUPINGS]


def rows(user) -> int:
    return Transaction.objects.filter(account__user=user).count()


def ledger(user) -> list[tuple]:
    """Each stored row by what every source agrees on: the minute, type, symbol, side and amounts."""
    found = Transaction.objects.filter(account__user=user).values_list(
        "executed_at", "transaction_type", "transaction_sub_type", "symbol", "underlying_symbol", "quantity", "value",
        "net_value",
    )  # fmt: skip
    return sorted((at.replace(second=0, microsecond=0), *rest) for at, *rest in found)


@pytest.mark.parametrize("order", list(permutations(FORMATS)), ids="-".join)
def test_importing_all_three_formats_in_any_order_adds_each_fill_once(simulator, files, order):
    alone, mixed = new_user(), new_user()
    number = simulator.account_numbers[0]
    import_files(alone, number, [files[order[0]]])
    results = import_files(mixed, number, [files[fmt] for fmt in order])
    assert [result.new for result in results] == [len(simulator.transactions(number)), 0, 0]
    assert rows(mixed) == rows(alone) == len(simulator.transactions(number))
    assert ledger(mixed) == ledger(alone)
    assert reports(mixed) == reports(alone)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_sync_after_an_import_of_any_format_takes_the_rows_over(simulator, files, fmt):
    synced, mixed = new_user(), new_user()
    sync(synced, simulator)
    import_files(mixed, simulator.account_numbers[0], [files[fmt]])
    sync(mixed, simulator)
    assert rows(mixed) == rows(synced)
    assert not Transaction.objects.filter(account__user=mixed, tastytrade_id=None).exists()
    assert ledger(mixed) == ledger(synced)
    assert reports(mixed) == reports(synced)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_import_of_any_format_after_a_sync_adds_nothing(simulator, files, fmt):
    user = new_user()
    sync(user, simulator)
    before = reports(user)
    [result] = import_files(user, simulator.account_numbers[0], [files[fmt]])
    assert (result.new, result.already_present) == (0, rows(user))
    assert reports(user) == before


def test_all_three_formats_and_a_sync_give_the_ledger_of_the_sync_alone(simulator, files):
    synced, mixed = new_user(), new_user()
    sync(synced, simulator)
    import_files(mixed, simulator.account_numbers[0], [files[LEGACY], files[V3], files[V2]])
    sync(mixed, simulator)
    import_files(mixed, simulator.account_numbers[0], [files[V2], files[LEGACY]])
    assert rows(mixed) == rows(synced)
    assert ledger(mixed) == ledger(synced)
    assert reports(mixed) == reports(synced)


def test_the_preview_says_why_rows_are_already_present(simulator, files):
    user = new_user()
    number = simulator.account_numbers[0]
    import_files(user, number, [files[LEGACY]])
    report = preview(user=user, account_number=number, files=[files[V3], files[LEGACY]])
    total = len(simulator.transactions(number))
    assert [file.already_present for file in report.files] == [total, total]
    v3_lines, legacy_lines = (file.present_lines for file in report.files)
    # Rows at a whole minute (expirations, cash movements) read the same in both formats.
    assert [line.split(" ", 1)[1] for line in v3_lines] == [
        "were imported before from the legacy tastyworks export (15 columns) "
        "(same minute, symbol, side, quantity, value and fees)",
        "were imported before from identical rows",
    ]
    assert legacy_lines == [f"{total} were imported before from identical rows"]


# Two identical fills in one minute, as the legacy export and the 2025 export show them.
LEGACY_HEADER = ",".join(HEADERS[LEGACY])
V3_HEADER = ",".join(HEADERS[V3])
LEGACY_FILL = (
    "03/04/2024 10:15 AM,Trade,Sell to Open,KO,Sell,Open,1,03/15/2024,60,P,1.05,1.13,105.00,"
    "Sold 1 KO 03/15/24 Put 60.00 @ 1.05,Individual...48"
)
V3_FILLS = [
    f"2024-03-04T10:15:{second}-0500,Trade,Sell to Open,SELL_TO_OPEN,KO    240315P00060000,Equity Option,"
    f"Sold 1 KO 03/15/24 Put 60.00 @ 1.05,105.00,1,105.00,-1.00,-0.13,100,KO,KO,3/15/24,60,PUT,{order},103.87,USD"
    for second, order in (("41", 450000002), ("07", 450000001))
]  # fmt: skip


def csv_file(header: str, *lines: str) -> CsvFile:
    return CsvFile("made.csv", "\n".join([header, *lines]).encode())


def test_two_identical_fills_in_one_minute_are_both_kept_across_formats(user):
    import_csv_files(user=user, account_number="5WT00001", files=[csv_file(LEGACY_HEADER, LEGACY_FILL, LEGACY_FILL)])
    [result] = import_files(user, "5WT00001", [csv_file(V3_HEADER, *V3_FILLS)])
    assert (result.new, result.already_present, rows(user)) == (0, 2, 2)


def test_a_second_identical_fill_only_one_format_has_is_added_once(user):
    import_csv_files(user=user, account_number="5WT00001", files=[csv_file(LEGACY_HEADER, LEGACY_FILL)])
    [result] = import_files(user, "5WT00001", [csv_file(V3_HEADER, *V3_FILLS)])
    assert (result.new, result.already_present, rows(user)) == (1, 1, 2)
    # The one added is the later fill (the tie-break is execution order), with its own order number.
    added = Transaction.objects.get(account__user=user, order_id__isnull=False)
    assert added.order_id == 450000002


def test_the_preview_counts_rows_an_earlier_file_of_the_upload_brings_as_present(simulator, files):
    number = simulator.account_numbers[0]
    report = preview(user=new_user(), account_number=number, files=[files[V2], files[LEGACY]])
    total = len(simulator.transactions(number))
    assert [(file.new, file.already_present) for file in report.files] == [(total, 0), (0, total)]
    assert report.files[1].present_lines == [f"{total} are in an earlier file of this upload"]


def test_futures_and_their_options_are_one_row_of_the_report_by_underlying(simulator):
    user = new_user()
    sync(user, simulator)
    keys = [row["key"] for row in pnl_report(user=user, by="underlying")["rows"]]
    # The simulator trades /ES and /MES futures and options on /ES contracts (underlying /ESM4 and the like).
    assert [key for key in keys if key.startswith("/")] == ["/ES", "/MES"]
