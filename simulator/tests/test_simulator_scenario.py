"""The generated history: deterministic, internally consistent, and every case of the catalogue in it."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from simulator import Ledger, Scenario, Simulator
from simulator.market import equity, equity_option
from simulator.scenario import History

ZERO = Decimal(0)
REQUIRED = {
    ("Money Movement", "Deposit"),
    ("Money Movement", "Withdrawal"),
    ("Money Movement", "Fee"),
    ("Money Movement", "Dividend"),
    ("Money Movement", "Credit Interest"),
    ("Money Movement", "Debit Interest"),
    ("Money Movement", "Balance Adjustment"),
    ("Money Movement", "Mark to Market"),
    ("Trade", "Buy to Open"),
    ("Trade", "Sell to Open"),
    ("Trade", "Buy to Close"),
    ("Trade", "Sell to Close"),
    ("Trade", "Buy"),
    ("Trade", "Sell"),
    ("Receive Deliver", "Expiration"),
    ("Receive Deliver", "Assignment"),
    ("Receive Deliver", "Exercise"),
    ("Receive Deliver", "Buy to Open"),
    ("Receive Deliver", "Sell to Close"),
    ("Receive Deliver", "Cash Settled Assignment"),
    ("Receive Deliver", "Cash Settled Exercise"),
    ("Receive Deliver", "Symbol Change"),
    ("Receive Deliver", "Forward Split"),
}


@pytest.fixture(scope="module")
def history() -> History:
    return History(Scenario(seed=1, accounts=2, start=date(2024, 1, 2), days=730))


def every_account(history):
    return history.rows.items()


def by_order(rows):
    orders = defaultdict(list)
    for row in rows:
        if row.order_id:
            orders[row.order_id].append(row)
    return orders


def test_the_same_scenario_gives_the_same_history_row_for_row():
    scenario = Scenario(seed=7, accounts=2, start=date(2025, 3, 3), days=120)
    first, second = History(scenario), History(scenario)
    for number, rows in first.rows.items():
        assert [row.to_api() for row in rows] == [row.to_api() for row in second.rows[number]]


def test_another_seed_gives_another_history():
    one = History(Scenario(seed=1, days=60, accounts=1))
    two = History(Scenario(seed=2, days=60, accounts=1))
    assert [r.to_api() for r in next(iter(one.rows.values()))] != [r.to_api() for r in next(iter(two.rows.values()))]


def test_ids_are_unique_above_two_to_the_31_and_grow_with_time(history):
    rows = sorted((row for rows in history.rows.values() for row in rows), key=lambda row: row.id)
    assert rows[0].id > 2**31
    assert len({row.id for row in rows}) == len(rows)
    assert [row.executed_at for row in rows] == sorted(row.executed_at for row in rows)


def test_every_row_nets_its_fees_from_its_value(history):
    for _, rows in every_account(history):
        for row in rows:
            assert row.net_value == row.value + row.fees


def test_every_case_of_the_catalogue_appears_in_every_account(history):
    for _, rows in every_account(history):
        assert {(row.transaction_type, row.transaction_sub_type) for row in rows} >= REQUIRED


def test_orders_fill_in_parts_and_multi_leg_orders_share_one_order_id(history):
    for _, rows in every_account(history):
        orders = by_order(rows).values()
        assert any(len({row.symbol for row in legs}) == 4 and legs[0].leg_count == 4 for legs in orders)
        partial = [legs for legs in orders if len(legs) > legs[0].leg_count]
        assert partial
        assert any(len({row.executed_at for row in legs}) > 1 for legs in partial)


def test_stock_is_bought_in_fractional_shares(history):
    for _, rows in every_account(history):
        fractional = [
            row
            for row in rows
            if row.transaction_type == "Trade"
            and row.instrument_type == "Equity"
            and row.quantity != row.quantity.to_integral_value()
        ]
        assert fractional


def test_a_roll_closes_and_opens_in_one_order(history):
    for _, rows in every_account(history):
        rolls = [
            legs
            for legs in by_order(rows).values()
            if any(row.action.endswith("to Close") for row in legs)
            and any(row.action.endswith("to Open") for row in legs)
        ]
        assert rolls


def test_an_iron_condor_is_closed_in_parts(history):
    for _, rows in every_account(history):
        orders = by_order(rows)
        condors = [legs for legs in orders.values() if legs[0].leg_count == 4 and legs[0].action.endswith("to Open")]
        closed_in_parts = 0
        for legs in condors:
            symbols = {row.symbol for row in legs}
            closing_orders = {
                row.order_id
                for row in rows
                if row.symbol in symbols and row.action and row.action.endswith("to Close") and row.order_id
            }
            closed_in_parts += len(closing_orders) >= 2
        assert closed_in_parts


def test_an_assignment_removes_the_option_and_delivers_stock_at_the_strike_with_a_five_dollar_fee(history):
    for _, rows in every_account(history):
        removals = [r for r in rows if r.transaction_sub_type == "Assignment" and r.underlying_symbol != "SPX"]
        assert removals
        for removal in removals:
            delivery = [
                r
                for r in rows
                if r.executed_at == removal.executed_at
                and r.symbol == removal.underlying_symbol
                and r.transaction_type == "Receive Deliver"
                and r.action
            ]
            strike = Decimal(int(removal.symbol[-8:])) / 1000
            assert any(r.price == strike and r.clearing_fees == Decimal("-5.00") for r in delivery)
            assert removal.value == removal.net_value == ZERO
            assert removal.action is None


def test_a_covered_call_is_called_away(history):
    for _, rows in every_account(history):
        called = [r for r in rows if r.transaction_sub_type == "Assignment" and r.symbol[12] == "C"]
        assert any(
            r.transaction_sub_type == "Sell to Close" and r.executed_at == call.executed_at
            for call in called
            for r in rows
        )


def test_a_spread_settles_with_both_legs_in_the_money_into_no_shares(history):
    for _, rows in every_account(history):
        found = False
        deliveries = defaultdict(list)
        for row in rows:
            if row.transaction_type == "Receive Deliver" and row.action and row.instrument_type == "Equity":
                deliveries[(row.executed_at, row.symbol)].append(row)
        for pair in deliveries.values():
            buys = sum(r.quantity for r in pair if r.action.startswith("Buy"))
            sells = sum(r.quantity for r in pair if r.action.startswith("Sell"))
            found = found or (buys == sells and len({r.price for r in pair}) == 2)
        assert found


def mislabelled(rows) -> list:
    """Rows whose open/close label the position they meet contradicts: a close of more than is held
    (or of nothing), an open against an opposite position. Positions net by symbol, as the broker's do."""
    held: dict[str, Decimal] = defaultdict(Decimal)
    wrong = []
    for row in sorted(rows, key=lambda row: row.sort_key):
        before = held[row.symbol]
        if row.transaction_sub_type in {"Expiration", "Assignment", "Exercise"}:
            held[row.symbol] -= row.quantity if before > 0 else -row.quantity
        elif row.action and row.quantity:
            buying = row.action.startswith("Buy")
            against = bool(before) and (before > 0) != buying
            if row.action.endswith("to Close") and not (against and row.quantity <= abs(before)):
                wrong.append(row)
            if row.action.endswith("to Open") and against:
                wrong.append(row)
            held[row.symbol] += row.quantity if buying else -row.quantity
    return wrong


