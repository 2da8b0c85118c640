"""The options lifecycle, FIFO and fees, with numbers worked out by hand in each test."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from apps.trades.lots import recompute_account
from apps.trades.models import DataIssue, Lot, PnlEvent, Position, Transaction
from apps.trades.tests.factories import (
    BrokerAccountFactory,
    FutureTransactionFactory,
    MoneyMovementFactory,
    OptionTransactionFactory,
    ReceiveDeliverFactory,
    TransactionFactory,
    occ_symbol,
)

pytestmark = pytest.mark.django_db

EXPIRY = date(2026, 3, 20)
EXPIRATION_TIME = datetime(2026, 3, 20, 21, 0, tzinfo=UTC)
ACTION_TIME = datetime(2026, 3, 10, 16, 54, 30, tzinfo=UTC)
AFTER_ACTIONS = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)


@pytest.fixture
def account():
    return BrokerAccountFactory()


def events(account) -> list[PnlEvent]:
    return list(PnlEvent.objects.filter(account=account).order_by("executed_at", "key"))


def open_lots(account) -> list[Lot]:
    return list(Lot.objects.filter(account=account).open().order_by("opened_at", "key"))


def issues(account) -> list[str]:
    return list(DataIssue.objects.filter(account=account).values_list("kind", flat=True))


def realized(account) -> D:
    return sum((event.realized_pnl for event in events(account)), D(0))


# --- Stock, FIFO and fees ------------------------------------------------------------------------


def test_a_round_trip_realizes_both_rows_net_values(account):
    TransactionFactory(account=account, action="Buy to Open", quantity=10, price=D("100"), commission=D("-1.00"))
    TransactionFactory(account=account, action="Sell to Close", quantity=10, price=D("110"), regulatory_fees=D("-0.03"))
    recompute_account(account=account)
    [event] = events(account)
    # Bought for 1,000 + 1.00 commission; sold for 1,100 - 0.03.
    assert (event.opening_cash, event.closing_cash, event.realized_pnl) == (D("-1001"), D("1099.97"), D("98.97"))
    assert (event.commission, event.regulatory_fees, event.quantity) == (D("-1"), D("-0.03"), D("10"))
    assert event.kind == PnlEvent.Kind.TRADE
    assert open_lots(account) == []


def test_a_partial_close_takes_pro_rata_shares_of_the_opening_and_closing_rows(account):
    TransactionFactory(account=account, action="Buy to Open", quantity=3, price=D("100"), commission=D("-1.00"))
    TransactionFactory(account=account, action="Sell to Close", quantity=2, price=D("110"), commission=D("-1.00"))
    TransactionFactory(account=account, action="Sell to Close", quantity=1, price=D("90"), commission=D("-1.00"))
    recompute_account(account=account)
    first, second = events(account)
    # 2 of 3 shares carry 2/3 of -301.00 = -200.6667 (rounded to 0.0001); the last share takes the rest.
    assert (first.opening_cash, first.closing_cash, first.realized_pnl) == (D("-200.6667"), D("219"), D("18.3333"))
    assert first.commission == D("-1.6667")
    assert (second.opening_cash, second.closing_cash, second.realized_pnl) == (D("-100.3333"), D("89"), D("-11.3333"))
    assert first.realized_pnl + second.realized_pnl == D("-301") + D("219") + D("89")


def test_fifo_closes_the_oldest_lot_first_when_scaling_out(account):
    TransactionFactory(account=account, action="Buy to Open", quantity=1, price=D("100"))
    TransactionFactory(account=account, action="Buy to Open", quantity=1, price=D("120"))
    TransactionFactory(account=account, action="Sell to Close", quantity=1, price=D("130"))
    recompute_account(account=account)
    [event] = events(account)
    assert event.realized_pnl == D("30")
    [left] = open_lots(account)
    assert (left.remaining_quantity, left.remaining_cost) == (D("1"), D("-120"))


def test_one_closing_row_closing_two_lots_shares_its_cash_by_quantity(account):
    TransactionFactory(account=account, action="Buy to Open", quantity=1, price=D("100"))
    TransactionFactory(account=account, action="Buy to Open", quantity=2, price=D("110"))
    TransactionFactory(account=account, action="Sell to Close", quantity=3, price=D("120"), commission=D("-0.30"))
    recompute_account(account=account)
    first, second = events(account)
    assert (first.closing_cash, first.realized_pnl) == (D("119.9"), D("19.9"))
    assert (second.closing_cash, second.realized_pnl) == (D("239.8"), D("19.8"))


def test_a_trade_that_flips_through_zero_closes_the_old_lot_and_opens_the_rest(account):
    TransactionFactory(account=account, action="Buy", quantity=1, price=D("100"), commission=D("-1"))
    # Sold 2 at 110: a stock's (or option's) value is the fill's cash, shared by quantity.
    TransactionFactory(account=account, action="Sell", quantity=2, price=D("110"), commission=D("-2"))
    recompute_account(account=account)
    [event] = events(account)
    assert (event.opening_cash, event.closing_cash, event.realized_pnl) == (D("-101"), D("109"), D("8"))
    [short] = open_lots(account)
    assert (short.remaining_quantity, short.remaining_cost) == (D("-1"), D("109"))


def test_an_opening_row_against_an_opposite_position_nets_like_the_broker_and_says_so(account):
    TransactionFactory(account=account, action="Sell to Open", quantity=5, price=D("50"))
    TransactionFactory(account=account, action="Buy to Open", quantity=5, price=D("40"))
    recompute_account(account=account)
    assert [event.realized_pnl for event in events(account)] == [D("50")]
    assert open_lots(account) == []
    assert issues(account) == [DataIssue.Kind.OPEN_AGAINST_POSITION]


def test_a_close_with_no_open_lot_opens_the_other_way_and_is_a_data_issue(account):
    TransactionFactory(account=account, action="Sell to Close", quantity=5, price=D("100"))
    recompute_account(account=account)
    assert events(account) == []
    [lot] = open_lots(account)
    assert (lot.remaining_quantity, lot.remaining_cost) == (D("-5"), D("500"))
    [issue] = DataIssue.objects.filter(account=account)
    assert issue.kind == DataIssue.Kind.CLOSE_WITHOUT_OPEN
    assert issue.symbol == "AAPL"


def test_a_close_larger_than_the_open_lot_flips_through_zero_and_reports_it(account):
    OptionTransactionFactory(account=account, action="Sell to Open", quantity=1, price=D("1.18"))
    OptionTransactionFactory(account=account, action="Buy to Close", quantity=6, price=D("0.34"))
    recompute_account(account=account)
    [event] = events(account)
    assert (event.quantity, event.realized_pnl) == (D("-1"), D("84"))
    [lot] = open_lots(account)
    assert (lot.remaining_quantity, lot.remaining_cost) == (D("5"), D("-170"))
    assert issues(account) == [DataIssue.Kind.CLOSE_WITHOUT_OPEN]


def test_csv_style_actions_are_understood(account):
    TransactionFactory(account=account, action="BUY_TO_OPEN", quantity=1, price=D("10"))
    TransactionFactory(account=account, action="SELL_TO_CLOSE", quantity=1, price=D("12"))
    recompute_account(account=account)
    assert realized(account) == D("2")


# --- Options: long, short, expirations ------------------------------------------------------------


def test_a_short_put_that_expires_without_an_action_realizes_its_premium(account):
    OptionTransactionFactory(
        account=account,
        action="Sell to Open",
        price=D("1.00"),
        commission=D("-1.00"),
        clearing_fees=D("-0.10"),
        regulatory_fees=D("-0.04"),
    )
    ReceiveDeliverFactory(account=account, transaction_sub_type="Expiration", action="")
    recompute_account(account=account)
    [event] = events(account)
    assert event.kind == PnlEvent.Kind.EXPIRATION
    assert event.quantity == D("-1")  # a short lot was closed
    assert (event.opening_cash, event.closing_cash, event.realized_pnl) == (D("98.86"), D("0"), D("98.86"))
    assert (event.commission, event.clearing_fees, event.regulatory_fees) == (D("-1"), D("-0.1"), D("-0.04"))
    assert event.trading_day == date(2026, 3, 20)


def test_a_long_call_that_expires_loses_what_it_cost(account):
    OptionTransactionFactory(
        account=account, action="Buy to Open", option_type="C", quantity=2, price=D("0.50"), commission=D("-2.00")
    )
    ReceiveDeliverFactory(account=account, option_type="C", quantity=2)
    recompute_account(account=account)
    [event] = events(account)
    assert (event.quantity, event.realized_pnl) == (D("2"), D("-102"))


def test_an_expiration_that_carries_a_closing_action_is_the_same_event(account):
    OptionTransactionFactory(account=account, action="Sell to Open", price=D("1.00"))
    ReceiveDeliverFactory(account=account, action="Buy to Close")
    recompute_account(account=account)
    assert [(event.kind, event.realized_pnl) for event in events(account)] == [(PnlEvent.Kind.EXPIRATION, D("100"))]


def test_a_partial_close_then_the_rest_expires(account):
    OptionTransactionFactory(account=account, action="Sell to Open", quantity=3, price=D("2.00"), commission=D("-3"))
    OptionTransactionFactory(account=account, action="Buy to Close", quantity=1, price=D("0.50"))
    ReceiveDeliverFactory(account=account, quantity=2)
    recompute_account(account=account)
    closed, expired = events(account)
    assert (closed.opening_cash, closed.closing_cash, closed.realized_pnl) == (D("199"), D("-50"), D("149"))
    assert (expired.quantity, expired.realized_pnl) == (D("-2"), D("398"))


def test_the_multiplier_comes_from_the_instrument_not_an_assumed_100(account):
    symbol = "./MESM6 EXK6  260529P5800"
    common = {"symbol": symbol, "underlying_symbol": "/MESM6", "instrument_type": "Future Option"}
    common |= {"multiplier": None, "option_type": "", "strike": None, "expires_on": None}
    # 82.50 points x 5 = 412.50: the row's value says the multiplier is 5.
    TransactionFactory(account=account, action="Sell to Open", price=D("82.50"), value=D("412.50"), **common)
    TransactionFactory(account=account, action="Buy to Close", price=D("40.00"), value=D("-200"), **common)
    recompute_account(account=account)
    lot = Lot.objects.get(account=account)
    assert lot.multiplier == D("5")
    assert (lot.option_type, lot.strike, lot.expires_on) == ("P", D("5800"), date(2026, 5, 29))
    assert realized(account) == D("212.50")


# --- Assignment and exercise ------------------------------------------------------------------------


def assignment(account, *, underlying="SCHG", option_type="P", strike=D("103"), sub_type="Assignment", shares=100,
               action="Buy to Open", fee=D("-5.00")):  # fmt: skip
    """The two rows of an assignment or exercise: the option's removal, then the delivered stock."""
    ReceiveDeliverFactory(
        account=account,
        transaction_sub_type=sub_type,
        underlying_symbol=underlying,
        option_type=option_type,
        strike=strike,
        description=f"Removal of option due to {sub_type.lower()}",
    )
    ReceiveDeliverFactory(
        account=account,
        transaction_sub_type=action,
        action=action,
        symbol=underlying,
        underlying_symbol=underlying,
        instrument_type="Equity",
        option_type="",
        strike=None,
        expires_on=None,
        multiplier=None,
        quantity=shares,
        price=strike,
        value=D(shares) * strike * (-1 if action.startswith("Buy") else 1),
        clearing_fees=fee,
    )


