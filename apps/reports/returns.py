"""Returns of the account itself: the time-weighted return of net liquidating value, deposits taken out.

Net liquidating value rises when the trader deposits and falls when they withdraw; neither is a return.
The time-weighted return (TWR) chains one return per trading day that has a net-liq point:

    r(day) = (V(day) - V(previous day) - F(day)) / (V(previous day) + F(day))

where V is the day's closing net liq (the last point of the day, summed over the selected accounts) and F is
the money moved in (+) or out (-) since the previous point: deposits less withdrawals. A flow counts as if it
arrived at the start of the day (so an account's first deposit, made the day it is funded, is the base that
day's return is earned on); a flow on a day without a point (a weekend) counts on the next day that has one.
Flows before the first point in the range are inside that first value and are not counted again.

A day whose starting capital V(previous) + F is zero or less has no return (an emptied account): it neither
compounds nor enters the statistics.

From the daily returns: monthly and yearly returns compound the days of each period; the maximum drawdown is
the deepest fall of the TWR index (1 + cumulative return) from a previous high, with the day of that high, the
day of the low and the first day the index was back at the high; Sharpe and Sortino are the mean daily excess
return over the risk-free rate (settings.RISK_FREE_RATE, a yearly rate, compounded to a daily one over 252
trading days) divided by the standard deviation of daily returns (Sharpe) or their downside deviation below the
risk-free rate (Sortino), times the square root of 252.

Two queries: the net-liq history (metrics.net_liq_history) and the deposits and withdrawals by trading day.
Ratios stay Decimal; only the chart data becomes floats.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DateField, Q, Sum
from django.db.models.functions import TruncDate

from apps.core.money import ZERO
from apps.trades.models import Transaction
from apps.trades.scope import Scope

from .metrics import DEPOSITS_AND_WITHDRAWALS, ledger_amount, net_liq_history

ONE = Decimal(1)
TRADING_DAYS_A_YEAR = 252
# Money the trader moved in or out: the Cash flow report's deposits and withdrawals, and cash transfers
# (older data books some wires as "Transfer"). Older data also books credit interest and fund dividends as a
# "Deposit" and margin interest as a "Withdrawal", with descriptions that say so: those are income and
# expense earned in the account, so part of its return (TASTYTRADE.md, section 14).
EXTERNAL_FLOWS = (
    DEPOSITS_AND_WITHDRAWALS | Q(transaction_type=Transaction.Type.MONEY_MOVEMENT, transaction_sub_type="Transfer")
) & ~(Q(description__icontains="interest") | Q(description__icontains="dividend"))


@dataclass(frozen=True)
class DayReturn:
    day: date
    net_liq: Decimal
    flow: Decimal  # deposits less withdrawals counted on this day
    daily: Decimal | None  # 0.0123 is 1.23%; None when the day had no capital to earn on
    cumulative: Decimal  # the TWR from the first day in range to this day
    drawdown: Decimal  # 0 or negative: the fall of the TWR index from its highest so far


@dataclass(frozen=True)
class PeriodReturn:
    period: date  # the first day of the month or year
    value: Decimal


@dataclass(frozen=True)
class Drawdown:
    depth: Decimal  # 0 or negative, a fraction of the peak's index value
    peak: date | None
    trough: date | None
    recovered: date | None  # None while the index is still below the peak


@dataclass(frozen=True)
class Returns:
    days: list[DayReturn]
    months: list[PeriodReturn]
    years: list[PeriodReturn]
    drawdown: Drawdown
    sharpe: Decimal | None
    sortino: Decimal | None
    risk_free_rate: Decimal

    @property
    def first_day(self) -> date | None:
        return self.days[0].day if self.days else None

    @property
    def last_day(self) -> date | None:
        return self.days[-1].day if self.days else None

    @property
    def total(self) -> Decimal | None:
        return self.days[-1].cumulative if self.days else None

    @property
    def flows(self) -> Decimal:
        return sum((day.flow for day in self.days), ZERO)


def external_flows(scope: Scope) -> dict[date, Decimal]:
    """Deposits less withdrawals per trading day of the user's time zone (one query)."""
    rows = (
        scope.transactions()
        .filter(EXTERNAL_FLOWS)
        .annotate(day=TruncDate("executed_at", output_field=DateField(), tzinfo=scope.tz))
        .values("day")
        .annotate(amount=Sum("net_value"))
        .order_by("day")
    )
    return {row["day"]: ledger_amount(row["amount"]) for row in rows}


