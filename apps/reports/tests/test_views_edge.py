"""The Reports tab's Edge report: statistics of closed trades per group, as tables, charts and CSV.

The ledger is the hand-worked one of apps/trades/tests/test_analytics.py: SPY +58.80 (closed 10 Mar),
QQQ +150 (17 Apr), IWM +150 (10 Apr), SCHG +314 (25 Mar) and TSLA -300 (12 Mar 2026).
"""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.urls import reverse

from apps.reports.tests.factories import BrokerAccountFactory, make_round_trips
from apps.trades.lots import recompute_account
from apps.trades.tests.test_analytics import (
    assigned_put,
    expired_put_spread,
    losing_call,
    managed_put,
    rolled_put,
)

from .test_views import queries_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def first_of_may():
    with time_machine.travel(datetime(2026, 5, 1, 16, tzinfo=UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def ledger(user):
    account = BrokerAccountFactory(user=user)
    for trades in (managed_put, expired_put_spread, rolled_put, assigned_put, losing_call):
        trades(account)
    recompute_account(account=account)
    return account


def edge(client, **params):
    response = client.get(reverse("reports:home"), {"report": "edge", **params})
    assert response.status_code == 200
    return response


def table(response, name: str):
    (breakdown,) = [breakdown for breakdown in response.context["breakdowns"] if breakdown.name == name]
    return breakdown.rows


def test_the_edge_report_has_a_table_for_each_breakdown(user_client, ledger):
    names = [breakdown.name for breakdown in edge(user_client).context["breakdowns"]]
    assert names == ["management", "strategy", "underlying", "tag", "dte", "weekday", "month"]


def test_the_dte_table_works_out_each_buckets_statistics(user_client, ledger):
    short, month = table(edge(user_client), "dte")
    assert (short.key, short.trades, short.win_rate, short.expectancy, short.total_pnl) == (
        "8-21", 4, D("0.75"), D("55.70"), D("222.80"),
    )  # fmt: skip
    assert (month.key, month.trades, month.total_pnl) == ("22-45", 1, D("150"))


def test_the_edge_report_counts_the_trades_closed_in_the_range(user_client, ledger):
    rows = table(edge(user_client, start="2026-04-01", end="2026-04-30"), "underlying")
    assert [(row.key, row.total_pnl) for row in rows] == [("IWM", D("150")), ("QQQ", D("150"))]


def test_the_edge_page_shows_sortable_tables_with_their_chart_data(user_client, ledger):
    html = edge(user_client).content.decode()
    sortable = '<table class="table table-sm table-key-first table-striped align-middle small" data-sortable>'
    assert html.count(sortable) == 7
    assert '<script id="edge-dte-data" type="application/json">' in html
    assert '{"labels": ["8-21", "22-45"], "total_pnl": [222.8, 150.0], "win_rate": [75.0, 100.0]}' in html
    assert 'data-value="55.7000"' in html  # the 8-21 bucket's expectancy, for sorting


def test_the_edge_csv_holds_one_table(user_client, ledger):
    response = user_client.get(reverse("reports:edge_csv"), {"by": "weekday", "start": ""})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["weekday", "trades", "winners", "losers"]
    assert [(row[0], row[1], row[-1]) for row in rows[1:]] == [
        ("Monday", "3", "522.80"),
        ("Tuesday", "1", "150.00"),
        ("Wednesday", "1", "-300.00"),
    ]


def test_another_users_account_is_404_on_the_edge_report_and_its_csv(user_client, other_user, ledger):
    theirs = BrokerAccountFactory(user=other_user)
    assert user_client.get(reverse("reports:home"), {"report": "edge", "account": theirs.pk}).status_code == 404
    assert user_client.get(reverse("reports:edge_csv"), {"by": "dte", "account": theirs.pk}).status_code == 404


def test_the_edge_report_costs_the_same_few_queries_for_any_number_of_trades(
    user_client, user, django_assert_max_num_queries
):
    account = BrokerAccountFactory(user=user)
    make_round_trips(account, 100, start=datetime(2025, 9, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(12):
        small = queries_for(user_client, reverse("reports:home"), {"report": "edge"})
    make_round_trips(account, 1_900, start=datetime(2025, 12, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(12):
        assert queries_for(user_client, reverse("reports:home"), {"report": "edge"}) == small


def test_the_management_table_uses_the_thresholds_in_the_traders_profile(user_client, user, ledger):
    user.profit_target_percent, user.management_dte = 60, 10
    user.save()
    rows = table(edge(user_client, start=""), "management")
    assert [(row.key, row.trades, row.total_pnl) for row in rows] == [
        ("All short premium trades", 4, D("672.80")),
        ("Closed at 60% of max profit or more", 1, D("150")),  # IWM
        ("Held past 10 DTE", 2, D("300")),  # QQQ and IWM
        ("Held to expiration", 2, D("464")),  # QQQ expired, SCHG assigned
    ]


def test_the_management_table_exports_to_csv(user_client, ledger):
    response = user_client.get(reverse("reports:edge_csv"), {"by": "management", "start": ""})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row[0], row[1]) for row in rows[1:]] == [
        ("All short premium trades", "4"),
        ("Closed at 50% of max profit or more", "2"),
        ("Held past 21 DTE", "1"),
        ("Held to expiration", "2"),
    ]