def test_a_short_put_assignment_realizes_the_premium_and_opens_stock_at_the_strike(account):
    OptionTransactionFactory(
        account=account, underlying_symbol="SCHG", strike=D("103"), price=D("1.20"), commission=D("-1.00")
    )
    assignment(account)
    recompute_account(account=account)
    [event] = events(account)
    assert (event.kind, event.quantity, event.realized_pnl) == (PnlEvent.Kind.ASSIGNMENT, D("-1"), D("119"))
    [stock] = open_lots(account)
    assert (stock.symbol, stock.remaining_quantity, stock.remaining_cost) == ("SCHG", D("100"), D("-10305"))
    assert stock.opening_price == D("103")
    put = Position.objects.get(account=account, lots__symbol__startswith="SCHG  ")
    assert stock.position.assigned_from_key == put.key


def test_a_short_call_assignment_without_shares_makes_short_stock(account):
    OptionTransactionFactory(
        account=account, underlying_symbol="XYZ", option_type="C", strike=D("50"), price=D("2.00"), commission=D("-1")
    )
    assignment(account, underlying="XYZ", option_type="C", strike=D("50"), action="Sell to Open")
    recompute_account(account=account)
    assert [event.realized_pnl for event in events(account)] == [D("199")]
    [stock] = open_lots(account)
    assert (stock.remaining_quantity, stock.remaining_cost) == (D("-100"), D("4995"))


