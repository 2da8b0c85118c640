"""Corporate actions in the FIFO engine: symbol changes, mergers, splits and contract adjustments.

A paired Close/Open carries the remaining basis, variation, opening row and opening time to the
new symbol (quantities scaled by a split) and realizes nothing (docs/tastytrade-api.md#corporate-actions). Split out of
apps.trades.engine by job; `Engine` mixes this in and provides the lot bookkeeping it calls.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from apps.trades.engine_state import OpenLot, Piece, Portion, portion_of, sign_of
from apps.trades.ledger_rows import (
    Row,
    option_spec,
    pair_moves,
    parse_action,
    row_multiplier,
    row_underlying,
    symbol_root,
)
from apps.trades.models import DataIssue, InstrumentType, PnlEvent


class CorporateActions:
    """The Engine's handling of RowKind.MOVE batches."""

    def _moves(self, rows: list[Row], instant: datetime) -> None:
        """Symbol changes, mergers and splits: pair each Close row with its Open row and move the basis."""
        closes, opens = [], []
        for row in rows:
            parsed = parse_action(row)
            if parsed is None or parsed[1] is None:
                self._issue(DataIssue.Kind.UNKNOWN_ACTION, row, f"{row.transaction_sub_type} row with no open/close.")
                continue
            (opens if parsed[1] else closes).append(row)
        pairs, lone_closes, lone_opens = pair_moves(closes, opens)
        for close_row, open_row in pairs:
            self._move(close_row, open_row, instant)
        for row in lone_closes:
            self._issue(
                DataIssue.Kind.UNPAIRED_CORPORATE_ACTION,
                row,
                f"{row.transaction_sub_type}: closing {row.symbol} has no matching open; closed at its stated value.",
            )
            lots = self.lots.get(row.symbol)
            if not lots:
                self._close_without_open(row, row.quantity)
                continue
            remainder, _ = self._close(
                row, -sign_of(lots[0].remaining) * row.quantity, portion_of(row), PnlEvent.Kind.OTHER, instant
            )
            if remainder:
                self._close_without_open(row, remainder)
        for row in lone_opens:
            self._issue(
                DataIssue.Kind.UNPAIRED_CORPORATE_ACTION,
                row,
                f"{row.transaction_sub_type}: opening {row.symbol} has no matching close; opened at its stated value.",
            )
            sign = parse_action(row)[0]
            position = self._new_position(row, instant)
            self._open_lot(row, sign * row.quantity, portion_of(row), position, instant)
            self._detect(position)

    def _move(self, close_row: Row, open_row: Row, instant: datetime) -> None:
        lots = self.lots.get(close_row.symbol)
        if not lots:
            self._close_without_open(close_row, close_row.quantity)
            self._issue(
                DataIssue.Kind.UNPAIRED_CORPORATE_ACTION,
                open_row,
                f"{open_row.transaction_sub_type}: {open_row.symbol} opened at its stated value (nothing to move).",
            )
            position = self._new_position(open_row, instant)
            self._open_lot(
                open_row, parse_action(open_row)[0] * open_row.quantity, portion_of(open_row), position, instant
            )
            self._detect(position)
            return
        wanted = close_row.quantity
        moved: list[tuple[OpenLot, Decimal, Piece]] = []
        while wanted and lots:
            lot = lots[0]
            quantity = min(wanted, abs(lot.remaining))
            piece = lot.cost.take(quantity)
            signed = sign_of(lot.remaining) * quantity
            self._shift(lot, -signed)
            wanted -= quantity
            moved.append((lot, signed, piece))
            self._touch_lot(lot)
            if not lot.remaining:
                lots.popleft()
        if not lots:
            self._drop_symbol(close_row.symbol)
        if wanted:
            self._close_without_open(close_row, wanted)
        option_type, strike, expires_on = option_spec(open_row)
        underlying = row_underlying(open_row)
        if open_row.instrument_type == InstrumentType.EQUITY:
            underlying = open_row.symbol
        elif underlying == row_underlying(close_row) and symbol_root(open_row.symbol) != symbol_root(close_row.symbol):
            # The new rows may still name the old ticker as underlying (docs/tastytrade-api.md#corporate-actions).
            underlying = symbol_root(open_row.symbol).rstrip("0123456789") or underlying
        # A 2-for-1 split doubles every moved quantity and halves its price.
        ratio = open_row.quantity / close_row.quantity if close_row.quantity else Decimal(1)
        for old, signed, piece in moved:
            quantity = signed * ratio
            lot = OpenLot(
                key=f"{open_row.key}:{self._next_lot(open_row)}",
                pk=None,
                position=old.position,
                # The lot is still the one its opening row put on: FIFO order and holding period stay.
                transaction_id=old.transaction_id,
                symbol=open_row.symbol,
                underlying=underlying,
                instrument_type=open_row.instrument_type,
                option_type=option_type,
                strike=strike,
                expires_on=expires_on,
                multiplier=row_multiplier(open_row) or old.multiplier,
                opened_at=old.opened_at,
                quantity=quantity,
                opening_price=old.opening_price / ratio if old.opening_price is not None and ratio else None,
                opening_cash=piece.cash,
                remaining=quantity,
                cost=Portion(abs(quantity), piece.cash, piece.fees, piece.variation),
                moved_from=old.key,
            )
            self._add_lot(lot)
        for old, _, _ in moved:
            if not old.remaining:
                self._retire_lot(old, instant)
