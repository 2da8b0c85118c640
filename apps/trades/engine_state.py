"""What the FIFO engine holds between rows: open lots, positions, pending settlements, issues.

Amounts a row or lot hands out in pieces go through `Portion`, so the pieces always add up to
the whole exactly (see the P&L convention in apps.trades.engine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

from apps.trades.ledger_rows import MONEY_STEP, ZERO, Row
from apps.trades.models import CHARGE_FIELDS, Strategy

NO_FEES = (ZERO,) * len(CHARGE_FIELDS)


def share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    return (amount * part / whole).quantize(MONEY_STEP, rounding=ROUND_HALF_EVEN)


def sign_of(value: Decimal) -> int:
    return 1 if value > 0 else -1


class Piece(NamedTuple):
    cash: Decimal
    fees: tuple[Decimal, ...]
    variation: Decimal


@dataclass(slots=True)
class Portion:
    """What is left of a row's (or a lot's) net cash, fees and variation, handed out pro rata.

    A piece taking k of the R units left gets everything when k == R, else amount * k / R rounded
    to 0.0001 (half-even); the amounts and R then drop by what was taken, so pieces add up exactly.
    """

    quantity: Decimal  # unsigned
    cash: Decimal
    fees: tuple[Decimal, ...]
    variation: Decimal = ZERO

    def take(self, quantity: Decimal) -> Piece:
        if quantity >= self.quantity:
            piece = Piece(self.cash, self.fees, self.variation)
            self.quantity, self.cash, self.fees, self.variation = ZERO, ZERO, NO_FEES, ZERO
            return piece
        whole = self.quantity
        piece = Piece(
            share(self.cash, quantity, whole),
            tuple(share(fee, quantity, whole) if fee else ZERO for fee in self.fees),
            share(self.variation, quantity, whole) if self.variation else ZERO,
        )
        self.quantity -= quantity
        self.cash -= piece.cash
        self.fees = tuple(left - taken for left, taken in zip(self.fees, piece.fees, strict=True))
        self.variation -= piece.variation
        return piece


@dataclass(slots=True)
class OpenLot:
    key: str
    pk: int | None
    position: str
    transaction_id: int
    symbol: str
    underlying: str
    instrument_type: str
    option_type: str
    strike: Decimal | None
    expires_on: date | None
    multiplier: Decimal | None
    opened_at: datetime
    quantity: Decimal  # signed, as opened
    opening_price: Decimal | None
    opening_cash: Decimal
    remaining: Decimal  # signed
    cost: Portion  # the opening cash, fees and carried variation of what remains
    moved_from: str = ""
    closed_at: datetime | None = None

    @property
    def order(self) -> tuple:
        return (self.opened_at, self.transaction_id, self.key)

    @property
    def put_obligation(self) -> Decimal:
        """What a short put lot would cost if assigned: strike x multiplier x contracts."""
        if self.remaining < 0 and self.option_type == "P" and self.multiplier and self.strike is not None:
            return -self.remaining * self.multiplier * self.strike
        return ZERO


@dataclass(slots=True)
class Event:
    key: str
    pk: int | None
    kind: str
    lot: str
    position: str
    transaction_id: int
    executed_at: datetime
    trading_day: date
    opened_at: datetime | None
    symbol: str
    underlying: str
    instrument_type: str
    quantity: Decimal
    opening_cash: Decimal
    variation: Decimal
    closing_cash: Decimal
    fees: tuple[Decimal, ...]

    @property
    def realized_pnl(self) -> Decimal:
        return self.opening_cash + self.variation + self.closing_cash


@dataclass(slots=True)
class TrackedPosition:
    key: str
    pk: int | None
    underlying: str
    opened_at: datetime
    order_id: int | None
    detected: str = Strategy.CUSTOM
    rolled_from: str = ""
    assigned_from: str = ""
    covers: str = ""
    covers_candidate: str = ""
    shares_held: Decimal = ZERO
    cash_available: Decimal | None = None
    # symbol -> [instrument_type, option_type, strike, expires_on, multiplier, opened quantity]
    legs: dict[str, list] = field(default_factory=dict)
    open_lots: int = 0
    closed_at: datetime | None = None


@dataclass(slots=True)
class Settlement:
    """An assignment or exercise of one option on one day, waiting for a possible cash-settlement row."""

    day: date
    events: list[Event]
    awaiting_removal: Decimal = ZERO  # closed by the cash row first; its removal row closes nothing
    cash_applied: bool = False


@dataclass(slots=True)
class Issue:
    key: str
    kind: str
    transaction_id: int | None
    executed_at: datetime | None
    symbol: str
    message: str


@dataclass(slots=True)
class Removal:
    """An option assigned or exercised in the current instant, to link the stock it delivers."""

    underlying: str
    strike: Decimal | None
    position: str
    used: bool = False


def portion_of(row: Row) -> Portion:
    return Portion(row.quantity, row.net_value, row.charges)