def test_no_row_closes_more_than_is_held_or_opens_against_an_opposite_position(history):
    for _, rows in every_account(history):
        assert mislabelled(rows) == []


def small_book(day: date):
    """A one-day history's only account, to place orders in by hand (ticker KO is not held)."""
    history = History(Scenario(seed=1, accounts=1, start=day, days=1))
    book = next(iter(history.books.values()))
    assert not book.holding("KO")
    return history, book


def test_a_fill_through_zero_closes_what_is_held_and_opens_the_rest_in_one_order_at_one_instant():
    day = date(2025, 3, 3)
    history, book = small_book(day)
    call = equity_option("KO", "KO", date(2025, 4, 17), True, Decimal(60))
    book.order(day, [(call, Decimal(2))])
    book.order(day, [(call, Decimal(-5))])
    rows = [row for row in history._commit(history.rng) if row.symbol == call.symbol]
    assert [(row.action, row.quantity) for row in rows] == [
        ("Buy to Open", 2),
        ("Sell to Close", 2),
        ("Sell to Open", 3),
    ]
    assert rows[1].order_id == rows[2].order_id and rows[1].executed_at == rows[2].executed_at
    assert rows[1].id < rows[2].id
    # TastyTrade's $1 per contract is charged to open, never to close.
    assert (rows[1].commission, rows[2].commission) == (ZERO, Decimal(-3))
    assert book.holding(call.symbol) == -3


