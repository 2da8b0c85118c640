"""Roll chains, wheel campaigns and the user's merges and splits."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from apps.trades.chains import campaign, merge_chains, split_chain
from apps.trades.lots import recompute_account
from apps.trades.models import Chain, Position, Strategy
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


@pytest.fixture
def account():
    return BrokerAccountFactory()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def positions(account) -> list[Position]:
    return list(Position.objects.filter(account=account).order_by("opened_at"))


def test_a_close_and_an_open_in_one_order_is_a_roll(account):
    OptionTransactionFactory(account=account, executed_at=at(2, 15))
    OptionTransactionFactory(account=account, action="Buy to Close", order_id=8001, executed_at=at(16, 15))
    OptionTransactionFactory(account=account, expires_on=APRIL, order_id=8001, executed_at=at(16, 15))
    recompute_account(account=account)
    first, rolled = positions(account)
    assert rolled.rolled_from_key == first.key
    chain = Chain.objects.get(account=account)
    assert (chain.kind, chain.key, chain.position_count) == (Chain.Kind.ROLL, first.key, 2)
    assert {first.chain_id, rolled.chain_id} == {chain.pk}


@pytest.mark.parametrize(("minutes_later", "linked"), [(4, True), (30, False)])
def test_a_close_then_an_open_on_the_same_underlying_within_minutes_is_a_roll(account, minutes_later, linked):
    OptionTransactionFactory(account=account, executed_at=at(2, 15))
    OptionTransactionFactory(account=account, action="Buy to Close", executed_at=at(16, 15))
    OptionTransactionFactory(account=account, expires_on=APRIL, executed_at=at(16, 15, minutes_later))
    recompute_account(account=account)
    assert (positions(account)[1].rolled_from_key != "") is linked
    assert Chain.objects.filter(account=account).exists() is linked


def test_an_open_on_another_underlying_is_not_a_roll(account):
    OptionTransactionFactory(account=account, executed_at=at(2, 15))
    OptionTransactionFactory(account=account, action="Buy to Close", executed_at=at(16, 15))
    OptionTransactionFactory(account=account, underlying_symbol="QQQ", expires_on=APRIL, executed_at=at(16, 15, 2))
    recompute_account(account=account)
    assert not Chain.objects.filter(account=account).exists()


def wheel(account):
    """Sell a put, get assigned, sell a call against the shares, let it expire."""
    MoneyMovementFactory(account=account, value=D("20000"), executed_at=at(2, 14))
    OptionTransactionFactory(
        account=account, underlying_symbol="SCHG", strike=D(103), price=D("1.20"), commission=D("-1"),
        executed_at=at(2, 15),
    )  # fmt: skip
    ReceiveDeliverFactory(account=account, transaction_sub_type="Assignment", underlying_symbol="SCHG", strike=D(103))
    ReceiveDeliverFactory(
        account=account, transaction_sub_type="Buy to Open", action="Buy to Open", symbol="SCHG",
        underlying_symbol="SCHG", instrument_type="Equity", option_type="", strike=None, expires_on=None,
        multiplier=None, quantity=100, price=D(103), value=D("-10300"), clearing_fees=D("-5"),
    )  # fmt: skip
    OptionTransactionFactory(
        account=account, underlying_symbol="SCHG", option_type="C", strike=D(105), expires_on=APRIL,
        price=D("0.80"), commission=D("-1"), executed_at=at(23, 15),
    )  # fmt: skip
    ReceiveDeliverFactory(
        account=account, underlying_symbol="SCHG", option_type="C", strike=D(105), expires_on=APRIL,
        executed_at=datetime(2026, 4, 17, 21, tzinfo=UTC),
    )  # fmt: skip


def test_an_assignment_and_the_calls_written_against_it_form_a_wheel_campaign(account):
    wheel(account)
    recompute_account(account=account)
    put, shares, call = positions(account)
    assert (put.strategy, shares.strategy, call.strategy) == (
        Strategy.CASH_SECURED_PUT,
        Strategy.STOCK,
        Strategy.COVERED_CALL,
    )
    assert (shares.assigned_from_key, call.covers_key) == (put.key, shares.key)
    chain = Chain.objects.get(account=account)
    assert (chain.kind, chain.position_count, chain.closed_at) == (Chain.Kind.WHEEL, 3, None)


def test_the_campaign_view_lowers_the_assigned_stocks_cost_by_the_premium_collected(account):
    wheel(account)
    recompute_account(account=account)
    view = campaign(chain=Chain.objects.get(account=account))
    assert view.net_premium == D("198")  # 119 for the put, 79 for the call, fees included
    assert (view.stock_quantity, view.stock_open_cost) == (D("100"), D("-10305"))
    # (10,305 paid for the shares - 198 premium) / 100 shares.
    assert view.effective_cost_basis == D("101.07")
    assert view.break_even == D("101.07")
    assert view.realized_pnl == D("198")  # FIFO, for comparison: the two premiums


def test_stock_realized_in_a_campaign_moves_its_break_even_but_not_its_cost_basis(account):
    wheel(account)
    TransactionFactory(
        account=account, symbol="SCHG", action="Sell to Close", quantity=50, price=D(110), executed_at=at(30, 15)
    )
    recompute_account(account=account)
    view = campaign(chain=Chain.objects.get(account=account))
    # Sold half for 5,500 against a cost of 5,152.50: 347.50 realized on the stock.
    assert view.stock_realized_pnl == D("347.5")
    # 50 shares left costing 5,152.50: (5,152.50 - 198) / 50, and then less the 347.50 as well.
    assert view.effective_cost_basis == D("99.09")
    assert view.break_even == D("92.14")


def test_a_user_split_cuts_a_chain_and_survives_a_rebuild(account):
    OptionTransactionFactory(account=account, executed_at=at(2, 15))
    OptionTransactionFactory(account=account, action="Buy to Close", order_id=8002, executed_at=at(16, 15))
    OptionTransactionFactory(account=account, expires_on=APRIL, order_id=8002, executed_at=at(16, 15))
    recompute_account(account=account)
    rolled = positions(account)[1]
    split_chain(account=account, position_key=rolled.key)
    assert not Chain.objects.filter(account=account).exists()
    recompute_account(account=account, full=True)
    assert not Chain.objects.filter(account=account).exists()


def test_a_user_merge_joins_unrelated_positions_and_survives_a_rebuild(account):
    OptionTransactionFactory(account=account, executed_at=at(2, 15))
    OptionTransactionFactory(account=account, underlying_symbol="QQQ", executed_at=at(9, 15))
    recompute_account(account=account)
    first, second = positions(account)
    merge_chains(account=account, position_key=second.key, into_position_key=first.key)
    recompute_account(account=account, full=True)
    chain = Chain.objects.get(account=account)
    assert (chain.kind, chain.key, chain.position_count) == (Chain.Kind.MANUAL, first.key, 2)


def test_a_split_after_a_merge_undoes_it(account):
    OptionTransactionFactory(account=account, executed_at=at(2, 15))
    OptionTransactionFactory(account=account, underlying_symbol="QQQ", executed_at=at(9, 15))
    recompute_account(account=account)
    first, second = positions(account)
    merge_chains(account=account, position_key=second.key, into_position_key=first.key)
    split_chain(account=account, position_key=second.key)
    assert not Chain.objects.filter(account=account).exists()
