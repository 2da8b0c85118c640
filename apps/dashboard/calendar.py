"""The P&L calendar: the P&L engine's realized P&L per trading day laid out as months and a year.

Amounts come from `apps.trades.pnl.realized_by_day` (the same sums every report reads), so a cell, a
week and a month add up to the cent with the Reports tab. Weeks run Monday to Friday; a month whose
closing events include a Saturday or Sunday (a futures session, a weekend removal) shows all seven days,
so no amount ever drops out of a total.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from apps.trades.models import BrokerAccount, PnlEvent, Position
from apps.trades.pnl import RealizedLine

ZERO = Decimal(0)
LEVELS = 4  # shades of green and of red in the colour scale
WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@dataclass(frozen=True)
class DayCell:
    day: date
    in_month: bool
    line: RealizedLine | None  # None: no closing event that day
    tone: str  # a CSS class of the colour scale, "" without P&L

    @property
    def realized_pnl(self) -> Decimal | None:
        return self.line.realized_pnl if self.line else None


@dataclass(frozen=True)
class Week:
    days: list[DayCell]  # the shown columns only
    total: Decimal | None  # every day of the week inside the month; None without closing events


@dataclass(frozen=True)
class LegendStep:
    tone: str
    label: str  # "Loss", "Gain"
    low: Decimal  # the step's amounts, by size: low < |amount| <= high
    high: Decimal


@dataclass(frozen=True)
class Month:
    first: date
    weeks: list[Week]
    weekday_names: list[str]
    total: Decimal | None
    closing_events: int
    trading_days: list[DayCell]  # the days with closing events, oldest first: the phone's list
    biggest: Decimal  # the largest daily amount by size, the top of the colour scale

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return (self.first + timedelta(days=31)).replace(day=1)

    @property
    def legend(self) -> list[LegendStep]:
        return legend(self.biggest)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(first: date) -> date:
    return first.replace(day=stdlib_calendar.monthrange(first.year, first.month)[1])


def weekday_after(day: date, step: int) -> date:
    """The nearest Monday-to-Friday day before (step -1) or after (step 1) a day: the day page's neighbours."""
    day += timedelta(days=step)
    while day.weekday() >= 5:
        day += timedelta(days=step)
    return day


def tone(amount: Decimal | None, biggest: Decimal) -> str:
    """The colour-scale class of a day: pnl-gain-1..4 or pnl-loss-1..4 by its share of the biggest day."""
    if amount is None:
        return ""
    if amount == 0 or biggest == 0:
        return "pnl-flat"
    level = min(LEVELS, max(1, math.ceil(abs(amount) * LEVELS / biggest)))
    return f"pnl-{'gain' if amount > 0 else 'loss'}-{level}"


def legend(biggest: Decimal) -> list[LegendStep]:
    """The scale's steps from the biggest loss to the biggest gain, each with the amounts it covers."""
    bounds = [biggest * step / LEVELS for step in range(LEVELS + 1)]
    losses = [LegendStep(f"pnl-loss-{n}", "Loss", bounds[n - 1], bounds[n]) for n in range(LEVELS, 0, -1)]
    gains = [LegendStep(f"pnl-gain-{n}", "Gain", bounds[n - 1], bounds[n]) for n in range(1, LEVELS + 1)]
    return losses + gains


def by_day(lines: list[RealizedLine]) -> dict[date, RealizedLine]:
    return {line.key: line for line in lines}


def month_grid(first: date, lines: dict[date, RealizedLine], *, biggest: Decimal | None = None) -> Month:
    """One month as weeks of day cells; `biggest` sets the colour scale (default: this month's biggest day)."""
    first = month_start(first)
    last = month_end(first)
    in_month = [line for day, line in sorted(lines.items()) if first <= day <= last]
    if biggest is None:
        biggest = max((abs(line.realized_pnl) for line in in_month), default=ZERO)
    columns = 7 if any(line.key.weekday() >= 5 for line in in_month) else 5
    weeks = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        week_days = [monday + timedelta(days=n) for n in range(7)]
        cells = [_cell(day, first, last, lines, biggest) for day in week_days]
        amounts = [cell.realized_pnl for cell in cells if cell.in_month and cell.line]
        monday += timedelta(days=7)
        if any(cell.in_month for cell in cells[:columns]):  # not a row of days outside the month
            weeks.append(Week(cells[:columns], sum(amounts, ZERO) if amounts else None))
    return Month(
        first=first,
        weeks=weeks,
        weekday_names=WEEKDAY_NAMES[:columns],
        total=sum((line.realized_pnl for line in in_month), ZERO) if in_month else None,
        closing_events=sum(line.closing_events for line in in_month),
        trading_days=[DayCell(line.key, True, line, tone(line.realized_pnl, biggest)) for line in in_month],
        biggest=biggest,
    )


def _cell(day: date, first: date, last: date, lines: dict[date, RealizedLine], biggest: Decimal) -> DayCell:
    if not first <= day <= last:
        return DayCell(day, False, None, "")
    line = lines.get(day)
    return DayCell(day, True, line, tone(line.realized_pnl if line else None, biggest))


@dataclass(frozen=True)
class Year:
    year: int
    months: list[Month]
    total: Decimal | None
    biggest: Decimal

    @property
    def legend(self) -> list[LegendStep]:
        return legend(self.biggest)


def year_grid(year: int, lines: dict[date, RealizedLine]) -> Year:
    """Twelve small months on one colour scale (the year's biggest day), with the year's total."""
    in_year = [line for day, line in lines.items() if day.year == year]
    biggest = max((abs(line.realized_pnl) for line in in_year), default=ZERO)
    months = [month_grid(date(year, month, 1), lines, biggest=biggest) for month in range(1, 13)]
    total = sum((line.realized_pnl for line in in_year), ZERO) if in_year else None
    return Year(year, months, total, biggest)


@dataclass(frozen=True)
class ClosedTrade:
    """The closing events of one trade (a position of the P&L engine) on one trading day."""

    account: BrokerAccount
    position: Position | None  # None for an event the engine kept outside any position
    events: list[PnlEvent]

    @property
    def realized_pnl(self) -> Decimal:
        return sum((event.realized_pnl for event in self.events), ZERO)

    @property
    def closed_at(self):
        return self.events[0].executed_at

    @property
    def underlying_symbol(self) -> str:
        return self.events[0].underlying_symbol or self.events[0].symbol

    @property
    def kinds(self) -> list[str]:
        return sorted({event.get_kind_display() for event in self.events})

    @property
    def symbols(self) -> list[str]:
        return list(dict.fromkeys(event.symbol for event in self.events))


def closed_trades(account_ids: list[int], day: date) -> list[ClosedTrade]:
    """The trades that realized P&L on a trading day, by the time of their first close: one query."""
    events = (
        PnlEvent.objects.filter(account_id__in=account_ids, trading_day=day)
        .select_related("account", "position")
        .order_by("executed_at", "key")
    )
    trades: dict[tuple[int, int | str], ClosedTrade] = {}
    for event in events:
        group = (event.account_id, event.position_id or f"event-{event.pk}")
        trades.setdefault(group, ClosedTrade(event.account, event.position, [])).events.append(event)
    return list(trades.values())
