"""Per-trade facts against a hand-worked ledger: a managed put, an expired put spread, a rolled put
and an assigned put whose shares were sold (times 15:00 UTC are 10:00 or 11:00 in New York)."""

from datetime import UTC, date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from apps.trades.analytics import Outcome, trade_facts
from apps.trades.lots import recompute_account
from apps.trades.models import BrokerAccount, Strategy
from apps.trades.tests.factories import (
    BrokerAccountFactory,
    MoneyMovementFactory,
    OptionTransactionFactory,
    ReceiveDeliverFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
MARCH = date(2026, 3, 20)
APRIL = date(2026, 4, 17)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 15, 0, tzinfo=UTC)


def managed_put(account) -> None:
    """SPY 400 put sold 2 Mar at 1.00 (1.10 of charges), bought back 10 Mar at 0.40 (0.10): 58.80."""
    OptionTransactionFactory(
        account=account, price=D("1.00"), commission=D("-1"), clearing_fees=D("-0.10"), executed_at=at(3, 2)
    )
    OptionTransactionFactory(
        account=account, action="Buy to Close", price=D("0.40"), clearing_fees=D("-0.10"), executed_at=at(3, 10)
    )


def expired_put_spread(account) -> None:
    """QQQ 300/295 put spread sold 3 Mar for 2.00 - 0.50 = 150 credit, expired 17 Apr: 150 of 150."""
    legs = {"account": account, "underlying_symbol": "QQQ", "expires_on": APRIL, "order_id": 7001}
    OptionTransactionFactory(**legs, strike=D(300), price=D("2.00"), executed_at=at(3, 3))
    OptionTransactionFactory(**legs, action="Buy to Open", strike=D(295), price=D("0.50"), executed_at=at(3, 3))
    for strike in (D(300), D(295)):
        ReceiveDeliverFactory(
            account=account, underlying_symbol="QQQ", strike=strike, expires_on=APRIL,
            executed_at=datetime(2026, 4, 17, 21, tzinfo=UTC),
        )  # fmt: skip


def rolled_put(account) -> None:
    """IWM 200 put sold 2 Mar at 1.50 (+150); rolled 16 Mar: bought at 3.00 (-300), sold the April 195 put
    at 3.50 (+350); bought back 10 Apr at 0.50 (-50). Realized -150 + 300 = 150 of a 200 net credit."""
    iwm = {"account": account, "underlying_symbol": "IWM"}
    OptionTransactionFactory(**iwm, strike=D(200), price=D("1.50"), executed_at=at(3, 2))
    OptionTransactionFactory(
        **iwm, strike=D(200), action="Buy to Close", price=D("3.00"), order_id=8001, executed_at=at(3, 16)
    )
    OptionTransactionFactory(
        **iwm, strike=D(195), expires_on=APRIL, price=D("3.50"), order_id=8001, executed_at=at(3, 16)
    )
    OptionTransactionFactory(
        **iwm, strike=D(195), expires_on=APRIL, action="Buy to Close", price=D("0.50"), executed_at=at(4, 10)
    )


def assigned_put(account) -> None:
    """SCHG 103 put sold 2 Mar at 1.20 (1 commission): 119; assigned 20 Mar, 100 shares cost 10,305 with
    fees; sold 25 Mar at 105 for 10,500: 195 on the stock, 314 in all."""
    MoneyMovementFactory(account=account, value=D("20000"), executed_at=datetime(2026, 3, 1, 15, tzinfo=UTC))
    OptionTransactionFactory(
        account=account, underlying_symbol="SCHG", strike=D(103), price=D("1.20"), commission=D("-1"),
        executed_at=at(3, 2),
    )  # fmt: skip
    ReceiveDeliverFactory(account=account, transaction_sub_type="Assignment", underlying_symbol="SCHG", strike=D(103))
    ReceiveDeliverFactory(
        account=account, transaction_sub_type="Buy to Open", action="Buy to Open", symbol="SCHG",
        underlying_symbol="SCHG", instrument_type="Equity", option_type="", strike=None, expires_on=None,
        multiplier=None, quantity=100, price=D(103), value=D("-10300"), clearing_fees=D("-5"),
    )  # fmt: skip
    TransactionFactory(
        account=account, symbol="SCHG", action="Sell to Close", quantity=100, price=D(105), executed_at=at(3, 25)
    )


def facts_of(account, underlying: str):
    recompute_account(account=account)
    trades = trade_facts(accounts=BrokerAccount.objects.filter(pk=account.pk), tz=NEW_YORK)
    (trade,) = [trade for trade in trades if trade.underlying == underlying]
    return trade


