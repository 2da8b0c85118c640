"""The dashboard's P&L half: widgets and charts read from the P&L engine, for whom, and at what query cost.

The ledger of make_trading_history: +98.97 on 20 Jan, +98.86 on 20 Feb, -50.00 on 16 Mar 2026 (today), and a
short QQQ put still open, worth +99.00 at the broker's mark after its opening fees.
"""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.reports.tests.factories import (
    BrokerAccountFactory,
    make_round_trips,
    make_trading_history,
    quote_the_short_qqq_put,
)
from apps.tastytrade_sync.models import SyncRun
from apps.tastytrade_sync.tests.factories import ConnectionFactory, SyncRunFactory
from apps.trades.lots import recompute_account
from apps.trades.models import PositionSnapshot
from apps.trades.tests.factories import OptionTransactionFactory, SoldPutPositionFactory, TransactionFactory

from .test_views import get_html, queries_for, widget

pytestmark = pytest.mark.usefixtures("frozen_clock")


def chart_data(html: str, name: str) -> str:
    return re.search(rf'<script id="{name}-data" type="application/json">([^<]*)</script>', html).group(1)


def test_realized_today_month_and_year_add_up_the_engines_closing_events(user_client, history):
    html = get_html(user_client, "dashboard:home")
    widgets = [widget(html, name) for name in ["realized-today", "realized-month", "realized-year"]]
    assert widgets == ["-$50.00", "-$50.00", "+$147.83"]


def test_a_late_evening_close_counts_on_its_new_york_trading_day(user_client, user, history):
    # 01:30 UTC on 16 March is the evening of 15 March in New York: not today.
    TransactionFactory(
        account=history,
        symbol="MSFT",
        quantity=1,
        price=Decimal("10"),
        executed_at=datetime(2026, 3, 2, 15, tzinfo=UTC),
    )
    TransactionFactory(
        account=history,
        symbol="MSFT",
        action="Sell to Close",
        quantity=1,
        price=Decimal("30"),
        executed_at=datetime(2026, 3, 16, 1, 30, tzinfo=UTC),
    )
    recompute_account(account=history)
    html = get_html(user_client, "dashboard:home")
    assert (widget(html, "realized-today"), widget(html, "realized-month")) == ("-$50.00", "-$30.00")


def test_unrealized_comes_from_the_brokers_marks_net_of_opening_fees(user_client, history):
    assert widget(get_html(user_client, "dashboard:home"), "unrealized") == "+$99.00"


def test_unrealized_says_how_many_open_legs_have_no_mark(user_client, history):
    OptionTransactionFactory(
        account=history,
        underlying_symbol="IWM",
        strike=Decimal("200"),
        executed_at=datetime(2026, 3, 12, 15, tzinfo=UTC),
    )
    recompute_account(account=history)
    html = get_html(user_client, "dashboard:home")
    assert widget(html, "unrealized") == "+$99.00"
    assert "1 open leg(s) without a mark left out" in html


def test_win_rate_counts_whole_positions_closed_this_year(user_client, history):
    html = get_html(user_client, "dashboard:home")
    assert widget(html, "win-rate") == "66.7%"
    assert "3 whole positions closed this year" in html


def test_open_positions_count_our_open_legs_once_the_engine_has_run(user_client, history):
    SoldPutPositionFactory(account=history, symbol="NOT-IN-OUR-BOOKS")  # the broker's view, not ours
    html = get_html(user_client, "dashboard:home")
    assert widget(html, "open-positions") == "1"


def test_monthly_pnl_chart_has_one_bar_per_month(user_client, history):
    html = get_html(user_client, "dashboard:home")
    assert (
        chart_data(html, "monthly-pnl")
        == '{"labels": ["2026-01", "2026-02", "2026-03"], "values": [98.97, 98.86, -50.0]}'
    )


def test_cumulative_pnl_chart_is_the_running_total_of_realized_pnl(user_client, history):
    html = get_html(user_client, "dashboard:home")
    assert chart_data(html, "cumulative-pnl") == (
        '{"labels": ["2026-01-20", "2026-02-20", "2026-03-16"], "values": [98.97, 197.83, 147.83]}'
    )