def test_a_delivery_through_zero_sells_the_shares_held_then_opens_short_with_one_assignment_fee():
    day = date(2025, 3, 3)
    history, book = small_book(day)
    strike = book.market.round_strike("KO", book.market.price("KO", day) * 2)
    put = equity_option("KO", "KO", day, False, strike)
    book.order(day, [(equity("KO"), Decimal(30))])
    book.order(day, [(put, Decimal(1))])
    book.settle(day)  # the put is exercised: 100 shares are sold at the strike
    rows = [row for row in history._commit(history.rng) if row.symbol == "KO"]
    assert [(row.transaction_sub_type, row.quantity, row.price) for row in rows[1:]] == [
        ("Sell to Close", 30, strike),
        ("Sell to Open", 70, strike),
    ]
    assert [row.clearing_fees for row in rows[1:]] == [Decimal("-5.00"), None]
    assert book.holding("KO") == -70


def test_index_options_settle_in_cash_with_two_rows_per_event(history):
    for _, rows in every_account(history):
        settlements = [r for r in rows if r.transaction_sub_type.startswith("Cash Settled")]
        assert {r.transaction_sub_type for r in settlements} == {"Cash Settled Assignment", "Cash Settled Exercise"}
        for cash in settlements:
            removal = cash.transaction_sub_type.removeprefix("Cash Settled ")
            assert any(
                r.transaction_sub_type == removal and r.symbol == cash.symbol and r.executed_at == cash.executed_at
                for r in rows
            )
            assert cash.underlying_symbol == "SPX" and cash.symbol.startswith("SPXW")


def test_a_cash_settlement_row_carries_the_strike_as_price_and_a_clearing_fee(history):
    settlements = [
        row for _, rows in every_account(history) for row in rows if row.transaction_sub_type.startswith("Cash Settled")
    ]
    assert settlements
    for cash in settlements:
        strike = Decimal(int(cash.symbol[-8:])) / 1000
        assert (cash.price, cash.clearing_fees, cash.net_value) == (strike, Decimal("-5.00"), cash.value - 5)


def test_futures_open_at_zero_value_and_settle_through_mark_to_market(history):
    for _, rows in every_account(history):
        futures = [r for r in rows if r.instrument_type == "Future" and r.transaction_type == "Trade"]
        assert {r.underlying_symbol for r in futures} == {"/ES", "/MES"}
        first_by_symbol = {}
        for row in futures:
            first_by_symbol.setdefault(row.symbol, row)
        assert all(row.value == ZERO and row.net_value < 0 for row in first_by_symbol.values())
        assert all(r.action in {"Buy", "Sell"} for r in futures)
        marks = [r for r in rows if r.transaction_sub_type == "Mark to Market"]
        assert marks and all(r.instrument_type == "Future" and r.symbol.startswith("/") for r in marks)


def test_a_future_option_trades_with_its_products_multiplier(history):
    for _, rows in every_account(history):
        options = [r for r in rows if r.instrument_type == "Future Option" and r.transaction_type == "Trade"]
        assert options
        assert all(r.symbol.startswith("./ES") and r.underlying_symbol.startswith("/ES") for r in options)
        assert all(abs(r.value) == (r.price * r.quantity * 50).quantize(Decimal("0.01")) for r in options)


def test_dividends_arrive_with_foreign_tax_withheld_on_the_adr(history):
    for _, rows in every_account(history):
        tsm = [r for r in rows if r.transaction_sub_type == "Dividend" and r.symbol == "TSM"]
        assert any(r.net_value > 0 for r in tsm) and any(r.net_value < 0 for r in tsm)


def test_estimated_fees_are_corrected_by_small_balance_adjustments(history):
    for _, rows in every_account(history):
        adjustments = [r for r in rows if r.transaction_sub_type == "Balance Adjustment"]
        assert adjustments
        assert all(abs(r.net_value) <= Decimal("0.03") for r in adjustments)
        assert all(r.is_estimated_fee for r in rows if r.transaction_type == "Trade")


def test_the_symbol_change_and_the_split_come_in_close_and_open_pairs(history):
    for _, rows in every_account(history):
        change = [r for r in rows if r.transaction_sub_type == "Symbol Change"]
        assert [(r.symbol, r.action) for r in change] == [("SQ", "Sell to Close"), ("XYZ", "Buy to Open")]
        assert change[0].net_value == -change[1].net_value
        split = [r for r in rows if r.transaction_sub_type == "Forward Split"]
        assert [r.symbol for r in split] == ["NVDA", "NVDA"]
        assert split[1].quantity == split[0].quantity * 10


def test_a_reversal_points_at_the_row_it_reverses(history):
    for _, rows in every_account(history):
        by_id = {row.id: row for row in rows}
        reversals = [row for row in rows if row.reverses_id]
        assert reversals
        for reversal in reversals:
            original = by_id[reversal.reverses_id]
            assert reversal.net_value == -original.net_value
            assert reversal.executed_at > original.executed_at


