"""Open risk as a trader reads it: underlying -> strategy position (the P&L engine's grouping) -> legs, each with
its mark, market value, unrealized P&L and Greeks, and the sums per position, underlying and portfolio.

Built from what the page already has (the broker's legs with the engine's positions holding them, see
apps.reports.metrics) and the stored quote snapshot, whose per-unit Greeks were computed when it was fetched
(apps/trades/greeks.py): here they are only multiplied by quantities, never computed again.

A leg the engine's positions hold only in part (a broker quantity our books do not have) shows the rest under
"Not in our books", without unrealized P&L, as the dashboard counts none for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from apps.core.money import ZERO
from apps.trades.greeks import Greeks
from apps.trades.models import InstrumentType, Quote, Strategy, UnderlyingMetrics
from apps.trades.scope import Scope

from .metrics import OpenTrade, PositionLine, UnderlyingGroup, ledger_amount

CENT = Decimal("0.01")
# Credit positions whose most profit is the credit received and whose loss is capped by a long leg.
DEFINED_RISK = {Strategy.VERTICAL, Strategy.IRON_CONDOR, Strategy.IRON_BUTTERFLY, Strategy.BUTTERFLY}
NOT_IN_OUR_BOOKS = "Not in our books"
LEGS = "Legs"  # before the P&L engine has run for an account


@dataclass(frozen=True)
class Leg:
    line: PositionLine  # the broker's leg this is (part of)
    quantity: Decimal
    average_open_price: Decimal | None
    market_value: Decimal | None
    unrealized: Decimal | None
    greeks: Greeks | None  # per unit x quantity x multiplier
    beta_weighted_delta: Decimal | None

    @property
    def contract(self) -> str:
        return self.line.contract

    @property
    def days_to_expiry(self) -> int | None:
        return self.line.days_to_expiry


def _sum(values) -> Decimal | None:
    """The sum of the known values; None when none is known."""
    known = [value for value in values if value is not None]
    return sum(known, ZERO) if known else None


class Sums:
    """Figures that add up over `legs`: market value, unrealized P&L, Greeks, beta-weighted delta."""

    legs: list[Leg]

    @property
    def market_value(self) -> Decimal | None:
        return _sum(leg.market_value for leg in self.legs)

    @property
    def unrealized(self) -> Decimal | None:
        return _sum(leg.unrealized for leg in self.legs)

    @property
    def greeks(self) -> Greeks | None:
        known = [leg.greeks for leg in self.legs if leg.greeks is not None]
        return sum(known[1:], known[0]) if known else None

    @property
    def beta_weighted_delta(self) -> Decimal | None:
        return _sum(leg.beta_weighted_delta for leg in self.legs)

    @property
    def missing_marks(self) -> bool:
        return any(leg.line.snapshot.mark is None for leg in self.legs)

    @property
    def missing_greeks(self) -> int:
        return sum(1 for leg in self.legs if leg.greeks is None)

    @property
    def days_to_expiry(self) -> int | None:
        return min((leg.days_to_expiry for leg in self.legs if leg.days_to_expiry is not None), default=None)


@dataclass
class StrategyPosition(Sums):
    account_id: int | None
    key: str  # the engine position's key; empty for legs not in our books
    label: str
    strategy: str = ""
    open_cost: Decimal = ZERO  # net cost of opening what is still open, fees included (a credit is positive)
    legs: list[Leg] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """An id for the page's collapse and payoff links."""
        return f"{self.account_id}-{self.key}".replace(":", "-").replace(" ", "")

    @property
    def max_profit_share(self) -> Decimal | None:
        """How much of a defined-risk credit position's most profit (its credit, fees included) is made: 0.5 is
        half. None for any other position."""
        if self.strategy not in DEFINED_RISK or self.open_cost <= 0 or self.unrealized is None:
            return None
        return (self.unrealized / self.open_cost).quantize(Decimal("0.0001"))


@dataclass
class UnderlyingRisk(Sums):
    underlying: str
    positions: list[StrategyPosition]
    price: Decimal | None = None
    beta: Decimal | None = None
    iv_rank: Decimal | None = None
    earnings_on: date | None = None
    dividend_ex_on: date | None = None

    @property
    def legs(self) -> list[Leg]:
        return [leg for position in self.positions for leg in position.legs]


@dataclass
class Book(Sums):
    """The whole page: every underlying, and the portfolio's sums."""

    underlyings: list[UnderlyingRisk]

    @property
    def legs(self) -> list[Leg]:
        return [leg for underlying in self.underlyings for leg in underlying.legs]


