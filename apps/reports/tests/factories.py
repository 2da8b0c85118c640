"""Ledger rows for dashboard and report tests: valid, boring values; the numbers a test checks are set in the test."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory

from apps.accounts.models import User
from apps.tastytrade_sync.tests import factories as sync_factories
from apps.trades.models import BalanceSnapshot, NetLiqPoint, PositionSnapshot, Transaction

__all__ = [
    "BalanceSnapshotFactory",
    "BrokerAccountFactory",
    "NetLiqPointFactory",
    "PositionSnapshotFactory",
    "TransactionFactory",
    "UserFactory",
    "make_transactions",
]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"trader{n}@example.com")


class BrokerAccountFactory(sync_factories.BrokerAccountFactory):
    user = factory.SubFactory(UserFactory)


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    account = factory.SubFactory(BrokerAccountFactory)
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


class PositionSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PositionSnapshot

    account = factory.SubFactory(BrokerAccountFactory)
    as_of = datetime(2025, 6, 2, 20, 0, tzinfo=UTC)
    symbol = factory.Sequence(lambda n: f"SPY   260116P{(400 + n) * 1000:08d}")
    instrument_type = "Equity Option"
    underlying_symbol = "SPY"
    quantity = Decimal("-1")
    multiplier = Decimal("100")
    average_open_price = Decimal("2.50")
    mark = Decimal("1.50")
    expires_at = datetime(2026, 1, 16, 21, 0, tzinfo=UTC)


class BalanceSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BalanceSnapshot

    account = factory.SubFactory(BrokerAccountFactory)
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


def make_transactions(account, count: int, *, start: datetime = datetime(2025, 1, 2, 15, 0, tzinfo=UTC)) -> None:
    """Many rows at once (bulk), an hour apart, for the tests that check a page does not slow down with size."""
    Transaction.objects.bulk_create(
        TransactionFactory.build(
            account=account,
            executed_at=start + timedelta(hours=n),
            symbol=f"T{n % 40}",
            underlying_symbol=f"T{n % 40}",
            instrument_type="Equity",
        )
        for n in range(count)
    )
