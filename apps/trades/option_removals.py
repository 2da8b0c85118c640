"""Option removals in the FIFO engine: expirations, assignments, exercises, futures settlements,
maturities, and the cash settlement of index options.

A removal closes the option at zero (rows without an action take their direction from the open lot),
so its premium is realized on the option. A cash-settled option has a removal row and a
`Cash Settled ...` row for the same option and day: they make one event, whichever comes first, and
the settlement cash is never counted twice. Split out of apps.trades.engine by job; `Engine` mixes
this in and provides the lot bookkeeping it calls.
"""

from __future__ import annotations

from datetime import datetime

from apps.trades.engine_state import Portion, Settlement, portion_of, sign_of
from apps.trades.ledger_rows import CASH_SETTLEMENTS, REMOVALS, SETTLED_REMOVALS, ZERO, Row
from apps.trades.models import DataIssue, PnlEvent


class OptionRemovals:
    """The Engine's handling of RowKind.REMOVAL and RowKind.CASH_SETTLEMENT rows."""

    def _removal(self, row: Row, instant: datetime) -> None:
        sub_type = row.transaction_sub_type
        if sub_type in CASH_SETTLEMENTS:
            self._cash_settlement(row, instant)
            return
        kind = REMOVALS.get(sub_type) or SETTLED_REMOVALS[sub_type]
        quantity = row.quantity
        settlement = self.settlements.get(row.symbol)
        if sub_type in ("Assignment", "Exercise") and settlement and settlement.day == row.transaction_date:
            # The cash-settlement row came first and already closed this option: one event, not two.
            matched = min(quantity, settlement.awaiting_removal)
            settlement.awaiting_removal -= matched
            quantity -= matched
            if not quantity:
                return
        lots = self.lots.get(row.symbol)
        if not lots:
            self._close_without_open(row, quantity)
            return
        # Older expirations carry no action: the direction comes from the open lot.
        direction = -sign_of(lots[0].remaining)
        remainder, events = self._close(row, direction * quantity, portion_of(row), kind, instant)
        if remainder:
            self._close_without_open(row, remainder)
        if sub_type in ("Assignment", "Exercise") and events:
            self.settlements[row.symbol] = Settlement(day=row.transaction_date, events=events)

    def _cash_settlement(self, row: Row, instant: datetime) -> None:
        settlement = self.settlements.get(row.symbol)
        if settlement and settlement.day == row.transaction_date and not settlement.cash_applied:
            # The removal row closed the option at zero; this row's cash settles those events.
            total = sum((abs(event.quantity) for event in settlement.events), ZERO)
            portion = Portion(total, row.net_value, row.charges)
            for event in settlement.events:
                piece = portion.take(abs(event.quantity))
                event.closing_cash += piece.cash
                event.fees = tuple(a + b for a, b in zip(event.fees, piece.fees, strict=True))
                event.kind = PnlEvent.Kind.CASH_SETTLEMENT
                if event.pk is not None:
                    self.touched_events[event.key] = event
            settlement.cash_applied = True
            return
        lots = self.lots.get(row.symbol)
        if not lots:
            self._issue(
                DataIssue.Kind.UNMATCHED_CASH_SETTLEMENT,
                row,
                f"{row.transaction_sub_type} of {row.symbol} with no open option; counted in cash only.",
            )
            return
        open_quantity = sum((abs(lot.remaining) for lot in lots), ZERO)
        quantity = row.quantity or open_quantity
        direction = -sign_of(lots[0].remaining)
        portion = Portion(quantity, row.net_value, row.charges)
        remainder, events = self._close(row, direction * quantity, portion, PnlEvent.Kind.CASH_SETTLEMENT, instant)
        self.settlements[row.symbol] = Settlement(
            day=row.transaction_date, events=events, awaiting_removal=quantity - abs(remainder), cash_applied=True
        )
        if remainder:
            self._close_without_open(row, remainder)