def leg(line: PositionLine, quote: Quote | None, *, quantity: Decimal, unrealized: Decimal | None, price) -> Leg:
    snapshot = line.snapshot
    size = quantity * snapshot.multiplier
    greeks = None
    if quote is not None and quote.delta is not None:
        greeks = Greeks(quote.delta, quote.gamma, quote.theta, quote.vega).times(size)
    weighted = quote.beta_weighted_delta * size if quote is not None and quote.beta_weighted_delta is not None else None
    return Leg(
        line=line,
        quantity=quantity,
        average_open_price=price,
        market_value=ledger_amount(snapshot.mark * size) if snapshot.mark is not None else None,
        unrealized=unrealized,
        greeks=greeks,
        beta_weighted_delta=weighted,
    )


def engine_share(line: PositionLine, trade: OpenTrade, held: Decimal) -> Decimal | None:
    """One engine position's unrealized P&L on a leg several of them hold: the engine's formula per position
    (mark x quantity x multiplier + open cost), or for a future, which settles daily, its quantity's share."""
    snapshot = line.snapshot
    if line.unrealized is None or snapshot.mark is None:
        return None
    if snapshot.instrument_type == InstrumentType.FUTURE:
        return (line.unrealized * trade.quantity / held).quantize(CENT)
    return ledger_amount(snapshot.mark * trade.quantity * snapshot.multiplier + trade.open_cost)


def split_line(line: PositionLine, quote: Quote | None, positions: dict, *, engine_ran: bool) -> None:
    """Put the broker's leg under the engine positions holding it, and any rest under "Not in our books"."""
    snapshot = line.snapshot
    held = sum((trade.quantity for trade in line.trades), ZERO)
    whole = len(line.trades) == 1 and held == snapshot.quantity
    for trade in line.trades:
        position = positions.get((trade.account_id, trade.key))
        if position is None:
            position = positions[(trade.account_id, trade.key)] = StrategyPosition(
                trade.account_id, trade.key, trade.strategy_label, trade.strategy
            )
        position.open_cost += trade.open_cost
        unrealized = line.unrealized if whole else engine_share(line, trade, held)
        price = snapshot.average_open_price if whole else trade.opening_price
        position.legs.append(leg(line, quote, quantity=trade.quantity, unrealized=unrealized, price=price))
    rest = snapshot.quantity - held
    if rest:
        label = NOT_IN_OUR_BOOKS if engine_ran else LEGS
        position = positions.setdefault((None, label), StrategyPosition(None, label.lower().replace(" ", "-"), label))
        unrealized = None if engine_ran else line.unrealized
        position.legs.append(leg(line, quote, quantity=rest, unrealized=unrealized, price=snapshot.average_open_price))


def open_book(groups: list[UnderlyingGroup], *, quotes: dict, metrics: dict, engine_ran: bool) -> Book:
    """The tree from the broker's legs grouped by underlying; `quotes` by (account id, symbol), `metrics` by
    underlying symbol (any account's)."""
    by_symbol = {symbol: quote for (_, symbol), quote in quotes.items()}
    underlyings = []
    for group in groups:
        positions: dict[tuple, StrategyPosition] = {}
        for line in group.lines:
            split_line(
                line, quotes.get((line.snapshot.account_id, line.snapshot.symbol)), positions, engine_ran=engine_ran
            )
        # Engine positions first, oldest key first within; the rest last.
        ordered = sorted(positions.values(), key=lambda position: (position.account_id is None, position.key))
        metric = metrics.get(group.underlying)
        underlyings.append(
            UnderlyingRisk(
                underlying=group.underlying,
                positions=ordered,
                price=underlying_price(group, by_symbol),
                beta=metric.beta if metric else None,
                iv_rank=metric.iv_rank if metric else None,
                earnings_on=metric.earnings_on if metric else None,
                dividend_ex_on=metric.dividend_ex_on if metric else None,
            )
        )
    return Book(underlyings)


def underlying_price(group: UnderlyingGroup, quotes: dict[str, Quote]) -> Decimal | None:
    """The underlying's mark; for a futures family (`/ES`), the price its options were priced from."""
    quote = quotes.get(group.underlying)
    if quote is not None and quote.mark is not None:
        return quote.mark
    held = (quotes.get(line.snapshot.symbol) for line in group.lines)
    return next((quote.underlying_price for quote in held if quote and quote.underlying_price), None)


def stored_quotes(scope: Scope) -> dict[tuple[int, str], Quote]:
    """The quote snapshot of the shown accounts, by (account id, symbol): one query."""
    quotes = Quote.objects.filter(account_id__in=scope.account_ids)
    return {(quote.account_id, quote.symbol): quote for quote in quotes}


def stored_metrics(scope: Scope) -> dict[str, UnderlyingMetrics]:
    """The market metrics of the shown accounts' underlyings, by symbol: one query."""
    return {metric.symbol: metric for metric in UnderlyingMetrics.objects.filter(account_id__in=scope.account_ids)}
