"""A deterministic, internally consistent trading history for one customer's accounts.

`History(Scenario(seed=1, accounts=2, start=date(2024, 1, 2), days=730, activity=1))` walks the
calendar day by day. On each trading day every account runs the plays it has under way (a play
is a small generator function: a stock trade, a wheel, a vertical, a strangle, an iron condor, a
long option, an SPXW spread, a futures trade, a future option), opens new ones (about `activity`
per trading day), and at 21:00 UTC books what the day settles: expirations, assignments and
exercises (with their stock delivery or cash settlement rows), futures mark-to-market, dividends
(with foreign tax withheld on the ADR), interest at month end, late regulatory fee adjustments
and fee reversals. Deposits and withdrawals keep the account funded, and a margin episode makes
it pay debit interest once.

A fixed set of "coverage" plays makes sure every history of 90 days or more contains
every ledger shape docs/tastytrade-api.md describes: partial fills, fractional shares, a put that expires and one
that is assigned, a covered call called away, the whole wheel, a vertical settling with both legs
in the money, a long call exercised, an SPXW spread cash-settled on both legs, /ES and /MES with
mark-to-market rows, a future option, a symbol change (SQ to XYZ), a 10:1 forward split (NVDA),
rolls, spreads closed in parts and a reversal carrying `reverses-id`. Coverage plays pick strikes
knowing where the price will be at expiry (the price path is fixed by the seed), so the outcome
is certain; the other plays take their chances like everyone else.

Transaction ids start above 2^31 and grow with time; rows posted later (advance, faults) get
higher ids even when they are dated in the past, as TastyTrade's late adjustments are.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from .market import (
    CENT,
    EQUITIES,
    ETFS,
    FOREIGN_WITHHOLDING,
    FORWARD_SPLIT,
    QUARTER,
    STOCKS,
    SYMBOL_CHANGE,
    WHEEL,
    ZERO,
    Instrument,
    Market,
    add_trading_days,
    equity,
    equity_option,
    front_future_expiry,
    future,
    future_option,
    is_trading_day,
    monthly_expirations_after,
    next_trading_day,
    on_or_before_trading_day,
    utc,
    weekly_expirations_after,
)
from .transactions import Transaction

FIRST_TRANSACTION_ID = 3_100_000_000  # above 2^31, as real ids are
FIRST_ORDER_ID = 380_000_000
MILLI = Decimal("0.001")

Play = Generator[date, date]


@dataclass(frozen=True)
class Scenario:
    """What to generate: the same scenario always gives the same history, row for row."""

    seed: int = 1
    accounts: int = 2
    start: date = date(2024, 1, 2)
    days: int = 730
    activity: int = 1  # new plays per trading day and account, on average

    def __post_init__(self) -> None:
        if not 1 <= self.accounts <= 20:
            raise ValueError("accounts must be between 1 and 20")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.activity < 1:
            raise ValueError("activity must be at least 1")

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)


@dataclass(frozen=True)
class AccountInfo:
    account_number: str
    customer_id: str
    nickname: str
    account_type_name: str
    margin_or_cash: str
    opened_at: datetime
    funding_date: date
    is_futures_approved: bool = True


# --- TastyTrade's fee schedule (per contract or share; charges are negative) ------------------
# Equity: no commission; clearing $0.0008/share; on sales the SEC fee (27.80 per million) and
# FINRA TAF ($0.000166/share, max $8.30). Equity options: $1/contract to open, capped at $10 per
# leg, nothing to close; clearing $0.10; regulatory (ORF, OCC, TAF) about $0.02-0.03. SPX/SPXW
# add the CBOE proprietary index option fee ($0.65). Futures: $1.25 (/ES) or $0.85 (/MES) per
# side, clearing $0.30, exchange and NFA fees. Futures options: $2.50 to open, clearing $0.30,
# exchange and NFA fees. Stock delivered by assignment or exercise: $5 in clearing fees.

FUTURE_FEES = {
    "ES": (Decimal("1.25"), Decimal("0.30"), Decimal("1.40")),
    "MES": (Decimal("0.85"), Decimal("0.30"), Decimal("0.37")),
}
DELIVERY_FEE = Decimal("5.00")


def _fee(amount: Decimal) -> Decimal:
    return -amount.quantize(MILLI, ROUND_HALF_UP)


def trade_fees(instrument: Instrument, quantity: Decimal, *, opening: bool, selling: bool, value: Decimal) -> dict:
    """Signed fees of one fill: commission, clearing, regulatory and index-option fees."""
    commission = clearing = regulatory = index_fee = ZERO
    kind = instrument.instrument_type
    if kind == "Equity":
        clearing = quantity * Decimal("0.0008")
        if selling:
            regulatory = value * Decimal("0.0000278") + min(quantity * Decimal("0.000166"), Decimal("8.30"))
    elif kind == "Equity Option":
        commission = min(quantity, Decimal(10)) if opening else ZERO
        clearing = quantity * Decimal("0.10")
        regulatory = quantity * (Decimal("0.03") if selling else Decimal("0.02"))
        if instrument.cash_settled:
            index_fee = quantity * Decimal("0.65")
    elif kind == "Future":
        per_side, clearing_each, exchange_each = FUTURE_FEES[instrument.root]
        commission, clearing, regulatory = quantity * per_side, quantity * clearing_each, quantity * exchange_each
    elif kind == "Future Option":
        commission = quantity * Decimal("2.50") if opening else ZERO
        clearing = quantity * Decimal("0.30")
        regulatory = quantity * Decimal("0.72")
    return {
        "commission": _fee(commission),
        "clearing_fees": _fee(clearing),
        "regulatory_fees": _fee(regulatory),
        "proprietary_index_option_fees": _fee(index_fee),
    }


def _crosses_zero(instrument: Instrument, held: Decimal, quantity: Decimal) -> bool:
    """Whether buying (+) or selling (-) `quantity` takes a holding of `held` through zero.

    Futures rows say only Buy or Sell, so a futures fill may cross; every other row says open or
    close, and TastyTrade books a close for no more than the position it closes.
    """
    if instrument.instrument_type == "Future" or not held or (held > 0) == (quantity > 0):
        return False
    return abs(quantity) > abs(held)


def quantity_text(quantity: Decimal) -> str:
    return format(quantity.normalize(), "f")


def _split(quantity: Decimal, parts: int) -> list[Decimal]:
    """Split a whole quantity into `parts` non-empty whole pieces, largest first."""
    parts = min(parts, int(quantity))
    if parts <= 1 or quantity != quantity.to_integral_value():
        return [quantity]
    base, extra = divmod(int(quantity), parts)
    return [Decimal(base + (1 if i < extra else 0)) for i in range(parts)]


VENUES = {
    "Equity": ("JANE_STREET_EQUITIES_A", "CITADEL_EQUITIES_A", "VIRTU_EQUITIES_A"),
    "Equity Option": ("WOLVERINE_OPTIONS_A", "CITADEL_OPTIONS_A", "SUSQUEHANNA_OPTIONS_A", "CBOE_OPTIONS_A"),
    "Future": ("CME",),
    "Future Option": ("CME",),
}


class Book:
    """One account as the generator sees it: holdings, plays under way, the cash it has."""

    def __init__(self, history: History, account: AccountInfo) -> None:
        self.history = history
        self.market = history.market
        self.account = account
        self.number = account.account_number
        self.rng = random.Random(f"{history.scenario.seed}:{account.account_number}")
        self.holdings: dict[str, Decimal] = {}
        self.instruments: dict[str, Instrument] = {}
        self.average_cost: dict[str, Decimal] = {}  # long stock: average price per share
        self.futures_reference: dict[str, Decimal] = {}  # futures: price the last settlement was made at
        self.cash = ZERO
        self.month_low = ZERO
        self.reserved: set[str] = set()
        self.wheels: set[str] = set()
        self.plays: list[tuple[date, int, Play]] = []
        self.fee_adjustments: list[tuple[date, Decimal]] = []
        self.reversals: list[tuple[date, Transaction]] = []
        self.last_time: datetime | None = None
        self.borrowing = False  # in a margin episode: no top-up deposits

    # --- time ---------------------------------------------------------------------------------

    def market_time(self, day: date) -> datetime:
        """A moment in regular trading hours on `day`, after every earlier order of the account that day."""
        opening = utc(day, 14, 35, self.rng.randint(0, 59), self.rng.randint(0, 999))
        if self.last_time is None or self.last_time < opening:
            moment = opening
        else:
            moment = self.last_time + timedelta(seconds=self.rng.randint(1, 40), milliseconds=self.rng.randint(0, 999))
        self.last_time = moment
        return moment

    def later(self, day: date, low: int, high: int) -> date:
        return add_trading_days(day, self.rng.randint(low, high))

    # --- plays --------------------------------------------------------------------------------

    def start(self, day: date, play: Play) -> None:
        try:
            wake = next(play)
        except StopIteration:
            return
        heapq.heappush(self.plays, (max(wake, next_trading_day(day)), self.history.next_sequence(), play))

    def run_plays(self, day: date) -> None:
        while self.plays and self.plays[0][0] <= day:
            _, _, play = heapq.heappop(self.plays)
            try:
                wake = play.send(day)
            except StopIteration:
                continue
            heapq.heappush(self.plays, (max(wake, next_trading_day(day)), self.history.next_sequence(), play))

    # --- positions ----------------------------------------------------------------------------

    def holding(self, symbol: str) -> Decimal:
        return self.holdings.get(symbol, ZERO)

    def holds(self, instrument: Instrument) -> bool:
        return bool(self.holding(instrument.symbol))

    def _move(self, instrument: Instrument, quantity: Decimal, price: Decimal | None) -> None:
        symbol = instrument.symbol
        self.instruments[symbol] = instrument
        before = self.holding(symbol)
        after = before + quantity
        if instrument.instrument_type == "Equity" and price is not None:
            if quantity > 0 and before >= 0:
                self.average_cost[symbol] = (self.average_cost.get(symbol, ZERO) * before + price * quantity) / after
            elif after <= 0:
                self.average_cost.pop(symbol, None)
        if after:
            self.holdings[symbol] = after
        else:
            self.holdings.pop(symbol, None)
            self.futures_reference.pop(symbol, None)

    def emit(self, row: Transaction) -> Transaction:
        self.cash += row.net_value
        self.month_low = min(self.month_low, self.cash)
        self.history.stage(row)
        return row

    # --- orders -------------------------------------------------------------------------------

    def order(self, day: date, legs: list[tuple[Instrument, Decimal]], *, fills: int = 1) -> None:
        """One order of one or more legs (instrument, signed quantity) at today's prices.

        With `fills` > 1 the order fills in pieces a few seconds apart: every leg gets a row per
        piece, all with the same order id.
        """
        order_id = self.history.next_order_id()
        pieces = [_split(abs(quantity), fills) for _, quantity in legs]
        count = min(len(p) for p in pieces)
        if any(len(p) != count for p in pieces):
            pieces = [[abs(quantity)] for _, quantity in legs]
            count = 1
        moment = self.market_time(day)
        group = str(self.rng.randint(10**8, 10**9))
        for index in range(count):
            if index:
                moment = self.market_time(day)
            for (instrument, quantity), legs_pieces in zip(legs, pieces, strict=True):
                piece = legs_pieces[index] if quantity > 0 else -legs_pieces[index]
                self._fill(day, moment, instrument, piece, order_id, len(legs), group)
        if self.rng.randint(1, 6) == 1:
            amount = -Decimal(self.rng.choice((1, 1, 1, 2, 2, 3))) * CENT
            if self.rng.randint(1, 5) == 1:
                amount = -amount
            self.fee_adjustments.append((self.later(day, 1, 5), amount))

    def _fill(
        self,
        day: date,
        moment: datetime,
        instrument: Instrument,
        quantity: Decimal,
        order_id: int,
        leg_count: int,
        group: str,
    ) -> None:
        price = self.price(instrument, day)
        venue = self.rng.choice(VENUES[instrument.instrument_type])
        bits = self.rng.getrandbits(64)  # one draw for the exchange's reference numbers
        held = self.holding(instrument.symbol)
        if _crosses_zero(instrument, held, quantity):
            # Another play holds the other side of this contract and the broker nets by symbol. A
            # closing row never closes more than is held, so the fill posts as a close of what is
            # held and an open of the rest (the second row's reference numbers are derived, not
            # drawn, so the random stream the rest of the history comes from stays where it was).
            self._post_fill(day, moment, instrument, -held, price, order_id, leg_count, group, venue, bits)
            quantity, bits = quantity + held, bits + 1
        self._post_fill(day, moment, instrument, quantity, price, order_id, leg_count, group, venue, bits)

    def _post_fill(
        self,
        day: date,
        moment: datetime,
        instrument: Instrument,
        quantity: Decimal,
        price: Decimal,
        order_id: int,
        leg_count: int,
        group: str,
        venue: str,
        bits: int,
    ) -> None:
        held = self.holding(instrument.symbol)
        buying = quantity > 0
        size = abs(quantity)
        opening = not held or (held > 0) == buying
        if instrument.instrument_type == "Future":
            action = "Buy" if buying else "Sell"
            if opening:
                value = ZERO
                self.futures_reference.setdefault(instrument.symbol, price)
            else:
                # A row that flips the position carries the variation of the part it closes only;
                # the rest opens at the fill, which becomes the new position's reference.
                reference = self.futures_reference[instrument.symbol]
                closed = min(size, abs(held))
                value = (price - reference) * closed * instrument.multiplier * (1 if held > 0 else -1)
                if size > closed:
                    self.futures_reference[instrument.symbol] = price
        else:
            action = ("Buy" if buying else "Sell") + (" to Open" if opening else " to Close")
            gross = (price * size * instrument.multiplier).quantize(CENT, ROUND_HALF_UP)
            value = -gross if buying else gross
        fees = trade_fees(instrument, size, opening=opening, selling=not buying, value=abs(value))
        row = Transaction(
            id=0,
            account_number=self.number,
            transaction_type="Trade",
            transaction_sub_type=action,
            description=f"{'Bought' if buying else 'Sold'} {quantity_text(size)} {instrument.short_name()} @ {price:f}",
            executed_at=moment,
            transaction_date=day,
            value=value,
            net_value=value + sum(fees.values(), ZERO),
            symbol=instrument.symbol,
            instrument_type=instrument.instrument_type,
            underlying_symbol=instrument.underlying,
            action=action,
            quantity=size,
            price=price,
            order_id=order_id,
            leg_count=leg_count,
            exchange="CDBQXZ"[bits % 6] if instrument.instrument_type != "Future" else "XCME",
            destination_venue=venue,
            exec_id=f"{bits % 9 + 1}_{bits >> 24:x}-{bits % 97 + 1}",
            ext_group_fill_id=group,
            ext_exchange_order_number=str(10**11 + (bits >> 20) % 9 * 10**11 + bits % 10**11),
            ext_global_order_number=1000 + (bits >> 8) % 99000,
            **fees,
        )
        self._move(instrument, quantity, price)
        self.emit(row)

    def price(self, instrument: Instrument, day: date) -> Decimal:
        """Where a fill happens: the day's closing mark, give or take up to 0.3%, on the instrument's tick."""
        mark = self.market.mark(instrument, day)
        tick = QUARTER if instrument.instrument_type == "Future" else CENT
        moved = mark * (10000 + self.rng.randint(-30, 30)) / 10000
        return max((moved / tick).quantize(Decimal(1), ROUND_HALF_UP) * tick, tick)

    def money(
        self,
        day: date,
        sub_type: str,
        amount: Decimal,
        description: str,
        *,
        moment: datetime | None = None,
        instrument: Instrument | None = None,
        reverses: Transaction | None = None,
    ) -> Transaction:
        row = Transaction(
            id=0,
            account_number=self.number,
            transaction_type="Money Movement",
            transaction_sub_type=sub_type,
            description=description,
            executed_at=moment or utc(day, 21),
            transaction_date=day,
            value=amount,
            net_value=amount,
            reverses_id=reverses.id if reverses else None,
        )
        if instrument is not None:
            row.symbol = instrument.symbol
            row.instrument_type = instrument.instrument_type
            row.underlying_symbol = instrument.underlying
        return self.emit(row)

    def receive_deliver(
        self,
        day: date,
        moment: datetime,
        instrument: Instrument,
        sub_type: str,
        description: str,
        quantity: Decimal,
        *,
        action: str | None = None,
        price: Decimal | None = None,
        value: Decimal = ZERO,
        clearing_fee: Decimal | None = None,
    ) -> Transaction:
        net = value + (clearing_fee or ZERO)
        row = Transaction(
            id=0,
            account_number=self.number,
            transaction_type="Receive Deliver",
            transaction_sub_type=sub_type,
            description=description,
            executed_at=moment,
            transaction_date=day,
            value=value,
            net_value=net,
            symbol=instrument.symbol,
            instrument_type=instrument.instrument_type,
            underlying_symbol=instrument.underlying,
            action=action,
            quantity=quantity,
            price=price,
            clearing_fees=clearing_fee,
        )
        return self.emit(row)

    # --- end of day ---------------------------------------------------------------------------

    def settle(self, day: date) -> None:
        """What the day books at 21:00 UTC: expirations, deliveries, futures settlement, income."""
        self._expire(day)
        self._mark_futures(day)
        self._pay_dividends(day)
        due = [item for item in self.fee_adjustments if item[0] <= day]
        self.fee_adjustments = [item for item in self.fee_adjustments if item[0] > day]
        for _, amount in due:
            moment = utc(day, self.rng.randint(12, 22), self.rng.randint(0, 59), self.rng.randint(0, 59))
            self.money(day, "Balance Adjustment", amount, "Regulatory fee adjustment", moment=moment)
        due = [item for item in self.reversals if item[0] <= day]
        self.reversals = [item for item in self.reversals if item[0] > day]
        for _, original in due:
            self.reverse(day, original)
        if next_trading_day(day).month != day.month:
            self._pay_interest(day)

    def reverse(self, day: date, original: Transaction, moment: datetime | None = None) -> Transaction:
        return self.money(
            day,
            original.transaction_sub_type,
            -original.net_value,
            f"REVERSAL: {original.description}",
            moment=moment or utc(day, 16, self.rng.randint(0, 59), self.rng.randint(0, 59)),
            reverses=original,
        )

    def _expire(self, day: date) -> None:
        expiring = [
            (quantity, symbol)
            for symbol, quantity in self.holdings.items()
            if self.instruments[symbol].is_option and self.instruments[symbol].expiry <= day
        ]
        # Assignments (short legs) book before exercises, as in the broker's history.
        expiring.sort(key=lambda item: (item[0] > 0, item[1]))
        moment = utc(day, 21)
        delivered: dict[str, Decimal] = {}
        for quantity, symbol in expiring:
            instrument = self.instruments[symbol]
            spot_symbol = (
                "/" + instrument.root if instrument.instrument_type == "Future Option" else instrument.underlying
            )
            spot = self.market.price(spot_symbol, day)
            intrinsic = (
                max(spot - instrument.strike, ZERO) if instrument.is_call else max(instrument.strike - spot, ZERO)
            )
            size = abs(quantity)
            if not intrinsic:
                self.receive_deliver(
                    day,
                    moment,
                    instrument,
                    "Expiration",
                    f"Removal of {size:.1f} {instrument.short_name()} due to expiration.",
                    size,
                )
                self._move(instrument, -quantity, None)
                continue
            if instrument.instrument_type == "Future Option":
                # Traders close in-the-money futures options before they turn into futures.
                self.order(day, [(instrument, -quantity)])
                continue
            short = quantity < 0
            event = "Assignment" if short else "Exercise"
            self.receive_deliver(day, moment, instrument, event, f"Removal of option due to {event.lower()}", size)
            self._move(instrument, -quantity, None)
            if instrument.cash_settled:
                cash = (intrinsic * size * instrument.multiplier).quantize(CENT, ROUND_HALF_UP)
                self.receive_deliver(
                    day,
                    moment,
                    instrument,
                    f"Cash Settled {event}",
                    f"Cash settlement of {quantity_text(size)} {instrument.short_name()} due to {event.lower()}",
                    size,
                    # As the live API posts it: the strike as price, and a clearing fee
                    # (docs/tastytrade-api.md#cash-settlement).
                    price=instrument.strike,
                    value=-cash if short else cash,
                    clearing_fee=-DELIVERY_FEE,
                )
                continue
            # Stock changes hands at the strike: a short put or a long call buys, the others sell.
            shares = size * instrument.multiplier
            stock = equity(instrument.underlying)
            signed = shares if instrument.is_call != short else -shares
            held = self.holding(stock.symbol)
            # As with a fill, a delivery through zero closes what is held and opens the rest; the
            # assignment fee is charged once, on the first row.
            pieces = [-held, signed + held] if _crosses_zero(stock, held, signed) else [signed]
            for index, piece in enumerate(pieces):
                self._deliver(day, moment, stock, piece, instrument.strike, charged=index == 0)
            delivered[stock.symbol] = delivered.get(stock.symbol, ZERO) + signed
        for symbol, shares in delivered.items():
            if shares and symbol not in self.wheels:
                self.start(day, liquidate(self, day, symbol, shares))

    def _deliver(
        self, day: date, moment: datetime, stock: Instrument, quantity: Decimal, strike: Decimal, *, charged: bool
    ) -> None:
        """One stock delivery row of an assignment or exercise, at the strike."""
        held = self.holding(stock.symbol)
        buys = quantity > 0
        shares = abs(quantity)
        opening = not held or (held > 0) == buys
        action = ("Buy" if buys else "Sell") + (" to Open" if opening else " to Close")
        gross = (strike * shares).quantize(CENT, ROUND_HALF_UP)
        self.receive_deliver(
            day,
            moment,
            stock,
            action,
            f"{action} {quantity_text(shares)} {stock.symbol} @ {strike:.2f}",
            shares,
            action=action,
            price=strike,
            value=-gross if buys else gross,
            clearing_fee=-DELIVERY_FEE if charged else None,
        )
        self._move(stock, quantity, strike)

    def _mark_futures(self, day: date) -> None:
        for symbol, quantity in list(self.holdings.items()):
            instrument = self.instruments[symbol]
            if instrument.instrument_type != "Future":
                continue
            settlement = self.market.price(instrument.underlying, day)
            reference = self.futures_reference[symbol]
            variation = (settlement - reference) * quantity * instrument.multiplier
            self.futures_reference[symbol] = settlement
            if variation:
                self.money(day, "Mark to Market", variation, f"Mark to market of {symbol}", instrument=instrument)

    def _pay_dividends(self, day: date) -> None:
        for symbol, quantity in list(self.holdings.items()):
            instrument = self.instruments[symbol]
            if instrument.instrument_type != "Equity" or quantity <= 0:
                continue
            base = SYMBOL_CHANGE[0] if symbol == SYMBOL_CHANGE[1] else symbol
            _, _, per_share, issuer = EQUITIES[base]
            per_share = Decimal(per_share)
            if not per_share or not self.history.pays_dividend(base, day):
                continue
            if base == FORWARD_SPLIT[0] and day >= self.market.split_day:
                per_share = (per_share / FORWARD_SPLIT[1]).quantize(Decimal("0.0001"))
            amount = (quantity * per_share).quantize(CENT, ROUND_HALF_UP)
            if not amount:
                continue
            self.money(day, "Dividend", amount, issuer, instrument=instrument)
            if base in FOREIGN_WITHHOLDING:
                tax = (amount * FOREIGN_WITHHOLDING[base]).quantize(CENT, ROUND_HALF_UP)
                self.money(day, "Dividend", -tax, f"{issuer} - FOREIGN TAX WITHHELD", instrument=instrument)

    def _pay_interest(self, day: date) -> None:
        first = day.replace(day=1)
        if self.month_low < 0:
            charge = (-self.month_low * Decimal("0.08") / 12).quantize(CENT, ROUND_HALF_UP)
            if charge:
                self.money(day, "Debit Interest", -charge, f"FROM {first:%m/%d} THRU {day:%m/%d} @ 8    %")
        if self.cash > 0:
            credit = (self.cash * Decimal("0.02") / 12).quantize(CENT, ROUND_DOWN)
            if credit:
                self.money(day, "Credit Interest", credit, "INTEREST ON CREDIT BALANCE")
        self.month_low = self.cash

    # --- corporate actions ----------------------------------------------------------------------

    def corporate_actions(self, day: date) -> None:
        if day == self.market.symbol_change_day:
            old, new = SYMBOL_CHANGE
            self._reissue(day, "Symbol Change", "Symbol change: ", equity(old), equity(new), 1)
        if day == self.market.split_day:
            ticker, ratio = FORWARD_SPLIT
            self._reissue(day, "Forward Split", "Forward split:", equity(ticker), equity(ticker), ratio)

    def _reissue(self, day: date, sub_type: str, label: str, old: Instrument, new: Instrument, ratio: int) -> None:
        quantity = self.holding(old.symbol)
        if quantity <= 0:
            return
        moment = utc(day, 11, 54, self.rng.randint(0, 59))
        cost = self.average_cost[old.symbol]
        basis = (cost * quantity).quantize(CENT, ROUND_HALF_UP)
        new_quantity = quantity * ratio
        self.receive_deliver(
            day,
            moment,
            old,
            sub_type,
            f"{label} Close {quantity:.1f} {old.symbol}",
            quantity,
            action="Sell to Close",
            price=cost.quantize(Decimal("0.0001")),
            value=basis,
        )
        self._move(old, -quantity, None)
        self.receive_deliver(
            day,
            moment,
            new,
            sub_type,
            f"{label} Open {new_quantity:.1f} {new.symbol}",
            new_quantity,
            action="Buy to Open",
            price=(cost / ratio).quantize(Decimal("0.0001")),
            value=-basis,
        )
        self._move(new, new_quantity, cost / ratio)

    def current_symbol(self, ticker: str, day: date) -> str:
        if ticker == SYMBOL_CHANGE[0] and day >= self.market.symbol_change_day:
            return SYMBOL_CHANGE[1]
        return ticker

    # --- choosing contracts -----------------------------------------------------------------------

    def free(self, candidates: tuple[str, ...]) -> str | None:
        choices = [c for c in candidates if c not in self.reserved]
        return self.rng.choice(choices) if choices else None

    def strike(self, underlying: str, day: date, percent: int) -> Decimal:
        """A strike `percent` away from today's price (negative is below)."""
        spot = self.market.price(underlying, day)
        return self.market.round_strike(underlying, spot * (100 + percent) / 100)

    def monthly(self, day: date, low: int = 21, high: int = 50) -> date:
        options = monthly_expirations_after(day, low, high) or monthly_expirations_after(day, 5, 80)
        return self.rng.choice(options)

    def fated_strike(
        self, underlying: str, day: date, expiries: list[date], is_call: bool, in_the_money: bool, offset_steps: int = 0
    ) -> tuple[date, Decimal]:
        """An expiry and a strike near today's price that will be in (or out of) the money at expiry.

        The price path is fixed by the seed, so the simulator can look ahead; `offset_steps` moves
        the strike that many strike steps further out of the money.
        """
        spot = self.market.price(underlying, day)
        step = self.market.strike_step(underlying, spot)
        at_the_money = self.market.round_strike(underlying, spot)
        out = 1 if is_call else -1  # the out-of-the-money direction
        # Nearest the money first, then alternately further out and further in.
        offsets = [offset_steps]
        for k in range(1, 7):
            offsets += [offset_steps + k, offset_steps - k]
        for expiry in expiries:
            final = self.market.price(underlying, expiry)
            for k in offsets:
                strike = at_the_money + out * step * k
                if strike <= 0:
                    continue
                itm = final > strike + step if is_call else final < strike - step
                otm = final < strike - step if is_call else final > strike + step
                if (in_the_money and itm) or (not in_the_money and otm):
                    return expiry, strike
        expiry = expiries[0]
        final = self.market.price(underlying, expiry)
        shift = step * (3 + abs(offset_steps))
        if in_the_money:
            strike = final - shift if is_call else final + shift
        else:
            strike = final + shift if is_call else final - shift
        return expiry, self.market.round_strike(underlying, max(strike, step))


