"""What the legs of a position form: a covered call, an iron condor, a jade lizard...

Detection looks at the legs opened together (one order and its partial fills, plus later
scaling into the same legs), with quantities reduced to their smallest ratio. The two
strategies that depend on the rest of the account take that context as arguments:
a short call is a covered call when the account holds the shares, and a short put is
cash-secured when the account's cash covers the assignment.
"""

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F

from apps.trades.analytics import write_trade_facts
from apps.trades.models import OPTION_TYPES, InstrumentType, Position, Strategy, StrategyOverride


@dataclass(frozen=True)
class Leg:
    """One instrument of a position and the quantity opened in it (signed: short is negative).

    Strategy detection reads it, and the trade journal lists a position's legs by `description`.
    """

    instrument_type: str
    quantity: Decimal
    option_type: str = ""  # "C" or "P" for options
    strike: Decimal | None = None
    expires_on: date | None = None
    multiplier: Decimal | None = None
    symbol: str = ""

    @property
    def is_option(self) -> bool:
        return self.instrument_type in OPTION_TYPES

    @property
    def description(self) -> str:
        """ "-1 Jan 16 '26 550P" for an option, "+100 AAPL" for anything else."""
        amount = f"{abs(self.quantity).normalize():f}"
        quantity = f"-{amount}" if self.quantity < 0 else f"+{amount}"
        # Option terms as stored on the lot, whatever its instrument type says.
        if self.option_type and self.expires_on and self.strike is not None:
            return f"{quantity} {self.expires_on:%b %-d '%y} {self.strike.normalize():f}{self.option_type}"
        return f"{quantity} {self.symbol}"


def detect_strategy(
    legs: Sequence[Leg],
    *,
    shares_held: Decimal = Decimal(0),
    cash_available: Decimal | None = None,
) -> str:
    """The Strategy value for these legs.

    shares_held: long shares of the underlying the account holds outside this position and not
    already written against. cash_available: the account's cash not already securing other puts.
    """
    legs = [leg for leg in _merged(legs) if leg.quantity != 0]
    if not legs:
        return Strategy.CUSTOM
    kinds = {leg.instrument_type for leg in legs}
    if kinds == {InstrumentType.FUTURE}:
        return Strategy.FUTURE
    if InstrumentType.FUTURE_OPTION in kinds and kinds <= {InstrumentType.FUTURE, InstrumentType.FUTURE_OPTION}:
        return Strategy.FUTURE_OPTION
    stock = [leg for leg in legs if leg.instrument_type == InstrumentType.EQUITY]
    options = [leg for leg in legs if leg.is_option]
    if len(stock) + len(options) != len(legs):
        return Strategy.CUSTOM
    if stock and not options:
        return Strategy.STOCK
    if stock:
        return _stock_and_options(stock, options)
    return _options_only(options, shares_held=shares_held, cash_available=cash_available)


def _options_only(options: list[Leg], *, shares_held: Decimal, cash_available: Decimal | None) -> str:
    if len(options) == 1:
        return _single(options[0], shares_held=shares_held, cash_available=cash_available)
    ratios = _ratios([leg.quantity for leg in options])
    if ratios is None:
        return Strategy.CUSTOM
    shaped = [(leg, ratio) for leg, ratio in zip(options, ratios, strict=True)]
    if len(shaped) == 2:
        return _two_legs(shaped)
    if len({leg.expires_on for leg in options}) != 1:
        return Strategy.CUSTOM
    if len(shaped) == 3:
        return _three_legs(shaped)
    if len(shaped) == 4:
        return _four_legs(shaped)
    return Strategy.CUSTOM


def _merged(legs: Sequence[Leg]) -> list[Leg]:
    """One leg per instrument: scaling in and partial fills add up."""
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    first: dict[tuple, Leg] = {}
    for leg in legs:
        key = (leg.instrument_type, leg.option_type, leg.strike, leg.expires_on)
        totals[key] += leg.quantity
        first.setdefault(key, leg)
    return [
        Leg(leg.instrument_type, totals[key], leg.option_type, leg.strike, leg.expires_on, leg.multiplier)
        for key, leg in first.items()
    ]


