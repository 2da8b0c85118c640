"""Figures from the ledger: what each one sums, over which rows, on which trading day."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from apps.reports import metrics
from apps.reports.tests.factories import BrokerAccountFactory
from apps.trades.models import Transaction
from apps.trades.scope import Scope
from apps.trades.tests.factories import (
    BalanceNowFactory,
    NetLiqPointFactory,
    SoldPutFillFactory,
    SoldPutPositionFactory,
)

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def account(user):
    return BrokerAccountFactory(user=user)


def scope_of(*accounts, start=None, end=None, today=date(2026, 3, 2), tz=NEW_YORK) -> Scope:
    return Scope(list(accounts), None, start, end, tz, today)


def test_balances_sum_the_latest_now_balance_of_each_account(user, account):
    second = BrokerAccountFactory(user=user)
    BalanceNowFactory(account=account, snapshot_date=date(2026, 2, 27), net_liquidating_value=Decimal("900"))
    BalanceNowFactory(account=account, snapshot_date=date(2026, 3, 2), net_liquidating_value=Decimal("1000.10"))
    BalanceNowFactory(account=second, snapshot_date=date(2026, 3, 1), net_liquidating_value=Decimal("500.05"))
    assert metrics.current_balances(scope_of(account, second)).net_liquidating_value == Decimal("1500.15")


def test_balances_leave_out_end_of_day_snapshots(account):
    BalanceNowFactory(account=account, snapshot_date=date(2026, 3, 1), cash_balance=Decimal("10"))
    BalanceNowFactory(account=account, time_of_day="EOD", snapshot_date=date(2026, 3, 2), cash_balance=Decimal("99"))
    assert metrics.current_balances(scope_of(account)).cash_balance == Decimal("10")


def test_balances_are_unknown_before_the_first_sync(account):
    balances = metrics.current_balances(scope_of(account))
    assert (balances.net_liquidating_value, balances.accounts_reporting) == (None, 0)


def test_open_positions_count_legs_and_underlyings_but_not_closed_ones(account):
    SoldPutPositionFactory(account=account, underlying_symbol="SPY")
    SoldPutPositionFactory(account=account, underlying_symbol="SPY")
    SoldPutPositionFactory(account=account, underlying_symbol="QQQ")
    SoldPutPositionFactory(account=account, underlying_symbol="IWM", quantity=0)
    assert metrics.open_position_counts(scope_of(account)) == metrics.OpenCounts(legs=3, underlyings=2)


def test_fees_in_year_add_commission_and_every_fee(account):
    SoldPutFillFactory(
        account=account,
        executed_at=datetime(2026, 2, 2, 15, tzinfo=UTC),
        commission=Decimal("-1.0000"),
        clearing_fees=Decimal("-0.1000"),
        regulatory_fees=Decimal("-0.0420"),
        proprietary_index_option_fees=Decimal("-0.6500"),
        currency_conversion_fees=Decimal("-0.0100"),
        other_charge=Decimal("-0.0200"),
    )
    assert metrics.fees_in_year(scope_of(account), 2026) == Decimal("-1.8220")


def test_fees_in_year_use_the_users_new_year(account):
    no_fees = {"clearing_fees": 0, "regulatory_fees": 0}
    # 03:00 UTC on 1 January is still New Year's Eve in New York; 06:00 UTC is the new year.
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 1, 1, 3, tzinfo=UTC), commission=-1, **no_fees)
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 1, 1, 6, tzinfo=UTC), commission=-2, **no_fees)
    assert metrics.fees_in_year(scope_of(account), 2026) == Decimal("-2")


def test_fees_in_year_are_zero_without_transactions(account):
    assert metrics.fees_in_year(scope_of(account), 2026) == Decimal("0")


def test_net_liq_history_takes_the_last_point_of_each_day_per_account(account):
    NetLiqPointFactory(account=account, time=datetime(2026, 3, 2, 15, tzinfo=UTC), close=Decimal("100"))
    NetLiqPointFactory(account=account, time=datetime(2026, 3, 2, 20, tzinfo=UTC), close=Decimal("110"))
    assert metrics.net_liq_history(scope_of(account)) == [(date(2026, 3, 2), Decimal("110"))]


def test_net_liq_history_finds_the_last_point_of_a_day_25_hours_long(account):
    # 1 November 2026: New York leaves daylight saving time; 00:30 EDT and 23:50 EST are 24h20m apart.
    NetLiqPointFactory(account=account, time=datetime(2026, 11, 1, 4, 30, tzinfo=UTC), close=Decimal("100"))
    NetLiqPointFactory(account=account, time=datetime(2026, 11, 2, 4, 50, tzinfo=UTC), close=Decimal("120"))
    assert metrics.net_liq_history(scope_of(account)) == [(date(2026, 11, 1), Decimal("120"))]


def test_net_liq_history_sums_the_accounts_per_day(user, account):
    second = BrokerAccountFactory(user=user)
    NetLiqPointFactory(account=account, time=datetime(2026, 3, 2, 20, tzinfo=UTC), close=Decimal("100.25"))
    NetLiqPointFactory(account=second, time=datetime(2026, 3, 2, 21, tzinfo=UTC), close=Decimal("50.50"))
    assert metrics.net_liq_history(scope_of(account, second)) == [(date(2026, 3, 2), Decimal("150.75"))]


def test_net_liq_history_days_are_in_the_users_time_zone(account):
    NetLiqPointFactory(account=account, time=datetime(2026, 3, 3, 2, tzinfo=UTC), close=Decimal("7"))
    assert metrics.net_liq_history(scope_of(account))[0][0] == date(2026, 3, 2)


def test_net_liq_history_keeps_to_the_date_range(account):
    NetLiqPointFactory(account=account, time=datetime(2026, 2, 27, 20, tzinfo=UTC))
    NetLiqPointFactory(account=account, time=datetime(2026, 3, 2, 20, tzinfo=UTC))
    history = metrics.net_liq_history(scope_of(account, start=date(2026, 3, 1), end=date(2026, 3, 2)))
    assert [day for day, _ in history] == [date(2026, 3, 2)]


def test_cash_flow_groups_by_month_of_the_users_time_zone(account):
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 3, 1, 3, tzinfo=UTC))  # 28 Feb in New York
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 3, 1, 15, tzinfo=UTC))
    rows = metrics.cash_flow(scope_of(account), "month")
    assert [(row.period, row.transactions) for row in rows] == [(date(2026, 2, 1), 1), (date(2026, 3, 1), 1)]


def test_cash_flow_splits_trading_deposits_and_other_cash(account):
    SoldPutFillFactory(account=account, value=Decimal("250"))
    SoldPutFillFactory(
        account=account,
        transaction_type=Transaction.Type.MONEY_MOVEMENT,
        transaction_sub_type="Deposit",
        value=Decimal("5000"),
        commission=0,
        clearing_fees=0,
        regulatory_fees=0,
    )
    SoldPutFillFactory(
        account=account,
        transaction_type=Transaction.Type.MONEY_MOVEMENT,
        transaction_sub_type="Dividend",
        value=Decimal("12.34"),
        commission=0,
        clearing_fees=0,
        regulatory_fees=0,
    )
    (row,) = metrics.cash_flow(scope_of(account), "year")
    assert (row.trading, row.deposits_and_withdrawals, row.other) == (Decimal("250"), Decimal("5000"), Decimal("12.34"))


def test_cash_flow_kinds_add_up_to_the_net_cash_flow(account):
    SoldPutFillFactory(account=account, value=Decimal("250"), commission=Decimal("-1"))
    SoldPutFillFactory(account=account, value=Decimal("-120"), transaction_type=Transaction.Type.RECEIVE_DELIVER)
    (row,) = metrics.cash_flow(scope_of(account), "day")
    parts = row.trading + row.deposits_and_withdrawals + row.other + row.charges
    assert parts == row.net_cash_flow == Decimal("127.72")


def test_cash_flow_total_adds_the_periods(account):
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 1, 5, 15, tzinfo=UTC), value=Decimal("100"))
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 2, 5, 15, tzinfo=UTC), value=Decimal("-40"))
    total = metrics.cash_flow_total(metrics.cash_flow(scope_of(account), "month"))
    assert (total.transactions, total.trading) == (2, Decimal("60"))


def test_cash_flow_leaves_out_other_accounts(user, account):
    SoldPutFillFactory(account=BrokerAccountFactory(user=user))
    assert metrics.cash_flow(scope_of(account), "month") == []


def test_unrealized_from_the_mark_of_a_short_option_that_lost_value_is_a_gain(account):
    SoldPutPositionFactory(
        account=account,
        quantity=Decimal("-2"),
        multiplier=100,
        average_open_price=Decimal("2.50"),
        mark=Decimal("1.25"),
    )
    (group,) = metrics.positions_by_underlying(scope_of(account))
    assert group.lines[0].unrealized == Decimal("250.0000")


def test_a_position_without_a_mark_has_no_unrealized_pnl(account):
    SoldPutPositionFactory(account=account, mark=None)
    (group,) = metrics.positions_by_underlying(scope_of(account))
    assert (group.lines[0].unrealized, group.unrealized, group.has_missing_marks) == (None, None, True)


def test_positions_are_grouped_by_underlying_and_a_stock_by_its_own_symbol(account):
    SoldPutPositionFactory(account=account, underlying_symbol="SPY")
    SoldPutPositionFactory(account=account, underlying_symbol="SPY")
    SoldPutPositionFactory(account=account, symbol="F", underlying_symbol="", instrument_type="Equity", expires_at=None)
    groups = metrics.positions_by_underlying(scope_of(account))
    assert [(group.underlying, len(group.lines)) for group in groups] == [("F", 1), ("SPY", 2)]


def test_days_to_expiry_count_from_today_in_the_users_time_zone(account):
    # Expires 21:00 UTC on 20 March = 17:00 in New York, 18 days after 2 March.
    SoldPutPositionFactory(account=account, expires_at=datetime(2026, 3, 20, 21, tzinfo=UTC))
    (group,) = metrics.positions_by_underlying(scope_of(account))
    assert group.lines[0].days_to_expiry == 18


def test_transaction_kinds_list_the_types_and_sub_types_found(account):
    SoldPutFillFactory(account=account, transaction_sub_type="Sell to Open")
    SoldPutFillFactory(account=account, transaction_sub_type="Buy to Close")
    SoldPutFillFactory(account=account, transaction_type="Money Movement", transaction_sub_type="Deposit")
    assert metrics.transaction_kinds(scope_of(account)) == (
        ["Money Movement", "Trade"],
        ["Buy to Close", "Deposit", "Sell to Open"],
    )


def test_chart_series_hands_floats_to_the_chart():
    series = metrics.chart_series([(date(2026, 3, 2), Decimal("10.25"))])
    assert series == {"labels": ["2026-03-02"], "values": [10.25]}
