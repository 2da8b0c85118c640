"""Tax lots: the chronological pass over the engine's closing events that makes the tax lines
(apps.reports.tax explains the rules; apps.reports.wash_sales matches wash sales).

A lot's open units are held as `Piece`s: units that share a basis adjustment (an option premium, a
wash-sale loss) and an acquisition date (tacked on by a wash sale). A closing event takes pieces
first in, first out, and makes one line per piece it takes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from apps.reports import wash_sales
from apps.trades.engine_state import Portion, share
from apps.trades.models import FUTURES_TYPES, InstrumentType, Lot, PnlEvent
from apps.trades.symbols import contract_name

ZERO = Decimal(0)
CENT = Decimal("0.01")
NEW_YORK = ZoneInfo("America/New_York")

# Broad-based index options, "non-equity options" under Section 1256(g)(3): the one list. Weekly and
# PM-settled roots count with their index.
SECTION_1256_ROOTS = frozenset(
    {
        "SPX",
        "SPXW",
        "SPXQ",
        "XSP",
        "XSPW",
        "NDX",
        "NDXP",
        "XND",
        "RUT",
        "RUTW",
        "MRUT",
        "VIX",
        "VIXW",
        "DJX",
        "OEX",
        "XEO",
    }
)


class Term:
    SHORT = "short"
    LONG = "long"
    SECTION_1256 = "1256"


def is_section_1256(*, instrument_type: str, underlying: str, symbol: str) -> bool:
    if instrument_type in FUTURES_TYPES:
        return True
    if instrument_type != InstrumentType.EQUITY_OPTION:
        return False
    root = symbol.split()[0] if symbol.strip() else ""
    return underlying in SECTION_1256_ROOTS or root in SECTION_1256_ROOTS


def held_long_term(acquired: date, sold: date) -> bool:
    """More than one year: sold after the first anniversary of the acquisition (Pub. 550)."""
    try:
        anniversary = acquired.replace(year=acquired.year + 1)
    except ValueError:  # bought on 29 February
        anniversary = date(acquired.year + 1, 2, 28)
    return sold > anniversary


def last_trading_day(year: int) -> date:
    """The year's last business day (31 December is never an exchange holiday on a weekday)."""
    day = date(year, 12, 31)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass
class TaxLine:
    """One closed piece as Form 8949 (or Form 6781) reads it, or one Section 1256 year-end mark."""

    account_number: str
    lot_id: int
    event_id: int | None  # None for a year-end mark
    symbol: str
    underlying: str
    instrument_type: str
    quantity: Decimal  # signed: negative closed a short lot
    acquired: date
    sold: date
    proceeds: Decimal
    cost_basis: Decimal
    realized_pnl: Decimal  # the engine's FIFO figure for this piece (zero for a mark)
    term: str = Term.SHORT
    wash_disallowed: Decimal = ZERO  # code W: the part of the loss not allowed now (positive)
    carried_wash: Decimal = ZERO  # earlier wash losses inside this basis (zero or negative)
    carried_premium: Decimal = ZERO  # an assigned or exercised option's premium moved in
    prior_mark: Decimal = ZERO  # Section 1256: gain already counted at last year's mark
    note: str = ""
    account_id: int | None = None  # with position_key, where the trade's page is
    position_key: str = ""

    @property
    def gain(self) -> Decimal:
        """Form 8949 column (h): proceeds less basis, plus the wash-sale adjustment."""
        return self.proceeds - self.cost_basis + self.wash_disallowed

    @property
    def description(self) -> str:
        """`10 AAPL`, `1 SPY Mar 20 '26 400 P`, `1 /ES Mar 26`: quantity and the contract as a trader reads it."""
        name = contract_name(self.symbol)
        if name != self.symbol and self.underlying and not self.symbol.startswith("/"):
            name = f"{self.underlying} {name}"
        return f"{abs(self.quantity).normalize():f} {name}"

    @property
    def is_mark(self) -> bool:
        return self.event_id is None

    def adjust(self, amount: Decimal, *, on_closing: bool = False) -> None:
        """Add `amount` to the gain on the opening side (the basis of a long piece, the proceeds of a
        short one) or, `on_closing`, on the closing side (the proceeds of a long piece, the cost of a short one)."""
        if (self.quantity < 0) != on_closing:
            self.proceeds += amount
        else:
            self.cost_basis -= amount


@dataclass
class Piece:
    """Units of one lot that share a basis adjustment and an acquisition date for tax."""

    units: Decimal  # unsigned, still open
    carried_premium: Decimal
    carried_wash: Decimal
    acquired: date
    replaced: bool = False  # already stood in as the replacement for one wash sale

    def take(self, units: Decimal) -> Piece:
        """Split off `units` (what is taken gets its exact share; the last taker gets the rest)."""
        if units >= self.units:
            taken = Piece(self.units, self.carried_premium, self.carried_wash, self.acquired, self.replaced)
            self.units, self.carried_premium, self.carried_wash = ZERO, ZERO, ZERO
            return taken
        taken = Piece(
            units,
            share(self.carried_premium, units, self.units),
            share(self.carried_wash, units, self.units),
            self.acquired,
            self.replaced,
        )
        self.units -= units
        self.carried_premium -= taken.carried_premium
        self.carried_wash -= taken.carried_wash
        return taken


