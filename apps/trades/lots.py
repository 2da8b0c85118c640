"""FIFO lots and realized P&L events, rebuilt from the ledger.

P&L convention (the README's "P&L convention" section says the same):

- Realized P&L is FIFO per instrument (stock symbol, full option symbol, future, future option),
  net of the commissions and fees of the opening and the closing transaction. Each lot carries a
  pro-rata share (by quantity) of its opening row's net value and fees; a partial close takes a
  pro-rata share of the closing row's. Shares are rounded to 0.0001 and the last piece of a row
  or a lot takes what is left, so the pieces always add up to the row exactly.
- A trade that flips a position through zero closes the old lots first; the rest opens a lot. A
  futures row's value is the closed part's variation: it goes to the closed lots whole, and the
  new lot starts at the fill with only its share of the charges.
- Rows apply in (executed_at, TastyTrade id) order; CSV rows of one timestamp are stored in the
  order the broker executed them. Buying adds quantity and selling removes it; the
  open/close half of an action is not trusted (the broker nets by symbol): a closing row with nothing
  left to close opens a lot in its own direction. That is a data issue ("close with no open", often
  history that was never imported) unless a later row of the same instant takes it back, as when a
  spread settles with both legs in the money and the delivered stock nets to zero.
- An expiration, assignment or exercise closes the option at zero (rows without an action take
  their direction from the open lot): its premium is realized on the option. Delivered stock opens
  (or closes) at the price in the delivery row, the strike, with the delivery fee in its own lot.
- Cash-settled index options: the removal row and the `Cash Settled ...` row of the same option
  and day make one event, which realizes the settlement cash (less its fee) on the option. Never
  counted twice.
- Futures open at zero value. Each `Mark to Market` money movement is shared over the symbol's
  open lots by quantity and carried by them as variation; closing a piece realizes its opening
  fees, its carried variation and its share of the closing row's value (the last day's move).
- Symbol changes, mergers and splits (paired Close/Open rows) move the remaining basis, variation,
  opening row and opening time to the new symbol, quantities scaled by the split, and realize
  nothing. So do contract adjustments: a Special Dividend (or other Receive Deliver Close/Open
  pair at one instant and price that is not a delivery) carries the lot to the adjusted contract.
- One futures family is one underlying: `/MES` for `/MESH5` and options on `/MESZ4`.
- Dividends, interest and account fees are not trade P&L; reports show them on their own lines.
- An event belongs to the day of its execution in the user's time zone (User.time_zone).
- What the engine cannot classify (a close with no open lot, an unknown sub-type) is recorded as
  a DataIssue, never guessed silently.

The entry point is `recompute_account`. It resumes from the state saved after the previous run
(open lots, open positions) when every new transaction is later than the last one processed and
nothing processed has changed since; otherwise it rebuilds the account from scratch. Both paths
run the same code over the same rows in the same order, so their results are identical.
"""

from __future__ import annotations

import hashlib
from bisect import insort
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import groupby
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db import transaction as db_transaction
from django.db.models import CharField, F
from django.db.models.functions import Cast
from django.utils import timezone

from apps.trades.bulk import delete_for_account, insert_rows, update_rows
from apps.trades.chains import rebuild_chains
from apps.trades.models import (
    CHARGE_FIELDS,
    BrokerAccount,
    Chain,
    DataIssue,
    Lot,
    PnlEvent,
    PnlState,
    Position,
    Strategy,
    StrategyOverride,
    Transaction,
    transaction_key,
)
from apps.trades.reconcile import reconcile_account
from apps.trades.strategies import EQUITY, OPTION_TYPES, Leg, detect_strategy
from apps.trades.symbols import parse_option_symbol, underlying_of

ENGINE_VERSION = 2  # 2: futures families, contract adjustments, order inside a second
MONEY_STEP = Decimal("0.0001")
QUANTITY_STEP = Decimal("0.00000001")
ZERO = Decimal(0)
# A close followed within this time by an opening order on the same underlying is a roll.
ROLL_WINDOW = timedelta(minutes=10)
# How long an assignment or exercise waits for its `Cash Settled ...` row.
SETTLEMENT_MEMORY = timedelta(days=7)
# An incremental run re-reads this much processed history (the sync re-reads the last 30 days and
# updates changed rows in place) and rebuilds from scratch if any of it changed. Older rows edited
# after they were created (an admin edit) force a rebuild too; the margin covers a writer that
# saved before our last run read the ledger but committed after.
RESCAN_WINDOW = timedelta(days=45)
UPDATED_MARGIN = timedelta(hours=1)
EDITED_AFTER_CREATION = timedelta(seconds=1)

NO_FEES = (ZERO,) * len(CHARGE_FIELDS)
FUTURE = "Future"

TRADE = Transaction.Type.TRADE
RECEIVE_DELIVER = Transaction.Type.RECEIVE_DELIVER
MONEY_MOVEMENT = Transaction.Type.MONEY_MOVEMENT
ADMINISTRATIVE_TRANSFER = Transaction.Type.ADMINISTRATIVE_TRANSFER

REMOVALS = {"Expiration": PnlEvent.Kind.EXPIRATION, "Assignment": PnlEvent.Kind.ASSIGNMENT}
REMOVALS["Exercise"] = PnlEvent.Kind.EXERCISE
SETTLED_REMOVALS = {"Futures Settlement": PnlEvent.Kind.FUTURES_SETTLEMENT, "Maturity": PnlEvent.Kind.OTHER}
CASH_SETTLEMENTS = {"Cash Settled Assignment", "Cash Settled Exercise"}
# Close/Open pairs that carry the basis across (TASTYTRADE.md §5.2).
BASIS_MOVES = {
    "Symbol Change",
    "Stock Merger",
    "Stock Merger Removal",
    "Forward Split",
    "Reverse Split",
    "Reverse Split Removal",
}
DELIVERIES = {"Buy to Open", "Sell to Open", "Buy to Close", "Sell to Close"}
RECEIVED_SHARES = {"Dividend", "Special Dividend"}
TRANSFERS = {"Transfer", "ACAT"}
KNOWN_RECEIVE_DELIVER = (
    set(REMOVALS)
    | set(SETTLED_REMOVALS)
    | CASH_SETTLEMENTS
    | BASIS_MOVES
    | DELIVERIES
    | RECEIVED_SHARES
    | TRANSFERS
    | {"Cash Merger"}
)
KNOWN_MONEY_MOVEMENT = {
    "Deposit",
    "Withdrawal",
    "Transfer",
    "Dividend",
    "Credit Interest",
    "Debit Interest",
    "Fee",
    "Balance Adjustment",
    "Mark to Market",
    "Fully Paid Stock Lending Income",
}
ACTIONS = {
    "buy to open": (1, True),
    "sell to open": (-1, True),
    "buy to close": (1, False),
    "sell to close": (-1, False),
    "buy": (1, None),
    "sell": (-1, None),
}