def test_the_dashboards_calendar_shows_this_months_days_linked_to_their_closed_trades(user_client, history):
    html = get_html(user_client, "dashboard:home")
    assert re.findall(r'pnl-day-number">(\d+)[^<]*<.*?pnl-amount">([^<]+)<', html.split("pnl-day-link", 1)[1], re.S)[
        0
    ] == (
        "16",
        "-$50.00",
    )
    assert f"{reverse('dashboard:calendar_day')}?day=2026-03-16" in html


def test_pnl_charts_follow_the_date_range_but_the_widgets_keep_their_periods(user_client, history):
    html = get_html(user_client, "dashboard:home", {"start": "2026-02-01", "end": "2026-02-28"})
    assert chart_data(html, "cumulative-pnl") == '{"labels": ["2026-02-20"], "values": [98.86]}'
    assert widget(html, "realized-year") == "+$147.83"


def test_a_range_without_closing_events_says_so(user_client, history):
    html = get_html(user_client, "dashboard:home", {"start": "2026-03-01", "end": "2026-03-10"})
    assert "No realized P&amp;L in this range." in html and "monthly-pnl-data" not in html


def test_dashboard_shows_one_accounts_pnl_when_picked(user_client, user, history):
    other = make_trading_history(user, account_number="5WT88888")
    html = get_html(user_client, "dashboard:home", {"account": other.pk})
    assert widget(html, "realized-year") == "+$147.83"
    assert widget(get_html(user_client, "dashboard:home"), "realized-year") == "+$295.66"


def test_dashboard_does_not_show_another_users_pnl(other_client, other_user, history):
    BrokerAccountFactory(user=other_user)
    assert widget(get_html(other_client, "dashboard:home"), "realized-year") == "\u2014"


def test_dashboard_links_to_how_pnl_is_counted(user_client, history):
    assert f'href="{reverse("reports:home")}#convention"' in get_html(user_client, "dashboard:home")


