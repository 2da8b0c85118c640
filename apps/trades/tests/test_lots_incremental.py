"""Incremental recompute gives exactly what a full rebuild gives, and no recompute loses user intent."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.trades.chains import merge_chains
from apps.trades.lots import recompute_account
from apps.trades.models import (
    Chain,
    DataIssue,
    Lot,
    Note,
    PnlEvent,
    PnlState,
    Position,
    Strategy,
    Tag,
    Target,
    TradeFact,
)
from apps.trades.strategies import override_strategy
from apps.trades.tests.factories import BrokerAccountFactory, OptionTransactionFactory, TransactionFactory
from bench.synthetic import generate_ledger, write_ledger

pytestmark = pytest.mark.django_db

MONEY = ("opening_cash", "variation", "closing_cash", "commission", "clearing_fees", "regulatory_fees")
MONEY += ("proprietary_index_option_fees", "currency_conversion_fees", "other_charge", "realized_pnl")


def results(account) -> dict[str, list]:
    """Everything the engine wrote, with links by stable key rather than by primary key."""
    return {
        "lots": sorted(
            Lot.objects.filter(account=account).values_list(
                "key", "position__key", "opening_transaction_id", "moved_from_key", "symbol", "underlying_symbol",
                "instrument_type", "option_type", "strike", "expires_on", "multiplier", "opened_at", "quantity",
                "opening_price", "opening_cash", "remaining_quantity", "remaining_cost", "remaining_variation",
                "closed_at",
            )
        ),
        "events": sorted(
            PnlEvent.objects.filter(account=account).values_list(
                "key", "kind", "lot__key", "position__key", "closing_transaction_id", "executed_at", "trading_day",
                "opened_at", "symbol", "underlying_symbol", "instrument_type", "quantity", *MONEY,
            )
        ),
        "positions": sorted(
            Position.objects.filter(account=account).values_list(
                "key", "underlying_symbol", "detected_strategy", "strategy", "opened_at", "closed_at",
                "opening_order_id", "rolled_from_key", "assigned_from_key", "covers_key", "chain__key",
            )
        ),
        "chains": sorted(
            Chain.objects.filter(account=account).values_list(
                "key", "underlying_symbol", "kind", "opened_at", "closed_at", "position_count"
            )
        ),
        "issues": sorted(
            DataIssue.objects.filter(account=account).values_list("key", "kind", "transaction_id", "message")
        ),
        "trade_facts": sorted(
            TradeFact.objects.filter(account=account).values_list(
                *(field.name for field in TradeFact._meta.fields if field.name not in {"id", "account"})
            ),
            key=repr,
        ),
    }  # fmt: skip


def mode(account) -> str:
    return PnlState.objects.get(account=account).last_mode


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=100_000), cuts=st.lists(st.integers(1, 99), min_size=1, max_size=4))
def test_updating_after_each_batch_of_new_rows_equals_a_full_rebuild(db, seed, cuts):
    account = BrokerAccountFactory()
    rows = generate_ledger(seed=seed, rows=500)
    instants = sorted({row["executed_at"] for row in rows})
    boundaries = [*sorted({instants[len(instants) * cut // 100] for cut in cuts}), instants[-1]]
    written = 0
    for number, boundary in enumerate(boundaries):
        batch = [row for row in rows[written:] if row["executed_at"] <= boundary]
        written += len(batch)
        write_ledger(account=account, rows=batch)
        recompute_account(account=account)
        assert mode(account) == (PnlState.Mode.FULL if number == 0 else PnlState.Mode.INCREMENTAL)
    incremental = results(account)
    recompute_account(account=account, full=True)
    assert results(account) == incremental
    assert len(incremental["events"]) > 50


@pytest.fixture
def account():
    return BrokerAccountFactory()


def test_a_row_dated_before_what_was_processed_forces_a_full_rebuild(account):
    TransactionFactory(account=account, executed_at=datetime(2026, 3, 2, 15, tzinfo=UTC))
    TransactionFactory(account=account, action="Sell to Close", executed_at=datetime(2026, 3, 4, 15, tzinfo=UTC))
    recompute_account(account=account)
    TransactionFactory(account=account, executed_at=datetime(2026, 3, 3, 15, tzinfo=UTC), price=D("90"))
    recompute_account(account=account)
    assert mode(account) == PnlState.Mode.FULL
    assert [event.realized_pnl for event in PnlEvent.objects.filter(account=account)] == [D("0")]


def test_a_processed_row_edited_in_place_forces_a_full_rebuild(account):
    TransactionFactory(account=account)
    sale = TransactionFactory(account=account, action="Sell to Close", price=D("110"))
    recompute_account(account=account)
    # The sync updates changed rows with bulk_update, which leaves updated_at alone.
    type(sale).objects.filter(pk=sale.pk).update(net_value=D("105"))
    recompute_account(account=account)
    assert mode(account) == PnlState.Mode.FULL
    assert PnlEvent.objects.get(account=account).realized_pnl == D("5")


def test_an_old_row_edited_after_it_was_created_forces_a_full_rebuild(account):
    purchase = TransactionFactory(account=account, executed_at=datetime(2025, 1, 2, 15, tzinfo=UTC))
    TransactionFactory(account=account, action="Sell to Close", executed_at=datetime(2026, 3, 2, 15, tzinfo=UTC))
    recompute_account(account=account)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        purchase.net_value = D("-90")
        purchase.save()
        recompute_account(account=account)
    assert mode(account) == PnlState.Mode.FULL
    assert PnlEvent.objects.get(account=account).realized_pnl == D("10")


def test_a_resync_that_changes_nothing_stays_incremental(account):
    TransactionFactory(account=account)
    recompute_account(account=account)
    recompute_account(account=account)
    assert mode(account) == PnlState.Mode.INCREMENTAL


def test_a_deleted_row_forces_a_full_rebuild(account):
    TransactionFactory(account=account)
    sale = TransactionFactory(account=account, action="Sell to Close")
    recompute_account(account=account)
    sale.delete()
    recompute_account(account=account)
    assert mode(account) == PnlState.Mode.FULL
    assert not PnlEvent.objects.filter(account=account).exists()


# --- User intent survives ------------------------------------------------------------------------------


def roll_chain(account):
    start = datetime(2026, 3, 2, 15, tzinfo=UTC)
    OptionTransactionFactory(account=account, executed_at=start)
    OptionTransactionFactory(account=account, action="Buy to Close", order_id=8101, executed_at=start + timedelta(14))
    OptionTransactionFactory(
        account=account, expires_on=datetime(2026, 4, 17).date(), order_id=8101, executed_at=start + timedelta(14)
    )
    recompute_account(account=account)
    return list(Position.objects.filter(account=account).order_by("opened_at"))


def test_tags_and_notes_survive_every_recompute(account):
    first, rolled = roll_chain(account)
    Tag.objects.create(account=account, target=Target.POSITION, key=first.key, name="earnings")
    Tag.objects.create(account=account, target=Target.CHAIN, key=first.key, name="campaign A")
    Note.objects.create(account=account, target=Target.POSITION, key=rolled.key, text="rolled for a credit")
    OptionTransactionFactory(
        account=account,
        action="Buy to Close",
        expires_on=datetime(2026, 4, 17).date(),
        executed_at=datetime(2026, 3, 18, 15, tzinfo=UTC),
    )
    recompute_account(account=account)
    assert mode(account) == PnlState.Mode.INCREMENTAL
    recompute_account(account=account, full=True)
    assert list(Tag.objects.filter(account=account).values_list("name", flat=True)) == ["campaign A", "earnings"]
    assert Note.objects.get(account=account).text == "rolled for a credit"
    # The keys still name the same positions and chain after the rebuild.
    assert Position.objects.filter(account=account, key__in=[first.key, rolled.key]).count() == 2
    assert Chain.objects.get(account=account).key == first.key


def test_a_strategy_override_is_applied_again_after_a_rebuild(account):
    first, _ = roll_chain(account)
    override_strategy(account=account, position_key=first.key, strategy=Strategy.CUSTOM)
    assert Position.objects.get(pk=first.pk).strategy == Strategy.CUSTOM
    recompute_account(account=account, full=True)
    position = Position.objects.get(account=account, key=first.key)
    assert (position.strategy, position.detected_strategy) == (Strategy.CUSTOM, Strategy.SHORT_PUT)
    override_strategy(account=account, position_key=first.key, strategy=None)
    assert Position.objects.get(account=account, key=first.key).strategy == Strategy.SHORT_PUT


def test_a_merge_is_replayed_after_an_incremental_update(account):
    first, _ = roll_chain(account)
    other = TransactionFactory(account=account, symbol="KO", executed_at=datetime(2026, 3, 20, 15, tzinfo=UTC))
    recompute_account(account=account)
    stock = Position.objects.get(account=account, key=f"tt:{other.tastytrade_id}")
    merge_chains(account=account, position_key=stock.key, into_position_key=first.key)
    TransactionFactory(
        account=account, symbol="KO", action="Sell to Close", executed_at=datetime(2026, 3, 24, tzinfo=UTC)
    )
    recompute_account(account=account)
    assert mode(account) == PnlState.Mode.INCREMENTAL
    assert Chain.objects.get(account=account).position_count == 3
