"""Option Greeks from the mark, by implied volatility, with vollib.

Equity and index options are priced with Black-Scholes-Merton (a continuous dividend yield), future options
with Black-76 (the future's price is the forward; the premium is discounted at the risk-free rate). The rate
and the dividend yield are settings (GREEKS_RISK_FREE_RATE, GREEKS_DIVIDEND_YIELD). Shares and futures are
delta-one.

Units, per one unit of the instrument (one share, one future's point): delta and gamma per 1.00 move of the
underlying, theta per calendar day, vega per one point of volatility (1%). A leg's figures are these times
its signed quantity and multiplier, so a short put's delta is positive and a long option's theta negative.

The models run in floats (they are estimates, not money); the results come back as Decimal rounded to eight
places to be stored with the quote they were computed from, once per snapshot, never per request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from py_lets_be_rational.exceptions import VolatilityValueException
from vollib.black import black
from vollib.black.greeks import analytical as black_greeks
from vollib.black.implied_volatility import implied_volatility as black_implied_volatility
from vollib.black_scholes_merton import black_scholes_merton
from vollib.black_scholes_merton.greeks import analytical as bsm_greeks
from vollib.black_scholes_merton.implied_volatility import implied_volatility as bsm_implied_volatility

from apps.trades.models import InstrumentType
from apps.trades.symbols import parse_option_symbol

PLACES = Decimal("0.00000001")
SECONDS_PER_YEAR = 365 * 24 * 60 * 60
DELTA_ONE = {InstrumentType.EQUITY, InstrumentType.FUTURE, InstrumentType.CRYPTOCURRENCY}


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(PLACES)


@dataclass(frozen=True)
class Greeks:
    delta: Decimal
    gamma: Decimal
    theta: Decimal  # per calendar day
    vega: Decimal  # per volatility point

    def __add__(self, other: Greeks) -> Greeks:
        return Greeks(
            self.delta + other.delta, self.gamma + other.gamma, self.theta + other.theta, self.vega + other.vega
        )

    def times(self, factor: Decimal) -> Greeks:
        return Greeks(self.delta * factor, self.gamma * factor, self.theta * factor, self.vega * factor)


NO_GREEKS = Greeks(Decimal(0), Decimal(0), Decimal(0), Decimal(0))
DELTA_ONE_GREEKS = Greeks(Decimal(1), Decimal(0), Decimal(0), Decimal(0))


@dataclass(frozen=True)
class OptionTerms:
    is_call: bool
    strike: float
    years: float  # to expiration
    is_future_option: bool  # Black-76 rather than Black-Scholes-Merton


def model_price(terms: OptionTerms, *, underlying: float, volatility: float, rate: float, dividend_yield: float):
    """The option's theoretical price per unit; at or past expiration, its intrinsic value."""
    if terms.years <= 0:
        return max(0.0, underlying - terms.strike) if terms.is_call else max(0.0, terms.strike - underlying)
    if underlying <= 0:
        # The models take log(underlying / strike); at zero a call is worthless and a put is the strike paid at
        # expiration, discounted (the limit of both models). Payoff curves and most-loss checks ask at zero.
        return 0.0 if terms.is_call else terms.strike * math.exp(-rate * terms.years)
    flag = "c" if terms.is_call else "p"
    if terms.is_future_option:
        return black(flag, underlying, terms.strike, terms.years, rate, volatility)
    return black_scholes_merton(flag, underlying, terms.strike, terms.years, rate, volatility, dividend_yield)


def implied_volatility(
    terms: OptionTerms, *, price: float, underlying: float, rate: float, dividend_yield: float
) -> float | None:
    """The volatility at which the model prices the option at `price`; None when no volatility does
    (a mark below intrinsic value, a zero mark, a stale quote above the maximum)."""
    if terms.years <= 0 or price <= 0 or underlying <= 0:
        return None
    flag = "c" if terms.is_call else "p"
    try:
        if terms.is_future_option:
            return black_implied_volatility(price, underlying, terms.strike, rate, terms.years, flag)
        return bsm_implied_volatility(price, underlying, terms.strike, terms.years, rate, dividend_yield, flag)
    except VolatilityValueException:
        return None


def option_greeks(
    terms: OptionTerms, *, underlying: float, volatility: float, rate: float, dividend_yield: float
) -> Greeks:
    """Per-unit Greeks at `volatility`; at or past expiration an in-the-money option is delta-one."""
    if terms.years <= 0:
        in_the_money = underlying > terms.strike if terms.is_call else underlying < terms.strike
        return (
            Greeks(Decimal(1 if terms.is_call else -1), Decimal(0), Decimal(0), Decimal(0))
            if in_the_money
            else NO_GREEKS
        )
    flag = "c" if terms.is_call else "p"
    if terms.is_future_option:
        args = (flag, underlying, terms.strike, terms.years, rate, volatility)
        module = black_greeks
    else:
        args = (flag, underlying, terms.strike, terms.years, rate, volatility, dividend_yield)
        module = bsm_greeks
    # vollib already gives theta per calendar day and vega per volatility point.
    return Greeks(*(_decimal(getattr(module, name)(*args)) for name in ("delta", "gamma", "theta", "vega")))


@dataclass(frozen=True)
class QuoteGreeks:
    """What is stored on a quote: the per-unit Greeks and the volatility they were computed at."""

    greeks: Greeks
    implied_volatility: Decimal | None  # None for delta-one instruments
    volatility_from_mark: bool  # False when the mark gave none and the underlying's IV was used


def option_terms(symbol: str, instrument_type: str, expires_at: datetime | None, now: datetime) -> OptionTerms | None:
    option = parse_option_symbol(symbol)
    if option is None or expires_at is None:
        return None
    return OptionTerms(
        is_call=option.option_type == "C",
        strike=float(option.strike),
        years=(expires_at - now).total_seconds() / SECONDS_PER_YEAR,
        is_future_option=instrument_type == InstrumentType.FUTURE_OPTION,
    )


def quote_greeks(
    *,
    symbol: str,
    instrument_type: str,
    mark: Decimal | None,
    underlying_price: Decimal | None,
    expires_at: datetime | None,
    now: datetime,
    fallback_volatility: Decimal | None,
    rate: Decimal,
    dividend_yield: Decimal,
) -> QuoteGreeks | None:
    """Per-unit Greeks of one held instrument, or None when they cannot be known (no mark or no
    underlying price for an option, an instrument type we do not model)."""
    if instrument_type in DELTA_ONE:
        return QuoteGreeks(DELTA_ONE_GREEKS, None, True)
    terms = option_terms(symbol, instrument_type, expires_at, now)
    if terms is None or mark is None or underlying_price is None:
        return None
    market = {"underlying": float(underlying_price), "rate": float(rate), "dividend_yield": float(dividend_yield)}
    volatility = implied_volatility(terms, price=float(mark), **market)
    from_mark = volatility is not None
    if volatility is None and fallback_volatility:
        volatility = float(fallback_volatility)
    if volatility is None and terms.years > 0:
        return None
    greeks = option_greeks(terms, volatility=volatility or 0.0, **market)
    return QuoteGreeks(greeks, _decimal(volatility) if volatility else None, from_mark)


def beta_weighted_delta(
    delta: Decimal, *, underlying_price: Decimal | None, beta: Decimal | None, spy_price: Decimal | None
) -> Decimal | None:
    """Delta in SPY shares: the dollar move for a 1% move of SPY, as SPY shares would make it
    (delta x price x beta / SPY's price)."""
    if underlying_price is None or beta is None or not spy_price:
        return None
    return (delta * underlying_price * beta / spy_price).quantize(PLACES)
