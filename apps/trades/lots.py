"""Rebuilding an account's lots, P&L events, positions, chains, trade facts and reconciliation from its ledger.

The entry point is `recompute_account`. It resumes from the state saved after the previous run
(open lots, open positions) when every new transaction is later than the last one processed and
nothing processed has changed since; otherwise it rebuilds the account from scratch. Both paths
run the same code (apps.trades.engine) over the same rows in the same order, so their results
are identical. The writer below stores what the engine made, each row builder next to its fields.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction as db_transaction
from django.db.models import F
from django.utils import timezone

from apps.trades.analytics import write_trade_facts
from apps.trades.bulk import delete_for_account, insert_rows, update_rows
from apps.trades.chains import rebuild_chains
from apps.trades.engine import Engine
from apps.trades.engine_json import dump_engine, load_engine
from apps.trades.engine_state import TrackedPosition
from apps.trades.ledger_rows import Row, read_rows
from apps.trades.models import (
    CHARGE_FIELDS,
    BrokerAccount,
    Chain,
    DataIssue,
    Lot,
    PnlEvent,
    PnlState,
    Position,
    StrategyOverride,
    TradeFact,
    Transaction,
)
from apps.trades.reconcile import reconcile_account

ENGINE_VERSION = 2  # 2: futures families, contract adjustments, order inside a second
# An incremental run re-reads this much processed history (the sync re-reads the last 30 days and
# updates changed rows in place) and rebuilds from scratch if any of it changed. Older rows edited
# after they were created (an admin edit) force a rebuild too; the margin covers a writer that
# saved before our last run read the ledger but committed after.
RESCAN_WINDOW = timedelta(days=45)
UPDATED_MARGIN = timedelta(hours=1)
EDITED_AFTER_CREATION = timedelta(seconds=1)


def _incremental_rows(state: PnlState, account: BrokerAccount, tz_name: str) -> tuple[list[Row], list[Row]] | None:
    """The rows after the watermark and the rows re-read to check, or None when the saved state
    can't be resumed from."""
    if state.engine_version != ENGINE_VERSION or state.time_zone != tz_name or state.watermark is None:
        return None
    ledger = Transaction.objects.filter(account=account)
    if ledger.filter(executed_at__lte=state.watermark).count() != state.transaction_count:
        return None  # a row was inserted into or deleted from processed history
    window_start = state.watermark - RESCAN_WINDOW
    edited = ledger.filter(
        executed_at__lte=window_start,
        updated_at__gte=state.computed_at - UPDATED_MARGIN,
        updated_at__gt=F("created_at") + EDITED_AFTER_CREATION,
    )
    if edited.exists():
        return None  # an old row was edited
    new_rows = []
    window = read_rows(ledger.filter(executed_at__gt=window_start))
    for row in window:
        if row.executed_at > state.watermark:
            new_rows.append(row)
        elif state.digests.get(str(row.id)) != row.digest():
            return None  # a processed row changed
    return new_rows, window


def recompute_account(*, account: BrokerAccount, full: bool = False) -> None:
    """Bring the account's lots, P&L events, positions, chains and reconciliation up to date.

    The sync and the CSV import call this after new transactions land. `full=True` forces a
    rebuild from scratch; otherwise the engine resumes from where it stopped when it safely can.
    """
    tz = account.user.tz
    with db_transaction.atomic():
        state, _ = PnlState.objects.select_for_update().get_or_create(account=account)
        started = timezone.now()
        plan = None if full else _incremental_rows(state, account, account.user.time_zone)
        if plan is None:
            _clear(account)
            rows = seen = read_rows(Transaction.objects.filter(account=account))
            engine = Engine(tz=tz)
            state.transaction_count = 0
            state.last_mode = PnlState.Mode.FULL
        else:
            rows, seen = plan
            engine = load_engine(state.state, tz=tz)
            state.last_mode = PnlState.Mode.INCREMENTAL
        engine.run(rows)
        _write(engine, account)
        if state.last_mode == PnlState.Mode.FULL:
            rebuild_chains(account=account)
            write_trade_facts(account=account)
        else:
            touched = {position.underlying for position in engine.known_positions.values()}
            rebuild_chains(account=account, underlyings=touched)
            write_trade_facts(account=account, position_keys=_changed_positions(engine))
        reconcile_account(account=account)
        state.transaction_count += len(rows)
        if rows:
            state.watermark = rows[-1].executed_at
        if state.watermark is not None:
            # Digests of the rows the next incremental run re-reads, to notice edits in place.
            window_start = state.watermark - RESCAN_WINDOW
            state.digests = {str(row.id): row.digest() for row in seen if row.executed_at > window_start}
        state.engine_version = ENGINE_VERSION
        state.time_zone = account.user.time_zone
        state.computed_at = started
        state.state = dump_engine(engine)
        state.save()


