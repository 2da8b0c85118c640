"""Per-trade facts against a hand-worked ledger: a managed put, an expired put spread, a rolled put
and an assigned put whose shares were sold (times 15:00 UTC are 10:00 or 11:00 in New York)."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from apps.trades.analytics import Outcome, breakdown, dte_bucket, management_rules, trade_facts
from apps.trades.lots import recompute_account
from apps.trades.models import BrokerAccount, Strategy, Tag, Target
from apps.trades.tests.factories import (
    BrokerAccountFactory,
    MoneyMovementFactory,
    OptionTransactionFactory,
    ReceiveDeliverFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db

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
    trades = trade_facts(accounts=BrokerAccount.objects.filter(pk=account.pk))
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
    trades = trade_facts(accounts=BrokerAccount.objects.filter(pk=account.pk))
    assert sorted(trade.underlying for trade in trades) == ["IWM", "QQQ", "SCHG", "SPY"]
    assert sum((trade.realized_pnl for trade in trades), D(0)) == D("672.80")  # 58.80 + 150 + 150 + 314


@pytest.mark.parametrize("trades", [1, 4])
def test_reading_the_stored_facts_takes_two_queries_however_many_trades(account, django_assert_num_queries, trades):
    for ledger in (managed_put, rolled_put, expired_put_spread, assigned_put)[:trades]:
        ledger(account)
    recompute_account(account=account)
    with django_assert_num_queries(2):  # the facts, the tags
        trade_facts(accounts=BrokerAccount.objects.filter(pk=account.pk))


def losing_call(account) -> None:
    """TSLA 300 call bought Wednesday 4 Mar at 5.00, sold 12 Mar at 2.00: -300, 8 days, 16 DTE at entry."""
    tsla = {"account": account, "underlying_symbol": "TSLA", "option_type": "C", "strike": D(300)}
    OptionTransactionFactory(**tsla, action="Buy to Open", price=D("5.00"), executed_at=at(3, 4))
    OptionTransactionFactory(**tsla, action="Sell to Close", price=D("2.00"), executed_at=at(3, 12))


@pytest.fixture
def ledger(account):
    """The five trades, the first two tagged: SPY '16 delta'; QQQ '16 delta' and 'spreads'."""
    managed_put(account)
    expired_put_spread(account)
    rolled_put(account)
    assigned_put(account)
    losing_call(account)
    recompute_account(account=account)
    trades = trade_facts(accounts=BrokerAccount.objects.filter(pk=account.pk))
    keys = {trade.underlying: trade.key for trade in trades}
    for underlying, name in (("SPY", "16 delta"), ("QQQ", "16 delta"), ("QQQ", "spreads")):
        Tag.objects.create(account=account, target=Target.POSITION, key=keys[underlying], name=name)
    return trade_facts(accounts=BrokerAccount.objects.filter(pk=account.pk))


def test_trades_carry_the_tags_of_their_positions(ledger):
    tags = {trade.underlying: trade.tags for trade in ledger}
    assert tags == {"SPY": ("16 delta",), "QQQ": ("16 delta", "spreads"), "IWM": (), "SCHG": (), "TSLA": ()}


def test_the_dte_breakdown_works_out_every_statistic_of_each_bucket(ledger):
    short, month = breakdown(ledger, "dte")
    # 8-21 DTE: SPY +58.80 (8 days), IWM +150 (39), SCHG +314 (23), TSLA -300 (8).
    assert (short.key, short.trades, short.winners, short.losers, short.win_rate) == ("8-21", 4, 3, 1, D("0.75"))
    assert (short.average_win, short.average_loss) == (D("522.80") / 3, D("-300"))
    assert (short.expectancy, short.profit_factor) == (D("55.70"), D("522.80") / 300)
    assert (short.largest_win, short.largest_loss, short.total_pnl) == (D("314"), D("-300"), D("222.80"))
    assert short.average_days_held == D("19.5")  # 78 days / 4
    # Only SPY (58.80 of 98.90) and IWM (150 of 200) have a max profit: the call and the wheel do not.
    assert short.average_captured == (D("58.80") / D("98.90") + D("0.75")) / 2
    # 22-45 DTE: the QQQ spread alone, no loser, so no average loss and no profit factor.
    assert (month.key, month.trades, month.win_rate, month.expectancy) == ("22-45", 1, D("1"), D("150"))
    assert (month.average_loss, month.profit_factor, month.average_captured) == (None, None, D("1"))


def test_the_strategy_breakdown_names_each_strategy(ledger):
    rows = {row.key: (row.trades, row.total_pnl) for row in breakdown(ledger, "strategy")}
    assert rows == {
        "Long call": (1, D("-300")),
        # SPY, IWM and SCHG: 58.80 + 150 + 314 (the 20,000 deposit secures none of them whole).
        "Short put": (3, D("522.80")),
        "Vertical spread": (1, D("150")),
    }


def test_the_weekday_breakdown_counts_the_day_each_trade_was_opened(ledger):
    rows = [(row.key, row.trades, row.total_pnl) for row in breakdown(ledger, "weekday")]
    assert rows == [("Monday", 3, D("522.80")), ("Tuesday", 1, D("150")), ("Wednesday", 1, D("-300"))]


def test_the_month_breakdown_counts_the_month_each_trade_was_closed(ledger):
    rows = [(row.key, row.trades, row.total_pnl) for row in breakdown(ledger, "month")]
    assert rows == [("2026-03", 3, D("72.80")), ("2026-04", 2, D("300"))]


def test_a_trade_with_two_tags_counts_under_each_and_untagged_trades_have_their_own_row(ledger):
    rows = [(row.key, row.trades, row.total_pnl) for row in breakdown(ledger, "tag")]
    assert rows == [("16 delta", 2, D("208.80")), ("Untagged", 3, D("164")), ("spreads", 1, D("150"))]


def test_open_trades_are_left_out_of_the_breakdowns(account):
    OptionTransactionFactory(account=account, expires_on=APRIL, executed_at=at(3, 2))
    managed_put(account)
    recompute_account(account=account)
    trades = trade_facts(accounts=BrokerAccount.objects.filter(pk=account.pk))
    assert [(row.key, row.trades) for row in breakdown(trades, "underlying")] == [("SPY", 1)]


@pytest.mark.parametrize(("dte", "bucket"), [(0, "0-7"), (7, "0-7"), (8, "8-21"), (21, "8-21"), (22, "22-45"),
                                             (45, "22-45"), (46, "46-60"), (60, "46-60"), (61, "60+")])  # fmt: skip
def test_dte_buckets_include_their_upper_bound(dte, bucket):
    assert dte_bucket(dte) == bucket


def rule(rows, label_start: str):
    (row,) = [row for row in rows if row.key.startswith(label_start)]
    return (row.trades, row.total_pnl, row.expectancy)


def test_management_rules_count_the_short_premium_trades_and_their_average_result(ledger):
    rows = management_rules(ledger, profit_target_percent=50, dte=21)
    # Credit trades: SPY 58.80, QQQ 150, IWM 150, SCHG 314 (the TSLA call was a debit).
    assert rule(rows, "All") == (4, D("672.80"), D("168.20"))
    # Closed at 50% or more: SPY (59% of 98.90) and IWM (75% of 200); QQQ expired, it was not closed.
    assert rule(rows, "Closed at 50%") == (2, D("208.80"), D("104.40"))
    # Opened above 21 DTE and closed below it: only QQQ (45 to 0); the others opened at 18.
    assert rule(rows, "Held past 21 DTE") == (1, D("150"), D("150"))
    # QQQ expired, SCHG was assigned.
    assert rule(rows, "Held to expiration") == (2, D("464"), D("232"))


def test_management_rules_follow_the_traders_thresholds(ledger):
    rows = management_rules(ledger, profit_target_percent=60, dte=10)
    assert rule(rows, "Closed at 60%") == (1, D("150"), D("150"))  # IWM's 75%; SPY's 59% falls short
    # Above 10 DTE at entry and below it at exit: QQQ (45 to 0) and IWM (18 to 7); SPY left at 10 exactly.
    assert rule(rows, "Held past 10 DTE") == (2, D("300"), D("150"))
