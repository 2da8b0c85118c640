"""The FIFO engine: realized P&L events and open lots from an ordered stream of ledger rows.

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

The engine never touches the database: apps.trades.ledger_rows reads the rows,
apps.trades.engine_json saves and restores its state, and apps.trades.lots (`recompute_account`)
runs it and writes what it made. Removals and cash settlement (option_removals.py) and corporate
actions (corporate_actions.py) are the engine's methods too, kept in their own modules by job.
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict, deque
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from operator import attrgetter
from zoneinfo import ZoneInfo

from apps.trades.corporate_actions import CorporateActions
from apps.trades.engine_state import (
    NO_FEES,
    Event,
    Issue,
    OpenLot,
    Portion,
    Removal,
    Settlement,
    TrackedPosition,
    portion_of,
    sign_of,
)
from apps.trades.ledger_rows import (
    ADMINISTRATIVE_TRANSFER,
    DELIVERIES,
    KNOWN_MONEY_MOVEMENT,
    KNOWN_RECEIVE_DELIVER,
    MONEY_MOVEMENT,
    RECEIVE_DELIVER,
    RECEIVED_SHARES,
    TRANSFERS,
    ZERO,
    Row,
    RowKind,
    batches,
    contract_adjustments,
    option_spec,
    parse_action,
    row_kind,
    row_multiplier,
    row_underlying,
)
from apps.trades.models import OPTION_TYPES, DataIssue, InstrumentType, PnlEvent, Strategy
from apps.trades.option_removals import OptionRemovals
from apps.trades.strategies import Leg, detect_strategy

# A close followed within this time by an opening order on the same underlying is a roll.
ROLL_WINDOW = timedelta(minutes=10)
# How long an assignment or exercise waits for its `Cash Settled ...` row.
SETTLEMENT_MEMORY = timedelta(days=7)


class Engine(OptionRemovals, CorporateActions):
    """FIFO over an ordered stream of ledger rows. Holds only what later rows can need."""

    def __init__(self, *, tz: ZoneInfo) -> None:
        self.tz = tz
        self.cash = ZERO
        self.lots: dict[str, deque[OpenLot]] = {}
        self.positions: dict[str, TrackedPosition] = {}  # open ones
        self.known_positions: dict[str, TrackedPosition] = {}  # open ones and those closed in this run
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
        self.new_positions: list[TrackedPosition] = []
        self.touched_positions: dict[str, TrackedPosition] = {}
        self.issues: dict[str, Issue] = {}
        self._row_lots: dict[int, int] = defaultdict(int)
        self._row_events: dict[int, int] = defaultdict(int)
        self._removals: list[Removal] = []
        self._ahead: dict[tuple[str, int], int] = defaultdict(int)
        self._adjustments: set[int] = set()

    # Running ------------------------------------------------------------------------------------

    def run(self, rows: Iterable[Row]) -> None:
        """Apply rows (sorted by Row.sort_key) one instant at a time."""
        for instant, group in groupby(rows, key=attrgetter("executed_at")):
            group_rows = list(group)
            self._begin_instant(instant, group_rows)
            for row in group_rows:
                self.cash += row.net_value
            for batch in batches(group_rows, self._row_kind):
                self._apply(batch, instant)

    def _begin_instant(self, instant: datetime, rows: list[Row]) -> None:
        self._day = instant.astimezone(self.tz).date()
        if self.settlements:
            horizon = instant - SETTLEMENT_MEMORY
            for symbol in [s for s, settlement in self.settlements.items() if _day_start(settlement.day) < horizon]:
                del self.settlements[symbol]
        if self.last_trade_close:
            roll_start = instant - ROLL_WINDOW
            for underlying in [u for u, (_, at) in self.last_trade_close.items() if at < roll_start]:
                del self.last_trade_close[underlying]
        # Which option positions this instant's assignments and exercises come from, so the
        # stock they deliver can be linked to them whichever row comes first.
        self._removals = []
        self._ahead = defaultdict(int)
        self._adjustments = contract_adjustments(rows)
        for row in rows:
            if row.transaction_type == RECEIVE_DELIVER and row.transaction_sub_type in ("Assignment", "Exercise"):
                if lots := self.lots.get(row.symbol):
                    _, strike, _ = option_spec(row)
                    self._removals.append(Removal(row_underlying(row), strike, lots[0].position))
            elif self._row_kind(row) in (RowKind.TRADE, RowKind.DELIVERY) and (parsed := parse_action(row)):
                self._ahead[(row.symbol, parsed[0])] += 1

    def _apply(self, batch: list[Row], instant: datetime) -> None:
        kind = self._row_kind(batch[0])
        if kind == RowKind.TRADE:
            self._trade(batch, instant)
        elif kind == RowKind.REMOVAL:
            self._removal(batch[0], instant)
        elif kind == RowKind.CASH_SETTLEMENT:
            self._cash_settlement(batch[0], instant)
        elif kind == RowKind.MOVE:
            self._moves(batch, instant)
        elif kind == RowKind.DELIVERY:
            self._delivery(batch[0], instant)
        else:
            self._cash_row(batch[0], instant)

    def _row_kind(self, row: Row) -> RowKind:
        return RowKind.MOVE if row.id in self._adjustments else row_kind(row)

    def _taken_back_later(self, row: Row, remainder: Decimal) -> bool:
        """Whether a later row of this instant takes back what this closing row has nothing to close for."""
        return self._ahead[(row.symbol, -sign_of(remainder))] > 0

    # Trades -------------------------------------------------------------------------------------

    def _trade(self, rows: list[Row], instant: datetime) -> None:
        """The rows of one order at one instant: closes first, then one position for what opens."""
        opens: list[tuple[Row, Decimal, Portion]] = []
        closed: list[str] = []
        for row in rows:
            if opening := self._trade_row(row, closed, instant):
                opens.append(opening)
        if opens:
            position = self._position_for_order(opens, closed, instant)
            for row, quantity, portion in opens:
                self._open_lot(row, quantity, portion, position, instant)
            self._detect(position)
        for key in closed:
            underlying = self._position_underlying(key)
            if underlying:
                self.last_trade_close[underlying] = (key, instant)

    def _trade_row(self, row: Row, closed: list[str], instant: datetime) -> tuple[Row, Decimal, Portion] | None:
        """Close what one trade row closes (adding the positions to `closed`); return what it opens."""
        parsed = parse_action(row)
        if parsed is None:
            self._issue(DataIssue.Kind.UNKNOWN_ACTION, row, f"Trade with action {row.action!r} was not applied.")
            return None
        sign, opening = parsed
        self._ahead[(row.symbol, sign)] -= 1
        if not row.quantity:
            return None
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
        if not remainder:
            return None
        if opening is False and not self._taken_back_later(row, remainder):
            self._close_opened(row, remainder)
        return row, remainder, portion

    def _trade_portions(self, row: Row, sign: int) -> tuple[Portion, Portion]:
        """(what opens, what closes) of a trade row; the same portion unless a futures row flips the
        position. A future's value is the closed part's variation (the last day's move), so it goes
        to the close whole, and the new lot starts at the fill with only its share of the charges."""
        portion = portion_of(row)
        if row.instrument_type != InstrumentType.FUTURE or not row.value:
            return portion, portion
        closable = sum(
            (abs(lot.remaining) for lot in self.lots.get(row.symbol, ()) if sign_of(lot.remaining) != sign), ZERO
        )
        if not 0 < closable < row.quantity:
            return portion, portion
        charges = Portion(row.quantity, row.net_value - row.value, row.charges)
        closed = charges.take(closable)
        return charges, Portion(closable, closed.cash + row.value, closed.fees)

    def _position_for_order(
        self, opens: list[tuple[Row, Decimal, Portion]], closed: list[str], instant: datetime
    ) -> TrackedPosition:
        first = opens[0][0]
        order_id = first.order_id
        if order_id is not None and (key := self.order_positions.get(order_id)) in self.positions:
            return self.positions[key]
        if target := self._scaling_target(opens):
            if order_id is not None:
                self.order_positions[order_id] = target.key
            return target
        underlying = row_underlying(first)
        rolled_from = next((key for key in closed if self._position_underlying(key) == underlying), "")
        if not rolled_from and (recent := self.last_trade_close.get(underlying)):
            rolled_from = recent[0]
        position = self._new_position(first, instant, rolled_from=rolled_from)
        self._set_context(position, opens)
        return position

    def _scaling_target(self, opens: list[tuple[Row, Decimal, Portion]]) -> TrackedPosition | None:
        """An open position already holding every leg this order opens, in the same direction."""
        candidates: set[str] | None = None
        for row, quantity, _ in opens:
            holders = {lot.position for lot in self.lots.get(row.symbol, ()) if (lot.remaining > 0) == (quantity > 0)}
            candidates = holders if candidates is None else candidates & holders
            if not candidates:
                return None
        best = min(candidates, key=lambda key: (self.positions[key].opened_at, key))
        return self.positions[best]

    # Deliveries and other position moves without a fill -----------------------------------------

    def _delivery(self, row: Row, instant: datetime) -> None:
        sub_type = row.transaction_sub_type
        parsed = parse_action(row)
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
                parsed = (-sign_of(lots[0].remaining), False)
            else:
                self._issue(DataIssue.Kind.UNKNOWN_ACTION, row, f"{sub_type} row with no action was not applied.")
                return
        sign, opening = parsed
        self._ahead[(row.symbol, sign)] -= 1
        if not row.quantity:
            return
        kind = PnlEvent.Kind.DELIVERY if sub_type in DELIVERIES else PnlEvent.Kind.OTHER
        portion = portion_of(row)
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

    def _position_for_delivery(self, row: Row) -> TrackedPosition:
        if row.transaction_sub_type in RECEIVED_SHARES:
            # Reinvested dividend shares join the holding they came from.
            holder = next((lot.position for lot in self.lots.get(row.symbol, ()) if lot.remaining > 0), None)
            if holder:
                return self.positions[holder]
        position = self._new_position(row, row.executed_at)
        underlying = row_underlying(row)
        candidates = [removal for removal in self._removals if removal.underlying == underlying and not removal.used]
        # Several options assigned at once: the delivery price is the strike of the one it came from.
        removal = next((r for r in candidates if r.strike == row.price), None) or next(iter(candidates), None)
        if removal:
            removal.used = True
            position.assigned_from = removal.position
        return position

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
            signed = sign_of(lot.remaining) * quantity
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
        self, row: Row, quantity: Decimal, portion: Portion, position: TrackedPosition, instant: datetime
    ) -> OpenLot:
        piece = portion.take(abs(quantity))
        option_type, strike, expires_on = option_spec(row)
        multiplier = row_multiplier(row)
        lot = OpenLot(
            key=f"{row.key}:{self._next_lot(row)}",
            pk=None,
            position=position.key,
            transaction_id=row.id,
            symbol=row.symbol,
            underlying=row_underlying(row),
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
        self.put_reserve += lot.put_obligation
        if lot.instrument_type in OPTION_TYPES:
            self.options_on[lot.underlying].add(lot.symbol)
        self.new_lots.append(lot)
        position = self.positions[lot.position]
        position.open_lots += 1
        self._touch_position(position)

    def _shift(self, lot: OpenLot, change: Decimal) -> None:
        """Change what is open of a lot, keeping the put reserve in step."""
        self.put_reserve -= lot.put_obligation
        lot.remaining += change
        self.put_reserve += lot.put_obligation

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

    def _new_position(self, row: Row, instant: datetime, *, rolled_from: str = "") -> TrackedPosition:
        position = TrackedPosition(
            key=row.key,
            pk=None,
            underlying=row_underlying(row),
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

    def _touch_position(self, position: TrackedPosition) -> None:
        if position.pk is not None:
            self.touched_positions[position.key] = position

    def _position_underlying(self, key: str) -> str:
        position = self.known_positions.get(key)
        return position.underlying if position else ""

    def _set_context(self, position: TrackedPosition, opens: list[tuple[Row, Decimal, Portion]]) -> None:
        """What detection needs from the rest of the account: shares to cover calls, cash to secure puts.

        Shares held: long stock of the underlying in other positions, less what open covered calls
        already cover. Cash available: the account's cash (sum of net values so far) less the strike
        value of every other open short put.
        """
        short = {
            option_spec(row)[0] for row, quantity, _ in opens if quantity < 0 and row.instrument_type in OPTION_TYPES
        }
        if "C" in short:
            held: dict[str, Decimal] = defaultdict(Decimal)
            for lot in self.lots.get(position.underlying, ()):
                if lot.instrument_type == InstrumentType.EQUITY and lot.remaining > 0:
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

    def _detect(self, position: TrackedPosition) -> None:
        legs = [
            Leg(instrument_type, quantity, option_type, strike, expires_on, multiplier)
            for instrument_type, option_type, strike, expires_on, multiplier, quantity in position.legs.values()
        ]
        position.detected = detect_strategy(
            legs, shares_held=position.shares_held, cash_available=position.cash_available
        )
        stock_in_position = any(leg.instrument_type == InstrumentType.EQUITY for leg in legs)
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


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("UTC"))
