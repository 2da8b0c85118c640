"""The simulated market: trading calendar, symbols, price paths and option prices.

Everything is integer arithmetic or `Decimal`; randomness comes from `random.Random` seeded with a
string, which is deterministic across runs and machines. Prices are invented, but they move like
prices (a daily random walk in basis points) so that options expire, get assigned or are closed
for a profit or a loss the way a real account sees it.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
CENT = Decimal("0.01")
QUARTER = Decimal("0.25")
ZERO = Decimal(0)
MONTH_CODES = "FGHJKMNQUVXZ"  # futures month codes, January to December

# Symbol, starting price, daily move range in basis points, dividend per share per quarter, issuer name.
EQUITIES: dict[str, tuple[str, int, str, str]] = {
    # stocks traded outright
    "AAPL": ("185.00", 160, "0.24", "APPLE INC"),
    "MSFT": ("370.00", 150, "0.75", "MICROSOFT CORP"),
    "AMZN": ("150.00", 190, "0", "AMAZON COM INC"),
    "GOOGL": ("140.00", 170, "0.20", "ALPHABET INC"),
    "META": ("350.00", 220, "0.50", "META PLATFORMS INC"),
    "TSLA": ("240.00", 330, "0", "TESLA INC"),
    "JPM": ("170.00", 120, "1.15", "JPMORGAN CHASE & CO"),
    "DIS": ("90.00", 150, "0.45", "WALT DISNEY CO"),
    "COST": ("660.00", 110, "1.16", "COSTCO WHOLESALE CORP"),
    "NVDA": ("480.00", 280, "0.04", "NVIDIA CORP"),  # forward split 10:1 during the history
    "SQ": ("65.00", 260, "0", "BLOCK INC"),  # symbol change to XYZ during the history
    "TSM": ("105.00", 170, "0.62", "TAIWAN SEMICONDUCTOR MFG CO LTD"),  # ADR: foreign tax withheld
    # wheel candidates (cheap enough for 100-share assignments)
    "F": ("12.00", 190, "0.15", "FORD MOTOR CO"),
    "SOFI": ("8.50", 320, "0", "SOFI TECHNOLOGIES INC"),
    "T": ("17.00", 110, "0.2775", "AT&T INC"),
    "PLTR": ("17.50", 330, "0", "PALANTIR TECHNOLOGIES INC"),
    "BAC": ("33.00", 140, "0.24", "BANK OF AMERICA CORP"),
    "INTC": ("48.00", 210, "0.125", "INTEL CORP"),
    "KO": ("59.00", 80, "0.485", "COCA COLA CO"),
    "PFE": ("29.00", 130, "0.42", "PFIZER INC"),
    "VZ": ("38.00", 100, "0.665", "VERIZON COMMUNICATIONS INC"),
    "AAL": ("14.00", 260, "0", "AMERICAN AIRLINES GROUP INC"),
    # ETFs for spreads, strangles and iron condors
    "SPY": ("475.00", 90, "1.59", "SPDR S&P 500 ETF TRUST"),
    "QQQ": ("405.00", 120, "0.62", "INVESCO QQQ TRUST SERIES 1"),
    "IWM": ("200.00", 140, "0.71", "ISHARES RUSSELL 2000 ETF"),
    "XLF": ("37.50", 100, "0.17", "SELECT SECTOR SPDR TRUST"),
    "GLD": ("190.00", 80, "0", "SPDR GOLD TRUST"),
    "TLT": ("98.00", 90, "0.93", "ISHARES 20+ YEAR TREASURY BOND ETF"),
    "SMH": ("170.00", 200, "0.38", "VANECK SEMICONDUCTOR ETF"),
}
STOCKS = ("AAPL", "MSFT", "AMZN", "GOOGL", "META", "TSLA", "JPM", "DIS", "COST", "TSM")
WHEEL = ("F", "SOFI", "T", "PLTR", "BAC", "INTC", "KO", "PFE", "VZ", "AAL")
ETFS = ("SPY", "QQQ", "IWM", "XLF", "GLD", "TLT", "SMH")
FOREIGN_WITHHOLDING = {"TSM": Decimal("0.21")}  # ADR dividends arrive with foreign tax withheld

INDEX_START = Decimal("4750.00")  # SPX; /ES and /MES follow it
INDEX_MOVE_BP = 95
PATH_CHUNK = 256
_PATHS: dict[int, dict[str, list[Decimal]]] = {}
_PATHS_LOCK = threading.Lock()

# Futures: root -> (multiplier, tick)
FUTURES = {"ES": (Decimal(50), QUARTER), "MES": (Decimal(5), QUARTER)}
FUTURE_OPTION_MULTIPLIER = {"ES": Decimal(50)}

# Corporate actions, placed at a fraction of the history: ticker, new ticker, split ratio.
SYMBOL_CHANGE = ("SQ", "XYZ")
FORWARD_SPLIT = ("NVDA", 10)


def money(amount: Decimal) -> Decimal:
    """Round to cents, half up (how the broker rounds cash amounts)."""
    return amount.quantize(CENT, ROUND_HALF_UP)


# --- calendar ---------------------------------------------------------------------------------


def _easter(year: int) -> date:
    # Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date | None:
    if day.weekday() == 5:  # Saturday: the Friday before, except New Year's Day (NYSE rule)
        return None if (day.month, day.day) == (1, 1) else day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


@cache
def nyse_holidays(year: int) -> frozenset[date]:
    fixed = [date(year, 1, 1), date(year, 7, 4), date(year, 12, 25)]
    if year >= 2022:
        fixed.append(date(year, 6, 19))
    days = {_observed(d) for d in fixed}
    days |= {
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _easter(year) - timedelta(days=2),  # Good Friday
        _last_weekday(year, 5, 0),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving
    }
    days.discard(None)
    return frozenset(days)


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5 and day not in nyse_holidays(day.year)


def previous_trading_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return day


def next_trading_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


def add_trading_days(day: date, count: int) -> date:
    """`count` trading days after `day` (before it when negative)."""
    for _ in range(abs(count)):
        day = next_trading_day(day) if count > 0 else previous_trading_day(day)
    return day


def on_or_before_trading_day(day: date) -> date:
    return day if is_trading_day(day) else previous_trading_day(day)


def monthly_expiration(year: int, month: int) -> date:
    """The third Friday, or the trading day before it when it is a holiday."""
    return on_or_before_trading_day(_nth_weekday(year, month, 4, 3))


def monthly_expirations_after(day: date, min_days: int, max_days: int) -> list[date]:
    found, year, month = [], day.year, day.month
    for _ in range(max_days // 28 + 3):
        expiry = monthly_expiration(year, month)
        if min_days <= (expiry - day).days <= max_days:
            found.append(expiry)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def weekly_expirations_after(day: date, min_days: int, max_days: int) -> list[date]:
    """Fridays (or the trading day before a Friday holiday) in the window."""
    friday = day + timedelta(days=(4 - day.weekday()) % 7)
    found = []
    while (friday - day).days <= max_days:
        expiry = on_or_before_trading_day(friday)
        if (expiry - day).days >= min_days:
            found.append(expiry)
        friday += timedelta(days=7)
    return found


def utc(day: date, hour: int, minute: int = 0, second: int = 0, millisecond: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second, millisecond * 1000), UTC)


def market_close_utc(day: date) -> datetime:
    """16:00 New York on `day`, in UTC (20:00 in summer, 21:00 in winter)."""
    return datetime.combine(day, time(16), NEW_YORK).astimezone(UTC)


# --- symbols ------------------------------------------------------------------------------------


def strike_text(strike: Decimal) -> str:
    return f"{strike:.2f}"


# Index options settle in cash (SPXW, NDXP and RUTW options settle on their index).
CASH_SETTLED_INDEXES = {"SPX", "XSP", "NDX", "RUT"}


def occ_symbol(root: str, expiry: date, is_call: bool, strike: Decimal) -> str:
    """OCC option symbol: root padded to 6, YYMMDD, C or P, strike x 1000 on 8 digits."""
    return f"{root:<6}{expiry:%y%m%d}{'C' if is_call else 'P'}{int(strike * 1000):08d}"


def future_symbol(root: str, expiry_month: date) -> str:
    return f"/{root}{MONTH_CODES[expiry_month.month - 1]}{expiry_month.year % 10}"


def future_option_symbol(future: str, expiry: date, is_call: bool, strike: Decimal) -> str:
    """Like `./ESZ4 EW4X4 241122P5500`: future, weekly option product (EW + week), YYMMDD, C/P, strike."""
    week = (expiry.day - 1) // 7 + 1
    product = f"EW{week}{MONTH_CODES[expiry.month - 1]}{expiry.year % 10}"
    return f"./{future[1:]} {product} {expiry:%y%m%d}{'C' if is_call else 'P'}{strike.normalize():f}"


def front_future_expiry(day: date, min_days: int = 30) -> date:
    """Expiry (third Friday of a quarterly month) of the first contract with `min_days` left."""
    year, month = day.year, day.month
    while True:
        if month in (3, 6, 9, 12):
            expiry = on_or_before_trading_day(_nth_weekday(year, month, 4, 3))
            if (expiry - day).days >= min_days:
                return expiry
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


# --- instruments ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Instrument:
    """What the generator needs to know about a symbol it trades."""

    symbol: str
    instrument_type: str  # "Equity", "Equity Option", "Future", "Future Option"
    underlying: str  # the underlying's symbol as the API shows it (SPX for SPXW, /ESZ4 for a future option)
    multiplier: Decimal = Decimal(1)
    root: str = ""  # option root (SPXW) or futures product (ES)
    expiry: date | None = None
    strike: Decimal | None = None
    is_call: bool = False
    cash_settled: bool = False

    @property
    def is_option(self) -> bool:
        return self.strike is not None

    def option_description(self) -> str:
        """`IWM 05/15/26 Put 230.00` as in the API's descriptions."""
        kind = "Call" if self.is_call else "Put"
        return f"{self.root} {self.expiry:%m/%d/%y} {kind} {strike_text(self.strike)}"

    def short_name(self) -> str:
        return self.option_description() if self.instrument_type == "Equity Option" else self.symbol