def test_a_covered_call_assignment_calls_the_stock_away(account):
    TransactionFactory(account=account, symbol="XYZ", quantity=100, price=D("45"))
    OptionTransactionFactory(account=account, underlying_symbol="XYZ", option_type="C", strike=D("50"), price=D("1"))
    assignment(account, underlying="XYZ", option_type="C", strike=D("50"), action="Sell to Close")
    recompute_account(account=account)
    option, stock = sorted(events(account), key=lambda event: event.instrument_type, reverse=True)
    assert (option.kind, option.realized_pnl) == (PnlEvent.Kind.ASSIGNMENT, D("100"))
    # Bought at 4,500; delivered at 5,000 less the 5.00 assignment fee.
    assert (stock.kind, stock.realized_pnl) == (PnlEvent.Kind.DELIVERY, D("495"))
    assert open_lots(account) == []


def test_exercising_a_long_call_buys_the_stock_at_the_strike(account):
    OptionTransactionFactory(
        account=account, action="Buy to Open", underlying_symbol="XYZ", option_type="C", strike=D("100"),
        price=D("3.00"), commission=D("-1"),
    )  # fmt: skip
    assignment(account, underlying="XYZ", option_type="C", strike=D("100"), sub_type="Exercise")
    recompute_account(account=account)
    [event] = events(account)
    assert (event.kind, event.quantity, event.realized_pnl) == (PnlEvent.Kind.EXERCISE, D("1"), D("-301"))
    [stock] = open_lots(account)
    assert (stock.remaining_quantity, stock.remaining_cost) == (D("100"), D("-10005"))