ROW_FIELDS = (
    "id",
    "tastytrade_id",
    "import_key",
    "transaction_type",
    "transaction_sub_type",
    "action",
    "symbol",
    "underlying_symbol",
    "instrument_type",
    "expires_on",
    "strike",
    "option_type",
    "multiplier",
    "quantity",
    "price",
    "value",
    "net_value",
    *CHARGE_FIELDS,
    "executed_at",
    "transaction_date",
    "order_id",
)


class Row(NamedTuple):
    """The columns of a Transaction the engine reads (one bulk values_list, no model instances)."""

    id: int
    tastytrade_id: int | None
    import_key: str | None
    transaction_type: str
    transaction_sub_type: str
    action: str
    symbol: str
    underlying_symbol: str
    instrument_type: str
    expires_on: date | None
    strike: Decimal | None
    option_type: str
    multiplier: Decimal | None
    quantity: Decimal
    price: Decimal | None
    value: Decimal
    net_value: Decimal
    commission: Decimal
    clearing_fees: Decimal
    regulatory_fees: Decimal
    proprietary_index_option_fees: Decimal
    currency_conversion_fees: Decimal
    other_charge: Decimal
    executed_at: datetime
    transaction_date: date
    order_id: int | None

    @property
    def key(self) -> str:
        return transaction_key(tastytrade_id=self.tastytrade_id, import_key=self.import_key, pk=self.id)

    @property
    def fees(self) -> tuple[Decimal, ...]:
        return (
            self.commission,
            self.clearing_fees,
            self.regulatory_fees,
            self.proprietary_index_option_fees,
            self.currency_conversion_fees,
            self.other_charge,
        )

    @property
    def sort_key(self) -> tuple:
        # NULL ids sort differently in SQLite and PostgreSQL, so the order is decided here.
        return (self.executed_at, self.tastytrade_id is None, self.tastytrade_id or 0, self.id)

    def digest(self) -> str:
        return hashlib.blake2b(repr(tuple(self)).encode(), digest_size=8).hexdigest()


# --- Symbols -------------------------------------------------------------------------------------


def _option_spec(row: Row) -> tuple[str, Decimal | None, date | None]:
    if row.option_type and row.strike is not None and row.expires_on is not None:
        return row.option_type, row.strike, row.expires_on
    if row.instrument_type in OPTION_TYPES and (spec := parse_option_symbol(row.symbol)):
        return spec.option_type, spec.strike, spec.expires_on
    return row.option_type, row.strike, row.expires_on


def _underlying(row: Row) -> str:
    # One futures family is one underlying (`/MES` for `/MESH5` and its options), whatever the row says.
    return underlying_of(row.symbol, row.instrument_type, row.underlying_symbol)


def _root(symbol: str) -> str:
    spec = parse_option_symbol(symbol)
    return spec.root if spec else symbol


def _multiplier(row: Row) -> Decimal | None:
    """The instrument's multiplier: from the row, else what its value says (never assumed 100)."""
    if row.multiplier:
        return row.multiplier
    if row.instrument_type == EQUITY:
        return Decimal(1)
    if row.price and row.quantity and row.value:
        ratio = (abs(row.value) / (row.price * row.quantity)).quantize(MONEY_STEP)
        return ratio.quantize(Decimal(1)) if ratio == ratio.to_integral_value() else ratio
    return None


def _action(row: Row) -> tuple[int, bool | None] | None:
    """(+1 buy / -1 sell, True opening / False closing / None either) from the action or sub-type."""
    for text in (row.action, row.transaction_sub_type):
        if parsed := ACTIONS.get(text.strip().lower().replace("_", " ")):
            return parsed
    return None


def _share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    return (amount * part / whole).quantize(MONEY_STEP, rounding=ROUND_HALF_EVEN)


def _sign(value: Decimal) -> int:
    return 1 if value > 0 else -1


# --- The engine's state --------------------------------------------------------------------------


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
            _share(self.cash, quantity, whole),
            tuple(_share(fee, quantity, whole) if fee else ZERO for fee in self.fees),
            _share(self.variation, quantity, whole) if self.variation else ZERO,
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
class OpenPosition:
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


