"""The real tastytrade SDK against the simulator over loopback HTTP: two years, three seeds, every endpoint."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from simulator import Scenario, Simulator
from simulator.market import is_trading_day

from .simulator_fixtures import read_everything, run, signed

REMOVALS = {"Expiration", "Assignment", "Exercise"}


@pytest.fixture(scope="module", params=[1, 2, 3], ids=lambda seed: f"seed-{seed}")
def two_years(request):
    simulator = Simulator(Scenario(seed=request.param, accounts=2, start=date(2024, 1, 2), days=730))
    with simulator.serve() as server:
        read = run(read_everything(simulator.session(server.url), per_page=1000))
    return simulator, read


def tally(history) -> dict[str, Decimal]:
    """Open quantities from parsed rows, counted independently of the simulator's ledger."""
    quantities: dict[str, Decimal] = defaultdict(Decimal)
    for row in sorted(history, key=lambda r: (r.executed_at, r.id)):
        if row.transaction_sub_type in REMOVALS:
            held = quantities[row.symbol]
            quantities[row.symbol] = held - row.quantity if held > 0 else held + row.quantity
        elif row.action and row.quantity:
            quantities[row.symbol] += row.quantity if row.action.startswith("Buy") else -row.quantity
    return {symbol: quantity for symbol, quantity in quantities.items() if quantity}


def test_the_sdk_lists_every_account_of_the_customer(two_years):
    simulator, read = two_years
    assert sorted(read["accounts"]) == sorted(simulator.account_numbers)
    for number, account in read["accounts"].items():
        assert account["account"].account_number == number
        assert account["account"].opened_at.tzinfo is not None


def test_get_history_over_every_page_returns_each_transaction_once(two_years):
    simulator, read = two_years
    for number, account in read["accounts"].items():
        ids = [row.id for row in account["history"]]
        assert len(ids) > 2000  # several pages of 1000
        assert ids == [row.id for row in reversed(simulator.transactions(number))]  # newest first by default


def test_every_parsed_row_carries_the_simulators_signed_amounts(two_years):
    simulator, read = two_years
    for number, account in read["accounts"].items():
        rows = {row.id: row for row in simulator.transactions(number)}
        for parsed in account["history"]:
            row = rows[parsed.id]
            assert (parsed.value, parsed.net_value) == (row.value, row.net_value)
            assert parsed.commission == row.commission
            assert parsed.clearing_fees == row.clearing_fees
            assert parsed.regulatory_fees == row.regulatory_fees
            assert parsed.proprietary_index_option_fees == row.proprietary_index_option_fees
            assert parsed.executed_at == row.executed_at


def test_the_sum_of_net_values_equals_the_cash_balance_served(two_years):
    simulator, read = two_years
    for number, account in read["accounts"].items():
        total = sum((row.net_value for row in account["history"]), Decimal(0))
        assert total == account["balances"].cash_balance == simulator.truth(number).cash_balance


def test_net_open_quantities_equal_the_positions_served(two_years):
    simulator, read = two_years
    for number, account in read["accounts"].items():
        served = {position.symbol: signed(position) for position in account["positions"]}
        assert served
        assert tally(account["history"]) == served == simulator.truth(number).open_quantities


def test_balance_snapshots_cover_every_trading_day_and_end_at_the_current_balance(two_years):
    simulator, read = two_years
    for account in read["accounts"].values():
        snapshots = account["snapshots"]
        first = snapshots[0].snapshot_date
        days = (simulator.today - first).days + 1
        trading_days = [d for d in (date.fromordinal(first.toordinal() + i) for i in range(days)) if is_trading_day(d)]
        assert [s.snapshot_date for s in snapshots] == trading_days
        assert snapshots[-1].cash_balance == account["balances"].cash_balance
        assert snapshots[-1].net_liquidating_value == account["balances"].net_liquidating_value


def test_net_liq_history_is_daily_and_intraday_for_one_day(two_years):
    _, read = two_years
    for account in read["accounts"].values():
        assert len(account["net_liq_all"]) == len(account["snapshots"])
        assert account["net_liq_all"][-1].close == account["balances"].net_liquidating_value
        assert len(account["net_liq_day"]) == 78  # five-minute buckets through the session
        assert account["net_liq_day"][-1].close == account["balances"].net_liquidating_value


def test_a_single_transaction_and_a_days_total_fees_parse(two_years):
    simulator, read = two_years
    for number, account in read["accounts"].items():
        newest = account["history"][0]
        assert account["transaction"].id == newest.id
        fees = sum(
            (row.fees for row in simulator.transactions(number) if row.transaction_date == newest.transaction_date),
            Decimal(0),
        )
        assert account["total_fees"].total_fees == fees


def test_the_customer_profile_parses(two_years):
    _, read = two_years
    assert read["customer"].email == "trader@example.com"