def test_exercising_a_long_put_sells_the_shares_held(account):
    TransactionFactory(account=account, symbol="XYZ", quantity=100, price=D("45"))
    OptionTransactionFactory(
        account=account, action="Buy to Open", underlying_symbol="XYZ", option_type="P", strike=D("40"),
        price=D("1.00"), commission=D("-1"),
    )  # fmt: skip
    assignment(account, underlying="XYZ", strike=D("40"), sub_type="Exercise", action="Sell to Close")
    recompute_account(account=account)
    by_kind = {event.kind: event.realized_pnl for event in events(account)}
    assert by_kind == {PnlEvent.Kind.EXERCISE: D("-101"), PnlEvent.Kind.DELIVERY: D("-505")}
    assert open_lots(account) == []


def both_itm_spread(account, deliveries: list[tuple[str, D, D]]):
    """A 100/105 bull call spread on XYZ settling with both legs in the money."""
    order = 999_001
    OptionTransactionFactory(
        account=account, action="Buy to Open", underlying_symbol="XYZ", option_type="C", strike=D("100"),
        price=D("3.00"), commission=D("-1"), order_id=order,
    )  # fmt: skip
    OptionTransactionFactory(
        account=account, action="Sell to Open", underlying_symbol="XYZ", option_type="C", strike=D("105"),
        price=D("1.00"), commission=D("-1"), order_id=order,
    )  # fmt: skip
    for sub_type, strike in (("Assignment", D("105")), ("Exercise", D("100"))):
        ReceiveDeliverFactory(
            account=account, transaction_sub_type=sub_type, underlying_symbol="XYZ", option_type="C", strike=strike
        )
    for action, price, value in deliveries:
        ReceiveDeliverFactory(
            account=account, transaction_sub_type=action, action=action, symbol="XYZ", underlying_symbol="XYZ",
            instrument_type="Equity", option_type="", strike=None, expires_on=None, multiplier=None, quantity=100,
            price=price, value=value, clearing_fees=D("-5"),
        )  # fmt: skip