def test_fees_follow_tastytrades_schedule(history):
    for _, rows in every_account(history):
        for row in rows:
            if row.transaction_type != "Trade":
                continue
            q = row.quantity
            if row.instrument_type == "Equity Option":
                opening = row.action.endswith("to Open")
                assert row.commission == (-min(q, Decimal(10)) if opening else ZERO)
                assert row.clearing_fees == -q * Decimal("0.10")
                index_fee = -q * Decimal("0.65") if row.symbol.startswith("SPXW") else ZERO
                assert row.proprietary_index_option_fees == index_fee
            elif row.instrument_type == "Future":
                per_side = Decimal("1.25") if row.symbol.startswith("/ES") else Decimal("0.85")
                assert row.commission == -q * per_side
            elif row.instrument_type == "Equity":
                assert row.commission == ZERO
                assert row.regulatory_fees < 0 if row.action.startswith("Sell") else row.regulatory_fees == 0


def test_events_without_a_fill_are_stamped_at_21_utc(history):
    for _, rows in every_account(history):
        for row in rows:
            if row.transaction_sub_type in {"Expiration", "Assignment", "Exercise", "Dividend", "Mark to Market"}:
                assert (row.executed_at.hour, row.executed_at.minute, row.executed_at.second) == (21, 0, 0)


def test_the_generators_holdings_equal_the_ledgers_open_quantities():
    simulator = Simulator(Scenario(seed=4, accounts=2, start=date(2024, 1, 2), days=400))
    for number in simulator.account_numbers:
        assert simulator.history.books[number].holdings == simulator.truth(number).open_quantities


def test_a_closed_instruments_realized_pnl_is_all_of_its_cash(history):
    for number, rows in every_account(history):
        truth = Ledger(number).apply_all(rows).truth()
        cash = defaultdict(Decimal)
        moved = {"SQ", "XYZ", "NVDA"}
        for row in rows:
            trade_cash = row.transaction_type != "Money Movement" or row.transaction_sub_type == "Mark to Market"
            if row.symbol and trade_cash:
                cash[row.symbol] += row.net_value
        realized = truth.realized_pnl_by_symbol()
        closed = [s for s in realized if s not in truth.open_quantities and s not in moved]
        assert len(closed) > 100
        for symbol in closed:
            assert realized[symbol] == cash[symbol], symbol


def test_three_accounts_over_two_years_at_activity_three_hold_more_than_20000_transactions():
    history = History(Scenario(seed=1, accounts=3, start=date(2024, 1, 2), days=730, activity=3))
    assert sum(len(rows) for rows in history.rows.values()) >= 20000


# --- time moves -----------------------------------------------------------------------------------


def test_advance_adds_activity_with_higher_ids_and_moves_today(simulator):
    before_today = simulator.today
    before_max = max(row.id for n in simulator.account_numbers for row in simulator.transactions(n))
    new_rows = simulator.advance(days=3)
    assert simulator.today == before_today + timedelta(days=3)
    assert new_rows and min(row.id for row in new_rows) > before_max
    assert all(row.transaction_date <= simulator.today for row in new_rows)


def test_advance_posts_a_late_fee_adjustment_and_a_reversal_dated_within_the_last_seven_days(simulator):
    new_rows = simulator.advance(days=1)
    window = simulator.today - timedelta(days=6)
    for number in simulator.account_numbers:
        mine = [row for row in new_rows if row.account_number == number]
        late = [
            r for r in mine if r.transaction_sub_type == "Balance Adjustment" and r.transaction_date < simulator.today
        ]
        assert late and all(r.transaction_date >= window for r in late)
        reversal = next(r for r in mine if r.reverses_id)
        assert window <= reversal.transaction_date <= simulator.today
        original = next(r for r in simulator.transactions(number) if r.id == reversal.reverses_id)
        assert original.net_value == -reversal.net_value


def test_after_advancing_the_truth_still_adds_up(simulator):
    simulator.advance(days=5)
    for number in simulator.account_numbers:
        truth = simulator.truth(number)
        assert truth.cash_balance == sum(row.net_value for row in simulator.transactions(number))
        assert simulator.history.books[number].holdings == truth.open_quantities


def test_advancing_is_deterministic():
    scenario = Scenario(seed=3, accounts=1, start=date(2024, 1, 2), days=90)
    one, two = Simulator(scenario), Simulator(scenario)
    assert [r.to_api() for r in one.advance(4)] == [r.to_api() for r in two.advance(4)]
