"""Ledger rows for dashboard and report tests: valid, boring values; the numbers a test checks are set in the test.

Every factory lives in `apps/trades/tests/factories.py`, its one home; this module builds whole histories
from them."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from apps.trades.lots import recompute_account
from apps.trades.models import (
    BrokerAccount,
    Chain,
    Note,
    Position,
    PositionSnapshot,
    Quote,
    Target,
    Transaction,
)
from apps.trades.tests import factories as trades
from apps.trades.tests.factories import (
    BrokerAccountFactory,
    SoldPutFillFactory,
    SoldPutPositionFactory,
    UserFactory,
)

__all__ = [
    "BrokerAccountFactory",
    "UserFactory",
    "make_round_trips",
    "make_trading_history",
    "make_transactions",
    "owned_trades",
]


def make_transactions(account, count: int, *, start: datetime = datetime(2025, 1, 2, 15, 0, tzinfo=UTC)) -> None:
    """Many rows at once (bulk), an hour apart, for the tests that check a page does not slow down with size."""
    Transaction.objects.bulk_create(
        SoldPutFillFactory.build(
            account=account,
            executed_at=start + timedelta(hours=n),
            symbol=f"T{n % 40}",
            underlying_symbol=f"T{n % 40}",
            instrument_type="Equity",
        )
        for n in range(count)
    )


def at(month: int, day: int, *, hour: int = 15) -> datetime:
    """A time in 2026, UTC (15:00 UTC is 10:00 or 11:00 in New York: the same trading day)."""
    return datetime(2026, month, day, hour, tzinfo=UTC)


def make_trading_history(user, *, account_number: str = "5WT77777") -> BrokerAccount:
    """A small ledger run through the P&L engine, with hand-computed results (times UTC, days New York):

    - AAPL: bought 10 at 100 (commission -1) on 5 Jan 2026, sold at 110 (fee -0.03) on 20 Jan: +98.97
    - SPY 400 put (20 Feb 2026) sold at 1.00 on 2 Feb (charges -1.14), expired on 20 Feb: +98.86
    - KO: bought 5 at 60 on 2 Mar, sold at 50 on 16 Mar: -50.00
    - QQQ 500 put (17 Apr 2026) sold at 2.50 on 10 Mar (commission -1), still open; the broker's mark 1.50:
      unrealized = -150 + 249 = +99.00

    So on 16 Mar 2026: realized today and this month -50.00, this year +147.83; 2 of 3 closed positions won.
    """
    account = BrokerAccountFactory(user=user, account_number=account_number)
    trade, option = trades.TransactionFactory, trades.OptionTransactionFactory
    trade(account=account, quantity=10, price=Decimal("100"), commission=Decimal("-1"), executed_at=at(1, 5))
    trade(
        account=account,
        action="Sell to Close",
        quantity=10,
        price=Decimal("110"),
        regulatory_fees=Decimal("-0.03"),
        executed_at=at(1, 20),
    )
    option(
        account=account,
        expires_on=date(2026, 2, 20),
        commission=Decimal("-1"),
        clearing_fees=Decimal("-0.10"),
        regulatory_fees=Decimal("-0.04"),
        executed_at=at(2, 2),
    )
    trades.ReceiveDeliverFactory(account=account, expires_on=date(2026, 2, 20), executed_at=at(2, 20, hour=21))
    trade(account=account, symbol="KO", quantity=5, price=Decimal("60"), executed_at=at(3, 2))
    trade(account=account, symbol="KO", action="Sell to Close", quantity=5, price=Decimal("50"), executed_at=at(3, 16))
    put = option(
        account=account,
        underlying_symbol="QQQ",
        strike=Decimal("500"),
        expires_on=date(2026, 4, 17),
        price=Decimal("2.50"),
        commission=Decimal("-1"),
        executed_at=at(3, 10),
    )
    SoldPutPositionFactory(
        account=account,
        symbol=put.symbol,
        underlying_symbol="QQQ",
        quantity=Decimal("-1"),
        multiplier=Decimal("100"),
        average_open_price=Decimal("2.50"),
        mark=Decimal("1.50"),
        expires_at=datetime(2026, 4, 17, 20, tzinfo=UTC),
        as_of=at(3, 16, hour=20),
    )
    recompute_account(account=account)
    return account


def make_round_trips(account, count: int, *, start: datetime = datetime(2025, 6, 2, 15, tzinfo=UTC)) -> None:
    """`count` stock trades in bulk, an hour apart: each buy is sold the next hour (a gain or a loss), then the
    P&L engine runs. For the tests that check a page costs the same with more P&L events.

    Rows are built here rather than by a factory, so thousands of them leave the factories' sequences (and the
    default times other tests' rows get from them) alone.
    """
    first_id = 9_000_000_000 + Transaction.objects.filter(account=account).count()
    rows = []
    for n in range(count):
        buying = n % 2 == 0
        price = Decimal("100") if buying else Decimal(95 + n % 11)
        executed_at = start + timedelta(hours=n)
        rows.append(
            Transaction(
                account=account,
                tastytrade_id=first_id + n,
                transaction_type=Transaction.Type.TRADE,
                transaction_sub_type="Buy to Open" if buying else "Sell to Close",
                action="Buy to Open" if buying else "Sell to Close",
                symbol=f"R{n // 2 % 40}",
                underlying_symbol=f"R{n // 2 % 40}",
                instrument_type="Equity",
                quantity=Decimal("1"),
                price=price,
                value=-price if buying else price,
                net_value=-price if buying else price,
                executed_at=executed_at,
                transaction_date=executed_at.date(),
            )
        )
    Transaction.objects.bulk_create(rows)
    recompute_account(account=account)


def owned_trades(user) -> dict[str, dict]:
    """For ownership tests: the URL kwargs of every id-taking Trades URL, naming objects `user` owns.

    The trade is a short IWM put rolled in one order (so the account holds a chain), with a note.
    """
    account = BrokerAccountFactory(user=user)
    first = {"underlying_symbol": "IWM", "strike": Decimal("200"), "expires_on": date(2026, 4, 17)}
    trades.OptionTransactionFactory(account=account, executed_at=at(3, 3), **first)
    trades.OptionTransactionFactory(
        account=account, action="Buy to Close", price=Decimal("0.40"), order_id=77, executed_at=at(3, 9), **first
    )
    trades.OptionTransactionFactory(
        account=account, underlying_symbol="IWM", strike=Decimal("195"), expires_on=date(2026, 5, 15), order_id=77,
        executed_at=at(3, 9),
    )  # fmt: skip
    recompute_account(account=account)
    position = Position.objects.filter(account=account).order_by("opened_at").first()
    chain = Chain.objects.get(account=account)
    note = Note.objects.create(account=account, target=Target.POSITION, key=position.key, text="Mine.")
    trade = {"account": account.pk, "key": position.key}
    named = {**trade, "target": Target.POSITION}
    return {
        "trades:detail": trade,
        "trades:set_strategy": trade,
        "trades:chain": {"account": account.pk, "key": chain.key},
        "trades:add_tag": named,
        "trades:remove_tag": named,
        "trades:add_note": named,
        "trades:edit_note": {**named, "note": note.pk},
        "trades:delete_note": {**named, "note": note.pk},
    }


def quote_the_short_qqq_put(history: BrokerAccount) -> PositionSnapshot:
    """The history's short QQQ 500 put, with QQQ at 505 and the put's quote as a snapshot would store them."""
    put = PositionSnapshot.objects.get(account=history, underlying_symbol="QQQ")
    at = datetime(2026, 3, 16, 20, 30, tzinfo=UTC)
    Quote.objects.create(account=history, symbol="QQQ", instrument_type="Equity", mark=Decimal("505"), fetched_at=at)
    Quote.objects.create(
        account=history,
        symbol=put.symbol,
        instrument_type="Equity Option",
        mark=Decimal("1.50"),
        fetched_at=at,
        underlying_price=Decimal("505"),
        implied_volatility=Decimal("0.25"),
        delta=Decimal("-0.2"),
        gamma=Decimal("0.01"),
        theta=Decimal("-0.05"),
        vega=Decimal("0.3"),
    )
    return put