class Engine:
    """FIFO over an ordered stream of ledger rows. Holds only what later rows can need."""

    def __init__(self, *, tz: ZoneInfo) -> None:
        self.tz = tz
        self.cash = ZERO
        self.lots: dict[str, deque[OpenLot]] = {}
        self.positions: dict[str, OpenPosition] = {}  # open ones
        self.known_positions: dict[str, OpenPosition] = {}  # open ones and those closed in this run
        self.order_positions: dict[int, str] = {}
        self.last_trade_close: dict[str, tuple[str, datetime]] = {}
        self.settlements: dict[str, Settlement] = {}
        # Derived from the open lots (never saved): what short puts would cost if assigned, and
        # which option symbols are open on each underlying.
        self.put_reserve = ZERO
        self.options_on: dict[str, set[str]] = defaultdict(set)
        # What this run changed, for the writer.
        self.new_lots: list[OpenLot] = []
        self.touched_lots: dict[str, OpenLot] = {}
        self.new_events: list[Event] = []
        self.touched_events: dict[str, Event] = {}
        self.new_positions: list[OpenPosition] = []
        self.touched_positions: dict[str, OpenPosition] = {}
        self.issues: dict[str, Issue] = {}
        self._row_lots: dict[int, int] = defaultdict(int)
        self._row_events: dict[int, int] = defaultdict(int)
        self._removals: list[Removal] = []
        self._ahead: dict[tuple[str, int], int] = defaultdict(int)
        self._adjustments: set[int] = set()

    # Running ------------------------------------------------------------------------------------

    def run(self, rows: Iterable[Row]) -> None:
        """Apply rows (sorted by Row.sort_key) one instant at a time."""
        for instant, group in groupby(rows, key=lambda row: row.executed_at):
            group_rows = list(group)
            self._begin_instant(instant, group_rows)
            for row in group_rows:
                self.cash += row.net_value
            for batch in _batches(group_rows, self._row_kind):
                self._apply(batch, instant)

    def _begin_instant(self, instant: datetime, rows: list[Row]) -> None:
        self._day = instant.astimezone(self.tz).date()
        horizon = instant - SETTLEMENT_MEMORY
        for symbol in [s for s, settlement in self.settlements.items() if _day_start(settlement.day) < horizon]:
            del self.settlements[symbol]
        for underlying in [u for u, (_, at) in self.last_trade_close.items() if at < instant - ROLL_WINDOW]:
            del self.last_trade_close[underlying]
        # Which option positions this instant's assignments and exercises come from, so the
        # stock they deliver can be linked to them whichever row comes first.
        self._removals = []
        self._ahead = defaultdict(int)
        self._adjustments = _contract_adjustments(rows)
        for row in rows:
            if row.transaction_type == RECEIVE_DELIVER and row.transaction_sub_type in ("Assignment", "Exercise"):
                if lots := self.lots.get(row.symbol):
                    _, strike, _ = _option_spec(row)
                    self._removals.append(Removal(_underlying(row), strike, lots[0].position))
            elif self._row_kind(row) in (KIND_TRADE, KIND_DELIVERY) and (parsed := _action(row)):
                self._ahead[(row.symbol, parsed[0])] += 1

    def _apply(self, batch: list[Row], instant: datetime) -> None:
        kind = self._row_kind(batch[0])
        if kind == KIND_TRADE:
            self._trade(batch, instant)
        elif kind == KIND_REMOVAL:
            self._removal(batch[0], instant)
        elif kind == KIND_CASH_SETTLEMENT:
            self._cash_settlement(batch[0], instant)
        elif kind == KIND_MOVE:
            self._moves(batch, instant)
        elif kind == KIND_DELIVERY:
            self._delivery(batch[0], instant)
        else:
            self._cash_row(batch[0], instant)

    def _row_kind(self, row: Row) -> int:
        return KIND_MOVE if row.id in self._adjustments else _kind(row)

    def _taken_back_later(self, row: Row, remainder: Decimal) -> bool:
        """Whether a later row of this instant takes back what this closing row has nothing to close for."""
        return self._ahead[(row.symbol, -_sign(remainder))] > 0

    # Trades -------------------------------------------------------------------------------------

    def _trade(self, rows: list[Row], instant: datetime) -> None:
        """The rows of one order at one instant: closes first, then one position for what opens."""
        opens: list[tuple[Row, Decimal, Portion]] = []
        closed: list[str] = []
        for row in rows:
            parsed = _action(row)
            if parsed is None:
                self._issue(DataIssue.Kind.UNKNOWN_ACTION, row, f"Trade with action {row.action!r} was not applied.")
                continue
            sign, opening = parsed
            self._ahead[(row.symbol, sign)] -= 1
            if not row.quantity:
                continue
            portion, closing = self._trade_portions(row, sign)
            remainder, events = self._close(row, sign * row.quantity, closing, PnlEvent.Kind.TRADE, instant)
            for event in events:
                if event.position not in closed:
                    closed.append(event.position)
            if events and opening is True:
                self._issue(
                    DataIssue.Kind.OPEN_AGAINST_POSITION,
                    row,
                    f"{row.action} {row.quantity} {row.symbol} closed an opposite position first (the broker nets).",
                )
            if remainder:
                if opening is False and not self._taken_back_later(row, remainder):
                    self._close_opened(row, remainder)
                opens.append((row, remainder, portion))
        if opens:
            position = self._position_for_order(opens, closed, instant)
            for row, quantity, portion in opens:
                self._open_lot(row, quantity, portion, position, instant)
            self._detect(position)
        for key in closed:
            underlying = self._position_underlying(key)
            if underlying:
                self.last_trade_close[underlying] = (key, instant)

    def _trade_portions(self, row: Row, sign: int) -> tuple[Portion, Portion]:
        """(what opens, what closes) of a trade row; the same portion unless a futures row flips the
        position. A future's value is the closed part's variation (the last day's move), so it goes
        to the close whole, and the new lot starts at the fill with only its share of the charges."""
        portion = _portion(row)
        if row.instrument_type != FUTURE or not row.value:
            return portion, portion
        closable = sum(
            (abs(lot.remaining) for lot in self.lots.get(row.symbol, ()) if _sign(lot.remaining) != sign), ZERO
        )
        if not 0 < closable < row.quantity:
            return portion, portion
        charges = Portion(row.quantity, row.net_value - row.value, row.fees)
        closed = charges.take(closable)
        return charges, Portion(closable, closed.cash + row.value, closed.fees)

    def _position_for_order(
        self, opens: list[tuple[Row, Decimal, Portion]], closed: list[str], instant: datetime
    ) -> OpenPosition:
        first = opens[0][0]
        order_id = first.order_id
        if order_id is not None and (key := self.order_positions.get(order_id)) in self.positions:
            return self.positions[key]
        if target := self._scaling_target(opens):
            if order_id is not None:
                self.order_positions[order_id] = target.key
            return target
        underlying = _underlying(first)
        rolled_from = next((key for key in closed if self._position_underlying(key) == underlying), "")
        if not rolled_from and (recent := self.last_trade_close.get(underlying)):
            rolled_from = recent[0]
        position = self._new_position(first, instant, rolled_from=rolled_from)
        self._set_context(position, opens)
        return position

    def _scaling_target(self, opens: list[tuple[Row, Decimal, Portion]]) -> OpenPosition | None:
        """An open position already holding every leg this order opens, in the same direction."""
        candidates: set[str] | None = None
        for row, quantity, _ in opens:
            holders = {lot.position for lot in self.lots.get(row.symbol, ()) if (lot.remaining > 0) == (quantity > 0)}
            candidates = holders if candidates is None else candidates & holders
            if not candidates:
                return None
        best = min(candidates, key=lambda key: (self.positions[key].opened_at, key))
        return self.positions[best]

    # Option removals and cash settlement --------------------------------------------------------

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
        direction = -_sign(lots[0].remaining)
        remainder, events = self._close(row, direction * quantity, _portion(row), kind, instant)
        if remainder:
            self._close_without_open(row, remainder)
        if sub_type in ("Assignment", "Exercise") and events:
            self.settlements[row.symbol] = Settlement(day=row.transaction_date, events=events)

    def _cash_settlement(self, row: Row, instant: datetime) -> None:
        settlement = self.settlements.get(row.symbol)
        if settlement and settlement.day == row.transaction_date and not settlement.cash_applied:
            # The removal row closed the option at zero; this row's cash settles those events.
            total = sum((abs(event.quantity) for event in settlement.events), ZERO)
            portion = Portion(total, row.net_value, row.fees)
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
        direction = -_sign(lots[0].remaining)
        portion = Portion(quantity, row.net_value, row.fees)
        remainder, events = self._close(row, direction * quantity, portion, PnlEvent.Kind.CASH_SETTLEMENT, instant)
        self.settlements[row.symbol] = Settlement(
            day=row.transaction_date, events=events, awaiting_removal=quantity - abs(remainder), cash_applied=True
        )
        if remainder:
            self._close_without_open(row, remainder)

    # Deliveries and other position moves without a fill -----------------------------------------

    def _delivery(self, row: Row, instant: datetime) -> None:
        sub_type = row.transaction_sub_type
        parsed = _action(row)
        if sub_type not in KNOWN_RECEIVE_DELIVER:
            message = f"Receive Deliver sub-type {sub_type!r}"
            if parsed is None:
                self._issue(DataIssue.Kind.UNKNOWN_SUB_TYPE, row, f"{message} with no action was not applied.")
                return
            self._issue(DataIssue.Kind.UNKNOWN_SUB_TYPE, row, f"{message} was applied by its action {row.action!r}.")
        if parsed is None:
            if sub_type in RECEIVED_SHARES:
                parsed = (1, True)
            elif sub_type == "Cash Merger" and (lots := self.lots.get(row.symbol)):
                parsed = (-_sign(lots[0].remaining), False)
            else:
                self._issue(DataIssue.Kind.UNKNOWN_ACTION, row, f"{sub_type} row with no action was not applied.")
                return
        sign, opening = parsed
        self._ahead[(row.symbol, sign)] -= 1
        if not row.quantity:
            return
        kind = PnlEvent.Kind.DELIVERY if sub_type in DELIVERIES else PnlEvent.Kind.OTHER
        portion = _portion(row)
        remainder, _ = self._close(row, sign * row.quantity, portion, kind, instant)
        if not remainder:
            return
        if opening is False and not self._taken_back_later(row, remainder):
            self._close_opened(row, remainder)
        position = self._position_for_delivery(row)
        self._open_lot(row, remainder, portion, position, instant)
        self._detect(position)
        if sub_type in TRANSFERS and not row.net_value:
            self._issue(
                DataIssue.Kind.NO_COST_BASIS,
                row,
                f"{row.quantity} {row.symbol} arrived with no cost basis; its P&L on closing will be overstated.",
            )

    def _position_for_delivery(self, row: Row) -> OpenPosition:
        if row.transaction_sub_type in RECEIVED_SHARES:
            # Reinvested dividend shares join the holding they came from.
            holder = next((lot.position for lot in self.lots.get(row.symbol, ()) if lot.remaining > 0), None)
            if holder:
                return self.positions[holder]
        position = self._new_position(row, row.executed_at)
        underlying = _underlying(row)
        candidates = [removal for removal in self._removals if removal.underlying == underlying and not removal.used]
        # Several options assigned at once: the delivery price is the strike of the one it came from.
        removal = next((r for r in candidates if r.strike == row.price), None) or next(iter(candidates), None)
        if removal:
            removal.used = True
            position.assigned_from = removal.position
        return position

    def _moves(self, rows: list[Row], instant: datetime) -> None:
        """Symbol changes, mergers and splits: pair each Close row with its Open row and move the basis."""
        closes, opens = [], []
        for row in rows:
            parsed = _action(row)
            if parsed is None or parsed[1] is None:
                self._issue(DataIssue.Kind.UNKNOWN_ACTION, row, f"{row.transaction_sub_type} row with no open/close.")
                continue
            (opens if parsed[1] else closes).append(row)
        pairs, lone_closes, lone_opens = _pair_moves(closes, opens)
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
                row, -_sign(lots[0].remaining) * row.quantity, _portion(row), PnlEvent.Kind.OTHER, instant
            )
            if remainder:
                self._close_without_open(row, remainder)
        for row in lone_opens:
            self._issue(
                DataIssue.Kind.UNPAIRED_CORPORATE_ACTION,
                row,
                f"{row.transaction_sub_type}: opening {row.symbol} has no matching close; opened at its stated value.",
            )
            sign = _action(row)[0]
            position = self._new_position(row, instant)
            self._open_lot(row, sign * row.quantity, _portion(row), position, instant)
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
            self._open_lot(open_row, _action(open_row)[0] * open_row.quantity, _portion(open_row), position, instant)
            self._detect(position)
            return
        wanted = close_row.quantity
        moved: list[tuple[OpenLot, Decimal, Piece]] = []
        while wanted and lots:
            lot = lots[0]
            quantity = min(wanted, abs(lot.remaining))
            piece = lot.cost.take(quantity)
            signed = _sign(lot.remaining) * quantity
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
        option_type, strike, expires_on = _option_spec(open_row)
        underlying = _underlying(open_row)
        if open_row.instrument_type == EQUITY:
            underlying = open_row.symbol
        elif underlying == _underlying(close_row) and _root(open_row.symbol) != _root(close_row.symbol):
            # The new rows may still name the old ticker as underlying (TASTYTRADE.md §5.6 g).
            underlying = _root(open_row.symbol).rstrip("0123456789") or underlying
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
                multiplier=_multiplier(open_row) or old.multiplier,
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

    # Money movements ----------------------------------------------------------------------------

    def _cash_row(self, row: Row, instant: datetime) -> None:
        kind, sub_type = row.transaction_type, row.transaction_sub_type
        if kind == MONEY_MOVEMENT:
            if sub_type == "Mark to Market":
                self._mark_to_market(row, instant)
            elif sub_type not in KNOWN_MONEY_MOVEMENT:
                self._issue(DataIssue.Kind.UNKNOWN_SUB_TYPE, row, f"Money Movement {sub_type!r}; counted in cash only.")
        elif kind == ADMINISTRATIVE_TRANSFER:
            if row.symbol and row.quantity:
                self._issue(
                    DataIssue.Kind.UNKNOWN_SUB_TYPE,
                    row,
                    f"Administrative transfer of {row.quantity} {row.symbol}; positions were not moved.",
                )
        else:
            self._issue(DataIssue.Kind.UNKNOWN_TYPE, row, f"Transaction type {kind!r}; counted in cash only.")

    def _mark_to_market(self, row: Row, instant: datetime) -> None:
        """A futures settlement payment: carried by the open lots (by quantity) until they close."""
        lots = self.lots.get(row.symbol) if row.symbol else None
        if not lots:
            self._issue(
                DataIssue.Kind.UNMATCHED_MARK_TO_MARKET,
                row,
                f"Mark to market of {row.symbol or 'no symbol'} with no open future; counted in cash only.",
            )
            return
        portion = Portion(sum((abs(lot.remaining) for lot in lots), ZERO), row.net_value, NO_FEES)
        for lot in lots:
            lot.cost.variation += portion.take(abs(lot.remaining)).cash
            self._touch_lot(lot)

    # Lots ---------------------------------------------------------------------------------------

    def _close(
        self, row: Row, delta: Decimal, portion: Portion, kind: str, instant: datetime
    ) -> tuple[Decimal, list[Event]]:
        """Close open lots of row.symbol against a signed quantity, oldest first; return what is left."""
        lots = self.lots.get(row.symbol)
        events: list[Event] = []
        while delta and lots and (lots[0].remaining > 0) != (delta > 0):
            lot = lots[0]
            quantity = min(abs(delta), abs(lot.remaining))
            opening = lot.cost.take(quantity)
            closing = portion.take(quantity)
            signed = _sign(lot.remaining) * quantity
            self._shift(lot, -signed)
            delta += signed
            event = Event(
                key=f"{row.key}:{self._next_event(row)}",
                pk=None,
                kind=kind,
                lot=lot.key,
                position=lot.position,
                transaction_id=row.id,
                executed_at=instant,
                trading_day=self._day,
                opened_at=lot.opened_at,
                symbol=lot.symbol,
                underlying=lot.underlying,
                instrument_type=lot.instrument_type,
                quantity=signed,
                opening_cash=opening.cash,
                variation=opening.variation,
                closing_cash=closing.cash,
                fees=tuple(a + b for a, b in zip(opening.fees, closing.fees, strict=True)),
            )
            self._add_event(event)
            events.append(event)
            self._touch_lot(lot)
            if not lot.remaining:
                lots.popleft()
                self._retire_lot(lot, instant)
        if lots is not None and not lots:
            self._drop_symbol(row.symbol)
        return delta, events

    def _open_lot(
        self, row: Row, quantity: Decimal, portion: Portion, position: OpenPosition, instant: datetime
    ) -> OpenLot:
        piece = portion.take(abs(quantity))
        option_type, strike, expires_on = _option_spec(row)
        multiplier = _multiplier(row)
        lot = OpenLot(
            key=f"{row.key}:{self._next_lot(row)}",
            pk=None,
            position=position.key,
            transaction_id=row.id,
            symbol=row.symbol,
            underlying=_underlying(row),
            instrument_type=row.instrument_type,
            option_type=option_type,
            strike=strike,
            expires_on=expires_on,
            multiplier=multiplier,
            opened_at=instant,
            quantity=quantity,
            opening_price=row.price,
            opening_cash=piece.cash,
            remaining=quantity,
            cost=Portion(abs(quantity), piece.cash, piece.fees),
        )
        self._add_lot(lot)
        leg = position.legs.setdefault(
            row.symbol, [row.instrument_type, option_type, strike, expires_on, multiplier, ZERO]
        )
        leg[5] += quantity
        return lot

    def _add_lot(self, lot: OpenLot) -> None:
        lots = self.lots.setdefault(lot.symbol, deque())
        if lots and lots[-1].order > lot.order:
            # A moved lot keeps its opening date, so it may belong before lots already there.
            ordered = list(lots)
            insort(ordered, lot, key=lambda each: each.order)
            self.lots[lot.symbol] = deque(ordered)
        else:
            lots.append(lot)
        self.put_reserve += _put_obligation(lot)
        if lot.instrument_type in OPTION_TYPES:
            self.options_on[lot.underlying].add(lot.symbol)
        self.new_lots.append(lot)
        position = self.positions[lot.position]
        position.open_lots += 1
        self._touch_position(position)

    def _shift(self, lot: OpenLot, change: Decimal) -> None:
        """Change what is open of a lot, keeping the put reserve in step."""
        self.put_reserve -= _put_obligation(lot)
        lot.remaining += change
        self.put_reserve += _put_obligation(lot)

    def _drop_symbol(self, symbol: str) -> None:
        """Nothing of a symbol is open any more."""
        del self.lots[symbol]
        for options in self.options_on.values():
            options.discard(symbol)

    def _retire_lot(self, lot: OpenLot, instant: datetime) -> None:
        lot.closed_at = instant
        position = self.positions[lot.position]
        position.open_lots -= 1
        self._touch_position(position)
        if not position.open_lots:
            position.closed_at = instant
            del self.positions[position.key]
            for order_id in [o for o, key in self.order_positions.items() if key == position.key]:
                del self.order_positions[order_id]

    def _touch_lot(self, lot: OpenLot) -> None:
        if lot.pk is not None:
            self.touched_lots[lot.key] = lot

    def _add_event(self, event: Event) -> None:
        self.new_events.append(event)

    # Positions and strategies -------------------------------------------------------------------

    def _new_position(self, row: Row, instant: datetime, *, rolled_from: str = "") -> OpenPosition:
        position = OpenPosition(
            key=row.key,
            pk=None,
            underlying=_underlying(row),
            opened_at=instant,
            order_id=row.order_id,
            rolled_from=rolled_from,
        )
        self.positions[position.key] = position
        self.known_positions[position.key] = position
        self.new_positions.append(position)
        if row.order_id is not None:
            self.order_positions[row.order_id] = position.key
        return position

    def _touch_position(self, position: OpenPosition) -> None:
        if position.pk is not None:
            self.touched_positions[position.key] = position

    def _position_underlying(self, key: str) -> str:
        position = self.known_positions.get(key)
        return position.underlying if position else ""

    def _set_context(self, position: OpenPosition, opens: list[tuple[Row, Decimal, Portion]]) -> None:
        """What detection needs from the rest of the account: shares to cover calls, cash to secure puts.

        Shares held: long stock of the underlying in other positions, less what open covered calls
        already cover. Cash available: the account's cash (sum of net values so far) less the strike
        value of every other open short put.
        """
        short = {
            _option_spec(row)[0] for row, quantity, _ in opens if quantity < 0 and row.instrument_type in OPTION_TYPES
        }
        if "C" in short:
            held: dict[str, Decimal] = defaultdict(Decimal)
            for lot in self.lots.get(position.underlying, ()):
                if lot.instrument_type == EQUITY and lot.remaining > 0:
                    held[lot.position] += lot.remaining
            covered = ZERO
            for symbol in self.options_on.get(position.underlying, ()):
                for lot in self.lots.get(symbol, ()):
                    covering = lot.option_type == "C" and lot.remaining < 0 and self.positions[lot.position].covers
                    if covering and lot.multiplier:
                        covered += -lot.remaining * lot.multiplier
            position.shares_held = sum(held.values(), ZERO) - covered
            if held:
                position.covers_candidate = min(held, key=lambda key: (-held[key], self.positions[key].opened_at, key))
        if "P" in short:
            # The position's own lots open after this, so the reserve holds only the other puts.
            position.cash_available = self.cash - self.put_reserve

    def _detect(self, position: OpenPosition) -> None:
        legs = [
            Leg(instrument_type, quantity, option_type, strike, expires_on, multiplier)
            for instrument_type, option_type, strike, expires_on, multiplier, quantity in position.legs.values()
        ]
        position.detected = detect_strategy(
            legs, shares_held=position.shares_held, cash_available=position.cash_available
        )
        stock_in_position = any(leg.instrument_type == EQUITY for leg in legs)
        covering = position.detected == Strategy.COVERED_CALL and not stock_in_position
        position.covers = position.covers_candidate if covering else ""

    # Bookkeeping --------------------------------------------------------------------------------

    def _next_lot(self, row: Row) -> int:
        number = self._row_lots[row.id]
        self._row_lots[row.id] += 1
        return number

    def _next_event(self, row: Row) -> int:
        number = self._row_events[row.id]
        self._row_events[row.id] += 1
        return number

    def _close_opened(self, row: Row, remainder: Decimal) -> None:
        self._issue(
            DataIssue.Kind.CLOSE_WITHOUT_OPEN,
            row,
            f"{row.action or row.transaction_sub_type} of {abs(remainder)} {row.symbol} found no open lot to close, "
            f"so it opened a {'long' if remainder > 0 else 'short'} position (the broker's open/close label is not "
            "trusted; is earlier history missing?).",
        )

    def _close_without_open(self, row: Row, quantity: Decimal) -> None:
        self._issue(
            DataIssue.Kind.CLOSE_WITHOUT_OPEN,
            row,
            f"{row.transaction_sub_type or row.action} of {abs(quantity)} {row.symbol} found no open lot to close; "
            "it is left out of realized P&L (is earlier history missing?).",
        )

    def _issue(self, kind: str, row: Row, message: str) -> None:
        key = f"{kind}:{row.key}"
        if key in self.issues:
            self.issues[key].message += f" {message}"
            return
        self.issues[key] = Issue(key, kind, row.id, row.executed_at, row.symbol, message)

    # State --------------------------------------------------------------------------------------

    def dump(self) -> dict:
        return {
            "cash": str(self.cash),
            "lots": [_dump_lot(lot) for lots in self.lots.values() for lot in lots],
            "positions": [_dump_position(position) for position in self.positions.values()],
            "orders": {str(order_id): key for order_id, key in self.order_positions.items()},
            "last_trade_close": {u: [key, at.isoformat()] for u, (key, at) in self.last_trade_close.items()},
            "settlements": {
                symbol: {
                    "day": s.day.isoformat(),
                    "events": [_dump_event(event) for event in s.events],
                    "awaiting_removal": str(s.awaiting_removal),
                    "cash_applied": s.cash_applied,
                }
                for symbol, s in self.settlements.items()
            },
        }

    @classmethod
    def load(cls, data: dict, *, tz: ZoneInfo) -> Engine:
        engine = cls(tz=tz)
        engine.cash = Decimal(data.get("cash", "0"))
        for item in data.get("positions", []):
            position = _load_position(item)
            engine.positions[position.key] = position
            engine.known_positions[position.key] = position
        for item in data.get("lots", []):
            lot = _load_lot(item)
            engine.lots.setdefault(lot.symbol, deque()).append(lot)
            engine.put_reserve += _put_obligation(lot)
            if lot.instrument_type in OPTION_TYPES:
                engine.options_on[lot.underlying].add(lot.symbol)
        engine.order_positions = {int(order_id): key for order_id, key in data.get("orders", {}).items()}
        engine.last_trade_close = {
            u: (key, datetime.fromisoformat(at)) for u, (key, at) in data.get("last_trade_close", {}).items()
        }
        for symbol, item in data.get("settlements", {}).items():
            engine.settlements[symbol] = Settlement(
                day=date.fromisoformat(item["day"]),
                events=[_load_event(event) for event in item["events"]],
                awaiting_removal=Decimal(item["awaiting_removal"]),
                cash_applied=item["cash_applied"],
            )
        return engine