@pytest.fixture
def account():
    return BrokerAccountFactory()


def test_a_managed_short_put_is_one_trade_with_its_dates_dte_and_realized_pnl_net_of_fees(account):
    managed_put(account)
    trade = facts_of(account, "SPY")
    assert (trade.opened_on, trade.closed_on, trade.days_held) == (date(2026, 3, 2), date(2026, 3, 10), 8)
    assert (trade.dte_at_entry, trade.dte_at_exit) == (18, 10)
    assert (trade.entry_cash, trade.realized_pnl) == (D("98.90"), D("58.80"))
    assert (trade.rolls, trade.outcome) == (0, Outcome.CLOSED)


def test_a_short_puts_max_profit_is_its_credit_and_its_max_loss_the_stock_going_to_zero(account):
    managed_put(account)
    trade = facts_of(account, "SPY")
    # 98.90 collected; 40,000 owed for the shares at zero.
    assert (trade.max_profit, trade.max_loss) == (D("98.90"), D("-39901.10"))
    assert trade.captured == D("58.80") / D("98.90")


def test_a_put_spread_risks_its_width_less_the_credit_and_expiring_captures_all_of_it(account):
    expired_put_spread(account)
    trade = facts_of(account, "QQQ")
    assert trade.strategy == Strategy.VERTICAL
    assert (trade.entry_cash, trade.max_profit, trade.max_loss) == (D("150"), D("150"), D("-350"))
    assert (trade.dte_at_entry, trade.dte_at_exit, trade.days_held) == (45, 0, 45)
    assert (trade.realized_pnl, trade.captured, trade.outcome) == (D("150"), D("1"), Outcome.EXPIRED)


def test_a_rolled_put_is_one_trade_counting_its_roll_and_its_net_credit(account):
    rolled_put(account)
    trade = facts_of(account, "IWM")
    assert (trade.opened_on, trade.closed_on, trade.days_held, trade.rolls) == (
        date(2026, 3, 2), date(2026, 4, 10), 39, 1,
    )  # fmt: skip
    # 18 days to the March expiry when opened; 7 to the April one when closed.
    assert (trade.dte_at_entry, trade.dte_at_exit) == (18, 7)
    assert (trade.entry_cash, trade.net_credit) == (D("150"), D("200"))
    assert (trade.max_profit, trade.max_loss) == (D("200"), None)
    assert (trade.realized_pnl, trade.captured, trade.outcome) == (D("150"), D("0.75"), Outcome.CLOSED)


def test_an_assigned_put_and_its_shares_are_one_trade_that_ended_assigned(account):
    assigned_put(account)
    trade = facts_of(account, "SCHG")
    assert trade.strategy == Strategy.CASH_SECURED_PUT
    assert (trade.opened_on, trade.closed_on, trade.days_held) == (date(2026, 3, 2), date(2026, 3, 25), 23)
    assert (trade.entry_cash, trade.realized_pnl, trade.rolls) == (D("119"), D("314"), 0)
    assert (trade.max_profit, trade.max_loss, trade.captured) == (None, None, None)
    assert (trade.dte_at_entry, trade.dte_at_exit, trade.outcome) == (18, None, Outcome.ASSIGNED)


def test_an_open_trade_has_no_exit_and_no_capture(account):
    OptionTransactionFactory(account=account, expires_on=APRIL, executed_at=at(3, 2))
    trade = facts_of(account, "SPY")
    assert (trade.closed_on, trade.days_held, trade.dte_at_exit) == (None, None, None)
    assert (trade.outcome, trade.captured, trade.dte_at_entry) == (Outcome.OPEN, None, 46)


def test_the_four_trades_of_one_ledger_are_four_trades_not_their_legs(account):
    managed_put(account)
    expired_put_spread(account)
    rolled_put(account)
    assigned_put(account)
    recompute_account(account=account)
    trades = trade_facts(accounts=BrokerAccount.objects.filter(pk=account.pk), tz=NEW_YORK)
    assert sorted(trade.underlying for trade in trades) == ["IWM", "QQQ", "SCHG", "SPY"]
    assert sum((trade.realized_pnl for trade in trades), D(0)) == D("672.80")  # 58.80 + 150 + 150 + 314


def test_reading_the_facts_takes_three_queries_however_many_trades(account, django_assert_num_queries):
    managed_put(account)
    rolled_put(account)
    recompute_account(account=account)
    with django_assert_num_queries(3):
        trade_facts(accounts=BrokerAccount.objects.filter(pk=account.pk), tz=NEW_YORK)