# --- plays ------------------------------------------------------------------------------------


def stock_trade(
    book: Book, day: date, ticker: str, *, fractional: bool = False, hold: tuple[int, int] = (3, 90)
) -> Play:
    book.reserved.add(ticker)
    price = book.market.price(ticker, day)
    if fractional:
        notional = Decimal(book.rng.randint(100, 1500))
        quantity = (notional / price).quantize(Decimal("0.00001"), ROUND_DOWN)
        fills = 1
    else:
        budget = Decimal(book.rng.randint(2000, 15000))
        quantity = max((budget / price).quantize(Decimal(1), ROUND_DOWN), Decimal(1))
        fills = 2 if quantity >= 20 and book.rng.randint(1, 3) == 1 else 1
    book.order(day, [(equity(ticker), quantity)], fills=fills)
    day = yield book.later(day, *hold)
    symbol = book.current_symbol(ticker, day)
    held = book.holding(symbol)
    if held > 1 and held == held.to_integral_value() and book.rng.randint(1, 3) == 1:
        book.order(day, [(equity(symbol), -(held // 2))])
        day = yield book.later(day, 2, 30)
        held = book.holding(symbol)
    if held > 0:
        book.order(day, [(equity(symbol), -held)])
    book.reserved.discard(ticker)


def liquidate(book: Book, day: date, symbol: str, shares: Decimal) -> Play:
    """Stock left over from an assignment or an exercise is closed out a few days later."""
    day = yield book.later(day, 1, 8)
    held = book.holding(symbol)
    if held and (held > 0) == (shares > 0):
        closing = min(abs(held), abs(shares))
        book.order(day, [(equity(symbol), -closing if held > 0 else closing)])


def margin_episode(book: Book, day: date, ticker: str) -> Play:
    """Buy more stock than the cash covers, so the account borrows and pays debit interest."""
    book.reserved.add(ticker)
    book.borrowing = True
    price = book.market.price(ticker, day)
    quantity = ((max(book.cash, ZERO) + Decimal(book.rng.randint(8000, 20000))) / price).quantize(
        Decimal(1), ROUND_DOWN
    )
    book.order(day, [(equity(ticker), quantity)])
    day = yield book.later(day, 28, 40)
    held = book.holding(ticker)
    if held > 0:
        book.order(day, [(equity(ticker), -held)], fills=2)
    book.reserved.discard(ticker)
    book.borrowing = False


def wheel(book: Book, day: date, ticker: str, *, fated: bool = False) -> Play:
    """Sell puts until assigned, then covered calls until called away; sometimes roll."""
    book.reserved.add(ticker)
    book.wheels.add(ticker)
    cycles = 0
    max_cycles = 3 if fated else book.rng.randint(1, 4)
    while True:
        shares = book.holding(ticker)
        if shares >= 100:
            contracts = shares // 100
            if fated:
                expiry, strike = book.fated_strike(ticker, day, monthly_expirations_after(day, 14, 90), True, True, 1)
            else:
                expiry = book.monthly(day)
                strike = max(
                    book.strike(ticker, day, book.rng.randint(2, 8)),
                    book.market.round_strike(ticker, book.average_cost.get(ticker, ZERO)),
                )
            call = equity_option(ticker, ticker, expiry, True, strike)
            book.order(day, [(call, -contracts)])
            if not fated and book.rng.randint(1, 3) == 1:
                day = yield book.later(day, 3, 12)
                if book.holds(call) and day < expiry:
                    book.order(day, [(call, contracts)])
            day = yield next_trading_day(expiry)
        elif shares == 0:
            if cycles >= max_cycles:
                break
            cycles += 1
            contracts = Decimal(1) if fated else Decimal(book.rng.randint(1, 3))
            if fated and cycles == 1:
                expiry, strike = book.fated_strike(ticker, day, monthly_expirations_after(day, 14, 90), False, True)
            elif fated:
                expiry, strike = book.fated_strike(ticker, day, monthly_expirations_after(day, 14, 90), False, False)
            else:
                expiry, strike = book.monthly(day), book.strike(ticker, day, -book.rng.randint(2, 9))
            put = equity_option(ticker, ticker, expiry, False, strike)
            book.order(day, [(put, -contracts)])
            if not fated and book.rng.randint(1, 4) == 1:
                # Roll: buy the put back and sell next month's in one order.
                day = yield max(day, add_trading_days(expiry, -4) if expiry > day else day)
                if book.holds(put) and day < expiry:
                    later_expiry = book.monthly(expiry, 14, 45)
                    rolled = equity_option(ticker, ticker, later_expiry, False, strike)
                    book.order(day, [(put, contracts), (rolled, -contracts)])
                    expiry = later_expiry
            day = yield next_trading_day(expiry)
        else:
            # An odd lot: sell it and stop.
            book.order(day, [(equity(ticker), -shares)])
            break
    book.reserved.discard(ticker)
    book.wheels.discard(ticker)


def vertical(book: Book, day: date, underlying: str, *, fated_both_itm: bool = False) -> Play:
    """A credit spread opened as one order; closed in parts, closed at once, or left to expire."""
    is_call = False if fated_both_itm else book.rng.randint(0, 1) == 1
    spot = book.market.price(underlying, day)
    step = book.market.strike_step(underlying, spot)
    width = step * book.rng.randint(1, 4)
    contracts = Decimal(book.rng.randint(1, 6))
    if fated_both_itm:
        expiry, long_strike = book.fated_strike(underlying, day, monthly_expirations_after(day, 10, 90), False, True)
        short_strike, long_strike = long_strike + width, long_strike
    else:
        expiry = book.monthly(day)
        short_strike = book.strike(underlying, day, book.rng.randint(2, 7) * (1 if is_call else -1))
        long_strike = short_strike + width if is_call else short_strike - width
    short_leg = equity_option(underlying, underlying, expiry, is_call, short_strike)
    long_leg = equity_option(underlying, underlying, expiry, is_call, long_strike)
    book.order(day, [(short_leg, -contracts), (long_leg, contracts)], fills=2 if book.rng.randint(1, 3) == 1 else 1)
    plan = 3 if fated_both_itm else book.rng.randint(1, 3)
    if plan == 3:
        return
    day = yield min(book.later(day, 3, 15), add_trading_days(expiry, -2))
    if day >= expiry or not book.holds(short_leg):
        return
    first = contracts // 2 if plan == 2 and contracts >= 2 else contracts
    book.order(day, [(short_leg, first), (long_leg, -first)])
    if first == contracts:
        return
    day = yield min(book.later(day, 2, 10), add_trading_days(expiry, -1))
    rest = -book.holding(short_leg.symbol)
    if day < expiry and rest > 0:
        book.order(day, [(short_leg, rest), (long_leg, -rest)])


def strangle(book: Book, day: date, underlying: str, *, roll: bool = False) -> Play:
    """Short put and short call in one order; closed leg by leg, rolled, or held to expiry."""
    contracts = Decimal(book.rng.randint(1, 3))
    expiry = book.monthly(day)
    put = equity_option(underlying, underlying, expiry, False, book.strike(underlying, day, -book.rng.randint(4, 9)))
    call = equity_option(underlying, underlying, expiry, True, book.strike(underlying, day, book.rng.randint(4, 9)))
    book.order(day, [(put, -contracts), (call, -contracts)])
    plan = 1 if roll else book.rng.randint(1, 3)
    if plan == 3:
        return
    day = yield min(book.later(day, 5, 15), add_trading_days(expiry, -3))
    if day >= expiry:
        return
    if plan == 1:
        # Roll the whole strangle out a month: four legs, one order.
        later_expiry = book.monthly(expiry, 14, 45)
        new_put = equity_option(underlying, underlying, later_expiry, False, put.strike)
        new_call = equity_option(underlying, underlying, later_expiry, True, call.strike)
        legs = [(leg, -book.holding(leg.symbol)) for leg in (put, call) if book.holds(leg)]
        book.order(day, [*legs, (new_put, -contracts), (new_call, -contracts)])
        put, call, expiry = new_put, new_call, later_expiry
        day = yield min(book.later(day, 5, 20), add_trading_days(expiry, -2))
        for leg in (put, call):
            if book.holds(leg) and day < expiry:
                book.order(day, [(leg, -book.holding(leg.symbol))])
        return
    if book.holds(call):
        book.order(day, [(call, -book.holding(call.symbol))])
    day = yield min(book.later(day, 2, 10), add_trading_days(expiry, -1))
    if book.holds(put) and day < expiry:
        book.order(day, [(put, -book.holding(put.symbol))])


def iron_condor(book: Book, day: date, underlying: str) -> Play:
    """Four legs in one order (often filled in two pieces), closed in parts."""
    contracts = Decimal(book.rng.randint(2, 8))
    expiry = book.monthly(day)
    spot = book.market.price(underlying, day)
    width = book.market.strike_step(underlying, spot) * book.rng.randint(1, 3)
    short_put = book.strike(underlying, day, -book.rng.randint(4, 8))
    short_call = book.strike(underlying, day, book.rng.randint(4, 8))
    legs = [
        (equity_option(underlying, underlying, expiry, False, short_put - width), contracts),
        (equity_option(underlying, underlying, expiry, False, short_put), -contracts),
        (equity_option(underlying, underlying, expiry, True, short_call), -contracts),
        (equity_option(underlying, underlying, expiry, True, short_call + width), contracts),
    ]
    book.order(day, legs, fills=2 if book.rng.randint(1, 5) <= 2 else 1)
    plan = book.rng.randint(1, 5)
    if plan == 5:
        return
    day = yield min(book.later(day, 4, 15), add_trading_days(expiry, -3))
    if day >= expiry:
        return
    if plan <= 2:
        # Half of every leg first, the rest later.
        half = contracts // 2
        book.order(day, [(leg, -quantity / contracts * half) for leg, quantity in legs])
    else:
        # The put spread first; the call spread later or never.
        book.order(day, [(leg, -quantity) for leg, quantity in legs[:2]])
    day = yield min(book.later(day, 2, 10), add_trading_days(expiry, -1))
    remaining = [(leg, -book.holding(leg.symbol)) for leg, _ in legs if book.holds(leg)]
    if remaining and day < expiry and (plan <= 2 or book.rng.randint(0, 1)):
        book.order(day, remaining)


def long_option(book: Book, day: date, ticker: str, *, fated_exercise: bool = False) -> Play:
    """Buy calls or puts; sell them, let them expire, or have them exercised into stock."""
    book.reserved.add(ticker)
    is_call = True if fated_exercise else book.rng.randint(0, 1) == 1
    contracts = Decimal(1) if fated_exercise else Decimal(book.rng.randint(1, 4))
    if fated_exercise:
        expiry, strike = book.fated_strike(ticker, day, monthly_expirations_after(day, 14, 90), True, True)
    else:
        expiry = book.monthly(day, 20, 60)
        strike = book.strike(ticker, day, book.rng.randint(-3, 6) * (1 if is_call else -1))
    option = equity_option(ticker, ticker, expiry, is_call, strike)
    book.order(day, [(option, contracts)])
    if not fated_exercise and book.rng.randint(1, 2) == 1:
        day = yield min(book.later(day, 3, 20), add_trading_days(expiry, -1))
        if book.holds(option) and day < expiry:
            book.order(day, [(option, -book.holding(option.symbol))])
            book.reserved.discard(ticker)
            return
    day = yield add_trading_days(expiry, 10)
    book.reserved.discard(ticker)


def index_spread(book: Book, day: date, *, fated_both_itm: bool = False) -> Play:
    """An SPXW put credit spread: cash-settled, with the proprietary index option fee."""
    contracts = Decimal(book.rng.randint(1, 3))
    width = Decimal(5) * book.rng.randint(2, 6)
    weeklies = weekly_expirations_after(day, 5, 30)
    if fated_both_itm:
        expiry, long_strike = book.fated_strike("SPX", day, weekly_expirations_after(day, 5, 60), False, True)
        short_strike = long_strike + width
    else:
        expiry = book.rng.choice(weeklies)
        short_strike = book.strike("SPX", day, -book.rng.randint(2, 5))
        long_strike = short_strike - width
    short_leg = equity_option("SPXW", "SPX", expiry, False, short_strike)
    long_leg = equity_option("SPXW", "SPX", expiry, False, long_strike)
    book.order(day, [(short_leg, -contracts), (long_leg, contracts)])
    if fated_both_itm or book.rng.randint(1, 2) == 1:
        return
    day = yield min(book.later(day, 1, 8), add_trading_days(expiry, -1))
    if day < expiry and book.holds(short_leg):
        book.order(day, [(short_leg, contracts), (long_leg, -contracts)])


def futures_trade(book: Book, day: date, root: str) -> Play:
    """Long or short /ES or /MES for a few days: zero value on open, daily mark-to-market."""
    key = f"/{root}"
    book.reserved.add(key)
    contract = future(root, front_future_expiry(day))
    size = Decimal(book.rng.choice((1, 1, 1, 2)) if root == "ES" else book.rng.randint(1, 6))
    side = 1 if book.rng.randint(1, 3) <= 2 else -1
    book.order(day, [(contract, size * side)])
    day = yield book.later(day, 1, 8)
    held = book.holding(contract.symbol)
    if abs(held) >= 2 and book.rng.randint(0, 1):
        part = (abs(held) // 2) * (1 if held > 0 else -1)
        book.order(day, [(contract, -part)])
        day = yield book.later(day, 1, 5)
        held = book.holding(contract.symbol)
    if held:
        book.order(day, [(contract, -held)])
    book.reserved.discard(key)


def future_option_trade(book: Book, day: date) -> Play:
    """Sell an out-of-the-money /ES weekly put; buy it back or let it expire."""
    future_expiry = front_future_expiry(day, 20)
    expiries = [e for e in weekly_expirations_after(day, 7, 35) if e < future_expiry]
    if not expiries:
        return
    expiry = book.rng.choice(expiries)
    strike = book.market.round_strike("/ES", book.market.price("/ES", day) * (100 - book.rng.randint(3, 7)) / 100)
    option = future_option("ES", future_expiry, expiry, False, strike)
    book.order(day, [(option, Decimal(-1))])
    if book.rng.randint(0, 1):
        day = yield min(book.later(day, 2, 10), add_trading_days(expiry, -1))
        if day < expiry and book.holds(option):
            book.order(day, [(option, Decimal(1))])


def buy_and_hold(book: Book, day: date, ticker: str, until: date, *, fractional: bool = False) -> Play:
    """Coverage: hold a stock across a dividend, a symbol change or a split, then sell it."""
    book.reserved.add(ticker)
    price = book.market.price(ticker, day)
    if fractional:
        quantity = (Decimal(book.rng.randint(400, 900)) / price).quantize(Decimal("0.00001"), ROUND_DOWN)
        book.order(day, [(equity(ticker), quantity)])
    else:
        quantity = max((Decimal(book.rng.randint(3000, 8000)) / price).quantize(Decimal(1), ROUND_DOWN), Decimal(20))
        book.order(day, [(equity(ticker), quantity)], fills=2)
    day = yield until
    symbol = book.current_symbol(ticker, day)
    held = book.holding(symbol)
    if held > 0:
        book.order(day, [(equity(symbol), -held)])
    book.reserved.discard(ticker)


# --- the whole history --------------------------------------------------------------------------


# A new play, each day: a roll of 1-100 picks the first row whose bound it does not pass. An opener
# returns None when its tickers are all taken (a stock already traded, a futures root already held).


def _open_stock_trade(book: Book, day: date) -> Play | None:
    ticker = book.free(STOCKS)
    return stock_trade(book, day, ticker, fractional=book.rng.randint(1, 5) == 1) if ticker else None


def _open_wheel(book: Book, day: date) -> Play | None:
    ticker = book.free(WHEEL)
    return wheel(book, day, ticker) if ticker else None


def _open_long_option(book: Book, day: date) -> Play | None:
    ticker = book.free(STOCKS)
    return long_option(book, day, ticker) if ticker else None


def _open_futures_trade(book: Book, day: date) -> Play | None:
    root = book.rng.choice(("ES", "MES"))
    return futures_trade(book, day, root) if f"/{root}" not in book.reserved else None


NEW_PLAYS: tuple[tuple[int, Callable[[Book, date], Play | None]], ...] = (
    (18, _open_stock_trade),
    (30, _open_wheel),
    (44, lambda book, day: vertical(book, day, book.rng.choice(ETFS))),
    (52, lambda book, day: strangle(book, day, book.rng.choice(ETFS))),
    (62, lambda book, day: iron_condor(book, day, book.rng.choice(ETFS))),
    (72, _open_long_option),
    (85, index_spread),
    (92, _open_futures_trade),
    (100, future_option_trade),
)


class History:
    """Every row of every account, generated day by day; `advance` keeps going."""

    def __init__(self, scenario: Scenario, *, customer_id: str = "me-1", extra_accounts: int = 0) -> None:
        self.scenario = scenario
        self.market = Market(scenario.seed, scenario.start, scenario.days)
        self.rng = random.Random(f"history:{scenario.seed}")
        self._post_rng = random.Random(f"posts:{scenario.seed}")
        self._next_id = FIRST_TRANSACTION_ID + self.rng.randint(0, 10**6)
        self._next_order = FIRST_ORDER_ID + self.rng.randint(0, 10**6)
        self._sequence = 0
        self._staged: list[tuple[datetime, int, Transaction]] = []
        letters = self.rng.sample("ABCDEFGHJKLMNPRSTUVWXYZ", scenario.accounts + extra_accounts)
        opened = utc(scenario.start - timedelta(days=self.rng.randint(3, 30)), 15, 12, 41, 70)
        names = ["Individual", "Joint", "Trust", "Roth IRA", "Traditional IRA"]
        self.accounts = [
            AccountInfo(
                account_number=f"5W{letter}{self.rng.randint(10000, 99999)}",
                customer_id=customer_id,
                nickname=names[index % len(names)] + ("" if index < len(names) else f" {index + 1}"),
                account_type_name="Individual" if index == 0 else "Joint",
                margin_or_cash="Margin",
                opened_at=opened,
                funding_date=scenario.start,
            )
            for index, letter in enumerate(letters[: scenario.accounts])
        ]
        self.spare_letters = letters[scenario.accounts :]
        self.rows: dict[str, list[Transaction]] = {a.account_number: [] for a in self.accounts}
        self.books = {a.account_number: Book(self, a) for a in self.accounts}
        self.today = scenario.start - timedelta(days=1)
        self._coverage: dict[str, dict[date, list[Callable[[Book, date], object]]]] = {}
        self._plan_coverage()
        self._run_until(scenario.end)

    # --- ids ------------------------------------------------------------------------------------

    def next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    def next_order_id(self) -> int:
        self._next_order += self.rng.randint(1, 5000)
        return self._next_order

    def _next_transaction_id(self, rng: random.Random) -> int:
        self._next_id += rng.randint(1, 60)
        return self._next_id

    def stage(self, row: Transaction) -> None:
        self._staged.append((row.executed_at, self.next_sequence(), row))

    def _commit(self, rng: random.Random) -> list[Transaction]:
        """Give the staged rows their ids in time order and add them to the history."""
        committed = []
        for _, _, row in sorted(self._staged, key=lambda item: (item[0], item[1])):
            row.id = self._next_transaction_id(rng)
            self.rows[row.account_number].append(row)
            committed.append(row)
        self._staged = []
        return committed

    # --- dividends ------------------------------------------------------------------------------

    def pays_dividend(self, ticker: str, day: date) -> bool:
        """Quarterly, on the trading day on or before the 15th of the ticker's payment months."""
        offset = sum(map(ord, ticker)) % 3
        if (day.month - 1) % 3 != offset:
            return False
        return day == on_or_before_trading_day(day.replace(day=15))

    # --- the calendar ---------------------------------------------------------------------------

    def _plan_coverage(self) -> None:
        """Per account, the plays that make every case of the catalogue appear."""
        length = self.scenario.days
        for book in self.books.values():
            first = next_trading_day(self.scenario.start - timedelta(days=1))

            def at(fraction: int, first=first) -> date:
                return on_or_before_trading_day(max(first + timedelta(days=length * fraction // 1000), first))

            plan: dict[date, list[Callable[[Book, date], None]]] = {}

            def add(day: date, action: Callable[[Book, date], None], plan=plan) -> None:
                plan.setdefault(day, []).append(action)

            add(
                first,
                lambda b, d: b.money(
                    d,
                    "Deposit",
                    Decimal(40000 + 25000 * self.scenario.activity) + Decimal(b.rng.randint(0, 400)) * 100,
                    "ACH DEPOSIT",
                    moment=utc(d, 13, 2, 11, 503),
                ),
            )
            add(at(10), lambda b, d: b.start(d, buy_and_hold(b, d, "TSM", b.later(d, 140, 200))))
            add(
                at(20),
                lambda b, d: b.start(
                    d, buy_and_hold(b, d, SYMBOL_CHANGE[0], add_trading_days(self.market.symbol_change_day, 15))
                ),
            )
            add(
                at(30),
                lambda b, d: b.start(
                    d,
                    buy_and_hold(b, d, FORWARD_SPLIT[0], add_trading_days(self.market.split_day, 20), fractional=False),
                ),
            )
            add(at(40), lambda b, d: b.start(d, stock_trade(b, d, "AMZN", fractional=True)))
            add(at(50), lambda b, d: b.start(d, wheel(b, d, b.free(WHEEL) or "F", fated=True)))
            add(at(60), lambda b, d: b.start(d, vertical(b, d, "IWM", fated_both_itm=True)))
            add(
                at(70),
                lambda b, d: b.start(
                    d, long_option(b, d, b.free(("JPM", "DIS", "GOOGL")) or "DIS", fated_exercise=True)
                ),
            )
            add(at(80), lambda b, d: b.start(d, index_spread(b, d, fated_both_itm=True)))
            add(at(90), lambda b, d: b.start(d, futures_trade(b, d, "ES")))
            add(at(100), lambda b, d: b.start(d, futures_trade(b, d, "MES")))
            add(at(110), lambda b, d: b.start(d, future_option_trade(b, d)))
            add(at(120), lambda b, d: b.start(d, iron_condor(b, d, "SPY")))
            add(at(130), lambda b, d: b.start(d, strangle(b, d, "QQQ", roll=True)))
            add(at(140), lambda b, d: b.start(d, margin_episode(b, d, b.free(("MSFT", "COST", "META")) or "MSFT")))
            add(at(150), lambda b, d: b.start(d, self._short_put_expiring(b, d)))
            for fraction in (170, 420, 690, 940):
                add(at(fraction), lambda b, d: self._erroneous_fee(b, d))
            add(at(45), lambda b, d: self._withdrawal(b, d, wire=True))
            self._coverage[book.number] = plan

    def _short_put_expiring(self, book: Book, day: date) -> Play:
        ticker = book.free(WHEEL) or "T"
        book.reserved.add(ticker)
        expiry, strike = book.fated_strike(ticker, day, monthly_expirations_after(day, 14, 90), False, False, 1)
        book.order(day, [(equity_option(ticker, ticker, expiry, False, strike), Decimal(-1))])
        yield next_trading_day(expiry)
        book.reserved.discard(ticker)

    def _erroneous_fee(self, book: Book, day: date) -> None:
        original = book.money(day, "Fee", Decimal("-5.00"), "PAPER STATEMENT FEE", moment=utc(day, 14, 3, 17, 220))
        book.reversals.append((book.later(day, 2, 6), original))

    def _withdrawal(self, book: Book, day: date, *, wire: bool) -> None:
        amount = Decimal(book.rng.randint(10, 60)) * 100
        if book.cash < amount * 3:
            return
        moment = book.market_time(day)
        book.money(day, "Withdrawal", -amount, "WIRE TRANSFER" if wire else "ACH DISBURSEMENT", moment=moment)
        if wire:
            book.money(day, "Fee", Decimal("-25.00"), "DOMESTIC WIRE FEE", moment=moment + timedelta(seconds=1))

    def _run_until(self, end: date) -> list[Transaction]:
        new_rows = []
        while self.today < end:
            self.today += timedelta(days=1)
            self._simulate(self.today)
            new_rows.extend(self._commit(self.rng))
        return new_rows

    def _simulate(self, day: date) -> None:
        if not is_trading_day(day):
            return
        activity = self.scenario.activity
        for book in self.books.values():
            book.last_time = None
            book.corporate_actions(day)
            for action in self._coverage[book.number].pop(day, []):
                result = action(book, day)
                if isinstance(result, Generator):
                    book.start(day, result)
            book.run_plays(day)
            for _ in range(book.rng.randint(0, 2 * activity)):
                self._new_play(book, day)
            self._money(book, day)
            book.settle(day)

    def _new_play(self, book: Book, day: date) -> None:
        roll = book.rng.randint(1, 100)
        open_play = next(opener for most, opener in NEW_PLAYS if roll <= most)
        play = open_play(book, day)
        # A busy trader whose favourite tickers are all taken trades an ETF spread instead.
        book.start(day, play or vertical(book, day, book.rng.choice(ETFS)))

    def _money(self, book: Book, day: date) -> None:
        """Deposits, withdrawals and the odd account fee."""
        first_of_month = day.day <= 3 and day != self.scenario.start
        if first_of_month and book.rng.randint(1, 10) <= 3:
            amount = Decimal(book.rng.randint(5, 50)) * 100
            book.money(day, "Deposit", amount, "ACH DEPOSIT", moment=book.market_time(day))
        if first_of_month and book.rng.randint(1, 20) == 1:
            self._withdrawal(book, day, wire=book.rng.randint(0, 1) == 1)
        if book.cash < 5000 and not book.borrowing:
            book.money(day, "Deposit", Decimal(20000), "Wire Funds Received", moment=book.market_time(day))

    # --- after generation -----------------------------------------------------------------------

    def advance(self, days: int = 1) -> list[Transaction]:
        """Add `days` of activity, plus per account a late fee adjustment and a reversal dated in the last 7 days."""
        if days < 1:
            raise ValueError("days must be at least 1")
        new_rows = self._run_until(self.today + timedelta(days=days))
        for book in self.books.values():
            new_rows.extend(self._late_corrections(book))
        return new_rows

    def _late_corrections(self, book: Book) -> list[Transaction]:
        """Rows posted today but dated earlier, as TastyTrade's corrections are."""
        today, rng = self.today, self._post_rng
        window = today - timedelta(days=6)
        late_day = on_or_before_trading_day(today - timedelta(days=rng.randint(1, 5)))
        moment = utc(late_day, rng.randint(13, 20), rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999))
        amount = -Decimal(rng.randint(1, 3)) * CENT
        book.money(late_day, "Balance Adjustment", amount, "Regulatory fee adjustment", moment=moment)
        reversed_ids = {row.reverses_id for row in self.rows[book.number] if row.reverses_id}
        candidates = [
            row
            for row in self.rows[book.number]
            if row.transaction_type == "Money Movement"
            and row.transaction_sub_type in {"Fee", "Balance Adjustment"}
            and row.reverses_id is None
            and row.id not in reversed_ids
            and row.transaction_date >= window
        ]
        original = candidates[-1] if candidates else None
        if original is None:
            fee_day = max(on_or_before_trading_day(today - timedelta(days=rng.randint(2, 4))), window)
            original = book.money(fee_day, "Fee", Decimal("-5.00"), "PAPER STATEMENT FEE", moment=utc(fee_day, 15, 1))
        committed = self._commit(rng)  # gives the original its id before the reversal names it
        reversal_day = min(max(original.transaction_date + timedelta(days=1), window), today)
        moment = max(
            utc(reversal_day, 17, rng.randint(0, 59), rng.randint(0, 59)), original.executed_at + timedelta(minutes=1)
        )
        book.reverse(moment.date(), original, moment=moment)
        return committed + self._commit(rng)

    def post(
        self,
        account_number: str,
        *,
        sub_type: str,
        amount: Decimal,
        description: str,
        moment: datetime | None = None,
        transaction_type: str = "Money Movement",
    ) -> Transaction:
        """Post one cash row now (or dated `moment`); used by faults and tests."""
        book = self.books[account_number]
        if moment is None:
            latest = max((row.executed_at for row in self.rows[account_number]), default=utc(self.today, 21))
            moment = max(latest, utc(self.today, 21)) + timedelta(seconds=1)
        row = Transaction(
            id=self._next_transaction_id(self._post_rng),
            account_number=account_number,
            transaction_type=transaction_type,
            transaction_sub_type=sub_type,
            description=description,
            executed_at=moment.astimezone(UTC),
            transaction_date=moment.astimezone(UTC).date(),
            value=amount,
            net_value=amount,
        )
        book.cash += amount
        self.rows[account_number].append(row)
        return row
