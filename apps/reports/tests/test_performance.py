"""P&L arithmetic of the dashboard and the reports: periods, running totals, drawdown, expectancy."""

from datetime import date
from decimal import Decimal

from apps.reports.performance import TradeReport, by_period, max_drawdown, running_total, total
from apps.trades.pnl import RealizedLine, TradeStatistics


def day(month: int, dom: int, amount: str, events: int = 1) -> RealizedLine:
    return RealizedLine(date(2026, month, dom), Decimal(amount), events, Decimal("-1"), Decimal("-0.10"))


def test_days_roll_up_into_months_keyed_by_their_first_day():
    months = by_period([day(1, 5, "10"), day(1, 20, "-4"), day(2, 3, "7")], "month")
    assert [(line.key, line.realized_pnl, line.closing_events) for line in months] == [
        (date(2026, 1, 1), Decimal("6"), 2),
        (date(2026, 2, 1), Decimal("7"), 1),
    ]


def test_days_roll_up_into_years_with_their_charges():
    (year,) = by_period([day(1, 5, "10"), day(7, 20, "-4")], "year")
    assert (year.key, year.commissions_in_pnl, year.fees_in_pnl) == (date(2026, 1, 1), Decimal("-2"), Decimal("-0.20"))


def test_the_total_adds_every_line():
    line = total([day(1, 5, "10"), day(1, 6, "-4.5")])
    assert (line.realized_pnl, line.closing_events) == (Decimal("5.5"), 2)


def test_the_running_total_starts_from_zero():
    points = [(date(2026, 1, 1), Decimal("5")), (date(2026, 1, 2), Decimal("-2"))]
    assert running_total(points) == [(date(2026, 1, 1), Decimal("5")), (date(2026, 1, 2), Decimal("3"))]


def test_maximum_drawdown_is_the_deepest_fall_from_a_previous_high():
    points = [
        (date(2026, 1, 1), Decimal("100")),  # 100, the first high
        (date(2026, 1, 2), Decimal("-60")),  # 40
        (date(2026, 1, 3), Decimal("80")),  # 120, a new high
        (date(2026, 1, 4), Decimal("-90")),  # 30: 90 below the high
        (date(2026, 1, 5), Decimal("50")),  # 80
    ]
    drawdown = max_drawdown(points)
    assert (drawdown.amount, drawdown.peak_day, drawdown.trough_day) == (
        Decimal("-90"),
        date(2026, 1, 3),
        date(2026, 1, 4),
    )


def test_a_loss_from_the_start_is_a_drawdown_from_zero():
    drawdown = max_drawdown([(date(2026, 1, 1), Decimal("-25")), (date(2026, 1, 2), Decimal("10"))])
    assert (drawdown.amount, drawdown.peak_day, drawdown.trough_day) == (Decimal("-25"), None, date(2026, 1, 1))


def test_no_fall_is_a_drawdown_of_zero():
    assert max_drawdown([(date(2026, 1, 1), Decimal("5"))]).amount == Decimal("0")


def statistics(closed: int, realized: str) -> TradeStatistics:
    return TradeStatistics(closed, 0, 0, None, None, None, None, None, None, Decimal(realized))


def test_expectancy_is_the_average_pnl_of_a_closed_position():
    report = TradeReport(statistics(4, "-10"), max_drawdown([]))
    assert report.expectancy == Decimal("-2.5")


def test_expectancy_is_unknown_without_closed_positions():
    assert TradeReport(statistics(0, "0"), max_drawdown([])).expectancy is None