@pytest.mark.parametrize(
    "deliveries",
    [
        # As the broker books it: the short leg first (Sell to Open), then the long leg buys it back.
        [("Sell to Open", D("105"), D("10500")), ("Buy to Close", D("100"), D("-10000"))],
        [("Buy to Open", D("100"), D("-10000")), ("Sell to Close", D("105"), D("10500"))],
        # Labelled as a close before its open: the Buy later in the same instant takes it back.
        [("Sell to Close", D("105"), D("10500")), ("Buy to Open", D("100"), D("-10000"))],
    ],
)
def test_a_spread_settling_with_both_legs_in_the_money_leaves_no_phantom_lot(account, deliveries):
    both_itm_spread(account, deliveries)
    recompute_account(account=account)
    by_kind = sorted((event.kind, event.realized_pnl) for event in events(account))
    assert by_kind == [
        (PnlEvent.Kind.ASSIGNMENT, D("99")),
        (PnlEvent.Kind.DELIVERY, D("490")),  # 105 - 100 on 100 shares, less two 5.00 delivery fees
        (PnlEvent.Kind.EXERCISE, D("-301")),
    ]
    assert open_lots(account) == []
    assert issues(account) == []
    # 5 points x 100 - 2.00 net debit x 100 - 2 commissions - 10 in delivery fees.
    assert realized(account) == D("288")


# --- Cash-settled index options ----------------------------------------------------------------------


def spx_put(account, **extra):
    return OptionTransactionFactory(
        account=account, underlying_symbol="SPX", symbol=occ_symbol("SPXW", EXPIRY, "P", D("5000")),
        strike=D("5000"), price=D("10.00"), commission=D("-1.00"), proprietary_index_option_fees=D("-0.65"), **extra,
    )  # fmt: skip


def spx_row(account, sub_type: str, value: D, tastytrade_id: int, executed_at=EXPIRATION_TIME):
    return ReceiveDeliverFactory(
        account=account, transaction_sub_type=sub_type, underlying_symbol="SPX", strike=D("5000"),
        symbol=occ_symbol("SPXW", EXPIRY, "P", D("5000")), value=value, tastytrade_id=tastytrade_id,
        executed_at=executed_at,
    )  # fmt: skip


@pytest.mark.parametrize("cash_row_first", [False, True])
def test_a_cash_settled_index_option_makes_one_event_from_two_rows(account, cash_row_first):
    spx_put(account)
    removal_id, cash_id = (3_900_000_002, 3_900_000_001) if cash_row_first else (3_900_000_001, 3_900_000_002)
    spx_row(account, "Assignment", D("0"), removal_id)
    spx_row(account, "Cash Settled Assignment", D("-2000"), cash_id)  # 20 points in the money x 100
    recompute_account(account=account)
    [event] = events(account)
    assert event.kind == PnlEvent.Kind.CASH_SETTLEMENT
    assert (event.opening_cash, event.closing_cash, event.realized_pnl) == (D("998.35"), D("-2000"), D("-1001.65"))
    assert event.proprietary_index_option_fees == D("-0.65")
    assert open_lots(account) == []
    assert issues(account) == []


def test_a_cash_settlement_posted_later_that_day_settles_the_earlier_removal(account):
    spx_put(account)
    spx_row(account, "Assignment", D("0"), 3_900_000_001)
    recompute_account(account=account)
    spx_row(account, "Cash Settled Assignment", D("-2000"), 3_900_000_002, datetime(2026, 3, 20, 22, 30, tzinfo=UTC))
    recompute_account(account=account)
    [event] = events(account)
    assert (event.kind, event.realized_pnl) == (PnlEvent.Kind.CASH_SETTLEMENT, D("-1001.65"))


def test_a_cash_settlement_with_no_option_is_a_data_issue(account):
    spx_row(account, "Cash Settled Exercise", D("500"), 3_900_000_001)
    recompute_account(account=account)
    assert events(account) == []
    assert issues(account) == [DataIssue.Kind.UNMATCHED_CASH_SETTLEMENT]


