"""P&L of open legs over a range of underlying prices: at the first expiration and today (by the option model),
with breakevens and the most a position can lose.

Every curve is anchored on the leg's unrealized P&L now: P&L(x) = worth(x) - worth now + unrealized now, where
worth now is mark x size. So the "today" curve passes through today's unrealized P&L at today's price (exactly,
as the model's volatility is the one implied by the mark), and fees already paid stay counted. A leg without
unrealized P&L (no mark) is left out. Legs that expire after the first expiration are valued by the model
there, with the time they have left.

The curves are floats: they are drawn, not booked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from apps.trades.greeks import OptionTerms, model_price
from apps.trades.models import FUTURES_TYPES
from apps.trades.symbols import parse_option_symbol

POINTS = 121
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class PayoffLeg:
    size: float  # signed quantity x multiplier
    worth_now: float  # mark x size
    unrealized: float
    strike: float | None = None  # None: shares or a future, worth x x size
    is_call: bool = False
    expires_on: date | None = None
    volatility: float | None = None
    is_future_option: bool = False


def payoff_legs(legs, quotes: dict) -> list[PayoffLeg]:
    """`legs` from apps.reports.risk (each with .line, .quantity, .unrealized); quotes by (account id, symbol)."""
    result = []
    for leg in legs:
        snapshot = leg.line.snapshot
        if snapshot.mark is None or leg.unrealized is None:
            continue
        size = float(leg.quantity * snapshot.multiplier)
        option = parse_option_symbol(snapshot.symbol)
        quote = quotes.get((snapshot.account_id, snapshot.symbol))
        result.append(
            PayoffLeg(
                size=size,
                worth_now=float(snapshot.mark) * size,
                unrealized=float(leg.unrealized),
                strike=float(option.strike) if option else None,
                is_call=bool(option and option.option_type == "C"),
                expires_on=option.expires_on if option else None,
                volatility=float(quote.implied_volatility) if quote and quote.implied_volatility else None,
                is_future_option=snapshot.instrument_type in FUTURES_TYPES,
            )
        )
    return result


def leg_worth(leg: PayoffLeg, price: float, *, on: date) -> float:
    """What the leg is worth at `price` on day `on`: intrinsic value at or past its expiration, else the model's."""
    if leg.strike is None:
        return price * leg.size
    years = ((leg.expires_on - on).days) / DAYS_PER_YEAR
    if years <= 0 or not leg.volatility:
        intrinsic = max(0.0, price - leg.strike) if leg.is_call else max(0.0, leg.strike - price)
        return intrinsic * leg.size
    terms = OptionTerms(leg.is_call, leg.strike, years, leg.is_future_option)
    unit = model_price(
        terms,
        underlying=price,
        volatility=leg.volatility,
        rate=settings.GREEKS_RISK_FREE_RATE,
        dividend_yield=settings.GREEKS_DIVIDEND_YIELD,
    )
    return unit * leg.size


def pnl_at(legs: list[PayoffLeg], price: float, *, on: date) -> float:
    return sum(leg_worth(leg, price, on=on) - leg.worth_now + leg.unrealized for leg in legs)


def first_expiration(legs: list[PayoffLeg], today: date) -> date:
    return min((leg.expires_on for leg in legs if leg.expires_on and leg.expires_on >= today), default=today)


def price_range(legs: list[PayoffLeg], price: float, today: date) -> list[float]:
    """121 evenly spaced prices around today's: three standard deviations of the most volatile leg up to the
    last expiration (at least 5%, at most 50% each way), widened to show every strike."""
    spreads = [
        leg.volatility * math.sqrt(max((leg.expires_on - today).days, 1) / DAYS_PER_YEAR)
        for leg in legs
        if leg.volatility and leg.expires_on
    ]
    half_width = min(max(3 * max(spreads, default=0.0), 0.05), 0.5)
    strikes = [leg.strike for leg in legs if leg.strike is not None]
    low = max(0.0, min([price * (1 - half_width), *(strike * 0.98 for strike in strikes)]))
    high = max([price * (1 + half_width), *(strike * 1.02 for strike in strikes)])
    step = (high - low) / (POINTS - 1)
    return [low + step * index for index in range(POINTS)]


def breakevens(prices: list[float], pnl: list[float]) -> list[float]:
    """Where the curve crosses zero, by straight lines between neighbouring points."""
    crossings = []
    for (x0, y0), (x1, y1) in zip(zip(prices, pnl, strict=True), zip(prices[1:], pnl[1:], strict=True), strict=False):
        if y0 == 0:
            crossings.append(x0)
        elif (y0 < 0) != (y1 < 0) and y1 != 0:
            crossings.append(x0 + (x1 - x0) * (-y0) / (y1 - y0))
    return [round(x, 2) for x in crossings]


def upside_slope(legs: list[PayoffLeg]) -> float:
    """How P&L at expiration moves per 1.00 of the underlying far above every strike: calls, shares, futures."""
    return sum(leg.size for leg in legs if leg.strike is None or leg.is_call)


def max_loss(legs: list[PayoffLeg], *, today: date) -> float | None:
    """The most the legs can lose at their first expiration (a positive number), or None when unbounded (more
    short than long calls, short shares). Checked at zero, at every strike and far above: the expiration curve
    is straight between strikes when every leg expires together."""
    if not legs or upside_slope(legs) < 0:
        return None
    on = first_expiration(legs, today)
    strikes = sorted({leg.strike for leg in legs if leg.strike is not None})
    points = [0.0, *strikes, (strikes[-1] if strikes else 1.0) * 2 + 1]
    worst = min(pnl_at(legs, price, on=on) for price in points)
    return max(0.0, -worst)


def payoff_chart(legs: list[PayoffLeg], *, price: float, today: date) -> dict:
    """Chart.js data: prices, P&L at the first expiration and today, today's price and the breakevens."""
    prices = price_range(legs, price, today)
    on = first_expiration(legs, today)
    at_expiration = [round(pnl_at(legs, x, on=on), 2) for x in prices]
    now = [round(pnl_at(legs, x, on=today), 2) for x in prices]
    return {
        "prices": [round(x, 2) for x in prices],
        "expiration": at_expiration,
        "today": now,
        "price": round(price, 2),
        "expires_on": on.isoformat(),
        "breakevens": breakevens(prices, at_expiration),
    }
