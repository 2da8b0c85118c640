"""The Reports tab's P&L reports: by period, by underlying and strategy, statistics on whole positions.

The ledger of make_trading_history: AAPL +98.97 (20 Jan), a SPY put +98.86 (20 Feb), KO -50.00 (16 Mar 2026).
"""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.reports.tests.factories import BrokerAccountFactory, make_round_trips
from apps.trades import pnl
from apps.trades.models import BrokerAccount, Position, Strategy
from apps.trades.strategies import override_strategy

from .test_views import queries_for

pytestmark = pytest.mark.usefixtures("frozen_clock")


def report(client, **params):
    response = client.get(reverse("reports:home"), params)
    assert response.status_code == 200
    return response


def stat(html: str, name: str) -> str:
    return re.search(rf'data-stat="{name}">([^<]*)<', html).group(1)


def test_the_pnl_report_is_the_reports_tabs_first_page(user_client, history):
    assert report(user_client).context["report"] == "pnl"


def test_realized_pnl_by_month_with_its_closing_events_and_the_charges_in_it(user_client, history):
    lines = report(user_client).context["lines"]
    assert [(line.key.isoformat(), line.realized_pnl, line.closing_events) for line in lines] == [
        ("2026-01-01", Decimal("98.97"), 1),
        ("2026-02-01", Decimal("98.86"), 1),
        ("2026-03-01", Decimal("-50.00"), 1),
    ]
    assert (lines[1].commissions_in_pnl, lines[1].fees_in_pnl) == (Decimal("-1.00"), Decimal("-0.14"))


def test_realized_pnl_by_day_and_by_year(user_client, history):
    days = report(user_client, group="day").context["lines"]
    years = report(user_client, group="year").context["lines"]
    assert [line.key.isoformat() for line in days] == ["2026-01-20", "2026-02-20", "2026-03-16"]
    assert [(line.key.year, line.realized_pnl) for line in years] == [(2026, Decimal("147.83"))]


def test_the_period_report_follows_the_date_range(user_client, history):
    lines = report(user_client, start="2026-02-01", end="2026-02-28").context["lines"]
    assert [line.realized_pnl for line in lines] == [Decimal("98.86")]


@pytest.mark.parametrize("by", ["day", "month", "year", "underlying", "strategy"])
def test_the_reports_realized_pnl_is_the_engines_pnl_report(user_client, user, history, by):
    """Each table of the page has the groups with closing events of `pnl_report` (pnl.realized_pnl_by), same sums."""
    engine = pnl.realized_pnl_by(accounts=BrokerAccount.objects.filter(user=user), by=by, tz=user.tz)
    engine = [row for row in engine if row.closing_events]
    params = {"report": "breakdown"} if by in ("underlying", "strategy") else {"group": by}
    context = report(user_client, start="", **params).context
    lines = context[by] if by in ("underlying", "strategy") else context["lines"]
    assert sorted(line.realized_pnl for line in lines) == sorted(row.realized_pnl for row in engine)
    assert sum(line.closing_events for line in lines) == sum(row.closing_events for row in engine)


def test_statistics_count_whole_positions_closed_in_the_range(user_client, history):
    html = report(user_client).content.decode()
    assert [stat(html, name) for name in ["win-rate", "expectancy", "profit-factor", "realized"]] == [
        "66.7%",
        "+$49.28",
        "3.96",
        "+$147.83",
    ]
    assert [stat(html, name) for name in ["average-win", "average-loss", "largest-win", "largest-loss"]] == [
        "+$98.92",
        "-$50.00",
        "+$98.97",
        "-$50.00",
    ]


def test_maximum_drawdown_is_the_fall_of_cumulative_realized_pnl_from_its_high(user_client, history):
    html = report(user_client).content.decode()
    assert stat(html, "max-drawdown") == "-$50.00"
    assert "From 2026-02-20 to 2026-03-16" in html


def test_the_pnl_report_states_the_pnl_convention(user_client, history):
    html = report(user_client).content.decode()
    assert 'id="convention"' in html
    assert "FIFO per instrument" in html and "net of the commissions and fees" in html
    assert "whole positions" in html and "America/New_York" in html


def test_the_pnl_report_hands_its_chart_the_realized_pnl_and_the_running_total(user_client, history):
    html = report(user_client).content.decode()
    assert (
        '<script id="pnl-data" type="application/json">{"labels": ["2026-01", "2026-02", "2026-03"], '
        '"realized": [98.97, 98.86, -50.0], "cumulative": [98.97, 197.83, 147.83]}</script>'
    ) in html


def test_realized_pnl_by_underlying_biggest_gain_first(user_client, history):
    lines = report(user_client, report="breakdown").context["underlying"]
    assert [(line.label, line.realized_pnl) for line in lines] == [
        ("AAPL", Decimal("98.97")),
        ("SPY", Decimal("98.86")),
        ("KO", Decimal("-50.00")),
    ]


def test_realized_pnl_by_strategy_uses_the_strategy_the_user_chose(user_client, history):
    kept = Position.objects.get(account=history, underlying_symbol="KO")
    override_strategy(account=history, position_key=kept.key, strategy=Strategy.CUSTOM)
    lines = report(user_client, report="breakdown").context["strategy"]
    assert [(line.label, line.realized_pnl) for line in lines] == [
        ("Stock", Decimal("98.97")),
        ("Short put", Decimal("98.86")),
        ("Custom", Decimal("-50.00")),
    ]


def test_breakdown_rows_link_to_the_trades_they_count(user_client, history):
    html = report(user_client, report="breakdown").content.decode()
    assert f'href="{reverse("trades:list")}?underlying=KO"' in html
    assert f'href="{reverse("trades:list")}?strategy=short_put"' in html


def test_the_pnl_report_leaves_out_another_users_events(other_client, history):
    assert report(other_client).context["lines"] == []


def test_pnl_reports_of_another_users_account_are_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    assert user_client.get(reverse("reports:home"), {"account": theirs.pk}).status_code == 404


@pytest.mark.parametrize(
    "params",
    [{"group": "day", "start": ""}, {"report": "breakdown", "start": ""}],
    ids=["pnl", "breakdown"],
)
def test_pnl_reports_cost_the_same_few_queries_for_any_number_of_events(
    user_client, user, params, django_assert_max_num_queries
):
    account = BrokerAccountFactory(user=user)
    make_round_trips(account, 100, start=datetime(2025, 9, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(12):
        small = queries_for(user_client, reverse("reports:home"), params)
    make_round_trips(account, 1_900, start=datetime(2025, 12, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(12):
        assert queries_for(user_client, reverse("reports:home"), params) == small


def test_the_win_rates_counts_carry_thousands_separators(user_client, history, monkeypatch):
    many = pnl.TradeStatistics(
        closed_positions=1404,
        winners=1045,
        losers=359,
        win_rate=Decimal(1045) / 1404,
        average_win=Decimal("390.21"),
        average_loss=Decimal("-672.42"),
        largest_win=Decimal("24175.70"),
        largest_loss=Decimal("-9868.40"),
        profit_factor=Decimal("1.70"),
        realized_pnl=Decimal("167720.27"),
    )
    monkeypatch.setattr(pnl, "statistics", lambda **kwargs: many)
    assert "1,045 of 1,404 positions won" in report(user_client).content.decode()
