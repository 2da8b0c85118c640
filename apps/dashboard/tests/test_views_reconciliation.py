"""The Positions tab's P&L half: each leg's trade and strategy, the reconciliation badge and panel, data issues."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.reports.tests.factories import BrokerAccountFactory, make_round_trips
from apps.trades.lots import recompute_account
from apps.trades.models import Position
from apps.trades.tests.factories import BalanceNowFactory, SoldPutPositionFactory, TransactionFactory

from .test_views import get_html, queries_for

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_each_leg_links_to_the_trade_that_holds_it(user_client, history):
    qqq = Position.objects.get(account=history, underlying_symbol="QQQ")
    html = get_html(user_client, "dashboard:positions")
    link = reverse("trades:detail", kwargs={"account": history.pk, "key": qqq.key})
    assert f'<a href="{link}">Short put</a>' in html


def test_matching_quantities_show_a_green_badge(user_client, history):
    html = get_html(user_client, "dashboard:positions")
    assert 'data-reconciliation="match"' in html and "Quantities match TastyTrade" in html


def test_a_quantity_difference_shows_on_the_leg_and_in_the_panel(user_client, history):
    SoldPutPositionFactory(
        account=history, symbol="KO", underlying_symbol="KO", instrument_type="Equity", quantity=5, multiplier=1
    )
    recompute_account(account=history)
    html = get_html(user_client, "dashboard:positions")
    assert "Quantities differ from TastyTrade: 1 symbol" in html
    assert "ours: 0" in html
    assert "<strong>KO</strong>: ours 0, TastyTrade 5." in html


def test_the_panel_compares_cash_with_the_brokers_balance(user_client, history):
    BalanceNowFactory(account=history, snapshot_date=date(2026, 3, 16), cash_balance=Decimal("100.00"))
    recompute_account(account=history)
    checks = user_client.get(reverse("dashboard:positions")).context["reconciliation"].checks
    cash = next(check for check in checks if check.kind == "cash")
    assert (cash.status, cash.broker, cash.computed) == ("mismatch", Decimal("100.0000"), Decimal("396.8300"))


def test_data_issues_are_listed(user_client, history):
    TransactionFactory(
        account=history, symbol="TSLA", action="Sell to Close", executed_at=datetime(2026, 3, 12, 15, tzinfo=UTC)
    )
    recompute_account(account=history)
    html = get_html(user_client, "dashboard:positions")
    assert "1 data issue" in html and "Close with no open lot" in html


def test_before_any_comparison_the_panel_says_when_it_runs(user_client, user):
    BrokerAccountFactory(user=user)
    assert "Nothing compared yet" in get_html(user_client, "dashboard:positions")


def test_the_positions_tab_leaves_out_another_users_reconciliation(other_client, history):
    html = get_html(other_client, "dashboard:positions")
    assert "data-reconciliation" not in html and "Nothing compared yet" in html


def test_the_positions_tab_costs_the_same_few_queries_for_100_and_2000_transactions(
    user_client, user, django_assert_max_num_queries
):
    account = BrokerAccountFactory(user=user)
    SoldPutPositionFactory(account=account, symbol="R1", underlying_symbol="R1", instrument_type="Equity")
    make_round_trips(account, 101, start=datetime(2025, 9, 1, 15, tzinfo=UTC))  # R0 stays open
    with django_assert_max_num_queries(12):
        small = queries_for(user_client, "dashboard:positions")
    make_round_trips(account, 1_901, start=datetime(2025, 12, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(12):
        assert queries_for(user_client, "dashboard:positions") == small