def daily_returns(values: list[tuple[date, Decimal]], flows: dict[date, Decimal]) -> list[DayReturn]:
    """One DayReturn per net-liq day; the first is the base (no return, no flow counted)."""
    if not values:
        return []
    flow_days = sorted(flows)
    first_day, first_value = values[0]
    position = next((index for index, day in enumerate(flow_days) if day > first_day), len(flow_days))
    days = [DayReturn(first_day, first_value, ZERO, None, ZERO, ZERO)]
    index, high = ONE, ONE
    previous = first_value
    for day, value in values[1:]:
        flow = ZERO
        while position < len(flow_days) and flow_days[position] <= day:
            flow += flows[flow_days[position]]
            position += 1
        capital = previous + flow
        daily = (value - capital) / capital if capital > 0 else None
        if daily is not None:
            index *= ONE + daily
        high = max(high, index)
        days.append(DayReturn(day, value, flow, daily, index - ONE, index / high - ONE))
        previous = value
    return days


def period_returns(days: list[DayReturn], grouping: str) -> list[PeriodReturn]:
    """Each month's or year's return: its daily returns compounded (the first day's base counts in its period)."""
    periods: dict[date, Decimal] = {}
    for day in days:
        period = day.day.replace(day=1) if grouping == "month" else day.day.replace(month=1, day=1)
        growth = periods.get(period, ONE)
        periods[period] = growth * (ONE + day.daily) if day.daily is not None else growth
    return [PeriodReturn(period, growth - ONE) for period, growth in periods.items()]


def max_drawdown(days: list[DayReturn]) -> Drawdown:
    """The deepest drawdown of the TWR index, its peak and trough days, and the day it regained the peak."""
    if not days:
        return Drawdown(ZERO, None, None, None)
    trough = min(days, key=lambda day: (day.drawdown, day.day))
    if trough.drawdown == 0:
        return Drawdown(ZERO, None, None, None)
    before = [day for day in days if day.day <= trough.day]
    peak_index = max(ONE + day.cumulative for day in before)
    # The last day at the high: the day the fall began.
    peak = next(day for day in reversed(before) if ONE + day.cumulative == peak_index)
    recovered = next((day.day for day in days if day.day > trough.day and day.drawdown == 0), None)
    return Drawdown(trough.drawdown, peak.day, trough.day, recovered)


def daily_risk_free(yearly: Decimal) -> Decimal:
    return (ONE + yearly) ** (ONE / TRADING_DAYS_A_YEAR) - ONE


def sharpe_ratio(daily: list[Decimal], risk_free_rate: Decimal) -> Decimal | None:
    """Mean daily excess return over the sample standard deviation of daily returns, annualized."""
    if len(daily) < 2:
        return None
    mean = sum(daily, ZERO) / len(daily)
    variance = sum(((value - mean) ** 2 for value in daily), ZERO) / (len(daily) - 1)
    if variance == 0:
        return None
    excess = mean - daily_risk_free(risk_free_rate)
    return excess / variance.sqrt() * Decimal(TRADING_DAYS_A_YEAR).sqrt()


def sortino_ratio(daily: list[Decimal], risk_free_rate: Decimal) -> Decimal | None:
    """Mean daily excess return over the downside deviation (below the risk-free rate), annualized."""
    if len(daily) < 2:
        return None
    target = daily_risk_free(risk_free_rate)
    downside = sum((min(value - target, ZERO) ** 2 for value in daily), ZERO) / len(daily)
    if downside == 0:
        return None
    excess = sum(daily, ZERO) / len(daily) - target
    return excess / downside.sqrt() * Decimal(TRADING_DAYS_A_YEAR).sqrt()


def returns_of(values: list[tuple[date, Decimal]], flows: dict[date, Decimal], *, risk_free_rate: Decimal) -> Returns:
    days = daily_returns(values, flows)
    daily = [day.daily for day in days if day.daily is not None]
    return Returns(
        days=days,
        months=period_returns(days, "month"),
        years=period_returns(days, "year"),
        drawdown=max_drawdown(days),
        sharpe=sharpe_ratio(daily, risk_free_rate),
        sortino=sortino_ratio(daily, risk_free_rate),
        risk_free_rate=risk_free_rate,
    )


def account_returns(scope: Scope, *, risk_free_rate: Decimal) -> Returns:
    """The returns of the selected accounts over the selected days (two queries)."""
    return returns_of(net_liq_history(scope), external_flows(scope), risk_free_rate=risk_free_rate)


def chart(result: Returns) -> dict[str, list]:
    """The three charts' data in percent: cumulative TWR and drawdown by day, returns by month."""
    return {
        "days": [day.day.isoformat() for day in result.days],
        "cumulative": [round(float(day.cumulative) * 100, 4) for day in result.days],
        "drawdown": [round(float(day.drawdown) * 100, 4) for day in result.days],
        "months": [month.period.strftime("%Y-%m") for month in result.months],
        "monthly": [round(float(month.value) * 100, 4) for month in result.months],
    }
