"""Dashboard, Positions and Transactions pages: what they show, for whom, and at what query cost."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.dashboard import calendar
from apps.reports.tests.factories import BrokerAccountFactory, make_transactions
from apps.tastytrade_sync.models import SyncRun
from apps.tastytrade_sync.tests.factories import ConnectionFactory, SyncRunFactory
from apps.trades.models import Transaction
from apps.trades.tests.factories import (
    BalanceNowFactory,
    NetLiqPointFactory,
    PositionSnapshotFactory,
    SoldPutFillFactory,
    SoldPutPositionFactory,
)


@pytest.fixture
def account(user):
    return BrokerAccountFactory(user=user, account_number="5WT33333")


pytestmark = pytest.mark.usefixtures("frozen_clock_on_first_fill_day")


def widget(html: str, name: str) -> str:
    return re.search(rf'data-widget="{name}">([^<]*)<', html).group(1)


def get_html(client, name: str, params: dict | None = None) -> str:
    response = client.get(reverse(name), params or {})
    assert response.status_code == 200
    return response.content.decode()


# -- Dashboard -----------------------------------------------------------------------------


def test_dashboard_requires_sign_in(client, db):
    assert client.get(reverse("dashboard:home")).status_code == 302


def test_dashboard_shows_net_liq_and_cash_summed_over_included_accounts(user_client, user, account):
    BalanceNowFactory(account=account, net_liquidating_value=Decimal("1000.50"), cash_balance=Decimal("300"))
    BalanceNowFactory(
        account=BrokerAccountFactory(user=user), net_liquidating_value=Decimal("99.50"), cash_balance=Decimal("-50")
    )
    BalanceNowFactory(account=BrokerAccountFactory(user=user, is_included=False), net_liquidating_value=7)
    html = get_html(user_client, "dashboard:home")
    assert (widget(html, "net-liq"), widget(html, "cash")) == ("$1,100.00", "$250.00")


def test_dashboard_shows_one_account_when_picked(user_client, user, account):
    BalanceNowFactory(account=account, net_liquidating_value=Decimal("1000"))
    BalanceNowFactory(account=BrokerAccountFactory(user=user), net_liquidating_value=Decimal("5"))
    assert widget(get_html(user_client, "dashboard:home", {"account": account.pk}), "net-liq") == "$1,000.00"


def test_dashboard_of_another_users_account_is_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    assert user_client.get(reverse("dashboard:home"), {"account": theirs.pk}).status_code == 404


def test_dashboard_does_not_show_another_users_balances(other_client, other_user, account):
    BalanceNowFactory(account=account, net_liquidating_value=Decimal("1000"))
    BrokerAccountFactory(user=other_user)
    assert widget(get_html(other_client, "dashboard:home"), "net-liq") == "\u2014"


def test_dashboard_counts_open_positions(user_client, account):
    SoldPutPositionFactory(account=account)
    SoldPutPositionFactory(account=account)
    assert widget(get_html(user_client, "dashboard:home"), "open-positions") == "2"


def test_dashboard_shows_this_years_fees(user_client, account):
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 2, 2, 15, tzinfo=UTC), commission=Decimal("-1"))
    SoldPutFillFactory(account=account, executed_at=datetime(2025, 12, 2, 15, tzinfo=UTC), commission=Decimal("-9"))
    assert widget(get_html(user_client, "dashboard:home"), "fees-this-year") == "-$1.14"


def test_dashboard_shows_pnl_widgets_empty_until_the_pnl_engine_has_run(user_client, account):
    html = get_html(user_client, "dashboard:home")
    assert [widget(html, name) for name in ["realized-today", "unrealized", "win-rate"]] == ["\u2014"] * 3
    assert "P&amp;L appears after the first sync or CSV import." in html


def test_dashboard_draws_no_pnl_chart_before_the_pnl_engine_has_run(user_client, account):
    html = get_html(user_client, "dashboard:home")
    assert "monthly-pnl-data" not in html and "pnl-calendar-data" not in html


def test_pnl_widgets_and_charts_render_once_the_pnl_engine_fills_their_context(user_client, account):
    response = user_client.get(reverse("dashboard:home"))
    pnl = SimpleNamespace(
        realized_today=Decimal("12.5"),
        realized_month=Decimal("-40"),
        realized_year=Decimal("1234.56"),
        unrealized=Decimal("0"),
        win_rate=Decimal("0.625"),
    )
    series = {"labels": ["2026-02"], "values": [12.5]}
    view_context = ["scope", "period_form", "balances", "open_positions", "fees_this_year", "net_liq", "connections"]
    view_context += ["layout", "shown_widgets", "first_step"]
    context = {key: response.context[key] for key in view_context} | {
        "active_runs": [],
        "pnl": pnl,
        "monthly_pnl": series,
        "cumulative_pnl": series,
        "calendar_month": calendar.month_grid(date(2026, 3, 1), {}),
    }
    html = render_to_string("dashboard/home.html", context, request=response.wsgi_request)
    widgets = ["realized-today", "realized-month", "realized-year", "unrealized", "win-rate"]
    assert [widget(html, name) for name in widgets] == ["+$12.50", "-$40.00", "+$1,234.56", "$0.00", "62.5%"]
    assert '<script id="monthly-pnl-data" type="application/json">' in html
    assert '<canvas id="cumulative-pnl-chart"' in html
    assert "No realized P&amp;L in March 2026." in html and "P&amp;L appears after" not in html


def test_dashboard_hands_the_net_liq_history_to_the_chart(user_client, account):
    NetLiqPointFactory(account=account, time=datetime(2026, 3, 1, 21, tzinfo=UTC), close=Decimal("25000.50"))
    html = get_html(user_client, "dashboard:home")
    assert '{"labels": ["2026-03-01"], "values": [25000.5]}' in html


def test_dashboard_net_liq_chart_follows_the_date_range(user_client, account):
    NetLiqPointFactory(account=account, time=datetime(2026, 1, 5, 21, tzinfo=UTC))
    response = user_client.get(reverse("dashboard:home"), {"start": "2026-02-01"})
    assert response.context["net_liq"]["labels"] == []


def test_dashboard_says_which_time_zone_its_days_are_in(user_client, user, account):
    user.time_zone = "Europe/Berlin"
    user.save()
    assert "Days are trading days in Europe/Berlin" in get_html(user_client, "dashboard:home")


def test_dashboard_offers_sync_now_for_each_connection_returning_to_the_dashboard(user_client, user):
    connection = ConnectionFactory(user=user)
    html = get_html(user_client, "dashboard:home")
    assert f'action="{reverse("tastytrade_sync:sync_now", args=[connection.pk])}"' in html
    assert f'name="next" value="{reverse("dashboard:home")}"' in html


def test_dashboard_shows_the_last_runs_status(user_client, user):
    connection = ConnectionFactory(user=user)
    SyncRunFactory(connection=connection, status=SyncRun.Status.FAILED, started_at=datetime(2026, 3, 1, tzinfo=UTC))
    SyncRunFactory(connection=connection, status=SyncRun.Status.SUCCEEDED, started_at=datetime(2026, 3, 2, tzinfo=UTC))
    assert "Last sync: Succeeded" in get_html(user_client, "dashboard:home")


def test_dashboard_carries_an_active_sync_forward(user_client, user):
    run = SyncRunFactory(connection=ConnectionFactory(user=user), status=SyncRun.Status.PARTIAL)
    html = get_html(user_client, "dashboard:home")
    assert reverse("tastytrade_sync:run_continue", args=[run.pk]) in html and "js/sync.js" in html


def test_dashboard_does_not_show_another_users_sync(other_client, user):
    SyncRunFactory(connection=ConnectionFactory(user=user, label="Alice's"), status=SyncRun.Status.RUNNING)
    html = get_html(other_client, "dashboard:home")
    assert "Alice's" not in html and "data-sync-run" not in html


def test_dashboard_invites_a_user_without_connections_to_connect(user_client):
    assert reverse("tastytrade_sync:connect") in get_html(user_client, "dashboard:home")


def test_tabs_link_every_section_and_keep_the_chosen_account(user_client, account):
    html = get_html(user_client, "dashboard:home", {"account": account.pk})
    for name in ["dashboard:positions", "trades:list", "dashboard:transactions", "reports:home"]:
        assert f'href="{reverse(name)}?account={account.pk}"' in html
    assert f'href="{reverse("tastytrade_sync:page")}"' in html


# -- Positions -----------------------------------------------------------------------------


def test_positions_are_grouped_by_underlying_with_unrealized_from_marks(user_client, account):
    SoldPutPositionFactory(
        account=account, underlying_symbol="SPY", quantity=-1, average_open_price=Decimal("2.5"), mark=Decimal("1.5")
    )
    response = user_client.get(reverse("dashboard:positions"))
    (spy,) = response.context["book"].underlyings
    assert (spy.underlying, len(spy.legs), spy.unrealized) == ("SPY", 1, Decimal("100.00"))
    assert re.search(
        r'data-underlying="SPY">\s*<tr class="table-light">(.(?!</tr>))*>\+\$100\.00<',
        str(response.content, "utf-8"),
        re.S,
    )


def test_positions_name_each_contract_and_keep_its_symbol_beside_it(user_client, account):
    SoldPutPositionFactory(account=account, symbol="SPY   261218P00022500", underlying_symbol="SPY")
    html = get_html(user_client, "dashboard:positions")
    assert re.search(r"Dec 18 &#x27;26 22.5 P<div[^>]*data-symbol>SPY   261218P00022500</div>", html)


def test_a_future_option_is_grouped_with_its_futures_family(user_client, account):
    PositionSnapshotFactory(account=account, symbol="/ESH7", instrument_type="Future", underlying_symbol="/ES")
    PositionSnapshotFactory(
        account=account, symbol="./ESH7 EW3H7 270319P5800", instrument_type="Future Option", underlying_symbol="/ESH7"
    )
    response = user_client.get(reverse("dashboard:positions"))
    assert [(group.underlying, len(group.lines)) for group in response.context["groups"]] == [("/ES", 2)]


def test_positions_show_days_to_expiry(user_client, account):
    SoldPutPositionFactory(account=account, expires_at=datetime(2026, 3, 20, 21, tzinfo=UTC))
    response = user_client.get(reverse("dashboard:positions"))
    assert response.context["groups"][0].lines[0].days_to_expiry == 18


def test_positions_leave_out_other_users_positions(other_client, account):
    SoldPutPositionFactory(account=account, symbol="ALICE-ONLY")
    assert "ALICE-ONLY" not in get_html(other_client, "dashboard:positions")


def test_positions_of_another_users_account_are_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    assert user_client.get(reverse("dashboard:positions"), {"account": theirs.pk}).status_code == 404


# -- Transactions --------------------------------------------------------------------------


def test_transactions_list_newest_first(user_client, account):
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 1, 5, 15, tzinfo=UTC), symbol="OLD")
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 2, 5, 15, tzinfo=UTC), symbol="NEW")
    page = user_client.get(reverse("dashboard:transactions")).context["page"]
    assert [row.symbol for row in page] == ["NEW", "OLD"]


def test_transactions_name_an_option_as_a_trader_reads_it_and_keep_its_symbol(user_client, account):
    SoldPutFillFactory(account=account)  # SPY   260116P00550000
    html = get_html(user_client, "dashboard:transactions")
    assert "Jan 16 &#x27;26 550 P" in html and "SPY   260116P00550000" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "Money Movement"}, ["DEPOSIT"]),
        ({"sub_type": "Buy to Close"}, ["QQQ 1"]),
        ({"underlying": "spy"}, ["SPY 1"]),
        ({"symbol": "qq"}, ["QQQ 1"]),
        ({"start": "2026-02-01", "end": "2026-02-28"}, ["QQQ 1"]),
    ],
)
def test_transaction_filters_narrow_the_list(user_client, account, params, expected):
    SoldPutFillFactory(account=account, symbol="SPY 1", underlying_symbol="SPY")
    SoldPutFillFactory(
        account=account,
        symbol="QQQ 1",
        underlying_symbol="QQQ",
        transaction_sub_type="Buy to Close",
        executed_at=datetime(2026, 2, 10, 15, tzinfo=UTC),
    )
    SoldPutFillFactory(
        account=account,
        symbol="DEPOSIT",
        underlying_symbol="",
        transaction_type=Transaction.Type.MONEY_MOVEMENT,
        transaction_sub_type="Deposit",
    )
    page = user_client.get(reverse("dashboard:transactions"), params).context["page"]
    assert [row.symbol for row in page] == expected


def test_transaction_dates_are_trading_days_in_the_users_zone(user_client, account):
    # 02:30 UTC on 3 March is the evening of 2 March in New York.
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 3, 3, 2, 30, tzinfo=UTC), symbol="LATE")
    page = user_client.get(reverse("dashboard:transactions"), {"start": "2026-03-02", "end": "2026-03-02"}).context[
        "page"
    ]
    assert [row.symbol for row in page] == ["LATE"]


def test_transactions_are_paginated_fifty_to_a_page(user_client, account):
    make_transactions(account, 120)
    page = user_client.get(reverse("dashboard:transactions"), {"page": 3}).context["page"]
    assert (len(page), page.paginator.num_pages) == (20, 3)


def test_transaction_pages_keep_the_filters_in_their_links(user_client, account):
    make_transactions(account, 60)
    html = get_html(user_client, "dashboard:transactions", {"type": "Trade"})
    assert 'href="?type=Trade&amp;page=2"' in html


def test_transactions_leave_out_other_users_rows(other_client, account):
    SoldPutFillFactory(account=account, symbol="ALICE-ONLY")
    assert "ALICE-ONLY" not in get_html(other_client, "dashboard:transactions")


def test_transactions_of_another_users_account_are_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    assert user_client.get(reverse("dashboard:transactions"), {"account": theirs.pk}).status_code == 404


def test_transactions_offer_a_csv_of_what_the_filters_show(user_client, account):
    html = get_html(user_client, "dashboard:transactions", {"underlying": "SPY", "page": 1})
    assert f'href="{reverse("reports:transactions_csv")}?underlying=SPY"' in html


# -- Navigation ----------------------------------------------------------------------------


def test_navbar_links_every_section_and_marks_the_current_one(user_client, account):
    html = get_html(user_client, "dashboard:positions")
    navbar = html.split('aria-label="Main navigation"')[1].split("</nav>")[0]
    for name in ["dashboard:home", "dashboard:transactions", "reports:home", "tastytrade_sync:page"]:
        assert f'href="{reverse(name)}"' in navbar
    assert f'href="{reverse("dashboard:positions")}" aria-current="page"' in navbar


# -- Speed ---------------------------------------------------------------------------------


def queries_for(client, name: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(reverse(name), params or {}).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("dashboard:home", {}),
        ("dashboard:positions", {}),
        ("dashboard:transactions", {}),
        ("dashboard:transactions", {"type": "Trade", "underlying": "T1", "page": "2"}),
    ],
)
def test_pages_cost_the_same_few_queries_for_100_and_2000_transactions(
    user_client, user, account, name, params, django_assert_max_num_queries
):
    SyncRunFactory(connection=ConnectionFactory(user=user), status=SyncRun.Status.PARTIAL)
    BalanceNowFactory(account=account, snapshot_date=date(2026, 3, 2))
    SoldPutPositionFactory(account=account)
    make_transactions(account, 100, start=datetime(2025, 9, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(12):
        small = queries_for(user_client, name, params)
    make_transactions(account, 1_900, start=datetime(2025, 12, 1, 15, tzinfo=UTC))
    for day in range(1, 29):
        NetLiqPointFactory(account=account, time=datetime(2026, 2, day, 21, tzinfo=UTC))
    with django_assert_max_num_queries(12):
        assert queries_for(user_client, name, params) == small
