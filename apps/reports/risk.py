"""Open risk as a trader reads it: underlying -> strategy position (the P&L engine's grouping) -> legs, each with
its mark, market value, unrealized P&L and Greeks, and the sums per position, underlying and portfolio.

Built from what the page already has (the broker's legs with the engine's positions holding them, see
apps.reports.metrics) and the stored quote snapshot, whose per-unit Greeks were computed when it was fetched
(apps/trades/greeks.py): here they are only multiplied by quantities, never computed again.

A leg the engine's positions hold only in part (a broker quantity our books do not have) shows the rest under
"Not in our books", without unrealized P&L, as the dashboard counts none for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from apps.core.money import ZERO, to_decimal
from apps.trades import pnl
from apps.trades.greeks import Greeks
from apps.trades.models import BalanceSnapshot, InstrumentType, Quote, Strategy, UnderlyingMetrics
from apps.trades.scope import Scope
from apps.trades.symbols import parse_option_symbol

from . import metrics, payoff
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
    """Figures that add up over `legs`: market value, unrealized P&L, Greeks, beta-weighted delta. Each is worked
    out once, when a page first asks, after the tree is built."""

    legs: list[Leg]

    @cached_property
    def market_value(self) -> Decimal | None:
        return _sum(leg.market_value for leg in self.legs)

    @cached_property
    def unrealized(self) -> Decimal | None:
        return _sum(leg.unrealized for leg in self.legs)

    @cached_property
    def greeks(self) -> Greeks | None:
        known = [leg.greeks for leg in self.legs if leg.greeks is not None]
        return sum(known[1:], known[0]) if known else None

    @cached_property
    def beta_weighted_delta(self) -> Decimal | None:
        return _sum(leg.beta_weighted_delta for leg in self.legs)

    @cached_property
    def missing_marks(self) -> bool:
        return any(leg.line.snapshot.mark is None for leg in self.legs)

    @cached_property
    def missing_greeks(self) -> int:
        return sum(1 for leg in self.legs if leg.greeks is None)

    @cached_property
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
    at_risk: Decimal | None = None  # see capital_at_risk

    @cached_property
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
    share_of_risk: Decimal | None = None  # of the portfolio's capital at risk
    share_of_net_liq: Decimal | None = None
    concentrated: bool = False  # above the user's threshold (share of net liq)

    @cached_property
    def legs(self) -> list[Leg]:
        return [leg for position in self.positions for leg in position.legs]

    @property
    def at_risk(self) -> Decimal | None:
        return _sum(position.at_risk for position in self.positions)


@dataclass
class Book(Sums):
    """The whole page: every underlying, and the portfolio's sums."""

    underlyings: list[UnderlyingRisk]

    @cached_property
    def legs(self) -> list[Leg]:
        return [leg for underlying in self.underlyings for leg in underlying.legs]

    @property
    def at_risk(self) -> Decimal | None:
        return _sum(underlying.at_risk for underlying in self.underlyings)


@dataclass(frozen=True)
class BuyingPower:
    """The latest balances TastyTrade reported ("NOW"), summed over the shown accounts."""

    net_liq: Decimal | None
    available: Decimal | None  # derivative buying power
    used: Decimal | None  # used derivative buying power, else the maintenance requirement
    maintenance: Decimal | None
    as_of: datetime | None

    @property
    def used_share(self) -> Decimal | None:
        total = (self.used or ZERO) + (self.available or ZERO)
        return (self.used / total).quantize(Decimal("0.0001")) if self.used is not None and total else None


def buying_power(scope: Scope) -> BuyingPower:
    """One query: each shown account's latest "NOW" balance, read from the fields TastyTrade sent."""
    rows = (
        BalanceSnapshot.objects.filter(account_id__in=scope.account_ids, time_of_day="NOW")
        .order_by("account_id", "-snapshot_date")
        .values_list("account_id", "net_liquidating_value", "raw", "updated_at")
    )
    latest: dict[int, tuple] = {}
    for account_id, net_liq, raw, updated_at in rows:
        latest.setdefault(account_id, (net_liq, raw or {}, updated_at))

    def total(*names: str) -> Decimal | None:
        values = []
        for _, raw, _ in latest.values():
            value = next((to_decimal(raw[name]) for name in names if raw.get(name) not in (None, "")), None)
            values.append(value)
        return _sum(values)

    return BuyingPower(
        net_liq=_sum(net_liq for net_liq, _, _ in latest.values()),
        available=total("derivative-buying-power"),
        used=total("used-derivative-buying-power", "maintenance-requirement"),
        maintenance=total("maintenance-requirement"),
        as_of=min((at for _, _, at in latest.values()), default=None),
    )