KIND_TRADE, KIND_REMOVAL, KIND_CASH_SETTLEMENT, KIND_MOVE, KIND_DELIVERY, KIND_CASH = range(6)


def _put_obligation(lot: OpenLot) -> Decimal:
    """What a short put lot would cost if assigned: strike x multiplier x contracts."""
    if lot.remaining < 0 and lot.option_type == "P" and lot.multiplier and lot.strike is not None:
        return -lot.remaining * lot.multiplier * lot.strike
    return ZERO


def _kind(row: Row) -> int:
    if row.transaction_type == TRADE:
        return KIND_TRADE
    if row.transaction_type != RECEIVE_DELIVER:
        return KIND_CASH
    sub_type = row.transaction_sub_type
    if sub_type in REMOVALS or sub_type in SETTLED_REMOVALS:
        return KIND_REMOVAL
    if sub_type in CASH_SETTLEMENTS:
        return KIND_CASH_SETTLEMENT
    if sub_type in BASIS_MOVES:
        return KIND_MOVE
    return KIND_DELIVERY


def _contract_adjustments(rows: list[Row]) -> set[int]:
    """Ids of the rows of one instant that adjust a contract rather than trade it: a Receive Deliver
    Close/Open pair of one sub-type at the same price that is not a delivery, removal or known
    corporate action, such as a special dividend's strike or deliverable adjustment (TASTYTRADE.md
    §14). Like a split, it carries the lot across and realizes nothing."""
    groups: dict[tuple, list[tuple[Row, bool]]] = defaultdict(list)
    for row in rows:
        if row.transaction_type != RECEIVE_DELIVER or _kind(row) != KIND_DELIVERY:
            continue
        if row.transaction_sub_type in DELIVERIES or row.transaction_sub_type in TRANSFERS:
            continue
        parsed = _action(row)
        if parsed is not None and parsed[1] is not None:
            groups[(row.transaction_sub_type, row.price)].append((row, parsed[1]))
    adjustments: set[int] = set()
    for pair in groups.values():
        if {opening for _, opening in pair} == {True, False}:
            adjustments.update(row.id for row, _ in pair)
    return adjustments