@dataclass
class YearEndMark:
    account_number: str
    symbol: str
    day: date
    price: Decimal | None
    source: str  # "position snapshot of 2025-12-31" or "no mark available"


def lot_is_section_1256(lot: Lot) -> bool:
    return is_section_1256(instrument_type=lot.instrument_type, underlying=lot.underlying_symbol, symbol=lot.symbol)


def proceeds_and_cost(event: PnlEvent) -> tuple[Decimal, Decimal]:
    """A long piece's proceeds are its closing cash, a short piece's its opening cash (fees inside both)."""
    if event.quantity < 0:
        return event.opening_cash + event.variation, -event.closing_cash
    return event.closing_cash + event.variation, -event.opening_cash


def gain_at_mark(lot: Lot, units: Decimal, price: Decimal) -> Decimal:
    """What `units` of the lot would realize at `price`: their share of the opening cash plus their
    value at the mark (a future's value is its move from the fill, since futures open at zero)."""
    opening = share(lot.opening_cash, units, abs(lot.quantity))
    base = (lot.opening_price or ZERO) if lot.instrument_type == InstrumentType.FUTURE else ZERO
    sign = 1 if lot.quantity > 0 else -1
    return opening + sign * units * (lot.multiplier or 1) * (price - base)


class TaxBook:
    """The tax lines of every closing event in time order, with the wash-sale `rule` given."""

    def __init__(
        self,
        *,
        lots: list[Lot],
        premiums: tuple,
        marks: dict,
        tz: ZoneInfo,
        rule: wash_sales.Rule = wash_sales.IDENTICAL,
    ) -> None:
        self.lots = {lot.id: lot for lot in lots}
        self.by_key = {(lot.account_id, lot.key): lot for lot in lots}
        self.lot_premiums, self.event_premiums, self.moved_events = premiums
        self.marks = marks
        self.tz = tz
        self.rule = rule
        self.replacements = wash_sales.replacement_index(lots, rule, self.local_day)
        self.section_1256_lots = [lot for lot in lots if lot_is_section_1256(lot) and not lot.moved_from_key]
        self.pieces: dict[int, list[Piece]] = {}
        self.lines: list[TaxLine] = []
        self.closed_units: dict[int, Decimal] = defaultdict(Decimal)
        self.prior_marks: dict[int, Portion] = {}
        self.cumulative_marks: dict[int, Decimal] = {}
        self.marks_used: list[YearEndMark] = []

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def run(self, events: list[PnlEvent], *, first_year: int, through: int) -> None:
        """Events in time order; each year's Section 1256 marks after its last event."""
        position = 0
        for year in range(first_year, through + 1):
            while position < len(events) and events[position].trading_day.year <= year:
                self._close(events[position])
                position += 1
            self._mark_year_end(year)

    # Closing events -------------------------------------------------------------------------------

    def _close(self, event: PnlEvent) -> None:
        lot = self.lots.get(event.lot_id, event.lot)
        if lot_is_section_1256(lot):
            self._close_section_1256(event, lot)
            return
        if event.id in self.moved_events:
            return  # an assigned or exercised option: its premium is in the stock's lines
        units = abs(event.quantity)
        proceeds, cost = proceeds_and_cost(event)
        amounts = Portion(units, proceeds, (cost, self.event_premiums.get(event.id, ZERO)))
        for part in self.take(lot, units):
            piece = amounts.take(part.units)
            line = self._line(event, lot, part.units, part.acquired, piece.cash, piece.fees[0])
            line.carried_premium, line.carried_wash = part.carried_premium + piece.fees[1], part.carried_wash
            line.adjust(part.carried_premium + part.carried_wash)
            line.adjust(piece.fees[1], on_closing=True)  # the premium of the option that delivered the stock
            if event.quantity > 0 and held_long_term(line.acquired, line.sold):
                line.term = Term.LONG
            if line.gain < 0:
                wash_sales.wash(self, line=line, lot=lot)
            self.lines.append(line)

    def _line(
        self, event: PnlEvent, lot: Lot, units: Decimal, acquired: date, proceeds: Decimal, cost: Decimal
    ) -> TaxLine:
        return TaxLine(
            account_number=event.account.account_number,
            account_id=lot.account_id,
            position_key=lot.position.key,
            lot_id=lot.id,
            event_id=event.id,
            symbol=event.symbol,
            underlying=event.underlying_symbol,
            instrument_type=event.instrument_type,
            quantity=units if event.quantity > 0 else -units,
            acquired=acquired,
            sold=event.trading_day,
            proceeds=proceeds,
            cost_basis=cost,
            realized_pnl=proceeds - cost,
        )

    def _close_section_1256(self, event: PnlEvent, lot: Lot) -> None:
        units = abs(event.quantity)
        proceeds, cost = proceeds_and_cost(event)
        line = self._line(event, lot, units, self.local_day(lot.opened_at), proceeds, cost)
        line.term = Term.SECTION_1256
        if prior := self.prior_marks.get(lot.id):
            line.prior_mark = prior.take(units).cash
            line.adjust(-line.prior_mark)
            line.note = "basis is last year-end's mark"
        self.closed_units[lot.id] += units
        self.lines.append(line)

    # Pieces ---------------------------------------------------------------------------------------

    def pieces_of(self, lot: Lot) -> list[Piece]:
        """The lot's open pieces; a lot moved by a split or symbol change inherits its old lot's."""
        if lot.id in self.pieces:
            return self.pieces[lot.id]
        old = self.by_key.get((lot.account_id, lot.moved_from_key)) if lot.moved_from_key else None
        inherited = [piece for piece in self.pieces_of(old) if piece.units] if old else []
        if inherited:
            self.pieces[old.id] = []
            ratio = abs(lot.quantity) / sum((piece.units for piece in inherited), ZERO)
            for piece in inherited:
                piece.units *= ratio
            self.pieces[lot.id] = inherited
        else:
            premium = self.lot_premiums.get(lot.id, ZERO)
            self.pieces[lot.id] = [Piece(abs(lot.quantity), premium, ZERO, self.local_day(lot.opened_at))]
        return self.pieces[lot.id]

    def take(self, lot: Lot, units: Decimal) -> list[Piece]:
        taken, pieces = [], self.pieces_of(lot)
        while units and pieces:
            part = pieces[0].take(min(units, pieces[0].units))
            units -= part.units
            taken.append(part)
            if not pieces[0].units:
                pieces.pop(0)
        if units:  # more closed than the lot held (a data issue upstream): no adjustment to carry
            taken.append(Piece(units, ZERO, ZERO, self.local_day(lot.opened_at)))
        return taken

    def replace(self, lot: Lot, *, units: Decimal, loss: Decimal, held_days: int) -> None:
        """`units` of the lot become a wash sale's replacement: the disallowed `loss` goes into their
        basis and the sold shares' holding period (`held_days`) is tacked on."""
        pieces = self.pieces_of(lot)
        replaced, left = [], units
        for piece in [piece for piece in pieces if not piece.replaced and piece.units]:
            part = piece.take(min(left, piece.units))
            part.replaced = True
            part.acquired -= timedelta(days=held_days)
            replaced.append(part)
            left -= part.units
            if not left:
                break
        portion = Portion(units - left, -loss, ())
        for part in replaced:
            part.carried_wash += portion.take(part.units).cash
        self.pieces[lot.id] = replaced + [piece for piece in pieces if piece.units]

    def unreplaced_units(self, lot: Lot) -> Decimal:
        return sum((piece.units for piece in self.pieces_of(lot) if not piece.replaced), ZERO)

    # Section 1256 year-end marks ------------------------------------------------------------------

    def _mark_year_end(self, year: int) -> None:
        day, total = last_trading_day(year), ZERO
        for lot in self.section_1256_lots:
            units = abs(lot.quantity) - self.closed_units[lot.id]
            if units <= 0 or self.local_day(lot.opened_at).year > year:
                continue
            prior = self.prior_marks.get(lot.id)
            basis = prior.cash if prior else ZERO
            mark = self.marks.get((lot.account_id, lot.symbol, year))
            if mark is None:
                mark = YearEndMark(lot.account.account_number, lot.symbol, day, None, "no mark available")
                value = basis  # nothing to mark with: the basis carries unchanged
            else:
                value = gain_at_mark(lot, units, mark.price)
            self.marks_used.append(mark)
            self.lines.append(
                TaxLine(
                    account_number=lot.account.account_number,
                    account_id=lot.account_id,
                    position_key=lot.position.key,
                    lot_id=lot.id,
                    event_id=None,
                    symbol=lot.symbol,
                    underlying=lot.underlying_symbol,
                    instrument_type=lot.instrument_type,
                    quantity=units if lot.quantity > 0 else -units,
                    acquired=self.local_day(lot.opened_at),
                    sold=day,
                    proceeds=value,
                    cost_basis=basis,
                    realized_pnl=ZERO,
                    term=Term.SECTION_1256,
                    prior_mark=basis,
                    note=f"open at year end: {mark.source}",
                )
            )
            self.prior_marks[lot.id] = Portion(units, value, ())
            total += value
        self.cumulative_marks[year] = total
