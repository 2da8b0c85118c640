"""Reconciliation: open quantities, cash and fees against what the broker reports."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from apps.tastytrade_sync.tests.factories import ConnectionFactory
from apps.trades.lots import recompute_account
from apps.trades.models import ReconciliationCheck
from apps.trades.reconcile import reconcile_account
from apps.trades.tests.factories import (
    BalanceSnapshotFactory,
    BrokerAccountFactory,
    MoneyMovementFactory,
    PositionSnapshotFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db

Kind = ReconciliationCheck.Kind
Status = ReconciliationCheck.Status


@pytest.fixture
def account():
    return BrokerAccountFactory()


def check(account, kind) -> ReconciliationCheck:
    return ReconciliationCheck.objects.get(account=account, kind=kind)


def test_open_quantities_that_agree_with_the_broker_match(account):
    TransactionFactory(account=account, quantity=10)
    PositionSnapshotFactory(account=account, symbol="AAPL", quantity=10)
    recompute_account(account=account)
    assert check(account, Kind.POSITIONS).status == Status.MATCH


def test_a_quantity_that_differs_shows_the_difference_and_the_transactions_behind_it(account):
    purchase = TransactionFactory(account=account, quantity=10)
    PositionSnapshotFactory(account=account, symbol="AAPL", quantity=15)
    PositionSnapshotFactory(account=account, symbol="MSFT", quantity=-2)
    recompute_account(account=account)
    positions = check(account, Kind.POSITIONS)
    assert positions.status == Status.MISMATCH
    aapl, msft = positions.details["differences"]
    assert (aapl["symbol"], aapl["computed"], aapl["broker"], aapl["difference"]) == ("AAPL", "10", "15", "-5")
    assert [row["tastytrade_id"] for row in aapl["transactions"]] == [purchase.tastytrade_id]
    assert (msft["computed"], msft["broker"]) == ("0", "-2")


def test_an_account_with_no_broker_positions_and_no_connection_cannot_be_checked(account):
    TransactionFactory(account=account)
    recompute_account(account=account)
    assert check(account, Kind.POSITIONS).status == Status.UNAVAILABLE


def test_a_connected_account_the_broker_says_is_flat_is_checked(account):
    account.connection = ConnectionFactory(user=account.user)
    account.save()
    TransactionFactory(account=account)
    recompute_account(account=account)
    assert check(account, Kind.POSITIONS).status == Status.MISMATCH


def test_cash_is_the_sum_of_net_values_against_the_latest_balance(account):
    MoneyMovementFactory(account=account, value=D("10000"))
    TransactionFactory(account=account, quantity=10, price=D("100"), commission=D("-1.00"))
    BalanceSnapshotFactory(account=account, snapshot_date=date(2026, 3, 1), cash_balance=D("5"))
    BalanceSnapshotFactory(account=account, snapshot_date=date(2026, 3, 31), time_of_day="NOW", cash_balance=D("8999"))
    recompute_account(account=account)
    cash = check(account, Kind.CASH)
    assert (cash.status, cash.computed, cash.broker, cash.difference) == (Status.MATCH, D("8999"), D("8999"), D("0"))


def test_a_cash_difference_names_the_transactions_that_would_explain_it(account):
    MoneyMovementFactory(account=account, value=D("10000"))
    fee = MoneyMovementFactory(account=account, transaction_sub_type="Fee", value=D("-25"))
    BalanceSnapshotFactory(account=account, time_of_day="NOW", cash_balance=D("10000"))
    recompute_account(account=account)
    cash = check(account, Kind.CASH)
    assert (cash.status, cash.difference) == (Status.MISMATCH, D("-25"))
    assert [row["tastytrade_id"] for row in cash.details["transactions"]] == [fee.tastytrade_id]


def test_an_end_of_day_balance_counts_the_rows_booked_through_that_day(account):
    MoneyMovementFactory(account=account, value=D("1000"), executed_at=datetime(2026, 3, 30, 15, tzinfo=UTC))
    MoneyMovementFactory(account=account, value=D("50"), executed_at=datetime(2026, 4, 1, 15, tzinfo=UTC))
    BalanceSnapshotFactory(account=account, snapshot_date=date(2026, 3, 31), time_of_day="EOD", cash_balance=D("1000"))
    recompute_account(account=account)
    assert check(account, Kind.CASH).status == Status.MATCH


def test_rows_whose_charges_add_up_to_their_net_value_match(account):
    TransactionFactory(account=account, commission=D("-1"), regulatory_fees=D("-0.042"), clearing_fees=D("-0.008"))
    recompute_account(account=account)
    fees = check(account, Kind.FEES)
    assert (fees.status, fees.computed) == (Status.MATCH, D("-1.05"))


def test_a_row_whose_net_value_its_charges_do_not_explain_is_listed(account):
    odd = TransactionFactory(account=account, commission=D("-1"), net_value=D("-102"))
    recompute_account(account=account)
    fees = check(account, Kind.FEES)
    assert fees.status == Status.MISMATCH
    assert [row["tastytrade_id"] for row in fees.details["rows_not_adding_up"]] == [odd.tastytrade_id]


def test_daily_fee_totals_from_the_api_are_compared_per_day(account):
    TransactionFactory(account=account, commission=D("-1"), executed_at=datetime(2026, 3, 2, 15, tzinfo=UTC))
    TransactionFactory(account=account, clearing_fees=D("-0.5"), executed_at=datetime(2026, 3, 3, 15, tzinfo=UTC))
    checks = reconcile_account(
        account=account, broker_fees_by_day={date(2026, 3, 2): D("-1"), date(2026, 3, 3): D("-0.75")}
    )
    fees = next(each for each in checks if each.kind == Kind.FEES)
    assert (fees.status, fees.broker, fees.difference) == (Status.MISMATCH, D("-1.75"), D("0.25"))
    assert fees.details["days"] == [{"date": "2026-03-03", "computed": "-0.5", "broker": "-0.75"}]