def _batches(rows: list[Row], kind_of: Callable[[Row], int]) -> Iterable[list[Row]]:
    """The rows of one instant in order, batched: consecutive trade rows of one order together; the
    instant's corporate-action rows together (where the first of them is); cash-settlement rows last,
    after the removal rows they settle."""
    moves = [row for row in rows if kind_of(row) == KIND_MOVE]
    settlements = [row for row in rows if kind_of(row) == KIND_CASH_SETTLEMENT]
    batch: list[Row] = []
    for row in rows:
        kind = kind_of(row)
        if batch and not (kind == KIND_TRADE and row.order_id is not None and row.order_id == batch[0].order_id):
            yield batch
            batch = []
        if kind == KIND_TRADE:
            batch.append(row)
        elif kind == KIND_MOVE:
            if row is moves[0]:
                yield moves
        elif kind != KIND_CASH_SETTLEMENT:
            yield [row]
    if batch:
        yield batch
    for row in settlements:
        yield [row]


def _pair_moves(closes: list[Row], opens: list[Row]) -> tuple[list[tuple[Row, Row]], list[Row], list[Row]]:
    """Match Close and Open rows of one corporate action: same kind of instrument, in strike order."""
    if len(closes) == 1 and len(opens) == 1:
        return [(closes[0], opens[0])], [], []

    def bucket(row: Row) -> tuple:
        option_type, _, expires_on = _option_spec(row)
        return (row.instrument_type, option_type, expires_on)

    def order(row: Row) -> tuple:
        _, strike, _ = _option_spec(row)
        return (strike or ZERO, row.symbol, row.id)

    pairs, lone_closes, lone_opens = [], [], []
    open_buckets: dict[tuple, list[Row]] = defaultdict(list)
    for row in sorted(opens, key=order):
        open_buckets[bucket(row)].append(row)
    close_buckets: dict[tuple, list[Row]] = defaultdict(list)
    for row in sorted(closes, key=order):
        close_buckets[bucket(row)].append(row)
    for key, bucket_closes in close_buckets.items():
        bucket_opens = open_buckets.pop(key, [])
        if len(bucket_opens) != len(bucket_closes):
            lone_closes += bucket_closes
            lone_opens += bucket_opens
            continue
        pairs += list(zip(bucket_closes, bucket_opens, strict=True))
    for bucket_opens in open_buckets.values():
        lone_opens += bucket_opens
    return pairs, lone_closes, lone_opens


