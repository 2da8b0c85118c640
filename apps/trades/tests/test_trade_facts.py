"""Per-trade facts are stored with every rebuild and after each user edit that changes them, so the
reports read the same figures the engine's tables give (the hand-worked ledger of test_analytics.py)."""

import importlib
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from django.apps import apps

from apps.trades.analytics import trade_facts
from apps.trades.chains import split_chain
from apps.trades.lots import recompute_account
from apps.trades.models import BrokerAccount, PnlState, Position, Strategy, TradeFact
from apps.trades.strategies import override_strategy
from apps.trades.tests.factories import BrokerAccountFactory, OptionTransactionFactory
from apps.trades.tests.test_analytics import assigned_put, expired_put_spread, managed_put, rolled_put

pytestmark = pytest.mark.django_db

fill = importlib.import_module("apps.trades.migrations.0012_fill_trade_facts_of_stored_positions")


@pytest.fixture
def account():
    return BrokerAccountFactory()


def stored(account) -> dict[str, tuple]:
    return {
        fact.underlying_symbol: (fact.rolls, fact.chain_kind, fact.max_profit, fact.max_loss, fact.realized_pnl)
        for fact in TradeFact.objects.filter(account=account)
    }


def test_a_rebuild_stores_one_row_per_trade_never_per_leg(account):
    for ledger in (managed_put, expired_put_spread, rolled_put, assigned_put):
        ledger(account)
    recompute_account(account=account)
    assert stored(account) == {
        "SPY": (0, "", D("98.90"), D("-39901.10"), D("58.80")),
        "QQQ": (0, "", D("150"), D("-350"), D("150")),  # two legs, one trade
        "IWM": (1, "roll", D("200"), None, D("150")),  # two positions, one campaign
        "SCHG": (0, "wheel", None, None, D("314")),  # the put and its shares
    }


def test_a_strategy_chosen_by_the_user_works_the_trades_limits_out_again(account):
    managed_put(account)
    recompute_account(account=account)
    position = Position.objects.get(account=account)
    override_strategy(account=account, position_key=position.key, strategy=Strategy.CUSTOM)
    # A custom shape sold for a credit: the credit is still its best case, its worst is not known.
    assert stored(account) == {"SPY": (0, "", D("98.90"), None, D("58.80"))}
    override_strategy(account=account, position_key=position.key, strategy=None)
    assert stored(account)["SPY"][3] == D("-39901.10")


def test_splitting_a_roll_chain_stores_two_trades(account):
    rolled_put(account)
    recompute_account(account=account)
    rolled = Position.objects.get(account=account, rolled_from_key__gt="")
    split_chain(account=account, position_key=rolled.key)
    facts = sorted(TradeFact.objects.filter(account=account).values_list("rolls", "chain_key", "realized_pnl"))
    assert facts == [(0, "", D("-150")), (0, "", D("300"))]


def test_the_data_migration_fills_the_facts_of_positions_stored_before_it(account):
    managed_put(account)
    rolled_put(account)
    recompute_account(account=account)
    before = stored(account)
    TradeFact.objects.all().delete()
    fill.fill_trade_facts(apps, None)
    assert stored(account) == before


def test_reading_the_facts_never_reads_another_account(account):
    managed_put(account)
    recompute_account(account=account)
    other = BrokerAccountFactory()
    rolled_put(other)
    recompute_account(account=other)
    assert [trade.underlying for trade in trade_facts(accounts=BrokerAccount.objects.filter(pk=account.pk))] == ["SPY"]


def test_an_incremental_rebuild_rewrites_only_the_facts_of_the_trades_it_changed(account):
    managed_put(account)  # SPY, closed 10 Mar
    qqq = {"account": account, "underlying_symbol": "QQQ"}
    OptionTransactionFactory(**qqq, strike=D(300), executed_at=datetime(2026, 3, 2, 15, tzinfo=UTC))
    OptionTransactionFactory(
        **qqq, strike=D(300), action="Buy to Close", price=D("0.50"), executed_at=datetime(2026, 3, 5, 15, tzinfo=UTC)
    )
    OptionTransactionFactory(**qqq, strike=D(290), executed_at=datetime(2026, 3, 11, 15, tzinfo=UTC))
    recompute_account(account=account)
    before = dict(TradeFact.objects.filter(account=account).values_list("key", "pk"))
    OptionTransactionFactory(
        **qqq, strike=D(290), action="Buy to Close", price=D("0.25"), executed_at=datetime(2026, 3, 12, 15, tzinfo=UTC)
    )
    recompute_account(account=account)
    assert PnlState.objects.get(account=account).last_mode == PnlState.Mode.INCREMENTAL
    after = dict(TradeFact.objects.filter(account=account).values_list("key", "pk"))
    assert sum(1 for key, pk in after.items() if before[key] != pk) == 1  # SPY and the first QQQ put left alone
    closed = TradeFact.objects.get(account=account, closed_on=date(2026, 3, 12))
    assert (closed.underlying_symbol, closed.realized_pnl) == ("QQQ", D("75"))
