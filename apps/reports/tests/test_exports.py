"""CSV exports: stable headers, the same rows the pages show, only the user's own rows, no secrets."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.reports import exports
from apps.reports.tests.factories import BrokerAccountFactory
from apps.tastytrade_sync.tests.factories import ConnectionFactory
from apps.trades.models import PositionSnapshot, Quote
from apps.trades.tests.factories import SoldPutFillFactory, SoldPutPositionFactory

SENTINEL = "refresh-SENTINEL-5e4d3c2b"


@pytest.fixture
def account(user):
    return BrokerAccountFactory(user=user, account_number="5WT11111")


def download(client, name: str, params: dict | None = None) -> list[list[str]]:
    response = client.get(reverse(name), params or {})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_transactions_csv_has_the_published_header(user_client, account):
    assert download(user_client, "reports:transactions_csv")[0] == [
        "account_number",
        "transaction_id",
        "executed_at",
        "trading_day",
        "transaction_date",
        "transaction_type",
        "transaction_sub_type",
        "action",
        "symbol",
        "underlying_symbol",
        "instrument_type",
        "option_type",
        "strike",
        "expires_on",
        "multiplier",
        "quantity",
        "price",
        "value",
        "commission",
        "clearing_fees",
        "regulatory_fees",
        "proprietary_index_option_fees",
        "currency_conversion_fees",
        "other_charge",
        "net_value",
        "currency",
        "order_id",
        "source",
        "description",
    ]


def test_transactions_csv_writes_amounts_exactly_and_the_trading_day_in_the_users_zone(user_client, account):
    SoldPutFillFactory(
        account=account, tastytrade_id=123, executed_at=datetime(2026, 3, 3, 2, 30, tzinfo=UTC), value=Decimal("0.0420")
    )
    row = dict(zip(*download(user_client, "reports:transactions_csv"), strict=True))
    assert (row["transaction_id"], row["executed_at"], row["trading_day"], row["value"]) == (
        "123",
        "2026-03-03T02:30:00+00:00",
        "2026-03-02",
        "0.042",
    )


def test_transactions_csv_applies_the_pages_filters(user_client, account):
    SoldPutFillFactory(account=account, underlying_symbol="SPY")
    SoldPutFillFactory(account=account, underlying_symbol="QQQ")
    rows = download(user_client, "reports:transactions_csv", {"underlying": "qqq"})
    assert [row[9] for row in rows[1:]] == ["QQQ"]


def test_transactions_csv_leaves_out_other_users_rows(user_client, account, other_user):
    SoldPutFillFactory(account=BrokerAccountFactory(user=other_user), description="not mine")
    assert len(download(user_client, "reports:transactions_csv")) == 1


def test_transactions_csv_of_another_users_account_is_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    response = user_client.get(reverse("reports:transactions_csv"), {"account": theirs.pk})
    assert response.status_code == 404


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_quoted(user_client, account):
    SoldPutFillFactory(account=account, description='=HYPERLINK("http://evil.example")')
    assert download(user_client, "reports:transactions_csv")[1][-1] == '\'=HYPERLINK("http://evil.example")'


def test_negative_amounts_stay_numbers():
    assert exports.cell(Decimal("-1.50"), is_money=True) == "-1.50"


def test_a_zero_with_eight_places_is_written_plainly_not_as_an_exponent():
    assert exports.cell(Decimal("0E-8")) == "0"


def test_positions_csv_has_the_published_header_and_unrealized_from_marks(user_client, account):
    SoldPutPositionFactory(
        account=account, symbol="SPY", quantity=Decimal("-1"), average_open_price=Decimal("2.5"), mark=Decimal("1.5")
    )
    header, row = download(user_client, "reports:positions_csv")
    assert header == exports.POSITION_COLUMNS
    assert dict(zip(header, row, strict=True))["unrealized_from_mark"] == "100.00"


def test_positions_csv_writes_plain_prices_and_money_to_the_cent(user_client, account):
    SoldPutPositionFactory(
        account=account, quantity=Decimal("-3"), average_open_price=Decimal("0.33333333"), mark=Decimal("0E-8")
    )
    header, row = download(user_client, "reports:positions_csv")
    line = dict(zip(header, row, strict=True))
    assert (line["average_open_price"], line["mark"], line["unrealized_from_mark"]) == ("0.33333333", "0", "100.00")


def test_positions_csv_names_the_contract_and_keeps_the_occ_symbol_in_its_own_column(user_client, account):
    SoldPutPositionFactory(account=account, symbol="SPY   261218P00022500")
    header, row = download(user_client, "reports:positions_csv")
    line = dict(zip(header, row, strict=True))
    assert (line["contract"], line["symbol"]) == ("Dec 18 '26 22.5 P", "SPY   261218P00022500")


def test_cash_flow_csv_has_one_row_per_period(user_client, account):
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 1, 5, 15, tzinfo=UTC))
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 2, 5, 15, tzinfo=UTC))
    rows = download(user_client, "reports:cash_flow_csv", {"group": "month", "start": ""})
    assert rows[0] == exports.CASH_FLOW_COLUMNS
    assert [row[0] for row in rows[1:]] == ["2026-01-01", "2026-02-01"]


def test_no_export_carries_the_connections_secrets(user_client, user, account):
    connection = ConnectionFactory(user=user, credentials=("client-secret-SENTINEL", SENTINEL))
    account.connection = connection
    account.save()
    SoldPutFillFactory(account=account)
    SoldPutPositionFactory(account=account)
    for name in ["reports:transactions_csv", "reports:positions_csv", "reports:cash_flow_csv"]:
        text = str(download(user_client, name, {"start": ""}))
        assert SENTINEL not in text and "client-secret-SENTINEL" not in text
        assert connection.encrypted_refresh_token not in text


def test_positions_csv_carries_the_engines_position_unrealized_and_the_legs_greeks(user_client, history):
    put = PositionSnapshot.objects.get(account=history, underlying_symbol="QQQ")
    Quote.objects.create(
        account=history,
        symbol=put.symbol,
        mark=Decimal("1.50"),
        fetched_at=datetime(2026, 3, 16, 20, 30, tzinfo=UTC),
        implied_volatility=Decimal("0.25"),
        delta=Decimal("-0.2"),
        gamma=Decimal("0.01"),
        theta=Decimal("-0.05"),
        vega=Decimal("0.3"),
        beta_weighted_delta=Decimal("-0.25"),
    )
    header, row = download(user_client, "reports:positions_csv")
    line = dict(zip(header, row, strict=True))
    # One short put (x 100): delta 20, gamma -1, theta +5 a day, vega -30, 25 SPY shares; 99.00 as on the dashboard.
    assert (line["strategy"], line["unrealized"]) == ("short_put", "99.00")
    assert [line[name] for name in ("delta", "gamma", "theta", "vega", "beta_weighted_delta")] == [
        "20",
        "-1",
        "5",
        "-30",
        "25",
    ]