def _portion(row: Row) -> Portion:
    return Portion(row.quantity, row.net_value, row.fees)


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("UTC"))


# --- State serialization (Decimals as strings, datetimes as ISO) ---------------------------------


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dump_lot(lot: OpenLot) -> dict:
    return {
        "key": lot.key,
        "pk": lot.pk,
        "position": lot.position,
        "transaction_id": lot.transaction_id,
        "symbol": lot.symbol,
        "underlying": lot.underlying,
        "instrument_type": lot.instrument_type,
        "option_type": lot.option_type,
        "strike": _str(lot.strike),
        "expires_on": _iso(lot.expires_on),
        "multiplier": _str(lot.multiplier),
        "opened_at": lot.opened_at.isoformat(),
        "quantity": str(lot.quantity),
        "opening_price": _str(lot.opening_price),
        "opening_cash": str(lot.opening_cash),
        "remaining": str(lot.remaining),
        "cost": [
            str(lot.cost.quantity),
            str(lot.cost.cash),
            [str(fee) for fee in lot.cost.fees],
            str(lot.cost.variation),
        ],
        "moved_from": lot.moved_from,
    }


def _load_lot(item: dict) -> OpenLot:
    quantity, cash, fees, variation = item["cost"]
    return OpenLot(
        key=item["key"],
        pk=item["pk"],
        position=item["position"],
        transaction_id=item["transaction_id"],
        symbol=item["symbol"],
        underlying=item["underlying"],
        instrument_type=item["instrument_type"],
        option_type=item["option_type"],
        strike=_dec(item["strike"]),
        expires_on=date.fromisoformat(item["expires_on"]) if item["expires_on"] else None,
        multiplier=_dec(item["multiplier"]),
        opened_at=datetime.fromisoformat(item["opened_at"]),
        quantity=Decimal(item["quantity"]),
        opening_price=_dec(item["opening_price"]),
        opening_cash=Decimal(item["opening_cash"]),
        remaining=Decimal(item["remaining"]),
        cost=Portion(Decimal(quantity), Decimal(cash), tuple(Decimal(fee) for fee in fees), Decimal(variation)),
        moved_from=item["moved_from"],
    )


