"""The ground-truth convention, with numbers worked out by hand (see the ledger module's docstring)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from simulator import Ledger, Transaction

START = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
ACCOUNT = "5WT00001"


def row(id, kind, sub_type, *, symbol=None, action=None, quantity=None, price=None, net="0", minutes=0, **extra):
    instrument = extra.pop("instrument_type", "Equity" if symbol and " " not in symbol else "Equity Option")
    if symbol and symbol.startswith("/"):
        instrument = "Future"
    moment = START + timedelta(minutes=minutes)
    return Transaction(
        id=id,
        account_number=ACCOUNT,
        transaction_type=kind,
        transaction_sub_type=sub_type,
        description="",
        executed_at=moment,
        transaction_date=moment.date(),
        value=D(extra.pop("value", net)),
        net_value=D(net),
        symbol=symbol,
        instrument_type=instrument if symbol else None,
        underlying_symbol=extra.pop("underlying", symbol.split()[0] if symbol else None),
        action=action,
        quantity=D(quantity) if quantity is not None else None,
        price=D(price) if price is not None else None,
    )


def trade(id, action, symbol, quantity, price, net, minutes=0, value=None):
    return row(
        id,
        "Trade",
        action,
        symbol=symbol,
        action=action,
        quantity=quantity,
        price=price,
        net=net,
        minutes=minutes,
        value=value if value is not None else net,
    )


def replay(*rows):
    return Ledger(ACCOUNT).apply_all(rows).truth()


def test_a_close_takes_lots_oldest_first_with_pro_rata_shares_of_both_rows_fees():
    truth = replay(
        trade(1, "Buy to Open", "AAPL", "3", "10.00", "-30.05"),
        trade(2, "Buy to Open", "AAPL", "2", "11.00", "-22.02", minutes=1),
        trade(3, "Sell to Close", "AAPL", "4", "12.00", "47.97", minutes=2),
    )
    first, second = truth.closed_lots
    assert (first.opened_transaction_id, first.quantity, first.closing_cash) == (1, D(3), D("35.9775"))
    assert first.realized_pnl == D("5.9275")
    assert (second.opened_transaction_id, second.quantity, second.opening_cash) == (2, D(1), D("-11.01"))
    assert second.closing_cash == D("11.9925")  # what is left of the closing row
    assert second.realized_pnl == D("0.9825")
    assert truth.open_quantities == {"AAPL": D(1)}
    assert truth.open_cost("AAPL") == D("-11.01")


def test_shares_are_rounded_to_four_places_half_even_and_always_add_up():
    truth = replay(
        trade(1, "Buy to Open", "F", "3", "10", "-10.00"),
        trade(2, "Sell to Close", "F", "1", "10", "0", minutes=1),
        trade(3, "Sell to Close", "F", "1", "10", "0", minutes=2),
        trade(4, "Sell to Close", "F", "1", "10", "0", minutes=3),
    )
    assert [lot.opening_cash for lot in truth.closed_lots] == [D("-3.3333"), D("-3.3334"), D("-3.3333")]
    assert sum(lot.realized_pnl for lot in truth.closed_lots) == D("-10.00")


def test_a_trade_through_zero_closes_the_long_and_opens_a_short_with_the_rest():
    truth = replay(
        trade(1, "Buy to Open", "TSLA", "2", "200", "-400.00"),
        trade(2, "Sell to Close", "TSLA", "5", "210", "1049.90", minutes=1),
    )
    (closed,) = truth.closed_lots
    assert closed.realized_pnl == D("-400.00") + D("419.96")
    (short,) = truth.open_lots
    assert (short.direction, short.quantity, short.opening_cash) == ("Short", D(3), D("629.94"))
    assert truth.open_quantities == {"TSLA": D(-3)}


def test_an_expiration_without_an_action_closes_the_short_option_at_zero():
    put = "IWM   240315P00190000"
    truth = replay(
        trade(1, "Sell to Open", put, "2", "1.00", "197.74"),
        row(2, "Receive Deliver", "Expiration", symbol=put, quantity="2", minutes=600),
    )
    (lot,) = truth.closed_lots
    assert (lot.direction, lot.closed_transaction_id, lot.closing_cash) == ("Short", 2, D(0))
    assert lot.realized_pnl == D("197.74")
    assert truth.open_quantities == {}


def test_an_assignment_realizes_the_premium_and_opens_stock_at_the_strike_with_the_delivery_fee():
    put = "F     240315P00012000"
    truth = replay(
        trade(1, "Sell to Open", put, "1", "0.50", "48.87"),
        row(2, "Receive Deliver", "Assignment", symbol=put, quantity="1", minutes=600),
        row(
            3,
            "Receive Deliver",
            "Buy to Open",
            symbol="F",
            action="Buy to Open",
            quantity="100",
            price="12",
            net="-1205.00",
            minutes=600,
        ),
    )
    (option,) = truth.closed_lots
    assert option.realized_pnl == D("48.87")
    (stock,) = truth.open_lots
    assert (stock.symbol, stock.quantity, stock.price, stock.opening_cash) == ("F", D(100), D(12), D("-1205.00"))


def test_a_cash_settled_index_option_realizes_the_settlement_on_the_option_in_either_row_order():
    short, long = "SPXW  240315P05000000", "SPXW  240315P04990000"
    opening = [
        trade(1, "Sell to Open", short, "1", "3.00", "298.14"),
        trade(2, "Buy to Open", long, "1", "1.00", "-101.76"),
    ]
    settled = [
        row(3, "Receive Deliver", "Assignment", symbol=short, quantity="1", minutes=600, underlying="SPX"),
        row(4, "Receive Deliver", "Cash Settled Assignment", symbol=short, quantity="1", net="-1500.00", minutes=600),
        row(5, "Receive Deliver", "Exercise", symbol=long, quantity="1", minutes=600, underlying="SPX"),
        row(6, "Receive Deliver", "Cash Settled Exercise", symbol=long, quantity="1", net="500.00", minutes=600),
    ]
    in_order = replay(*opening, *settled)
    # Same instant; the settlement row first (lower id) this time.
    swapped = replay(*opening, _with_id(settled[1], 3), _with_id(settled[0], 4), *settled[2:])
    for truth in (in_order, swapped):
        realized = {lot.symbol: lot.realized_pnl for lot in truth.closed_lots}
        assert realized == {short: D("-1201.86"), long: D("398.24")}
        assert truth.cash_balance == D("-803.62")


def _with_id(transaction, new_id):
    fields = {name: getattr(transaction, name) for name in Transaction.__slots__ if name != "_json"}
    return Transaction(**{**fields, "id": new_id})


def test_futures_carry_mark_to_market_and_realize_it_with_the_close():
    es = "/ESM4"
    truth = replay(
        trade(1, "Buy", es, "2", "5000.00", "-5.90", value="0"),
        row(2, "Money Movement", "Mark to Market", symbol=es, net="1000.00", minutes=360),
        row(3, "Money Movement", "Mark to Market", symbol=es, net="-250.00", minutes=1800),
        trade(4, "Sell", es, "1", "5008.75", "122.05", minutes=2000),
        trade(5, "Sell", es, "1", "5008.25", "72.05", minutes=2001),
    )
    first, second = truth.closed_lots
    assert (first.opening_cash, first.variation, first.closing_cash) == (D("-2.95"), D("375.00"), D("122.05"))
    assert first.realized_pnl == D("494.10")
    assert second.realized_pnl == D("444.10")
    assert truth.realized_pnl == truth.cash_balance == D("938.20")


def test_a_forward_split_moves_the_basis_and_realizes_nothing():
    truth = replay(
        trade(1, "Buy to Open", "NVDA", "10", "480.00", "-4800.01"),
        row(
            2,
            "Receive Deliver",
            "Forward Split",
            symbol="NVDA",
            action="Sell to Close",
            quantity="10",
            price="480",
            net="4800.00",
            minutes=100,
        ),
        row(
            3,
            "Receive Deliver",
            "Forward Split",
            symbol="NVDA",
            action="Buy to Open",
            quantity="100",
            price="48",
            net="-4800.00",
            minutes=100,
        ),
    )
    assert truth.closed_lots == ()
    (lot,) = truth.open_lots
    assert (lot.quantity, lot.price, lot.opening_cash, lot.opened_transaction_id) == (D(100), D(48), D("-4800.01"), 1)
    later = replay(
        trade(1, "Buy to Open", "NVDA", "10", "480.00", "-4800.01"),
        row(
            2,
            "Receive Deliver",
            "Forward Split",
            symbol="NVDA",
            action="Sell to Close",
            quantity="10",
            net="4800.00",
            minutes=100,
        ),
        row(
            3,
            "Receive Deliver",
            "Forward Split",
            symbol="NVDA",
            action="Buy to Open",
            quantity="100",
            net="-4800.00",
            minutes=100,
        ),
        trade(4, "Sell to Close", "NVDA", "100", "50.00", "4999.50", minutes=200),
    )
    assert later.realized_pnl == D("199.49")


def test_a_symbol_change_carries_the_lot_to_the_new_ticker():
    truth = replay(
        trade(1, "Buy to Open", "SQ", "20", "65.00", "-1300.02"),
        row(
            2,
            "Receive Deliver",
            "Symbol Change",
            symbol="SQ",
            action="Sell to Close",
            quantity="20",
            net="1300.00",
            minutes=100,
        ),
        row(
            3,
            "Receive Deliver",
            "Symbol Change",
            symbol="XYZ",
            action="Buy to Open",
            quantity="20",
            net="-1300.00",
            minutes=100,
        ),
        trade(4, "Sell to Close", "XYZ", "20", "70.00", "1399.95", minutes=200),
    )
    (lot,) = truth.closed_lots
    assert (lot.symbol, lot.opened_transaction_id, lot.realized_pnl) == ("XYZ", 1, D("99.93"))


def test_money_movements_change_cash_only_and_are_totalled_by_kind():
    truth = replay(
        row(1, "Money Movement", "Deposit", net="1000.00"),
        row(2, "Money Movement", "Dividend", symbol="TSM", net="15.50", minutes=1),
        row(3, "Money Movement", "Dividend", symbol="TSM", net="-3.26", minutes=2),
        row(4, "Money Movement", "Fee", net="-5.00", minutes=3),
        row(5, "Money Movement", "Fee", net="5.00", minutes=4),
    )
    assert truth.cash_balance == D("1012.24")
    assert truth.open_lots == () and truth.closed_lots == ()
    assert truth.cash_by_kind[("Money Movement", "Dividend")] == D("12.24")
    assert truth.cash_by_kind[("Money Movement", "Fee")] == D(0)
