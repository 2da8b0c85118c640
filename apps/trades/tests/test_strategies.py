"""Strategy detection: each shape from its legs, and the account context a few of them need."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from apps.trades.lots import recompute_account
from apps.trades.models import Position, Strategy
from apps.trades.strategies import Leg, detect_strategy
from apps.trades.tests.factories import (
    BrokerAccountFactory,
    FutureTransactionFactory,
    MoneyMovementFactory,
    OptionTransactionFactory,
    TransactionFactory,
)

MARCH = date(2026, 3, 20)
APRIL = date(2026, 4, 17)


def put(quantity, strike, expires=MARCH, multiplier=D(100)) -> Leg:
    return Leg("Equity Option", D(quantity), "P", D(strike), expires, multiplier)


def call(quantity, strike, expires=MARCH, multiplier=D(100)) -> Leg:
    return Leg("Equity Option", D(quantity), "C", D(strike), expires, multiplier)


def stock(quantity) -> Leg:
    return Leg("Equity", D(quantity), multiplier=D(1))


@pytest.mark.parametrize(
    ("legs", "strategy"),
    [
        ([stock(100)], Strategy.STOCK),
        ([stock(-50)], Strategy.STOCK),
        ([call(1, 50)], Strategy.LONG_CALL),
        ([call(-1, 50)], Strategy.SHORT_CALL),
        ([put(2, 40)], Strategy.LONG_PUT),
        ([put(-1, 40)], Strategy.SHORT_PUT),
        ([stock(100), call(-1, 55)], Strategy.COVERED_CALL),
        ([stock(200), call(-2, 55)], Strategy.COVERED_CALL),
        ([call(1, 50), call(-1, 55)], Strategy.VERTICAL),
        ([put(-2, 40), put(2, 35)], Strategy.VERTICAL),
        ([put(-1, 40), call(-1, 60)], Strategy.STRANGLE),
        ([put(1, 40), call(1, 60)], Strategy.STRANGLE),
        ([put(-1, 50), call(-1, 50)], Strategy.STRADDLE),
        ([put(1, 35), put(-1, 40), call(-1, 60), call(1, 65)], Strategy.IRON_CONDOR),
        ([put(-1, 35), put(1, 40), call(1, 60), call(-1, 65)], Strategy.IRON_CONDOR),  # a reverse iron condor
        ([put(3, 40), put(-3, 45), call(-3, 55), call(3, 60)], Strategy.IRON_CONDOR),
        ([put(1, 40), put(-1, 50), call(-1, 50), call(1, 60)], Strategy.IRON_BUTTERFLY),
        ([call(1, 45), call(-2, 50), call(1, 55)], Strategy.BUTTERFLY),
        ([put(-1, 45), put(2, 50), put(-1, 55)], Strategy.BUTTERFLY),
        ([call(-1, 50, MARCH), call(1, 50, APRIL)], Strategy.CALENDAR),
        ([put(-1, 45, MARCH), put(1, 40, APRIL)], Strategy.DIAGONAL),
        ([put(-1, 40), call(-1, 55), call(1, 60)], Strategy.JADE_LIZARD),
        ([Leg("Future", D(2), multiplier=D(50))], Strategy.FUTURE),
        ([Leg("Future Option", D(-1), "P", D(5800), MARCH, D(5))], Strategy.FUTURE_OPTION),
        # Shapes with no name of their own.
        ([put(-1, 40), call(1, 60)], Strategy.CUSTOM),  # a risk reversal
        ([call(1, 50), call(-2, 55)], Strategy.CUSTOM),  # a ratio spread
        ([stock(100), put(1, 45), call(-1, 55)], Strategy.CUSTOM),  # a collar
        ([put(1, 35), put(-1, 40), put(-1, 45), put(1, 50)], Strategy.CUSTOM),  # a put condor
        ([Leg("Cryptocurrency", D("0.5"))], Strategy.CUSTOM),
        ([], Strategy.CUSTOM),
    ],
)
def test_legs_opened_together_form_a_strategy(legs, strategy):
    assert detect_strategy(legs) == strategy


def test_partial_fills_of_the_same_leg_add_up():
    assert detect_strategy([put(-1, 40), call(-1, 60), put(-1, 40), call(-1, 60)]) == Strategy.STRANGLE


def test_a_short_call_against_shares_held_elsewhere_is_a_covered_call():
    assert detect_strategy([call(-2, 55)], shares_held=D(200)) == Strategy.COVERED_CALL
    assert detect_strategy([call(-2, 55)], shares_held=D(150)) == Strategy.SHORT_CALL


def test_the_covered_share_count_uses_the_options_multiplier():
    assert detect_strategy([call(-1, 55, multiplier=D(10))], shares_held=D(10)) == Strategy.COVERED_CALL


def test_a_short_put_is_cash_secured_when_the_cash_covers_the_assignment():
    assert detect_strategy([put(-2, 40)], cash_available=D(8000)) == Strategy.CASH_SECURED_PUT
    assert detect_strategy([put(-2, 40)], cash_available=D("7999.99")) == Strategy.SHORT_PUT
    assert detect_strategy([put(-2, 40)]) == Strategy.SHORT_PUT


# --- Through the engine -------------------------------------------------------------------------------


@pytest.fixture
def account(db):
    return BrokerAccountFactory()


def strategies(account) -> list[str]:
    return list(Position.objects.filter(account=account).order_by("opened_at").values_list("strategy", flat=True))


def test_the_legs_of_one_order_are_one_position(account):
    for option_type, strike, action in (("P", 35, "Buy"), ("P", 40, "Sell"), ("C", 60, "Sell"), ("C", 65, "Buy")):
        OptionTransactionFactory(
            account=account, order_id=7001, option_type=option_type, strike=D(strike), action=f"{action} to Open",
            executed_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        )  # fmt: skip
    recompute_account(account=account)
    assert strategies(account) == [Strategy.IRON_CONDOR]
    assert Position.objects.get(account=account).lots.count() == 4


def test_partial_fills_of_one_order_minutes_apart_join_its_position(account):
    for minute, (option_type, strike) in enumerate((("P", 40), ("C", 60), ("P", 40), ("C", 60))):
        OptionTransactionFactory(
            account=account, order_id=7002, option_type=option_type, strike=D(strike),
            executed_at=datetime(2026, 3, 2, 15, minute, tzinfo=UTC),
        )  # fmt: skip
    recompute_account(account=account)
    assert strategies(account) == [Strategy.STRANGLE]


def test_scaling_into_the_same_legs_later_joins_the_open_position(account):
    OptionTransactionFactory(account=account, strike=D(40))
    OptionTransactionFactory(account=account, strike=D(40), quantity=2)
    recompute_account(account=account)
    assert Position.objects.filter(account=account).count() == 1


def test_a_call_sold_against_shares_held_is_a_covered_call_written_against_them(account):
    TransactionFactory(account=account, symbol="SPY", quantity=100, price=D("500"))
    OptionTransactionFactory(account=account, option_type="C", strike=D(520))
    recompute_account(account=account)
    shares, covered_call = Position.objects.filter(account=account).order_by("opened_at")
    assert (shares.strategy, covered_call.strategy) == (Strategy.STOCK, Strategy.COVERED_CALL)
    assert covered_call.covers_key == shares.key


def test_shares_already_written_against_do_not_cover_a_second_call(account):
    TransactionFactory(account=account, symbol="SPY", quantity=100, price=D("500"))
    OptionTransactionFactory(account=account, option_type="C", strike=D(520))
    OptionTransactionFactory(account=account, option_type="C", strike=D(530))
    recompute_account(account=account)
    assert strategies(account) == [Strategy.STOCK, Strategy.COVERED_CALL, Strategy.SHORT_CALL]


def test_a_buy_write_in_one_order_is_a_covered_call(account):
    TransactionFactory(account=account, symbol="SPY", quantity=100, price=D("500"), order_id=7003)
    OptionTransactionFactory(account=account, option_type="C", strike=D(520), order_id=7003)
    recompute_account(account=account)
    assert strategies(account) == [Strategy.COVERED_CALL]


def test_a_short_put_the_cash_covers_is_cash_secured(account):
    MoneyMovementFactory(account=account, value=D("40000"))
    OptionTransactionFactory(account=account, strike=D(400))  # 40,000 if assigned, less the 100 received
    OptionTransactionFactory(account=account, strike=D(390))  # the cash is already promised to the first
    recompute_account(account=account)
    assert strategies(account) == [Strategy.CASH_SECURED_PUT, Strategy.SHORT_PUT]


def test_futures_and_future_options_are_their_own_strategies(account):
    FutureTransactionFactory(account=account)
    OptionTransactionFactory(
        account=account, symbol="./ESH6 EW3H6 260320P5800", underlying_symbol="/ESH6",
        instrument_type="Future Option", strike=D(5800), multiplier=D(50),
    )  # fmt: skip
    recompute_account(account=account)
    assert strategies(account) == [Strategy.FUTURE, Strategy.FUTURE_OPTION]