def _dump_position(position: OpenPosition) -> dict:
    return {
        "key": position.key,
        "pk": position.pk,
        "underlying": position.underlying,
        "opened_at": position.opened_at.isoformat(),
        "order_id": position.order_id,
        "detected": position.detected,
        "rolled_from": position.rolled_from,
        "assigned_from": position.assigned_from,
        "covers": position.covers,
        "covers_candidate": position.covers_candidate,
        "shares_held": str(position.shares_held),
        "cash_available": _str(position.cash_available),
        "legs": {
            symbol: [kind, option_type, _str(strike), _iso(expires), _str(multiplier), str(quantity)]
            for symbol, (kind, option_type, strike, expires, multiplier, quantity) in position.legs.items()
        },
        "open_lots": position.open_lots,
    }


def _load_position(item: dict) -> OpenPosition:
    return OpenPosition(
        key=item["key"],
        pk=item["pk"],
        underlying=item["underlying"],
        opened_at=datetime.fromisoformat(item["opened_at"]),
        order_id=item["order_id"],
        detected=item["detected"],
        rolled_from=item["rolled_from"],
        assigned_from=item["assigned_from"],
        covers=item["covers"],
        covers_candidate=item["covers_candidate"],
        shares_held=Decimal(item["shares_held"]),
        cash_available=_dec(item["cash_available"]),
        legs={
            symbol: [
                kind,
                option_type,
                _dec(strike),
                date.fromisoformat(expires) if expires else None,
                _dec(multiplier),
                Decimal(quantity),
            ]
            for symbol, (kind, option_type, strike, expires, multiplier, quantity) in item["legs"].items()
        },
        open_lots=item["open_lots"],
    )


def _dump_event(event: Event) -> dict:
    return {
        "key": event.key,
        "pk": event.pk,
        "kind": event.kind,
        "lot": event.lot,
        "position": event.position,
        "transaction_id": event.transaction_id,
        "executed_at": event.executed_at.isoformat(),
        "trading_day": event.trading_day.isoformat(),
        "opened_at": _iso(event.opened_at),
        "symbol": event.symbol,
        "underlying": event.underlying,
        "instrument_type": event.instrument_type,
        "quantity": str(event.quantity),
        "opening_cash": str(event.opening_cash),
        "variation": str(event.variation),
        "closing_cash": str(event.closing_cash),
        "fees": [str(fee) for fee in event.fees],
    }


