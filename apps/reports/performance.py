"""P&L figures for the dashboard and the reports, read from the P&L engine's results (apps.trades).

The engine owns the convention (README, "P&L convention"): realized P&L is the sum of closing events,
each on the trading day of its execution in the user's time zone; statistics count whole positions,
never legs; unrealized P&L comes from the broker's marks. apps.trades.pnl asks the database for P&L
per trading day (one aggregate query); this module derives the rest in Python (today, this month, this
year, months, years, running totals, drawdown), so a page costs the same few queries for any number of
events.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from apps.core.money import ZERO
from apps.trades import pnl
from apps.trades.pnl import DayAmounts, RealizedLine, realized_per_day
from apps.trades.scope import Scope

from .metrics import chart_series


def between(points: DayAmounts, start: date | None, end: date | None) -> DayAmounts:
    return [(day, amount) for day, amount in points if (start is None or day >= start) and (end is None or day <= end)]


def by_month(points: DayAmounts) -> DayAmounts:
    months: dict[date, Decimal] = {}
    for day, amount in points:
        month = day.replace(day=1)
        months[month] = months.get(month, ZERO) + amount
    return list(months.items())


def amounts(days: list[RealizedLine]) -> DayAmounts:
    return [(row.key, row.realized_pnl) for row in days]


def by_period(days: list[RealizedLine], grouping: str) -> list[RealizedLine]:
    """Days rolled up into months or years (keyed by their first day); "day" returns them as they are."""
    if grouping == "day":
        return days
    periods: dict[date, RealizedLine] = {}
    for row in days:
        start = row.key.replace(day=1) if grouping == "month" else date(row.key.year, 1, 1)
        periods[start] = periods.get(start, RealizedLine(start)) + row
    return list(periods.values())


def total(lines: list[RealizedLine]) -> RealizedLine:
    return sum(lines, RealizedLine("total"))


def running_total(points: DayAmounts) -> DayAmounts:
    total = ZERO
    cumulative = []
    for day, amount in points:
        total += amount
        cumulative.append((day, total))
    return cumulative


def period_chart(lines: list[RealizedLine], *, label: str) -> dict[str, list]:
    """The P&L report's chart: realized P&L per period and its running total (floats for Chart.js)."""
    points = amounts(lines)
    return {
        "labels": [period.strftime(label) for period, _ in points],
        "realized": [float(amount) for _, amount in points],
        "cumulative": [float(amount) for _, amount in running_total(points)],
    }


@dataclass(frozen=True)
class Drawdown:
    """The deepest fall of cumulative realized P&L from a previous high (the running total starts at zero)."""

    amount: Decimal  # zero or negative
    peak_day: date | None  # the high it fell from (None: the start of the range)
    trough_day: date | None


def max_drawdown(points: DayAmounts) -> Drawdown:
    peak, peak_day = ZERO, None
    deepest = Drawdown(ZERO, None, None)
    for day, total in running_total(points):
        if total > peak:
            peak, peak_day = total, day
        elif total - peak < deepest.amount:
            deepest = Drawdown(total - peak, peak_day, day)
    return deepest


@dataclass(frozen=True)
class PnlSummary:
    """The dashboard's P&L widgets."""

    realized_today: Decimal
    realized_month: Decimal
    realized_year: Decimal
    unrealized: Decimal | None  # None when no open leg has a mark
    legs_without_mark: int
    win_rate: Decimal | None  # whole positions closed this year
    closed_positions: int


def summary(
    days: DayAmounts, *, today: date, open_positions: list[pnl.OpenPosition], statistics: pnl.TradeStatistics
) -> PnlSummary:
    def realized_since(first: date) -> Decimal:
        return sum((amount for day, amount in days if first <= day <= today), ZERO)

    marked = [position.unrealized_pnl for position in open_positions if position.unrealized_pnl is not None]
    return PnlSummary(
        realized_today=realized_since(today),
        realized_month=realized_since(today.replace(day=1)),
        realized_year=realized_since(date(today.year, 1, 1)),
        unrealized=sum(marked, ZERO) if marked else None,
        legs_without_mark=len(open_positions) - len(marked),
        win_rate=statistics.win_rate,
        closed_positions=statistics.closed_positions,
    )


@dataclass(frozen=True)
class DashboardPnl:
    summary: PnlSummary
    monthly: dict[str, list]  # chart series: realized P&L per month of the range
    cumulative: dict[str, list]  # running total of realized P&L per trading day of the range
    calendar: dict[str, list]  # realized P&L per trading day of the range


def dashboard_pnl(scope: Scope, open_positions: list[pnl.OpenPosition]) -> DashboardPnl:
    """Three queries' worth: realized P&L per day (since the range or the year began, whichever is
    earlier), statistics of the positions closed this year, and the open positions passed in."""
    year_start = date(scope.today.year, 1, 1)
    days = realized_per_day(scope, first=min(scope.start, year_start) if scope.start else None)
    statistics = pnl.statistics(accounts=scope.account_queryset(), tz=scope.tz, first=year_start, last=scope.today)
    shown = between(days, scope.start, scope.end)
    return DashboardPnl(
        summary=summary(days, today=scope.today, open_positions=open_positions, statistics=statistics),
        monthly=chart_series(by_month(shown), label="%Y-%m"),
        cumulative=chart_series(running_total(shown)),
        calendar=chart_series(shown),
    )


@dataclass(frozen=True)
class TradeReport:
    """Statistics on whole positions closed in a range, with expectancy, plus the range's drawdown."""

    statistics: pnl.TradeStatistics
    drawdown: Drawdown

    @property
    def expectancy(self) -> Decimal | None:
        """The average realized P&L of a closed position: win rate x average win + loss rate x average loss."""
        closed = self.statistics.closed_positions
        return self.statistics.realized_pnl / closed if closed else None