def with_concentration(book: Book, power: BuyingPower, *, warn_above_percent: int) -> Book:
    """Each underlying's share of the capital at risk and of net liq; `concentrated` above the user's threshold."""
    total = book.at_risk
    for underlying in book.underlyings:
        risk = underlying.at_risk
        if risk is None:
            continue
        underlying.share_of_risk = (risk / total).quantize(Decimal("0.0001")) if total else None
        if power.net_liq and power.net_liq > 0:
            underlying.share_of_net_liq = (risk / power.net_liq).quantize(Decimal("0.0001"))
            underlying.concentrated = underlying.share_of_net_liq * 100 > warn_above_percent
    return book


def leg(line: PositionLine, quote: StoredQuote | None, *, quantity: Decimal, unrealized: Decimal | None, price) -> Leg:
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


def capital_at_risk(position: StrategyPosition, quotes: dict, *, price: Decimal | None, today: date) -> Decimal | None:
    """What the position can lose: its most loss at expiration when that is bounded (long options, spreads,
    covered and cash-secured positions, shares down to zero); otherwise an estimate by the naked-option rule
    (20% of the underlying less the out-of-the-money amount, at least 10%, plus the mark, per short option;
    30% of short shares). None without a mark."""
    legs = payoff.payoff_legs(position.legs, quotes)
    if not legs or len(legs) < len(position.legs):
        return None
    loss = payoff.max_loss(legs, today=today)
    if loss is not None:
        return Decimal(str(round(loss, 2)))
    if price is None:
        return None
    return naked_requirement(position.legs, price)


def naked_requirement(legs: list[Leg], price: Decimal) -> Decimal:
    required = ZERO
    for leg in legs:
        snapshot = leg.line.snapshot
        size = abs(leg.quantity * snapshot.multiplier)
        if leg.quantity >= 0:
            continue
        option = parse_option_symbol(snapshot.symbol)
        if option is None:
            required += Decimal("0.3") * price * size
            continue
        out_of_the_money = (
            max(ZERO, option.strike - price) if option.option_type == "C" else max(ZERO, price - option.strike)
        )
        floor = Decimal("0.1") * (price if option.option_type == "C" else option.strike)
        required += (max(Decimal("0.2") * price - out_of_the_money, floor) + (snapshot.mark or ZERO)) * size
    return required.quantize(CENT)


def engine_share(line: PositionLine, trade: OpenTrade, held: Decimal) -> Decimal | None:
    """One engine position's unrealized P&L on a leg several of them hold: the engine's formula per position
    (mark x quantity x multiplier + open cost), or for a future, which settles daily, its quantity's share."""
    snapshot = line.snapshot
    if line.unrealized is None or snapshot.mark is None:
        return None
    if snapshot.instrument_type == InstrumentType.FUTURE:
        return (line.unrealized * trade.quantity / held).quantize(CENT)
    return ledger_amount(snapshot.mark * trade.quantity * snapshot.multiplier + trade.open_cost)


def split_line(line: PositionLine, quote: StoredQuote | None, positions: dict, *, engine_ran: bool) -> None:
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


def open_book(groups: list[UnderlyingGroup], *, quotes: dict, metrics: dict, engine_ran: bool, today: date) -> Book:
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
        price = underlying_price(group, by_symbol)
        for position in ordered:
            position.at_risk = capital_at_risk(position, quotes, price=price, today=today)
        underlyings.append(
            UnderlyingRisk(
                underlying=group.underlying,
                positions=ordered,
                price=price,
                beta=metric.beta if metric else None,
                iv_rank=metric.iv_rank if metric else None,
                earnings_on=metric.earnings_on if metric else None,
                dividend_ex_on=metric.dividend_ex_on if metric else None,
            )
        )
    return Book(underlyings)


def underlying_price(group: UnderlyingGroup, quotes: dict[str, StoredQuote]) -> Decimal | None:
    """The underlying's mark; for a futures family (`/ES`), the price its options were priced from."""
    quote = quotes.get(group.underlying)
    if quote is not None and quote.mark is not None:
        return quote.mark
    held = (quotes.get(line.snapshot.symbol) for line in group.lines)
    return next((quote.underlying_price for quote in held if quote and quote.underlying_price), None)


class StoredQuote(NamedTuple):
    """What the page reads of a stored quote (apps.trades.models.Quote): a tuple, not a model instance, as 300
    legs' quotes are read on every request."""

    account_id: int
    symbol: str
    mark: Decimal | None
    underlying_price: Decimal | None
    implied_volatility: Decimal | None
    delta: Decimal | None
    gamma: Decimal | None
    theta: Decimal | None
    vega: Decimal | None
    beta_weighted_delta: Decimal | None
    fetched_at: datetime


class StoredMetrics(NamedTuple):
    """What the page reads of an underlying's stored market metrics (apps.trades.models.UnderlyingMetrics)."""

    symbol: str
    beta: Decimal | None
    iv_rank: Decimal | None
    earnings_on: date | None
    dividend_ex_on: date | None


