"""The Reports tab's cash-flow report, its scope, ownership and its query budget (the P&L reports: test_views_pnl)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.reports.tests.factories import BrokerAccountFactory, make_transactions
from apps.trades.tests.factories import SoldPutFillFactory


@pytest.fixture
def account(user):
    return BrokerAccountFactory(user=user)


CASH_FLOW = {"report": "cash-flow"}


pytestmark = pytest.mark.usefixtures("frozen_clock_on_first_fill_day")


def test_reports_require_sign_in(client, db):
    assert client.get(reverse("reports:home")).status_code == 302


def test_reports_group_the_cash_flow_by_month_by_default(user_client, account):
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 2, 5, 15, tzinfo=UTC), value=Decimal("250"))
    response = user_client.get(reverse("reports:home"), CASH_FLOW)
    assert [row.period.isoformat() for row in response.context["rows"]] == ["2026-02-01"]


def test_reports_default_to_the_last_twelve_months(user_client, account):
    SoldPutFillFactory(account=account, executed_at=datetime(2025, 3, 1, 15, tzinfo=UTC))
    assert user_client.get(reverse("reports:home"), CASH_FLOW).context["rows"] == []


def test_reports_group_by_year_when_asked(user_client, account):
    SoldPutFillFactory(account=account, executed_at=datetime(2025, 6, 5, 15, tzinfo=UTC))
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 2, 5, 15, tzinfo=UTC))
    response = user_client.get(reverse("reports:home"), {"group": "year", "start": ""} | CASH_FLOW)
    assert [row.period.year for row in response.context["rows"]] == [2025, 2026]


def test_reports_show_one_account_when_picked(user_client, user, account):
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 2, 5, 15, tzinfo=UTC))
    SoldPutFillFactory(account=BrokerAccountFactory(user=user), executed_at=datetime(2026, 2, 5, 15, tzinfo=UTC))
    response = user_client.get(reverse("reports:home"), {"account": account.pk} | CASH_FLOW)
    assert response.context["total"].transactions == 1


def test_reports_of_another_users_account_are_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    assert user_client.get(reverse("reports:home"), {"account": theirs.pk}).status_code == 404


def test_reports_leave_out_accounts_excluded_from_reports(user_client, user):
    excluded = BrokerAccountFactory(user=user, is_included=False)
    SoldPutFillFactory(account=excluded, executed_at=datetime(2026, 2, 5, 15, tzinfo=UTC))
    assert user_client.get(reverse("reports:home"), CASH_FLOW).context["rows"] == []


def test_a_start_after_the_end_shows_an_error_and_the_default_range(user_client, account):
    response = user_client.get(reverse("reports:home"), {"start": "2026-03-01", "end": "2026-01-01"})
    assert "The start date is after the end date." in response.content.decode()
    assert response.context["scope"].start.isoformat() == "2025-03-02"


def test_reports_hand_the_chart_its_data(user_client, account):
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 2, 5, 15, tzinfo=UTC), value=Decimal("250"))
    html = user_client.get(reverse("reports:home"), CASH_FLOW).content.decode()
    assert '<script id="cash-flow-data" type="application/json">{"labels": ["2026-02"]' in html


def test_reports_offer_the_backup_and_the_restore_form(user_client):
    html = user_client.get(reverse("reports:home")).content.decode()
    assert reverse("reports:backup") in html and f'action="{reverse("reports:restore")}"' in html


def queries_for(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)  # a streamed export reads its rows now
    return len(context.captured_queries)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("reports:home", {"group": "day", "start": ""} | CASH_FLOW),
        ("reports:transactions_csv", {}),
        ("reports:positions_csv", {}),
        ("reports:cash_flow_csv", {"start": ""}),
        ("reports:backup", {}),
    ],
)
def test_report_pages_cost_the_same_few_queries_for_any_number_of_transactions(
    user_client, account, name, params, django_assert_max_num_queries
):
    url = reverse(name)
    make_transactions(account, 100, start=datetime(2025, 9, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(12):
        small = queries_for(user_client, url, params)
    make_transactions(account, 1_900, start=datetime(2025, 12, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(12):
        assert queries_for(user_client, url, params) == small


def test_group_by_shows_month_when_the_report_is_monthly_by_default(user_client):
    html = user_client.get(reverse("reports:home")).content.decode()
    assert '<option value="month" selected>Month</option>' in html


def test_an_unknown_grouping_falls_back_to_month(user_client, account):
    assert user_client.get(reverse("reports:home"), {"group": "week"}).context["grouping"] == "month"