def equity(symbol: str) -> Instrument:
    return Instrument(symbol=symbol, instrument_type="Equity", underlying=symbol)


def equity_option(root: str, underlying: str, expiry: date, is_call: bool, strike: Decimal) -> Instrument:
    return Instrument(
        symbol=occ_symbol(root, expiry, is_call, strike),
        instrument_type="Equity Option",
        underlying=underlying,
        multiplier=Decimal(100),
        root=root,
        expiry=expiry,
        strike=strike,
        is_call=is_call,
        cash_settled=underlying in CASH_SETTLED_INDEXES,
    )


def future(root: str, expiry: date) -> Instrument:
    return Instrument(
        symbol=future_symbol(root, expiry),
        instrument_type="Future",
        underlying=f"/{root}",
        multiplier=FUTURES[root][0],
        root=root,
        expiry=expiry,
    )


def future_option(root: str, future_expiry: date, expiry: date, is_call: bool, strike: Decimal) -> Instrument:
    fut = future_symbol(root, future_expiry)
    return Instrument(
        symbol=future_option_symbol(fut, expiry, is_call, strike),
        instrument_type="Future Option",
        underlying=fut,
        multiplier=FUTURE_OPTION_MULTIPLIER[root],
        root=root,
        expiry=expiry,
        strike=strike,
        is_call=is_call,
    )