# --- Futures -------------------------------------------------------------------------------------------


def mark_to_market(account, amount: D, executed_at: datetime, symbol="/CLJ4"):
    MoneyMovementFactory(
        account=account, transaction_sub_type="Mark to Market", symbol=symbol, underlying_symbol="/CL",
        instrument_type="Future", value=amount, executed_at=executed_at,
    )  # fmt: skip


def test_a_future_realizes_its_variation_on_close_plus_the_marks_it_carried(account):
    common = {"symbol": "/CLJ4", "underlying_symbol": "/CL", "multiplier": D("1000")}
    # Bought at 79.69 (no cash moves but 3.07 in charges), settled at 79.81 then 79.76, sold at 79.53.
    FutureTransactionFactory(
        account=account, action="Buy", price=D("79.69"), commission=D("-1.25"), clearing_fees=D("-1.82"),
        executed_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC), **common,
    )  # fmt: skip
    mark_to_market(account, D("120"), datetime(2026, 3, 2, 21, 0, tzinfo=UTC))
    mark_to_market(account, D("-50"), datetime(2026, 3, 3, 21, 0, tzinfo=UTC))
    FutureTransactionFactory(
        account=account, action="Sell", price=D("79.53"), value=D("-230"), commission=D("-1.25"),
        clearing_fees=D("-1.82"), executed_at=datetime(2026, 3, 4, 15, 0, tzinfo=UTC), **common,
    )  # fmt: skip
    recompute_account(account=account)
    [event] = events(account)
    assert (event.opening_cash, event.variation, event.closing_cash) == (D("-3.07"), D("70"), D("-233.07"))
    # (79.53 - 79.69) x 1,000 less 6.14 in charges.
    assert event.realized_pnl == D("-166.14")
    assert event.trading_day == date(2026, 3, 4)


def test_a_futures_row_that_flips_the_position_gives_its_value_to_the_closed_part(account):
    common = {"symbol": "/CLJ4", "underlying_symbol": "/CL", "multiplier": D("1000")}
    FutureTransactionFactory(
        account=account, action="Buy", price=D("79.69"), commission=D("-1.25"), clearing_fees=D("-1.82"), **common
    )
    # One row sells 2: closes the long (value -160 is its variation) and opens a short at 79.53.
    FutureTransactionFactory(
        account=account, action="Sell", quantity=2, price=D("79.53"), value=D("-160"), commission=D("-2.50"),
        clearing_fees=D("-3.64"), **common,
    )  # fmt: skip
    recompute_account(account=account)
    [event] = events(account)
    assert (event.quantity, event.closing_cash, event.realized_pnl) == (D("1"), D("-163.07"), D("-166.14"))
    [short] = open_lots(account)
    assert (short.remaining_quantity, short.remaining_cost, short.remaining_variation) == (D("-1"), D("-3.07"), D("0"))


def test_an_open_future_carries_its_marks_until_it_closes(account):
    FutureTransactionFactory(account=account, symbol="/CLJ4", underlying_symbol="/CL", quantity=2)
    mark_to_market(account, D("301"), datetime(2026, 3, 2, 21, 0, tzinfo=UTC))
    recompute_account(account=account)
    assert events(account) == []
    [lot] = open_lots(account)
    assert (lot.remaining_cost, lot.remaining_variation) == (D("0"), D("301"))


def test_futures_and_future_options_of_one_product_are_one_underlying(account):
    # As the API states them: the future's underlying is the product, the option's is its future contract.
    FutureTransactionFactory(account=account, symbol="/MESH5", underlying_symbol="/MES", multiplier=D("5"))
    FutureTransactionFactory(
        account=account, symbol="/MESH5", underlying_symbol="/MES", multiplier=D("5"), action="Sell", value=D("25")
    )
    option = {"symbol": "./MESZ4 MESZ4 241220C6000", "underlying_symbol": "/MESZ4", "instrument_type": "Future Option"}
    OptionTransactionFactory(account=account, action="Buy to Open", multiplier=D("5"), price=D("20"), **option)
    OptionTransactionFactory(account=account, action="Sell to Close", multiplier=D("5"), price=D("22"), **option)
    recompute_account(account=account)
    assert {event.underlying_symbol for event in events(account)} == {"/MES"}
    assert set(Position.objects.filter(account=account).values_list("underlying_symbol", flat=True)) == {"/MES"}


