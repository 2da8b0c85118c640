"""Ground truth: cash, open quantities and FIFO realized P&L, replayed from the rows the API serves.

The ledger reads an account's transactions the way a consumer of the API would (only fields the
API sends), so what it computes is what a correct P&L engine must compute from the same rows.
All arithmetic is `Decimal`; nothing is rounded except the pro-rata shares described below.

The convention
==============

Order. Rows are applied in (`executed-at`, `id`) order. Each row adds its signed `net-value`
(`Debit` negative) to the cash balance; the cash balance is the sum of every row's net value.

Instruments. Lots are kept per `symbol` (a stock, a full OCC option symbol, a future, a future
option). A lot is what one opening row (or the opening remainder of a row) put on: quantity,
direction (long/short), opening price per unit (the row's `price`), opening cash (the row's signed
net value, so opening fees are in it) and, for futures, carried variation (mark-to-market cash).

Rows that trade (type `Trade`, and `Receive Deliver` rows that carry an `action` and are none of
the kinds below, e.g. the stock delivery rows of an assignment or exercise, sub-type
`Buy to Open`/`Sell to Close`/...). `Buy...` actions add quantity, `Sell...` actions remove it
(futures: bare `Buy`/`Sell`); the open/close half of the action is not trusted. The row first
closes lots of the opposite direction, oldest first (FIFO by `executed-at`, then `id` of the
opening row); any quantity left over opens a new lot in the row's direction.

Removals (`Receive Deliver` with sub-type `Expiration`, `Assignment` or `Exercise`, with or
without an `action`). The row's quantity closes lots of the symbol, oldest first, whatever their
direction, at the row's net value (zero): the premium is realized on the option. The delivered
stock of an assignment or exercise is a separate row that trades (above): it opens (or closes) at
its own `price` (the strike) with its own net value, so the assignment fee sits in the stock lot.

Cash-settled index options (`Cash Settled Assignment` / `Cash Settled Exercise`). The settlement
row's net value is closing cash for the pieces closed by the removal row of the same symbol at the
same `executed-at` (one event, two rows), shared over those pieces by quantity. If the settlement
row comes first, its cash waits for that removal row.

Futures. The opening row's value is zero, so a futures lot opens with its fees only. Each
`Money Movement` / `Mark to Market` row carries the future's `symbol`; its net value is shared
over that symbol's open lots by quantity (oldest first) and carried by them as variation. Closing
a futures lot realizes its opening fees, its carried variation and its share of the closing row
(variation since the last settlement, less closing fees). A futures row that closes the open lots
and opens the other way in one row gives its whole value (the closed part's variation) and the
closed quantity's share of its charges to the closed lots; the new lot opens with the rest of the
charges only. A Mark to Market row when nothing of the symbol is open is cash only.

Corporate actions (`Receive Deliver` with sub-type `Symbol Change`, `Forward Split`,
`Reverse Split` or `Stock Merger`). A row whose action ends in `to Close` takes its quantity out of
the symbol's lots (oldest first); the next row of the same sub-type and `executed-at` whose action
ends in `to Open` puts those lots back under its own symbol with every quantity multiplied by
(open quantity / close quantity) and every opening price divided by it. Opening cash, variation,
opening row id and opening time move unchanged; nothing is realized. The two rows' net values
cancel out in cash. A close row that no open row follows takes its lots out of the book: they
are neither open nor realized (the simulator never posts one).

Everything else (`Money Movement` other than Mark to Market: deposits, withdrawals, dividends and
their withholding, interest, fees, balance adjustments, reversals; unknown types) moves cash only
and is not trade P&L. `cash_by_kind` totals it by (type, sub-type).

Pro-rata shares. When an amount A that belongs to a quantity R is shared and a piece takes k of
R, the piece gets A when k == R (everything that is left), otherwise A * k / R rounded to 0.0001
half-even; A and R then drop by what was taken. This applies to a row's net value over the lots
it closes (the opening remainder gets what is left), to a lot's opening cash and variation when
part of it closes or moves, to a Mark to Market row over open lots, and to a settlement row over
the pieces it settles. Shares always add up exactly to the amount shared.

Realized P&L of a closed piece = its opening cash + its variation + its closing cash.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from .transactions import Transaction

ZERO = Decimal(0)
SHARE_QUANTUM = Decimal("0.0001")
REMOVALS = frozenset({"Expiration", "Assignment", "Exercise"})
CASH_SETTLEMENTS = frozenset({"Cash Settled Assignment", "Cash Settled Exercise"})
CORPORATE_ACTIONS = frozenset({"Symbol Change", "Forward Split", "Reverse Split", "Stock Merger"})


def share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """The part of `amount` that belongs to `part` of `whole` (see "Pro-rata shares")."""
    if part == whole:
        return amount
    return (amount * part / whole).quantize(SHARE_QUANTUM, ROUND_HALF_EVEN)


@dataclass(slots=True)
class Lot:
    symbol: str
    instrument_type: str
    underlying_symbol: str
    direction: int  # +1 long, -1 short
    quantity: Decimal  # what is still open, unsigned
    price: Decimal  # opening price per unit
    opening_cash: Decimal  # what is left of the opening row's net value
    variation: Decimal  # futures: mark-to-market cash carried so far
    opened_transaction_id: int
    opened_at: datetime

    def take(self, quantity: Decimal) -> tuple[Decimal, Decimal]:
        """Take `quantity` out of the lot; returns its share of opening cash and variation."""
        opening = share(self.opening_cash, quantity, self.quantity)
        variation = share(self.variation, quantity, self.quantity)
        self.opening_cash -= opening
        self.variation -= variation
        self.quantity -= quantity
        return opening, variation


@dataclass(frozen=True, slots=True)
class OpenLot:
    account_number: str
    symbol: str
    instrument_type: str
    underlying_symbol: str
    direction: str  # "Long" or "Short"
    quantity: Decimal
    price: Decimal
    opening_cash: Decimal
    variation: Decimal
    opened_transaction_id: int
    opened_at: datetime

    @property
    def signed_quantity(self) -> Decimal:
        return self.quantity if self.direction == "Long" else -self.quantity


@dataclass(slots=True)
class ClosedLot:
    """A closed piece of a lot: `quantity` of it, closed by one row."""

    account_number: str
    symbol: str
    instrument_type: str
    underlying_symbol: str
    direction: str  # of the lot: "Long" or "Short"
    quantity: Decimal
    opened_transaction_id: int
    opened_at: datetime
    closed_transaction_id: int
    closed_at: datetime
    closing_sub_type: str
    opening_cash: Decimal
    variation: Decimal
    closing_cash: Decimal

    @property
    def realized_pnl(self) -> Decimal:
        return self.opening_cash + self.variation + self.closing_cash

    @property
    def closed_on(self) -> date:
        return self.closed_at.date()


@dataclass(frozen=True)
class AccountTruth:
    """What a correct consumer of the account's transactions must arrive at."""

    account_number: str
    cash_balance: Decimal
    open_quantities: dict[str, Decimal]  # symbol -> signed quantity (short is negative); open only
    open_lots: tuple[OpenLot, ...]
    closed_lots: tuple[ClosedLot, ...]
    cash_by_kind: dict[tuple[str, str], Decimal]  # (type, sub-type) -> signed sum of net values
    transaction_count: int

    @property
    def realized_pnl(self) -> Decimal:
        return sum((lot.realized_pnl for lot in self.closed_lots), ZERO)

    def realized_pnl_by_symbol(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for lot in self.closed_lots:
            totals[lot.symbol] += lot.realized_pnl
        return dict(totals)

    def open_cost(self, symbol: str) -> Decimal:
        """Net cash paid (negative) or received (positive) for what is still open, fees included."""
        return sum((lot.opening_cash for lot in self.open_lots if lot.symbol == symbol), ZERO)


def _sign(action: str) -> int:
    return 1 if action.startswith("Buy") else -1


class Ledger:
    """Replays one account's rows; `truth()` reports the result at any point."""

    def __init__(self, account_number: str) -> None:
        self.account_number = account_number
        self.cash = ZERO
        self.count = 0
        self.lots: dict[str, deque[Lot]] = defaultdict(deque)
        self.closed: list[ClosedLot] = []
        self.cash_by_kind: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.instrument_types: dict[str, str] = {}
        self.underlyings: dict[str, str] = {}
        # (symbol, executed-at) -> pieces closed by a removal row, for its cash-settlement row
        self._settleable: dict[tuple[str, datetime], list[ClosedLot]] = {}
        self._unsettled: dict[tuple[str, datetime], list[Transaction]] = defaultdict(list)
        # (sub-type, executed-at) -> lots taken out by corporate-action "close" rows, in order
        self._moving: dict[tuple[str, datetime], deque[tuple[Decimal, list[Lot]]]] = defaultdict(deque)

    def apply_all(self, rows: Iterable[Transaction]) -> Ledger:
        for row in sorted(rows, key=lambda r: r.sort_key):
            self.apply(row)
        return self

    def apply(self, row: Transaction) -> None:
        self.count += 1
        self.cash += row.net_value
        self.cash_by_kind[(row.transaction_type, row.transaction_sub_type)] += row.net_value
        if row.symbol and row.instrument_type:
            self.instrument_types[row.symbol] = row.instrument_type
            self.underlyings[row.symbol] = row.underlying_symbol or row.symbol
        sub_type = row.transaction_sub_type
        if row.transaction_type == "Money Movement":
            if sub_type == "Mark to Market" and row.symbol:
                self._carry_variation(row)
        elif row.transaction_type == "Receive Deliver" and sub_type in REMOVALS:
            self._remove(row)
        elif row.transaction_type == "Receive Deliver" and sub_type in CASH_SETTLEMENTS:
            self._settle(row)
        elif row.transaction_type == "Receive Deliver" and sub_type in CORPORATE_ACTIONS:
            self._move(row)
        elif row.transaction_type in {"Trade", "Receive Deliver"} and row.action and row.quantity:
            self._trade(row)
        if row.symbol in self.lots and not self.lots[row.symbol]:
            del self.lots[row.symbol]  # keep only open instruments

    # --- row kinds --------------------------------------------------------------------------

    def _trade(self, row: Transaction) -> None:
        direction = _sign(row.action)
        lots = self.lots[row.symbol]
        quantity, cash = row.quantity, row.net_value
        to_close = sum((lot.quantity for lot in lots if lot.direction != direction), ZERO)
        shared_over, opening_cash = quantity, None
        if row.instrument_type == "Future" and row.value and 0 < to_close < quantity:
            # A futures row that flips the position: its value is the closed part's variation, so
            # the closed lots share all of it; the new lot opens with its share of the charges only.
            charges = row.net_value - row.value
            closing_charges = share(charges, to_close, quantity)
            cash, opening_cash, shared_over = closing_charges + row.value, charges - closing_charges, to_close
        while quantity and lots and lots[0].direction != direction:
            lot = lots[0]
            taken = min(lot.quantity, quantity)
            closing = share(cash, taken, shared_over)
            cash -= closing
            quantity -= taken
            shared_over -= taken
            self._close(lot, taken, row, closing)
            if not lot.quantity:
                lots.popleft()
        if opening_cash is not None:
            cash = opening_cash
        if quantity:
            lots.append(
                Lot(
                    symbol=row.symbol,
                    instrument_type=row.instrument_type,
                    underlying_symbol=row.underlying_symbol or row.symbol,
                    direction=direction,
                    quantity=quantity,
                    price=row.price if row.price is not None else ZERO,
                    opening_cash=cash,
                    variation=ZERO,
                    opened_transaction_id=row.id,
                    opened_at=row.executed_at,
                )
            )

    def _remove(self, row: Transaction) -> None:
        lots = self.lots[row.symbol]
        quantity, cash = row.quantity or ZERO, row.net_value
        pieces = []
        while quantity and lots:
            lot = lots[0]
            taken = min(lot.quantity, quantity)
            closing = share(cash, taken, quantity)
            cash -= closing
            quantity -= taken
            pieces.append(self._close(lot, taken, row, closing))
            if not lot.quantity:
                lots.popleft()
        key = (row.symbol, row.executed_at)
        self._settleable[key] = pieces
        for settlement in self._unsettled.pop(key, []):
            self._spread_settlement(settlement, pieces)

    def _settle(self, row: Transaction) -> None:
        key = (row.symbol, row.executed_at)
        if key in self._settleable:
            self._spread_settlement(row, self._settleable[key])
        else:
            self._unsettled[key].append(row)

    def _spread_settlement(self, row: Transaction, pieces: list[ClosedLot]) -> None:
        cash, quantity = row.net_value, sum((piece.quantity for piece in pieces), ZERO)
        for piece in pieces:
            part = share(cash, piece.quantity, quantity)
            piece.closing_cash += part
            cash -= part
            quantity -= piece.quantity

    def _carry_variation(self, row: Transaction) -> None:
        lots = self.lots[row.symbol]
        cash, quantity = row.net_value, sum((lot.quantity for lot in lots), ZERO)
        for lot in lots:
            part = share(cash, lot.quantity, quantity)
            lot.variation += part
            cash -= part
            quantity -= lot.quantity

    def _move(self, row: Transaction) -> None:
        key = (row.transaction_sub_type, row.executed_at)
        if row.action and row.action.endswith("to Close"):
            lots = self.lots[row.symbol]
            quantity, moving = row.quantity, []
            while quantity and lots:
                lot = lots[0]
                taken = min(lot.quantity, quantity)
                if taken == lot.quantity:
                    moving.append(lots.popleft())
                else:
                    opening, variation = lot.take(taken)
                    moving.append(
                        Lot(
                            lot.symbol,
                            lot.instrument_type,
                            lot.underlying_symbol,
                            lot.direction,
                            taken,
                            lot.price,
                            opening,
                            variation,
                            lot.opened_transaction_id,
                            lot.opened_at,
                        )
                    )
                quantity -= taken
            self._moving[key].append((row.quantity, moving))
        elif row.action and row.action.endswith("to Open") and self._moving[key]:
            closed_quantity, moving = self._moving[key].popleft()
            ratio = row.quantity / closed_quantity
            for lot in moving:
                lot.symbol = row.symbol
                lot.instrument_type = row.instrument_type
                lot.underlying_symbol = row.underlying_symbol or row.symbol
                lot.quantity *= ratio
                lot.price /= ratio
            lots = self.lots[row.symbol]
            lots.extend(moving)
            self.lots[row.symbol] = deque(sorted(lots, key=lambda lot: (lot.opened_at, lot.opened_transaction_id)))

    def _close(self, lot: Lot, quantity: Decimal, row: Transaction, closing_cash: Decimal) -> ClosedLot:
        opening, variation = lot.take(quantity)
        piece = ClosedLot(
            account_number=self.account_number,
            symbol=lot.symbol,
            instrument_type=lot.instrument_type,
            underlying_symbol=lot.underlying_symbol,
            direction="Long" if lot.direction > 0 else "Short",
            quantity=quantity,
            opened_transaction_id=lot.opened_transaction_id,
            opened_at=lot.opened_at,
            closed_transaction_id=row.id,
            closed_at=row.executed_at,
            closing_sub_type=row.transaction_sub_type,
            opening_cash=opening,
            variation=variation,
            closing_cash=closing_cash,
        )
        self.closed.append(piece)
        return piece

    # --- results ----------------------------------------------------------------------------

    def open_quantities(self) -> dict[str, Decimal]:
        quantities = {}
        for symbol, lots in self.lots.items():
            total = sum((lot.quantity * lot.direction for lot in lots), ZERO)
            if total:
                quantities[symbol] = total
        return quantities

    def open_lots(self) -> list[Lot]:
        return [lot for lots in self.lots.values() for lot in lots]

    def truth(self) -> AccountTruth:
        open_lots = tuple(
            OpenLot(
                account_number=self.account_number,
                symbol=lot.symbol,
                instrument_type=lot.instrument_type,
                underlying_symbol=lot.underlying_symbol,
                direction="Long" if lot.direction > 0 else "Short",
                quantity=lot.quantity,
                price=lot.price,
                opening_cash=lot.opening_cash,
                variation=lot.variation,
                opened_transaction_id=lot.opened_transaction_id,
                opened_at=lot.opened_at,
            )
            for lot in self.open_lots()
        )
        closed = tuple(
            ClosedLot(**{name: getattr(piece, name) for name in ClosedLot.__slots__}) for piece in self.closed
        )
        return AccountTruth(
            account_number=self.account_number,
            cash_balance=self.cash,
            open_quantities=self.open_quantities(),
            open_lots=open_lots,
            closed_lots=closed,
            cash_by_kind=dict(self.cash_by_kind),
            transaction_count=self.count,
        )