def _changed_positions(engine: Engine) -> set[str]:
    """The keys of the positions this run changed: new or changed positions, their new lots, their new or
    amended events. (Open positions it merely carried keep their facts: nothing a fact holds moves while open.)"""
    return (
        {position.key for position in engine.new_positions}
        | set(engine.touched_positions)
        | {lot.position for lot in engine.new_lots}
        | {event.position for event in engine.new_events}
        | {event.position for event in engine.touched_events.values()}
    )


def _clear(account: BrokerAccount) -> None:
    """Throw away everything the engine made for the account (user intent lives elsewhere)."""
    for model in (TradeFact, PnlEvent, Lot, Position, Chain, DataIssue):
        delete_for_account(model, account.pk)


def _write(engine: Engine, account: BrokerAccount) -> None:
    """Insert what is new and update what changed; parents first, so children can point at them."""
    position_pks = _write_positions(engine, account)
    lot_pks = _write_lots(engine, account, position_pks)
    _write_events(engine, account, position_pks, lot_pks)
    _write_issues(engine, account)


def _pks(model, account: BrokerAccount, keys: list[str]) -> dict[str, int]:
    rows = model.objects.filter(account=account)
    if len(keys) < 500:
        rows = rows.filter(key__in=keys)
    return dict(rows.values_list("key", "pk"))


POSITION_FIELDS = (
    "account", "key", "underlying_symbol", "detected_strategy", "strategy", "opened_at", "closed_at",
    "opening_order_id", "rolled_from_key", "assigned_from_key", "covers_key",
)  # fmt: skip
POSITION_UPDATE_FIELDS = ("detected_strategy", "strategy", "closed_at", "covers_key")


def _write_positions(engine: Engine, account: BrokerAccount) -> dict[str, int]:
    """Write the positions; return the pk of every position the run knows, by key."""
    overrides = dict(StrategyOverride.objects.filter(account=account).values_list("position_key", "strategy"))

    def strategy(position: TrackedPosition) -> str:
        return overrides.get(position.key, position.detected)

    def closed_at(position: TrackedPosition) -> datetime | None:
        return position.closed_at if not position.open_lots else None

    insert_rows(
        Position,
        POSITION_FIELDS,
        (
            (
                account.pk,
                p.key,
                p.underlying,
                p.detected,
                strategy(p),
                p.opened_at,
                closed_at(p),
                p.order_id,
                p.rolled_from,
                p.assigned_from,
                p.covers,
            )
            for p in engine.new_positions
        ),
    )
    if engine.new_positions:
        pks = _pks(Position, account, [position.key for position in engine.new_positions])
        for position in engine.new_positions:
            position.pk = pks[position.key]
    update_rows(
        Position,
        POSITION_UPDATE_FIELDS,
        ((p.detected, strategy(p), closed_at(p), p.covers, p.pk) for p in engine.touched_positions.values()),
    )
    return {key: position.pk for key, position in engine.known_positions.items()}