def _load_event(item: dict) -> Event:
    return Event(
        key=item["key"],
        pk=item["pk"],
        kind=item["kind"],
        lot=item["lot"],
        position=item["position"],
        transaction_id=item["transaction_id"],
        executed_at=datetime.fromisoformat(item["executed_at"]),
        trading_day=date.fromisoformat(item["trading_day"]),
        opened_at=datetime.fromisoformat(item["opened_at"]) if item["opened_at"] else None,
        symbol=item["symbol"],
        underlying=item["underlying"],
        instrument_type=item["instrument_type"],
        quantity=Decimal(item["quantity"]),
        opening_cash=Decimal(item["opening_cash"]),
        variation=Decimal(item["variation"]),
        closing_cash=Decimal(item["closing_cash"]),
        fees=tuple(Decimal(fee) for fee in item["fees"]),
    )


# --- Reading the ledger and writing results ------------------------------------------------------


DECIMAL_FIELDS = {"strike", "multiplier", "quantity", "price", "value", "net_value", *CHARGE_FIELDS}


def _rows(transactions) -> list[Row]:
    """The ledger rows, sorted. Decimals are read as text: SQLite's converters (float, then
    quantize) would cost more than the whole FIFO pass."""
    texts = {f"{name}_text": Cast(name, CharField()) for name in DECIMAL_FIELDS}
    columns = [f"{name}_text" if name in DECIMAL_FIELDS else name for name in ROW_FIELDS]
    decimal_at = [name in DECIMAL_FIELDS for name in ROW_FIELDS]
    parsed: dict[str, Decimal] = {}  # most amounts repeat ("0", "1.00", "-0.10"): parse each text once

    def number(text: str | None) -> Decimal | None:
        if text is None:
            return None
        value = parsed.get(text)
        if value is None:
            value = parsed[text] = Decimal(text)
        return value

    rows = [
        Row._make(
            [number(value) if is_decimal else value for is_decimal, value in zip(decimal_at, values, strict=True)]
        )
        for values in transactions.annotate(**texts).values_list(*columns)
    ]
    rows.sort(key=lambda row: row.sort_key)
    return rows


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
    window = _rows(ledger.filter(executed_at__gt=window_start))
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
            rows = seen = _rows(Transaction.objects.filter(account=account))
            engine = Engine(tz=tz)
            state.transaction_count = 0
            state.last_mode = PnlState.Mode.FULL
        else:
            rows, seen = plan
            engine = Engine.load(state.state, tz=tz)
            state.last_mode = PnlState.Mode.INCREMENTAL
        engine.run(rows)
        _write(engine, account)
        if state.last_mode == PnlState.Mode.FULL:
            rebuild_chains(account=account)
        else:
            touched = {position.underlying for position in engine.known_positions.values()}
            rebuild_chains(account=account, underlyings=touched)
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
        state.state = engine.dump()
        state.save()


def _clear(account: BrokerAccount) -> None:
    """Throw away everything the engine made for the account (user intent lives elsewhere)."""
    for model in (PnlEvent, Lot, Position, Chain, DataIssue):
        delete_for_account(model, account.pk)


POSITION_FIELDS = (
    "account", "key", "underlying_symbol", "detected_strategy", "strategy", "opened_at", "closed_at",
    "opening_order_id", "rolled_from_key", "assigned_from_key", "covers_key",
)  # fmt: skip
LOT_FIELDS = (
    "account", "position", "key", "opening_transaction", "moved_from_key", "symbol", "underlying_symbol",
    "instrument_type", "option_type", "strike", "expires_on", "multiplier", "opened_at", "quantity",
    "opening_price", "opening_cash", "remaining_quantity", "remaining_cost", "remaining_variation", "closed_at",
)  # fmt: skip
EVENT_FIELDS = (
    "account", "key", "kind", "lot", "position", "closing_transaction", "executed_at", "trading_day",
    "opened_at", "symbol", "underlying_symbol", "instrument_type", "quantity", "opening_cash", "variation",
    "closing_cash", *CHARGE_FIELDS, "realized_pnl",
)  # fmt: skip
ISSUE_FIELDS = ("account", "key", "kind", "transaction", "executed_at", "symbol", "message")


def _pks(model, account: BrokerAccount, keys: list[str]) -> dict[str, int]:
    rows = model.objects.filter(account=account)
    if len(keys) < 500:
        rows = rows.filter(key__in=keys)
    return dict(rows.values_list("key", "pk"))


def _write(engine: Engine, account: BrokerAccount) -> None:
    """Insert what is new and update what changed; parents first, so children can point at them."""
    overrides = dict(StrategyOverride.objects.filter(account=account).values_list("position_key", "strategy"))

    def strategy(position: OpenPosition) -> str:
        return overrides.get(position.key, position.detected)

    def closed_at(position: OpenPosition) -> datetime | None:
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
        ("detected_strategy", "strategy", "closed_at", "covers_key"),
        ((p.detected, strategy(p), closed_at(p), p.covers, p.pk) for p in engine.touched_positions.values()),
    )
    position_pks = {key: position.pk for key, position in engine.known_positions.items()}

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
        ("remaining_quantity", "remaining_cost", "remaining_variation", "closed_at"),
        (
            (lot.remaining, lot.cost.cash, lot.cost.variation, lot.closed_at, lot.pk)
            for lot in engine.touched_lots.values()
        ),
    )
    lot_pks = {lot.key: lot.pk for lot in engine.new_lots}
    lot_pks.update({lot.key: lot.pk for lot in engine.touched_lots.values()})

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
        ("kind", "closing_cash", *CHARGE_FIELDS, "realized_pnl"),
        ((e.kind, e.closing_cash, *e.fees, e.realized_pnl, e.pk) for e in engine.touched_events.values()),
    )
    waiting = [event for s in engine.settlements.values() for event in s.events if event.pk is None]
    if waiting:
        pks = dict(PnlEvent.objects.filter(account=account, key__in=[e.key for e in waiting]).values_list("key", "pk"))
        for event in waiting:
            event.pk = pks[event.key]
    insert_rows(
        DataIssue,
        ISSUE_FIELDS,
        (
            (account.pk, issue.key, issue.kind, issue.transaction_id, issue.executed_at, issue.symbol, issue.message)
            for issue in engine.issues.values()
        ),
    )
