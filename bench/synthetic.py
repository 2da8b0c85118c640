"""Synthetic but realistic TastyTrade ledgers, for the P&L benchmark and the property tests.

`generate_ledger` trades a handful of underlyings day by day with a seeded random walk: stock
round trips, wheels (short puts, assignment, covered calls, called away), verticals (some settling
with both legs in the money), strangles, iron condors, rolls, long calls that get exercised,
cash-settled SPXW spreads, futures with daily mark to market, /MES future options, dividends,
interest, fee adjustments and deposits. Every row looks like what the sync stores: signed amounts,
an order id on trades, 21:00 UTC for expirations and settlements.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from apps.trades.models import BrokerAccount, Transaction

CENT = Decimal("0.01")
NICKEL = Decimal("0.05")
ZERO = Decimal(0)
NEW_YORK = ZoneInfo("America/New_York")
STOCKS = {"AAPL": 180, "MSFT": 400, "SPY": 500, "IWM": 210, "KO": 62, "F": 12, "AMD": 150, "XLF": 40}
FUTURES = {"/ES": (Decimal(5000), Decimal(50)), "/CL": (Decimal(75), Decimal(1000))}
MONTH_CODES = "FGHJKMNQUVXZ"


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


def occ(root: str, expires: date, option_type: str, strike: Decimal) -> str:
    return f"{root:<6}{expires:%y%m%d}{option_type}{int(strike * 1000):08d}"


@dataclass
class Option:
    symbol: str
    underlying: str
    root: str
    option_type: str
    strike: Decimal
    expires: date
    multiplier: Decimal
    instrument_type: str = "Equity Option"
    cash_settled: bool = False


@dataclass
class Book:
    rng: random.Random
    account_number: str
    next_id: int = 3_300_000_000
    next_order: int = 470_000_000
    rows: list[dict] = field(default_factory=list)
    prices: dict[str, Decimal] = field(default_factory=dict)
    holdings: dict[str, Decimal] = field(default_factory=dict)
    options: dict[str, Option] = field(default_factory=dict)
    futures: dict[str, tuple[str, Decimal, Decimal]] = field(default_factory=dict)  # symbol -> (root, mult, settle)

    # --- rows -------------------------------------------------------------------------------

    def row(self, moment: datetime, **fields) -> dict:
        self.next_id += self.rng.randint(1, 40)
        fees = sum(
            (
                fields.get(name, ZERO)
                for name in ("commission", "clearing_fees", "regulatory_fees", "proprietary_index_option_fees")
            ),
            ZERO,
        )
        row = {
            "tastytrade_id": self.next_id,
            "executed_at": moment,
            "transaction_date": moment.astimezone(NEW_YORK).date(),
            "description": fields.pop("description", ""),
            "net_value": fields.get("value", ZERO) + fees,
            **fields,
        }
        self.rows.append(row)
        return row

    def fill(self, moment: datetime, legs: list[tuple[object, Decimal, bool]], *, fills: int = 1) -> None:
        """One order: legs of (instrument, signed quantity, opening?), maybe in several partial fills."""
        keys = [instrument.symbol if isinstance(instrument, Option) else instrument for instrument, _, _ in legs]
        if len(set(keys)) < len(keys):
            return  # cheap stocks round two strikes to one: no such order
        for instrument, quantity, opening in legs:
            key = instrument.symbol if isinstance(instrument, Option) else instrument
            held = self.holdings.get(key, ZERO)
            if opening and held and (held > 0) != (quantity > 0) and not key.startswith("/"):
                return  # the broker would call this a close: skip the play rather than mislabel it
            if not opening and (not held or (held > 0) == (quantity > 0) or abs(quantity) > abs(held)):
                return
        self.next_order += 1
        if any(abs(quantity) % fills for _, quantity, _ in legs):
            fills = 1
        for part in range(fills):
            at = moment + timedelta(seconds=part * self.rng.randint(1, 90))
            for instrument, quantity, opening in legs:
                self._fill_leg(at, instrument, quantity, opening, abs(quantity) / fills)

    def _fill_leg(self, at: datetime, instrument: object, quantity: Decimal, opening: bool, size: Decimal) -> None:
        buying = quantity > 0
        action = ("Buy" if buying else "Sell") + (" to Open" if opening else " to Close")
        if isinstance(instrument, Option):
            price = self.premium(instrument, at.astimezone(NEW_YORK).date())
            value = price * size * instrument.multiplier
            commission = -min(size, Decimal(10)) if opening else ZERO
            fields = {
                "symbol": instrument.symbol,
                "underlying_symbol": instrument.underlying,
                "instrument_type": instrument.instrument_type,
                "option_type": instrument.option_type,
                "strike": instrument.strike,
                "expires_on": instrument.expires,
                "multiplier": instrument.multiplier,
                "commission": commission,
                "clearing_fees": -Decimal("0.10") * size,
                "regulatory_fees": -Decimal("0.04") * size if not buying else -Decimal("0.02") * size,
                "proprietary_index_option_fees": -Decimal("0.65") * size if instrument.cash_settled else ZERO,
            }
            self.holdings[instrument.symbol] = self.holdings.get(instrument.symbol, ZERO) + (size if buying else -size)
        elif isinstance(instrument, str) and instrument.startswith("/"):
            root, multiplier, settle = self.futures[instrument]
            price = self.prices[root]
            held = self.holdings.get(instrument, ZERO)
            closing = min(abs(held), size) if held and (held > 0) != buying else ZERO
            # Futures rows: zero value to open; the closing part books its move since the last settlement.
            move = (price - settle) * closing * multiplier
            value = _money(move if not buying else -move)
            action = "Buy" if buying else "Sell"
            fields = {
                "symbol": instrument,
                "underlying_symbol": root,
                "instrument_type": "Future",
                "multiplier": multiplier,
                "commission": -Decimal("1.25") * size,
                "clearing_fees": -Decimal("0.30") * size,
            }
            self.holdings[instrument] = held + (size if buying else -size)
        else:
            price = self.prices[instrument]
            value = price * size
            fields = {
                "symbol": instrument,
                "underlying_symbol": instrument,
                "instrument_type": "Equity",
                "regulatory_fees": ZERO if buying else -_money(value * Decimal("0.0000278") + Decimal("0.01")),
                "clearing_fees": -Decimal("0.01"),
            }
            self.holdings[instrument] = self.holdings.get(instrument, ZERO) + (size if buying else -size)
        if not (isinstance(instrument, str) and instrument.startswith("/")):
            value = _money(-value if buying else value)
        self.row(
            at,
            transaction_type="Trade",
            transaction_sub_type=action,
            action=action,
            quantity=size,
            price=price,
            value=value,
            order_id=self.next_order,
            description=f"{action} {size} {fields['symbol']} @ {price}",
            **fields,
        )

    def money(self, moment: datetime, sub_type: str, amount: Decimal, description: str, **fields) -> None:
        self.row(
            moment,
            transaction_type="Money Movement",
            transaction_sub_type=sub_type,
            value=_money(amount),
            quantity=ZERO,
            description=description,
            **fields,
        )

    # --- market -----------------------------------------------------------------------------

    def walk(self) -> None:
        for symbol, price in self.prices.items():
            step = Decimal(str(round(self.rng.gauss(0, 0.015), 4)))
            self.prices[symbol] = max(_money(price * (1 + step)), Decimal(1))

    def premium(self, option: Option, day: date) -> Decimal:
        if option.underlying == "SPX":
            spot = self.prices["SPY"] * 10
        else:
            spot = self.prices[option.underlying if option.instrument_type == "Equity Option" else option.root]
        intrinsic = max(spot - option.strike, ZERO) if option.option_type == "C" else max(option.strike - spot, ZERO)
        days = max((option.expires - day).days, 0)
        time_value = (
            spot
            * Decimal("0.02")
            * Decimal(str(round((days / 30) ** 0.5, 4)))
            / (1 + abs(spot - option.strike) / spot * 10)
        )
        return max(((intrinsic + time_value) / NICKEL).quantize(Decimal(1)) * NICKEL, NICKEL)

    def option(self, underlying: str, option_type: str, strike: Decimal, expires: date, **extra) -> Option:
        root = extra.pop("root", underlying)
        multiplier = extra.pop("multiplier", Decimal(100))
        symbol = extra.pop("symbol", None) or occ(root, expires, option_type, strike)
        option = Option(symbol, underlying, root, option_type, strike, expires, multiplier, **extra)
        self.options[symbol] = option
        return option

    def strike(self, underlying: str, percent: float) -> Decimal:
        spot = self.prices[underlying]
        step = Decimal(1) if spot < 100 else Decimal(5)
        return max((spot * Decimal(str(1 + percent / 100)) / step).quantize(Decimal(1)) * step, step)


def _friday_after(day: date, days: int) -> date:
    target = day + timedelta(days=days)
    return target + timedelta(days=(4 - target.weekday()) % 7)


def _at(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def generate_ledger(
    *, seed: int, rows: int, start: date = date(2022, 1, 3), account_number: str = "5WT99999"
) -> list[dict]:
    """About `rows` transaction field dicts (ordered by execution), a deterministic function of seed."""
    rng = random.Random(seed)
    book = Book(rng, account_number)
    book.prices = {symbol: Decimal(price) for symbol, price in STOCKS.items()}
    book.prices.update({root: price for root, (price, _) in FUTURES.items()})
    day = start
    book.money(_at(day, 14, 0), "Deposit", Decimal(250_000), "ACH DEPOSIT")
    while len(book.rows) < rows:
        if day.weekday() < 5:
            _trade_day(book, day)
        day += timedelta(days=1)
    book.rows.sort(key=lambda row: (row["executed_at"], row["tastytrade_id"]))
    return book.rows


def _trade_day(book: Book, day: date) -> None:
    rng = book.rng
    book.walk()
    minute = rng.randint(0, 30)

    def moment() -> datetime:
        nonlocal minute
        minute += rng.randint(1, 12)
        return _at(day, 14 + minute // 60 % 6, minute % 60, rng.randint(0, 59))

    for _ in range(rng.randint(4, 12)):
        play = rng.random()
        underlying = rng.choice(list(STOCKS))
        opening = next((open_play for below, open_play in PLAYS if play < below), None)
        if opening:
            opening(book, day, underlying, moment)
        else:
            _manage(book, day, moment)
    _manage(book, day, moment)
    _end_of_day(book, day)


def _buy_stock(book: Book, day: date, underlying: str, moment) -> None:
    book.fill(moment(), [(underlying, Decimal(book.rng.choice([10, 25, 50, 100])), True)])


def _sell_put(book: Book, day: date, underlying: str, moment) -> None:
    rng = book.rng
    expires = _friday_after(day, rng.randint(20, 45))
    put = book.option(underlying, "P", book.strike(underlying, -rng.randint(2, 8)), expires)
    book.fill(moment(), [(put, Decimal(-rng.choice([1, 1, 2, 3])), True)], fills=rng.choice([1, 1, 2]))


def _open_vertical(book: Book, day: date, underlying: str, moment) -> None:
    rng = book.rng
    expires = _friday_after(day, rng.randint(14, 40))
    low = book.strike(underlying, rng.choice([-3, 0, 2]))
    width = Decimal(5) if book.prices[underlying] >= 100 else Decimal(1)
    kind = rng.choice(["C", "P"])
    long_leg = book.option(underlying, kind, low if kind == "C" else low + width, expires)
    short_leg = book.option(underlying, kind, low + width if kind == "C" else low, expires)
    size = Decimal(rng.choice([1, 2]))
    book.fill(moment(), [(long_leg, size, True), (short_leg, -size, True)])


def _sell_strangle(book: Book, day: date, underlying: str, moment) -> None:
    rng = book.rng
    expires = _friday_after(day, rng.randint(25, 50))
    put = book.option(underlying, "P", book.strike(underlying, -6), expires)
    call = book.option(underlying, "C", book.strike(underlying, 6), expires)
    legs = [(put, Decimal(-1), True), (call, Decimal(-1), True)]
    if rng.random() < 0.5:  # an iron condor: buy the wings
        legs += [
            (book.option(underlying, "P", book.strike(underlying, -12), expires), Decimal(1), True),
            (book.option(underlying, "C", book.strike(underlying, 12), expires), Decimal(1), True),
        ]
    book.fill(moment(), legs)


def _buy_call(book: Book, day: date, underlying: str, moment) -> None:
    expires = _friday_after(day, book.rng.randint(10, 30))
    call = book.option(underlying, "C", book.strike(underlying, book.rng.randint(-2, 3)), expires)
    book.fill(moment(), [(call, Decimal(1), True)])


def _sell_spx_spread(book: Book, day: date, underlying: str, moment) -> None:
    expires = _friday_after(day, book.rng.randint(1, 10))
    strike = (book.prices["SPY"] * 10 * Decimal("0.98") / 5).quantize(Decimal(1)) * 5
    short_put = book.option("SPX", "P", strike, expires, root="SPXW", cash_settled=True)
    long_put = book.option("SPX", "P", strike - 25, expires, root="SPXW", cash_settled=True)
    book.fill(moment(), [(short_put, Decimal(-1), True), (long_put, Decimal(1), True)])


def _trade_future(book: Book, day: date, underlying: str, moment) -> None:
    rng = book.rng
    root = rng.choice(list(FUTURES))
    symbol = f"{root}{MONTH_CODES[(day.month + 2) % 12]}{(day.year + (day.month + 2) // 12) % 10}"
    if symbol not in book.futures:
        book.futures[symbol] = (root, FUTURES[root][1], book.prices[root])
    held = book.holdings.get(symbol, ZERO)
    if not held:
        book.futures[symbol] = (root, FUTURES[root][1], book.prices[root])
    book.fill(moment(), [(symbol, Decimal(rng.choice([1, -1, 2])), True)])


def _sell_future_put(book: Book, day: date, underlying: str, moment) -> None:
    expires = _friday_after(day, book.rng.randint(14, 40))
    contract = f"/MESM{(day.year + 1) % 10}"
    strike = (book.prices["/ES"] * Decimal("0.95") / 25).quantize(Decimal(1)) * 25
    option = book.option(
        "/MES",
        "P",
        strike,
        expires,
        root="/ES",
        multiplier=Decimal(5),
        instrument_type="Future Option",
        symbol=f".{contract} EX{MONTH_CODES[expires.month - 1]}{expires.year % 10}  {expires:%y%m%d}P{strike}",
    )
    option.underlying = contract
    book.prices[contract] = book.prices["/ES"]
    option.root = contract
    book.fill(moment(), [(option, Decimal(-1), True)])


# What a trader opens on a draw below each bound (the draw is uniform on [0, 1)); above the last, they manage.
PLAYS = (
    (0.18, _buy_stock),
    (0.38, _sell_put),
    (0.50, _open_vertical),
    (0.60, _sell_strangle),
    (0.66, _buy_call),
    (0.72, _sell_spx_spread),
    (0.80, _trade_future),
    (0.84, _sell_future_put),
)


def _manage(book: Book, day: date, moment) -> None:
    """Close, roll or scale out of some open positions during the day."""
    rng = book.rng
    for symbol in [symbol for symbol, quantity in book.holdings.items() if not quantity]:
        del book.holdings[symbol]
    for symbol, quantity in list(book.holdings.items()):
        if not quantity or rng.random() > (0.25 if symbol.startswith("/") else 0.08):
            continue
        if symbol in book.options:
            option = book.options[symbol]
            if option.expires <= day:
                continue
            if rng.random() < 0.3 and quantity < 0 and option.instrument_type == "Equity Option":
                # Roll: close and reopen a month out in one order.
                later = book.option(
                    option.underlying,
                    option.option_type,
                    option.strike,
                    _friday_after(day, 30),
                    root=option.root,
                    cash_settled=option.cash_settled,
                )
                book.fill(moment(), [(option, -quantity, False), (later, quantity, True)])
            else:
                book.fill(moment(), [(option, -quantity, False)])
        elif symbol.startswith("/"):
            book.fill(moment(), [(symbol, -quantity, False)])
        else:
            size = quantity if rng.random() < 0.6 or abs(quantity) < 2 else (quantity / 2).quantize(Decimal(1))
            book.fill(moment(), [(symbol, -size, False)])
            if quantity > 0 and rng.random() < 0.4:
                expires = _friday_after(day, rng.randint(14, 35))
                contracts = int(book.holdings[symbol] // 100)
                if contracts > 0:
                    call = book.option(symbol, "C", book.strike(symbol, 4), expires)
                    book.fill(moment(), [(call, Decimal(-contracts), True)])


def _end_of_day(book: Book, day: date) -> None:
    close = _at(day, 21, 0)
    deliveries: dict[str, Decimal] = {}
    expiring = [
        (symbol, quantity)
        for symbol, quantity in book.holdings.items()
        if quantity and symbol in book.options and book.options[symbol].expires <= day
    ]
    expiring.sort(key=lambda item: (item[1] > 0, item[0]))  # assignments before exercises
    for symbol, quantity in expiring:
        _settle_expiring(book, symbol, quantity, close, deliveries)
    for symbol, shares in deliveries.items():
        book.holdings[symbol] = book.holdings.get(symbol, ZERO) + shares
    _post_end_of_day_cash(book, day, close)


def _settle_expiring(book: Book, symbol: str, quantity: Decimal, close: datetime, deliveries: dict) -> None:
    """An option held at its expiration: it expires, or is assigned or exercised (for cash or for shares)."""
    rng = book.rng
    option = book.options[symbol]
    spot = (
        book.prices["SPY"] * 10
        if option.underlying == "SPX"
        else book.prices[option.root if option.instrument_type == "Future Option" else option.underlying]
    )
    intrinsic = max(spot - option.strike, ZERO) if option.option_type == "C" else max(option.strike - spot, ZERO)
    common = {
        "symbol": symbol,
        "underlying_symbol": option.underlying,
        "instrument_type": option.instrument_type,
        "option_type": option.option_type,
        "strike": option.strike,
        "expires_on": option.expires,
        "multiplier": option.multiplier,
        "quantity": abs(quantity),
    }
    book.holdings[symbol] = ZERO
    if not intrinsic or option.instrument_type == "Future Option":
        # Older rows carry no action; newer ones say which way.
        action = "" if rng.random() < 0.7 else ("Sell to Close" if quantity > 0 else "Buy to Close")
        book.row(close, transaction_type="Receive Deliver", transaction_sub_type="Expiration", action=action,
                 value=ZERO, description="Removal due to expiration.", **common)  # fmt: skip
        return
    event = "Assignment" if quantity < 0 else "Exercise"
    book.row(close, transaction_type="Receive Deliver", transaction_sub_type=event, value=ZERO,
             description=f"Removal of option due to {event.lower()}", **common)  # fmt: skip
    if option.cash_settled:
        cash = _money(intrinsic * abs(quantity) * option.multiplier)
        # Sometimes the settlement cash posts later that evening than the removal.
        posted = close if rng.random() < 0.7 else close + timedelta(minutes=rng.randint(30, 150))
        book.row(posted, transaction_type="Receive Deliver", transaction_sub_type=f"Cash Settled {event}",
                 value=-cash if quantity < 0 else cash, description="Cash settlement", **common)  # fmt: skip
        return
    _deliver_shares(book, option, quantity, close, deliveries)


def _deliver_shares(book: Book, option: Option, quantity: Decimal, close: datetime, deliveries: dict) -> None:
    shares = abs(quantity) * option.multiplier
    buys = (option.option_type == "C") == (quantity > 0)
    held = book.holdings.get(option.underlying, ZERO) + deliveries.get(option.underlying, ZERO)
    closing = min(abs(held), shares) if held and (held > 0) != buys else ZERO
    # Delivered shares close what is held the other way first; the rest opens (two rows).
    for part, opening in ((closing, False), (shares - closing, True)):
        if not part:
            continue
        action = ("Buy" if buys else "Sell") + (" to Open" if opening else " to Close")
        gross = _money(option.strike * part)
        book.row(close, transaction_type="Receive Deliver", transaction_sub_type=action, action=action,
                 symbol=option.underlying, underlying_symbol=option.underlying, instrument_type="Equity",
                 quantity=part, price=option.strike, value=-gross if buys else gross,
                 clearing_fees=-_money(5 * part / shares), description=f"{action} {part}")  # fmt: skip
    deliveries[option.underlying] = deliveries.get(option.underlying, ZERO) + (shares if buys else -shares)


def _post_end_of_day_cash(book: Book, day: date, close: datetime) -> None:
    """Futures marked to market, the odd dividend, split, fee adjustment, and month-end interest."""
    rng = book.rng
    for symbol, quantity in list(book.holdings.items()):
        if quantity and symbol in book.futures:
            root, multiplier, settle = book.futures[symbol]
            price = book.prices[root]
            variation = (price - settle) * quantity * multiplier
            book.futures[symbol] = (root, multiplier, price)
            if variation:
                book.money(close, "Mark to Market", variation, f"Mark to market of {symbol}", symbol=symbol,
                           underlying_symbol=root, instrument_type="Future")  # fmt: skip
        if quantity > 0 and symbol in STOCKS and rng.random() < 0.02:
            book.money(close, "Dividend", quantity * Decimal("0.24"), f"{symbol} DIVIDEND", symbol=symbol,
                       underlying_symbol=symbol, instrument_type="Equity")  # fmt: skip
    held = [symbol for symbol in STOCKS if book.holdings.get(symbol, ZERO) > 0]
    if held and rng.random() < 0.01:
        _split(book, day, rng.choice(held))
    if rng.random() < 0.1:
        book.money(_at(day, 16, rng.randint(0, 59)), "Balance Adjustment", -Decimal(rng.randint(1, 3)) / 100,
                   "Regulatory fee adjustment")  # fmt: skip
    if (day + timedelta(days=3)).month != day.month and day.weekday() == 4:
        book.money(close, "Credit Interest", Decimal(rng.randint(50, 400)), "INTEREST ON CREDIT BALANCE")


def _split(book: Book, day: date, symbol: str) -> None:
    """A 2-for-1 forward split: the broker closes the old shares and opens twice as many at the same basis."""
    moment = _at(day, 21, 30, book.rng.randint(0, 59))  # after the day's trades the generator already wrote
    held = book.holdings[symbol]
    basis = _money(book.prices[symbol] * held)
    for action, quantity, value in (("Sell to Close", held, basis), ("Buy to Open", held * 2, -basis)):
        book.row(moment, transaction_type="Receive Deliver", transaction_sub_type="Forward Split", action=action,
                 symbol=symbol, underlying_symbol=symbol, instrument_type="Equity", quantity=quantity,
                 price=_money(abs(value) / quantity), value=value, description=f"Forward split: {action}")  # fmt: skip
    book.holdings[symbol] = held * 2
    book.prices[symbol] = _money(book.prices[symbol] / 2)


def write_ledger(*, account: BrokerAccount, rows: list[dict]) -> list[Transaction]:
    """Store generated rows for an account, as the sync would."""
    return Transaction.objects.bulk_create(
        [Transaction(account=account, **{name: value for name, value in row.items()}) for row in rows],
        batch_size=1000,
    )