def test_a_mark_to_market_with_no_open_future_is_a_data_issue(account):
    mark_to_market(account, D("10"), datetime(2026, 3, 2, 21, 0, tzinfo=UTC))
    recompute_account(account=account)
    assert issues(account) == [DataIssue.Kind.UNMATCHED_MARK_TO_MARKET]


# --- Corporate actions ------------------------------------------------------------------------------------


def corporate_action(account, sub_type, old, new, close_quantity, open_quantity, basis, underlying):
    for action, symbol, quantity, value in (
        ("Sell to Close", old, close_quantity, basis),
        ("Buy to Open", new, open_quantity, -basis),
    ):
        ReceiveDeliverFactory(
            account=account, transaction_sub_type=sub_type, action=action, symbol=symbol, quantity=quantity,
            underlying_symbol=underlying, instrument_type="Equity", option_type="", strike=None, expires_on=None,
            multiplier=None, price=basis / quantity, value=value, executed_at=ACTION_TIME,
        )  # fmt: skip


def test_a_symbol_change_moves_the_basis_and_realizes_nothing(account):
    TransactionFactory(account=account, symbol="VIAC", quantity=10, price=D("30"), commission=D("-1"))
    # The new row may still name the old ticker as its underlying.
    corporate_action(account, "Symbol Change", "VIAC", "PARA", 10, 10, D("300"), underlying="VIAC")
    recompute_account(account=account)
    assert events(account) == []
    [lot] = open_lots(account)
    assert (lot.symbol, lot.underlying_symbol, lot.remaining_quantity, lot.remaining_cost) == (
        "PARA",
        "PARA",
        D("10"),
        D("-301"),
    )
    original = Transaction.objects.get(account=account, symbol="VIAC", transaction_type="Trade")
    assert (lot.opening_transaction, lot.opened_at) == (original, original.executed_at)
    TransactionFactory(
        account=account, symbol="PARA", action="Sell to Close", quantity=10, price=D("35"), executed_at=AFTER_ACTIONS
    )
    recompute_account(account=account)
    [event] = events(account)
    assert (event.symbol, event.realized_pnl) == ("PARA", D("49"))


def test_a_forward_split_scales_quantity_and_price_and_keeps_the_cost(account):
    TransactionFactory(account=account, symbol="NVDA", quantity=10, price=D("100"))
    corporate_action(account, "Forward Split", "NVDA", "NVDA", 10, 20, D("1000"), underlying="NVDA")
    TransactionFactory(
        account=account, symbol="NVDA", action="Sell to Close", quantity=20, price=D("60"), executed_at=AFTER_ACTIONS
    )
    recompute_account(account=account)
    [event] = events(account)
    assert (event.quantity, event.opening_cash, event.realized_pnl) == (D("20"), D("-1000"), D("200"))
    assert Lot.objects.get(account=account, moved_from_key__gt="").opening_price == D("50")


def test_a_reverse_split_of_two_lots_keeps_both_and_their_order(account):
    TransactionFactory(account=account, symbol="USO", quantity=40, price=D("10"))
    TransactionFactory(account=account, symbol="USO", quantity=40, price=D("12"))
    corporate_action(account, "Reverse Split", "USO", "USO", 80, 10, D("880"), underlying="USO")
    TransactionFactory(
        account=account, symbol="USO", action="Sell to Close", quantity=5, price=D("100"), executed_at=AFTER_ACTIONS
    )
    recompute_account(account=account)
    [event] = events(account)
    # The first lot (40 at 10.00) became 5 shares costing 400.
    assert (event.quantity, event.opening_cash, event.realized_pnl) == (D("5"), D("-400"), D("100"))
    [left] = open_lots(account)
    assert (left.remaining_quantity, left.remaining_cost) == (D("5"), D("-480"))


