"""Ledger rows for tests: valid, boring values. The numbers a test checks are written in the test.

By default a row's `value` follows its action, price, quantity and multiplier (buying costs cash),
its `net_value` is the value plus every charge, and each new row is executed a minute after the
previous one, so rows created in order are processed in order.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from apps.accounts.models import User
from apps.trades.models import BalanceSnapshot, BrokerAccount, NetLiqPoint, PositionSnapshot, Transaction

NEW_YORK = ZoneInfo("America/New_York")
FIRST_EXECUTION = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

__all__ = [
    "BalanceSnapshotFactory",
    "BrokerAccountFactory",
    "FutureTransactionFactory",
    "MoneyMovementFactory",
    "OptionTransactionFactory",
    "PositionSnapshotFactory",
    "ReceiveDeliverFactory",
    "TransactionFactory",
    "UserFactory",
    "occ_symbol",
]


def occ_symbol(root: str, expires_on: date, option_type: str, strike: Decimal) -> str:
    """`SPY   260320P00400000`: root padded to six, YYMMDD, C or P, strike x 1000 in eight digits."""
    return f"{root:<6}{expires_on:%y%m%d}{option_type}{int(Decimal(strike) * 1000):08d}"


def _gross_value(row) -> Decimal:
    """What a fill moves before charges: buying pays, selling receives."""
    if row.price is None:
        return Decimal(0)
    amount = Decimal(row.price) * Decimal(row.quantity) * Decimal(row.multiplier or 1)
    return -amount if row.action.lower().startswith("buy") else amount


def _net_value(row) -> Decimal:
    charges = (
        row.commission
        + row.clearing_fees
        + row.regulatory_fees
        + row.proprietary_index_option_fees
        + row.currency_conversion_fees
        + row.other_charge
    )
    return Decimal(row.value) + Decimal(charges)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"trader{n}@example.com")


class BrokerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BrokerAccount

    user = factory.SubFactory(UserFactory)
    account_number = factory.Sequence(lambda n: f"5WT{n:05d}")
    nickname = "Individual"
    margin_or_cash = "Margin"


class TransactionFactory(factory.django.DjangoModelFactory):
    """A stock purchase of 1 AAPL at 100.00 with no charges."""

    class Meta:
        model = Transaction

    account = factory.SubFactory(BrokerAccountFactory)
    tastytrade_id = factory.Sequence(lambda n: 3_200_000_000 + n)
    transaction_type = Transaction.Type.TRADE
    action = "Buy to Open"
    transaction_sub_type = factory.LazyAttribute(lambda row: row.action)
    description = factory.LazyAttribute(lambda row: f"{row.action} {row.quantity} {row.symbol}")
    symbol = "AAPL"
    underlying_symbol = factory.LazyAttribute(lambda row: row.symbol)
    instrument_type = "Equity"
    multiplier = None
    quantity = Decimal("1")
    price = Decimal("100.00")
    value = factory.LazyAttribute(_gross_value)
    commission = Decimal("0")
    clearing_fees = Decimal("0")
    regulatory_fees = Decimal("0")
    proprietary_index_option_fees = Decimal("0")
    currency_conversion_fees = Decimal("0")
    other_charge = Decimal("0")
    net_value = factory.LazyAttribute(_net_value)
    executed_at = factory.Sequence(lambda n: FIRST_EXECUTION + timedelta(minutes=n))
    transaction_date = factory.LazyAttribute(lambda row: row.executed_at.astimezone(NEW_YORK).date())
    order_id = factory.Sequence(lambda n: 450_000_000 + n)


class OptionTransactionFactory(TransactionFactory):
    """Selling to open 1 SPY 20 Mar 2026 400 put at 1.00."""

    action = "Sell to Open"
    underlying_symbol = "SPY"
    instrument_type = "Equity Option"
    option_type = "P"
    strike = Decimal("400")
    expires_on = date(2026, 3, 20)
    multiplier = Decimal("100")
    price = Decimal("1.00")
    symbol = factory.LazyAttribute(
        lambda row: occ_symbol(row.underlying_symbol, row.expires_on, row.option_type, row.strike)
    )


class FutureTransactionFactory(TransactionFactory):
    """Buying 1 /ESH6 at 5000: futures open at zero value."""

    action = "Buy"
    symbol = "/ESH6"
    underlying_symbol = "/ES"
    instrument_type = "Future"
    multiplier = Decimal("50")
    price = Decimal("5000")
    value = Decimal("0")


class ReceiveDeliverFactory(TransactionFactory):
    """An expiration of 1 SPY 20 Mar 2026 400 put at 21:00 UTC, with no action (as older data has it)."""

    transaction_type = Transaction.Type.RECEIVE_DELIVER
    transaction_sub_type = "Expiration"
    action = ""
    underlying_symbol = "SPY"
    instrument_type = "Equity Option"
    option_type = "P"
    strike = Decimal("400")
    expires_on = date(2026, 3, 20)
    multiplier = Decimal("100")
    symbol = factory.LazyAttribute(
        lambda row: occ_symbol(row.underlying_symbol, row.expires_on, row.option_type, row.strike)
    )
    price = None
    value = Decimal("0")
    executed_at = datetime(2026, 3, 20, 21, 0, tzinfo=UTC)
    order_id = None


class MoneyMovementFactory(TransactionFactory):
    """An ACH deposit of 10,000.00."""

    transaction_type = Transaction.Type.MONEY_MOVEMENT
    transaction_sub_type = "Deposit"
    action = ""
    description = "ACH DEPOSIT"
    symbol = ""
    underlying_symbol = ""
    instrument_type = ""
    quantity = Decimal("0")
    price = None
    value = Decimal("10000.00")
    order_id = None


class PositionSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PositionSnapshot

    account = factory.SubFactory(BrokerAccountFactory)
    as_of = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
    symbol = "AAPL"
    instrument_type = "Equity"
    underlying_symbol = factory.LazyAttribute(lambda row: row.symbol)
    quantity = Decimal("1")
    multiplier = Decimal("1")


class BalanceSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BalanceSnapshot

    account = factory.SubFactory(BrokerAccountFactory)
    snapshot_date = date(2026, 3, 31)
    time_of_day = "EOD"
    cash_balance = Decimal("0")


class SoldPutFillFactory(TransactionFactory):
    """Sold to open 1 SPY 16 Jan 2026 550 put at 2.50 on 2 Jun 2025, with commission and fees (the reports' tests)."""

    tastytrade_id = factory.Sequence(lambda n: 400_000_000 + n)
    transaction_type = Transaction.Type.TRADE
    transaction_sub_type = "Sell to Open"
    action = "Sell to Open"
    description = "Sold 1 SPY 01/16/26 Put 550.00 @ 2.50"
    symbol = "SPY   260116P00550000"
    underlying_symbol = "SPY"
    instrument_type = "Equity Option"
    quantity = Decimal("1")
    price = Decimal("2.50")
    value = Decimal("250.00")
    commission = Decimal("-1.00")
    clearing_fees = Decimal("-0.10")
    regulatory_fees = Decimal("-0.04")
    net_value = factory.LazyAttribute(lambda t: t.value + t.commission + t.clearing_fees + t.regulatory_fees)
    executed_at = datetime(2025, 6, 2, 15, 30, tzinfo=UTC)
    transaction_date = factory.LazyAttribute(lambda t: t.executed_at.date())
    raw = factory.LazyAttribute(lambda t: {"id": t.tastytrade_id, "symbol": t.symbol})
    order_id = None


class SoldPutPositionFactory(PositionSnapshotFactory):
    """A short SPY 550 put held on 2 Jun 2025, marked at 1.50 (each one a new strike)."""

    as_of = datetime(2025, 6, 2, 20, 0, tzinfo=UTC)
    symbol = factory.Sequence(lambda n: f"SPY   260116P{(400 + n) * 1000:08d}")
    instrument_type = "Equity Option"
    underlying_symbol = "SPY"
    quantity = Decimal("-1")
    multiplier = Decimal("100")
    average_open_price = Decimal("2.50")
    mark = Decimal("1.50")
    expires_at = datetime(2026, 1, 16, 21, 0, tzinfo=UTC)


class BalanceNowFactory(BalanceSnapshotFactory):
    """The balances TastyTrade reports now: 10,000.00 cash, 25,000.00 net liquidating value."""

    snapshot_date = date(2025, 6, 2)
    time_of_day = "NOW"
    cash_balance = Decimal("10000.00")
    net_liquidating_value = Decimal("25000.00")


class NetLiqPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NetLiqPoint

    account = factory.SubFactory(BrokerAccountFactory)
    time = datetime(2025, 6, 2, 20, 0, tzinfo=UTC)
    close = Decimal("25000.00")
    total_close = factory.LazyAttribute(lambda p: p.close)