# --- prices -----------------------------------------------------------------------------------


@cache
def _sqrt_years(days: int) -> Decimal:
    return (Decimal(max(days, 0)) / 365).sqrt()


def option_price(spot: Decimal, strike: Decimal, is_call: bool, days_left: int, volatility: Decimal) -> Decimal:
    """A plausible option price per unit: intrinsic value plus a time value that is largest at the money.

    Not Black-Scholes; close enough to it near the money (0.4 sigma sqrt(t)) and cheap in Decimal.
    """
    intrinsic = max(spot - strike, ZERO) if is_call else max(strike - spot, ZERO)
    sigma = spot * volatility * _sqrt_years(days_left)
    time_value = ZERO
    if sigma > 0:
        distance = abs(spot - strike) / sigma
        time_value = sigma * Decimal("0.4") / (1 + distance * distance * 2)
    return max((intrinsic + time_value).quantize(CENT, ROUND_HALF_UP), CENT)


class Market:
    """Daily closing prices per underlying for every calendar day from `start`, extended on demand."""

    def __init__(self, seed: int, start: date, length: int) -> None:
        self.seed = seed
        self.start = start
        self.symbol_change_day = start + timedelta(days=max(length * 35 // 100, 1))
        self.split_day = start + timedelta(days=max(length * 55 // 100, 1))
        self.symbol_change_day = on_or_before_trading_day(self.symbol_change_day)
        self.split_day = on_or_before_trading_day(self.split_day)
        # Paths depend only on the seed, so simulators with the same seed share them.
        self._paths = _PATHS.setdefault(seed, {})

    def volatility(self, underlying: str) -> Decimal:
        """Implied volatility used for option prices (annualised, from the daily move range)."""
        move = INDEX_MOVE_BP if underlying in {"SPX", "/ES", "/MES"} else EQUITIES[self._base(underlying)][1]
        return Decimal(move) * Decimal("0.0011")

    def _base(self, symbol: str) -> str:
        return SYMBOL_CHANGE[0] if symbol == SYMBOL_CHANGE[1] else symbol

    def _path(self, name: str, offset: int) -> list[Decimal]:
        # Extended in fixed chunks, each seeded by its index, so a price never depends on the
        # order in which days were asked for.
        path = self._paths.setdefault(name, [])
        if len(path) > offset:
            return path
        with _PATHS_LOCK:
            while len(path) <= offset:
                rng = random.Random(f"{self.seed}:{name}:{len(path) // PATH_CHUNK}")
                if name == "SPX":
                    price, move = (path[-1] if path else INDEX_START), INDEX_MOVE_BP
                else:
                    start_price, move, _, _ = EQUITIES[name]
                    price = path[-1] if path else Decimal(start_price)
                chunk = []
                for _ in range(PATH_CHUNK):
                    # About 8% a year of upward drift; the walk never falls below a dollar.
                    step = rng.randint(-move, move) + 3
                    price = max((price * (10000 + step) / 10000).quantize(CENT, ROUND_HALF_UP), Decimal(1))
                    chunk.append(price)
                path.extend(chunk)
        return path

    def price(self, underlying: str, day: date) -> Decimal:
        """Closing price of a stock, ETF, SPX or a future's product (/ES, /MES) on `day` (or the day before)."""
        offset = (day - self.start).days
        if offset < 0:
            offset = 0
        if underlying in {"SPX", "SPXW"}:
            return self._path("SPX", offset)[offset]
        if underlying.startswith("/"):
            # /ES and /MES trade a little above the index, on a quarter-point tick.
            index = self._path("SPX", offset)[offset]
            return ((index + 12) / QUARTER).quantize(Decimal(1), ROUND_HALF_UP) * QUARTER
        base = self._base(underlying)
        price = self._path(base, offset)[offset]
        if base == FORWARD_SPLIT[0] and day >= self.split_day:
            price = (price / FORWARD_SPLIT[1]).quantize(CENT, ROUND_HALF_UP)
        return price

    def mark(self, instrument: Instrument, day: date) -> Decimal:
        """Price per unit of an instrument at the close of `day`."""
        if instrument.instrument_type == "Equity":
            return self.price(instrument.symbol, day)
        if instrument.instrument_type == "Future":
            return self.price(instrument.underlying, day)
        spot_symbol = instrument.underlying
        if instrument.instrument_type == "Future Option":
            spot_symbol = "/" + instrument.root
        spot = self.price(spot_symbol, day)
        days_left = (instrument.expiry - day).days
        if days_left <= 0:
            intrinsic = (
                max(spot - instrument.strike, ZERO) if instrument.is_call else max(instrument.strike - spot, ZERO)
            )
            return intrinsic
        return option_price(spot, instrument.strike, instrument.is_call, days_left, self.volatility(spot_symbol))

    def strike_step(self, underlying: str, spot: Decimal) -> Decimal:
        if underlying in {"SPX", "/ES"}:
            return Decimal(5)
        if spot < 25:
            return Decimal("0.5")
        if spot < 200:
            return Decimal(1)
        return Decimal(5)

    def round_strike(self, underlying: str, value: Decimal) -> Decimal:
        step = self.strike_step(underlying, value)
        return max((value / step).quantize(Decimal(1), ROUND_HALF_UP) * step, step)