def _ratios(quantities: list[Decimal]) -> list[int] | None:
    """Quantities divided by their greatest common divisor, signs kept (None if fractional)."""
    whole = [int(q) for q in quantities]
    if any(w != q for w, q in zip(whole, quantities, strict=True)):
        return None
    divisor = math.gcd(*whole)
    return [q // divisor for q in whole]


def _single(leg: Leg, *, shares_held: Decimal, cash_available: Decimal | None) -> str:
    multiplier = leg.multiplier
    if leg.option_type == "C":
        if leg.quantity > 0:
            return Strategy.LONG_CALL
        if multiplier and shares_held >= -leg.quantity * multiplier:
            return Strategy.COVERED_CALL
        return Strategy.SHORT_CALL
    if leg.quantity > 0:
        return Strategy.LONG_PUT
    secured = multiplier and leg.strike is not None and cash_available is not None
    if secured and cash_available >= -leg.quantity * multiplier * leg.strike:
        return Strategy.CASH_SECURED_PUT
    return Strategy.SHORT_PUT


def _stock_and_options(stock: list[Leg], options: list[Leg]) -> str:
    """A buy-write: long shares and short calls on at most as many shares, opened together."""
    shares = sum((leg.quantity for leg in stock), Decimal(0))
    if len(options) != 1 or shares <= 0:
        return Strategy.CUSTOM
    call = options[0]
    multiplier = call.multiplier
    if call.option_type == "C" and call.quantity < 0 and multiplier and shares >= -call.quantity * multiplier:
        return Strategy.COVERED_CALL
    return Strategy.CUSTOM


def _two_legs(shaped: list[tuple[Leg, int]]) -> str:
    (a, qa), (b, qb) = shaped
    same_type = a.option_type == b.option_type
    if a.expires_on == b.expires_on:
        if same_type and qa == -qb and a.strike != b.strike:
            return Strategy.VERTICAL
        if not same_type and qa == qb:
            return Strategy.STRADDLE if a.strike == b.strike else Strategy.STRANGLE
        return Strategy.CUSTOM
    if same_type and qa == -qb:
        return Strategy.CALENDAR if a.strike == b.strike else Strategy.DIAGONAL
    return Strategy.CUSTOM


def _three_legs(shaped: list[tuple[Leg, int]]) -> str:
    types = {leg.option_type for leg, _ in shaped}
    by_strike = sorted(shaped, key=lambda item: item[0].strike or 0)
    if len(types) == 1:
        low, mid, high = (ratio for _, ratio in by_strike)
        if low == high and mid == -2 * low:
            return Strategy.BUTTERFLY
        return Strategy.CUSTOM
    puts = [(leg, r) for leg, r in shaped if leg.option_type == "P"]
    calls = sorted(((leg, r) for leg, r in shaped if leg.option_type == "C"), key=lambda item: item[0].strike or 0)
    # Jade lizard: a short put and a short call spread, with nothing risked to the upside.
    if len(puts) == 1 and len(calls) == 2:
        (put, put_ratio), (short_call, short_ratio), (_, long_ratio) = puts[0], calls[0], calls[1]
        if put_ratio == short_ratio == -long_ratio < 0 and put.strike < short_call.strike:
            return Strategy.JADE_LIZARD
    return Strategy.CUSTOM


def _four_legs(shaped: list[tuple[Leg, int]]) -> str:
    puts = sorted(((leg, r) for leg, r in shaped if leg.option_type == "P"), key=lambda item: item[0].strike or 0)
    calls = sorted(((leg, r) for leg, r in shaped if leg.option_type == "C"), key=lambda item: item[0].strike or 0)
    if len(puts) != 2 or len(calls) != 2 or len({abs(r) for _, r in shaped}) != 1:
        return Strategy.CUSTOM
    (_, low_put_r), (high_put, high_put_r) = puts
    (low_call, low_call_r), (_, high_call_r) = calls
    # Each side a vertical; the body (inner strikes) has the opposite sign of the wings.
    if not (low_put_r == -high_put_r and low_call_r == -high_call_r and high_put_r == low_call_r):
        return Strategy.CUSTOM
    if high_put.strike == low_call.strike:
        return Strategy.IRON_BUTTERFLY
    if high_put.strike < low_call.strike:
        return Strategy.IRON_CONDOR
    return Strategy.CUSTOM


def override_strategy(*, account, position_key: str, strategy: str | None) -> None:
    """The user says what a position is (None goes back to the detected strategy).

    Stored against the position's stable key and applied again after every rebuild.
    """
    if strategy is None:
        StrategyOverride.objects.filter(account=account, position_key=position_key).delete()
        Position.objects.filter(account=account, key=position_key).update(strategy=F("detected_strategy"))
    else:
        StrategyOverride.objects.update_or_create(
            account=account, position_key=position_key, defaults={"strategy": Strategy(strategy)}
        )
        Position.objects.filter(account=account, key=position_key).update(strategy=strategy)
    # The strategy decides a trade's max profit and loss: its trade's stored facts are worked out again.
    write_trade_facts(account=account, position_keys={position_key})