def stored_quotes(scope: Scope) -> dict[tuple[int, str], StoredQuote]:
    """The quote snapshot of the shown accounts, by (account id, symbol): one query."""
    rows = Quote.objects.filter(account_id__in=scope.account_ids).values_list(*StoredQuote._fields)
    return {(row[0], row[1]): StoredQuote._make(row) for row in rows}


def stored_metrics(scope: Scope) -> dict[str, StoredMetrics]:
    """The market metrics of the shown accounts' underlyings, by symbol: one query."""
    rows = UnderlyingMetrics.objects.filter(account_id__in=scope.account_ids).values_list(*StoredMetrics._fields)
    return {row[0]: StoredMetrics._make(row) for row in rows}


@dataclass(frozen=True)
class Watch:
    """A leg to look at before expiration, and why."""

    underlying: UnderlyingRisk
    leg: Leg
    expires_on: date | None
    note: str = ""


@dataclass(frozen=True)
class Expirations:
    this_week: list[Watch]
    next_week: list[Watch]
    assignment_risk: list[Watch]  # short options in the money or within 1% of the strike
    ex_dividend: list[Watch]  # short calls with an ex-dividend date before they expire


NEAR_STRIKE = Decimal("0.01")


def expirations(book: Book, *, today: date) -> Expirations:
    """Weeks run Monday to Sunday in the user's time zone; the underlying's price and ex-dividend date come from
    the stored snapshot."""
    monday = today - timedelta(days=today.weekday())
    next_monday, week_after = monday + timedelta(days=7), monday + timedelta(days=14)
    found = Expirations([], [], [], [])
    for underlying in book.underlyings:
        for leg in underlying.legs:
            option = parse_option_symbol(leg.line.snapshot.symbol)
            if option is None or option.expires_on < today:
                continue
            watch = Watch(underlying, leg, option.expires_on)
            if option.expires_on < next_monday:
                found.this_week.append(watch)
            elif option.expires_on < week_after:
                found.next_week.append(watch)
            if leg.quantity >= 0:
                continue
            if (note := assignment_note(option, underlying.price)) is not None:
                found.assignment_risk.append(replace(watch, note=note))
            ex_date = underlying.dividend_ex_on
            if option.option_type == "C" and ex_date and today <= ex_date <= option.expires_on:
                found.ex_dividend.append(replace(watch, note=f"ex-dividend {ex_date:%b} {ex_date.day}"))
    for watches in (found.this_week, found.next_week, found.assignment_risk, found.ex_dividend):
        watches.sort(key=lambda watch: (watch.expires_on, watch.underlying.underlying, watch.leg.contract))
    return found


def assignment_note(option, price: Decimal | None) -> str | None:
    """ "in the money" or "within 1% of the strike" for a short option at `price`, else None."""
    if price is None:
        return None
    in_the_money = price > option.strike if option.option_type == "C" else price < option.strike
    if in_the_money:
        return "in the money"
    if abs(price - option.strike) <= option.strike * NEAR_STRIKE:
        return "within 1% of the strike"
    return None


def find(
    book: Book, *, underlying: str | None, slug: str | None
) -> tuple[UnderlyingRisk | None, StrategyPosition | None]:
    """The underlying named, or the strategy position with this slug and its underlying; (None, None) if not open."""
    for candidate in book.underlyings:
        if slug:
            position = next((position for position in candidate.positions if position.slug == slug), None)
            if position is not None:
                return candidate, position
        elif underlying and candidate.underlying == underlying:
            return candidate, None
    return None, None


def payoff_chart(legs: list[Leg], quotes: dict, *, price: Decimal | None, today: date) -> dict | None:
    """The payoff diagram's data (apps.reports.payoff), with the most loss at expiration; None without a price or
    without a leg that has a mark."""
    curve_legs = payoff.payoff_legs(legs, quotes)
    if price is None or not curve_legs:
        return None
    chart = payoff.payoff_chart(curve_legs, price=float(price), today=today)
    chart["max_loss"] = payoff.max_loss(curve_legs, today=today)
    chart["legs_left_out"] = len(legs) - len(curve_legs)
    return chart


def open_risk(scope: Scope, differences: dict) -> tuple[list[UnderlyingGroup], dict, Book]:
    """The broker's legs by underlying with the engine's view (its positions, and its unrealized P&L: the
    dashboard's figure), the stored quotes, and the open-risk tree built from both. What the Positions page, its
    payoff pages and its CSV read."""
    groups = metrics.with_engine_view(metrics.positions_by_underlying(scope), metrics.open_trades(scope), differences)
    if scope.pnl_computed:  # the dashboard's figure, so the pages agree
        held = [line.snapshot for group in groups for line in group.lines]
        open_now = pnl.open_positions(accounts=scope.account_queryset(), snapshots=held)
        groups = metrics.with_engine_unrealized(groups, open_now)
    quotes = stored_quotes(scope)
    book = open_book(
        groups, quotes=quotes, metrics=stored_metrics(scope), engine_ran=scope.pnl_computed, today=scope.today
    )
    return groups, quotes, book
