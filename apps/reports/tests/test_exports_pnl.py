"""P&L exports: P&L events, trades (positions) and the P&L report tables, with stable column names."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from apps.reports.tests.factories import BrokerAccountFactory, make_round_trips
from apps.trades.lots import recompute_account
from apps.trades.models import Note, Position, Tag, Target
from apps.trades.tests.factories import TransactionFactory

from .test_exports import download
from .test_views import queries_for

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_pnl_events_csv_has_the_published_header(user_client, history):
    assert download(user_client, "reports:pnl_events_csv")[0] == [
        "account_number",
        "event_key",
        "kind",
        "trading_day",
        "executed_at",
        "opened_at",
        "symbol",
        "underlying_symbol",
        "instrument_type",
        "quantity",
        "opening_cash",
        "closing_cash",
        "variation",
        "commission",
        "clearing_fees",
        "regulatory_fees",
        "proprietary_index_option_fees",
        "currency_conversion_fees",
        "other_charge",
        "realized_pnl",
        "position_key",
        "strategy",
        "closing_transaction_id",
    ]


def test_pnl_events_csv_has_one_row_per_closing_event_oldest_first(user_client, history):
    rows = download(user_client, "reports:pnl_events_csv")[1:]
    assert [(row[3], row[2], row[6], row[19]) for row in rows] == [
        ("2026-01-20", "trade", "AAPL", "98.97"),
        ("2026-02-20", "expiration", "SPY   260220P00400000", "98.86"),
        ("2026-03-16", "trade", "KO", "-50.00"),
    ]


def test_pnl_events_csv_follows_the_date_range(user_client, history):
    rows = download(user_client, "reports:pnl_events_csv", {"start": "2026-02-01", "end": "2026-02-28"})[1:]
    assert [row[6] for row in rows] == ["SPY   260220P00400000"]


def test_pnl_events_csv_covers_the_reports_last_twelve_months_unless_asked(user_client, history):
    TransactionFactory(account=history, symbol="OLD", executed_at=datetime(2025, 1, 6, 15, tzinfo=UTC))
    TransactionFactory(
        account=history, symbol="OLD", action="Sell to Close", executed_at=datetime(2025, 1, 7, 15, tzinfo=UTC)
    )
    recompute_account(account=history)
    assert "OLD" not in [row[6] for row in download(user_client, "reports:pnl_events_csv")]
    assert "OLD" in [row[6] for row in download(user_client, "reports:pnl_events_csv", {"start": ""})]


def test_pnl_events_csv_leaves_out_another_users_events(other_client, history):
    assert download(other_client, "reports:pnl_events_csv")[1:] == []


def test_trades_csv_has_the_published_header(user_client, history):
    assert download(user_client, "reports:trades_csv")[0] == [
        "account_number",
        "position_key",
        "underlying_symbol",
        "strategy",
        "detected_strategy",
        "status",
        "opened_at",
        "closed_at",
        "legs",
        "realized_pnl",
        "chain_key",
        "chain_kind",
        "tags",
        "notes",
    ]


def test_trades_csv_has_each_position_with_its_legs_pnl_tags_and_notes(user_client, history):
    ko = Position.objects.get(account=history, underlying_symbol="KO")
    Tag.objects.create(account=history, target=Target.POSITION, key=ko.key, name="dividend")
    Note.objects.create(account=history, target=Target.POSITION, key=ko.key, text="Sold on the dip.")
    rows = {row[2]: row for row in download(user_client, "reports:trades_csv")[1:]}
    assert rows["KO"][3:] == [
        "stock",
        "stock",
        "closed",
        "2026-03-02T15:00:00+00:00",
        "2026-03-16T15:00:00+00:00",
        "KO x 5",
        "-50.00",
        "",
        "",
        "dividend",
        "Sold on the dip.",
    ]
    assert rows["QQQ"][5] == "open" and rows["QQQ"][8] == "QQQ   260417P00500000 x -1"


def test_trades_csv_has_what_the_trades_tab_filters_show(user_client, history):
    rows = download(user_client, "reports:trades_csv", {"status": "open"})[1:]
    assert [row[2] for row in rows] == ["QQQ"]


def test_trades_csv_leaves_out_another_users_positions(other_client, history):
    assert download(other_client, "reports:trades_csv")[1:] == []


def test_pnl_report_csv_names_its_first_column_after_the_grouping(user_client, history):
    rows = download(user_client, "reports:pnl_csv", {"by": "month"})
    assert rows == [
        ["month", "realized_pnl", "closing_events", "commissions_in_pnl", "fees_in_pnl"],
        ["2026-01-01", "98.97", "1", "-1.00", "-0.03"],
        ["2026-02-01", "98.86", "1", "-1.00", "-0.14"],
        ["2026-03-01", "-50.00", "1", "0.00", "0.00"],
    ]


def test_pnl_report_csv_by_strategy_uses_the_strategies_names(user_client, history):
    rows = download(user_client, "reports:pnl_csv", {"by": "strategy"})
    assert [row[:2] for row in rows] == [["strategy", "realized_pnl"], ["Short put", "98.86"], ["Stock", "48.97"]]


def test_pnl_report_csv_of_an_unknown_grouping_falls_back_to_months(user_client, history):
    assert download(user_client, "reports:pnl_csv", {"by": "week"})[0][0] == "month"


@pytest.mark.parametrize(
    ("name", "params"),
    [("reports:pnl_events_csv", {}), ("reports:trades_csv", {}), ("reports:pnl_csv", {"by": "strategy", "start": ""})],
)
def test_pnl_exports_cost_the_same_few_queries_for_any_number_of_events(
    user_client, user, name, params, django_assert_max_num_queries
):
    account = BrokerAccountFactory(user=user)
    make_round_trips(account, 100, start=datetime(2025, 9, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(12):
        small = queries_for(user_client, reverse(name), params)
    make_round_trips(account, 1_900, start=datetime(2025, 12, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(12):
        assert queries_for(user_client, reverse(name), params) == small