def test_a_special_dividend_adjustment_carries_the_option_lot_and_realizes_nothing(account):
    old, new = occ_symbol("XYZ", EXPIRY, "C", D("50")), occ_symbol("XYZ", EXPIRY, "C", D("48.5"))
    bought = OptionTransactionFactory(
        account=account, action="Buy to Open", symbol=old, underlying_symbol="XYZ", option_type="C",
        strike=D("50"), price=D("2.00"), commission=D("-1"), clearing_fees=D("-0.10"),
    )  # fmt: skip
    for action, symbol, strike, value in (
        ("Sell to Close", old, D("50"), D("300")),
        ("Buy to Open", new, D("48.5"), D("-300")),
    ):
        ReceiveDeliverFactory(
            account=account, transaction_sub_type="Special Dividend", action=action, symbol=symbol,
            underlying_symbol="XYZ", option_type="C", strike=strike, quantity=1, price=D("3.00"), value=value,
            executed_at=ACTION_TIME,
        )  # fmt: skip
    recompute_account(account=account)
    assert events(account) == []
    [lot] = open_lots(account)
    assert (lot.symbol, lot.remaining_cost, lot.opened_at) == (new, D("-201.10"), bought.executed_at)
    OptionTransactionFactory(
        account=account, action="Sell to Close", symbol=new, underlying_symbol="XYZ", option_type="C",
        strike=D("48.5"), price=D("4.00"), executed_at=AFTER_ACTIONS,
    )  # fmt: skip
    recompute_account(account=account)
    [event] = events(account)
    assert (event.symbol, event.realized_pnl, event.opened_at) == (new, D("198.90"), bought.executed_at)
    assert Position.objects.filter(account=account, closed_at__isnull=False).count() == 1


def test_a_corporate_action_without_its_other_half_is_a_data_issue(account):
    TransactionFactory(account=account, symbol="VIAC", quantity=10, price=D("30"))
    ReceiveDeliverFactory(
        account=account, transaction_sub_type="Symbol Change", action="Sell to Close", symbol="VIAC",
        underlying_symbol="VIAC", instrument_type="Equity", option_type="", strike=None, expires_on=None,
        multiplier=None, quantity=10, price=D("30"), value=D("300"),
    )  # fmt: skip
    recompute_account(account=account)
    assert issues(account) == [DataIssue.Kind.UNPAIRED_CORPORATE_ACTION]


# --- Unknown rows --------------------------------------------------------------------------------------------


def test_an_unknown_receive_deliver_sub_type_without_an_action_is_reported_not_guessed(account):
    ReceiveDeliverFactory(account=account, transaction_sub_type="Spinoff", symbol="NEWCO", quantity=10)
    recompute_account(account=account)
    assert issues(account) == [DataIssue.Kind.UNKNOWN_SUB_TYPE]
    assert open_lots(account) == []


def test_an_unknown_money_movement_counts_in_cash_only_and_is_reported(account):
    MoneyMovementFactory(account=account, transaction_sub_type="Stock Borrow Fee", value=D("-3.10"))
    recompute_account(account=account)
    assert issues(account) == [DataIssue.Kind.UNKNOWN_SUB_TYPE]


def test_dividends_interest_and_deposits_are_not_trade_pnl(account):
    MoneyMovementFactory(account=account)
    MoneyMovementFactory(account=account, transaction_sub_type="Dividend", value=D("27.74"), symbol="KO")
    MoneyMovementFactory(account=account, transaction_sub_type="Credit Interest", value=D("4.12"))
    recompute_account(account=account)
    assert events(account) == []
    assert issues(account) == []


# --- Days and symbols ----------------------------------------------------------------------------------------


def test_an_event_belongs_to_the_execution_day_in_the_users_time_zone(account):
    late_evening = datetime(2026, 3, 3, 2, 30, tzinfo=UTC)  # 21:30 on 2 March in New York
    TransactionFactory(account=account, executed_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    TransactionFactory(account=account, action="Sell to Close", executed_at=late_evening)
    recompute_account(account=account)
    assert events(account)[0].trading_day == date(2026, 3, 2)
    account.user.time_zone = "Asia/Tokyo"
    account.user.save()
    recompute_account(account=account)
    assert events(account)[0].trading_day == date(2026, 3, 3)