def test_dashboard_with_pnl_costs_the_same_few_queries_for_100_and_2000_transactions(
    user_client, user, django_assert_max_num_queries
):
    account = BrokerAccountFactory(user=user)
    SyncRunFactory(connection=ConnectionFactory(user=user), status=SyncRun.Status.PARTIAL)
    SoldPutPositionFactory(account=account)
    make_round_trips(account, 100, start=datetime(2025, 11, 3, 15, tzinfo=UTC))
    with django_assert_max_num_queries(14):  # 12, and the saved layout and this month's calendar
        small = queries_for(user_client, "dashboard:home", {"start": ""})
    make_round_trips(account, 1_900, start=datetime(2025, 12, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(14):  # 12, and the saved layout and this month's calendar
        assert queries_for(user_client, "dashboard:home", {"start": ""}) == small


def test_the_positions_page_total_is_the_dashboards_unrealized_figure(user_client, history):
    dashboard = widget(get_html(user_client, "dashboard:home"), "unrealized")
    positions = user_client.get(reverse("dashboard:positions")).context["unrealized"]
    assert (dashboard, positions) == ("+$99.00", Decimal("99.00"))


def test_the_positions_page_says_its_unrealized_figure_is_the_dashboards(user_client, history):
    html = get_html(user_client, "dashboard:positions")
    assert "against our cost of opening, fees included" in html and "the dashboard shows the same figure" in html


def test_a_leg_without_a_mark_counts_on_neither_page_even_with_a_close_price(user_client, history):
    PositionSnapshot.objects.filter(account=history).update(mark=None, close_price=Decimal("1.40"))
    html = get_html(user_client, "dashboard:home")
    positions = user_client.get(reverse("dashboard:positions")).context["unrealized"]
    assert (widget(html, "unrealized"), positions) == ("\u2014", None)


def test_the_positions_page_puts_each_leg_under_the_engines_strategy_position_with_the_dashboards_figure(
    user_client, history
):
    book = user_client.get(reverse("dashboard:positions")).context["book"]
    (qqq,) = book.underlyings
    (short_put,) = qqq.positions
    assert (qqq.underlying, short_put.label, short_put.unrealized, book.unrealized) == (
        "QQQ",
        "Short put",
        Decimal("99.00"),
        Decimal("99.00"),
    )


def test_the_payoff_page_of_an_open_position_draws_its_legs(user_client, history):
    book = user_client.get(reverse("dashboard:positions")).context["book"]
    (short_put,) = book.underlyings[0].positions
    response = user_client.get(reverse("dashboard:payoff"), {"position": short_put.slug})
    assert response.status_code == 200
    assert [leg.contract for leg in response.context["legs"]] == [leg.contract for leg in short_put.legs]


def test_the_payoff_page_of_another_users_position_is_404(user_client, other_client, history):
    book = user_client.get(reverse("dashboard:positions")).context["book"]
    slug = book.underlyings[0].positions[0].slug
    assert other_client.get(reverse("dashboard:payoff"), {"position": slug}).status_code == 404


def test_the_payoff_page_of_an_underlying_not_held_is_404(user_client, history):
    assert user_client.get(reverse("dashboard:payoff"), {"underlying": "NOPE"}).status_code == 404


# -- The payoff panel on the Positions page: its data as JSON -------------------------------------------------------


@pytest.fixture
def quoted(history):
    """The history's short QQQ 500 put with QQQ at 505 and the put's quote, as a snapshot would store them."""
    quote_the_short_qqq_put(history)
    return history


def test_the_payoff_data_of_an_underlying_is_the_payoff_pages_chart_as_json(user_client, quoted):
    page = user_client.get(reverse("dashboard:payoff"), {"underlying": "QQQ"}).context["chart"]
    data = user_client.get(reverse("dashboard:payoff_data"), {"underlying": "QQQ"}).json()
    assert (data["name"], data["legs"], data["chart"]) == ("QQQ", 1, page)


def test_the_payoff_data_of_a_short_put_breaks_even_below_its_strike(user_client, quoted):
    chart = user_client.get(reverse("dashboard:payoff_data"), {"underlying": "QQQ"}).json()["chart"]
    (breakeven,) = chart["breakevens"]
    assert 497 < breakeven < 500 and chart["price"] == 505.0


def test_the_payoff_data_of_a_position_names_the_position(user_client, quoted):
    book = user_client.get(reverse("dashboard:positions")).context["book"]
    (short_put,) = book.underlyings[0].positions
    data = user_client.get(reverse("dashboard:payoff_data"), {"position": short_put.slug}).json()
    assert data["name"] == "Short put · QQQ"


def test_the_payoff_data_without_the_underlyings_price_has_no_chart(user_client, history):
    data = user_client.get(reverse("dashboard:payoff_data"), {"underlying": "QQQ"}).json()
    assert (data["legs"], data["chart"]) == (1, None)


def test_the_payoff_data_of_another_users_underlying_is_404(other_client, quoted):
    assert other_client.get(reverse("dashboard:payoff_data"), {"underlying": "QQQ"}).status_code == 404


def test_the_payoff_data_of_another_users_position_is_404(user_client, other_client, quoted):
    slug = user_client.get(reverse("dashboard:positions")).context["book"].underlyings[0].positions[0].slug
    assert other_client.get(reverse("dashboard:payoff_data"), {"position": slug}).status_code == 404


def test_the_payoff_data_of_another_users_account_is_404(other_client, quoted):
    params = {"underlying": "QQQ", "account": quoted.pk}
    assert other_client.get(reverse("dashboard:payoff_data"), params).status_code == 404


def test_the_positions_pages_payoff_button_fetches_the_underlyings_data_and_links_its_page(user_client, quoted):
    html = get_html(user_client, "dashboard:positions", {"account": quoted.pk})
    data_url = f"{reverse('dashboard:payoff_data')}?underlying=QQQ&amp;account={quoted.pk}"
    page_url = f"{reverse('dashboard:payoff')}?underlying=QQQ&amp;account={quoted.pk}"
    assert f'data-payoff-data="{data_url}" data-payoff-page="{page_url}"' in html


def test_the_payoff_data_costs_the_positions_pages_queries_at_most(user_client, quoted, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert user_client.get(reverse("dashboard:payoff_data"), {"underlying": "QQQ"}).status_code == 200