LOT_FIELDS = (
    "account", "position", "key", "opening_transaction", "moved_from_key", "symbol", "underlying_symbol",
    "instrument_type", "option_type", "strike", "expires_on", "multiplier", "opened_at", "quantity",
    "opening_price", "opening_cash", "remaining_quantity", "remaining_cost", "remaining_variation", "closed_at",
)  # fmt: skip
LOT_UPDATE_FIELDS = ("remaining_quantity", "remaining_cost", "remaining_variation", "closed_at")


def _write_lots(engine: Engine, account: BrokerAccount, position_pks: dict[str, int]) -> dict[str, int]:
    """Write the lots; return the pk of every lot this run made or changed, by key."""
    insert_rows(
        Lot,
        LOT_FIELDS,
        (
            (
                account.pk,
                position_pks[lot.position],
                lot.key,
                lot.transaction_id,
                lot.moved_from,
                lot.symbol,
                lot.underlying,
                lot.instrument_type,
                lot.option_type,
                lot.strike,
                lot.expires_on,
                lot.multiplier,
                lot.opened_at,
                lot.quantity,
                lot.opening_price,
                lot.opening_cash,
                lot.remaining,
                lot.cost.cash,
                lot.cost.variation,
                lot.closed_at,
            )
            for lot in engine.new_lots
        ),
    )
    if engine.new_lots:
        pks = _pks(Lot, account, [lot.key for lot in engine.new_lots])
        for lot in engine.new_lots:
            lot.pk = pks[lot.key]
    update_rows(
        Lot,
        LOT_UPDATE_FIELDS,
        (
            (lot.remaining, lot.cost.cash, lot.cost.variation, lot.closed_at, lot.pk)
            for lot in engine.touched_lots.values()
        ),
    )
    lot_pks = {lot.key: lot.pk for lot in engine.new_lots}
    lot_pks.update({lot.key: lot.pk for lot in engine.touched_lots.values()})
    return lot_pks


EVENT_FIELDS = (
    "account", "key", "kind", "lot", "position", "closing_transaction", "executed_at", "trading_day",
    "opened_at", "symbol", "underlying_symbol", "instrument_type", "quantity", "opening_cash", "variation",
    "closing_cash", *CHARGE_FIELDS, "realized_pnl",
)  # fmt: skip
EVENT_UPDATE_FIELDS = ("kind", "closing_cash", *CHARGE_FIELDS, "realized_pnl")


def _write_events(
    engine: Engine, account: BrokerAccount, position_pks: dict[str, int], lot_pks: dict[str, int]
) -> None:
    insert_rows(
        PnlEvent,
        EVENT_FIELDS,
        (
            (
                account.pk,
                e.key,
                e.kind,
                lot_pks[e.lot],
                position_pks[e.position],
                e.transaction_id,
                e.executed_at,
                e.trading_day,
                e.opened_at,
                e.symbol,
                e.underlying,
                e.instrument_type,
                e.quantity,
                e.opening_cash,
                e.variation,
                e.closing_cash,
                *e.fees,
                e.realized_pnl,
            )
            for e in engine.new_events
        ),
    )
    # Events of earlier runs amended by a late cash-settlement row.
    update_rows(
        PnlEvent,
        EVENT_UPDATE_FIELDS,
        ((e.kind, e.closing_cash, *e.fees, e.realized_pnl, e.pk) for e in engine.touched_events.values()),
    )
    # Events still waiting for a cash-settlement row are saved in the state with their pk, so a
    # later run can amend them.
    waiting = [event for s in engine.settlements.values() for event in s.events if event.pk is None]
    if waiting:
        pks = dict(PnlEvent.objects.filter(account=account, key__in=[e.key for e in waiting]).values_list("key", "pk"))
        for event in waiting:
            event.pk = pks[event.key]


ISSUE_FIELDS = ("account", "key", "kind", "transaction", "executed_at", "symbol", "message")


def _write_issues(engine: Engine, account: BrokerAccount) -> None:
    insert_rows(
        DataIssue,
        ISSUE_FIELDS,
        (
            (account.pk, issue.key, issue.kind, issue.transaction_id, issue.executed_at, issue.symbol, issue.message)
            for issue in engine.issues.values()
        ),
    )
