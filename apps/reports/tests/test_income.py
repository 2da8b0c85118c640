"""The Income page: dividends and interest, received and paid, against a ledger worked out by hand."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from apps.trades.models import Transaction, UnderlyingMetrics
from apps.trades.tests.factories import (
    BrokerAccountFactory,
    MoneyMovementFactory,
    PositionSnapshotFactory,
    ReceiveDeliverFactory,
    SoldPutFillFactory,
)

TODAY = datetime(2026, 3, 16, 20, tzinfo=UTC)
ALL = {"start": ""}

pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.fixture
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def account(user):
    return BrokerAccountFactory(user=user)


def dividend(account, amount: str, *, symbol: str, on: datetime, description: str = "ISSUER INC"):
    return MoneyMovementFactory(
        account=account,
        transaction_sub_type="Dividend",
        symbol=symbol,
        underlying_symbol=symbol,
        instrument_type="Equity",
        description=description,
        value=Decimal(amount),
        executed_at=on,
    )


def interest(account, amount: str, *, on: datetime):
    sub_type = "Credit Interest" if Decimal(amount) > 0 else "Debit Interest"
    return MoneyMovementFactory(
        account=account, transaction_sub_type=sub_type, description="INTEREST", value=Decimal(amount), executed_at=on
    )


@pytest.fixture
def ledger(account):
    """By hand:                         div in   div out  int in  int out
    Jan: AAPL +24.00, AAPL withheld -3.60, credit interest +1.23 (Jan 31 in New York)
                                       24.00    -3.60    1.23     0.00  net  21.63
    Feb: KO short -46.00, MSFT +7.47, margin interest -12.37
                                        7.47   -46.00    0.00   -12.37  net -50.90
    Total                              31.47   -49.60    1.23   -12.37  net -29.27
    Not income: a deposit, a fee, a balance adjustment, a trade, DRIP shares (a Receive Deliver "Dividend")."""
    dividend(account, "24.00", symbol="AAPL", on=datetime(2026, 1, 15, 14, tzinfo=UTC))
    dividend(account, "-3.60", symbol="AAPL", on=datetime(2026, 1, 15, 14, 1, tzinfo=UTC), description="TAX")
    interest(account, "1.23", on=datetime(2026, 2, 1, 3, tzinfo=UTC))  # 22:00 on Jan 31 in New York
    dividend(account, "-46.00", symbol="KO", on=datetime(2026, 2, 10, 14, tzinfo=UTC))
    dividend(account, "7.47", symbol="MSFT", on=datetime(2026, 2, 12, 14, tzinfo=UTC))
    interest(account, "-12.37", on=datetime(2026, 2, 17, 14, tzinfo=UTC))
    MoneyMovementFactory(account=account, value=Decimal("10000.00"), executed_at=datetime(2026, 1, 2, 14, tzinfo=UTC))
    MoneyMovementFactory(
        account=account,
        transaction_sub_type="Fee",
        value=Decimal("-25.00"),
        executed_at=datetime(2026, 1, 3, tzinfo=UTC),
    )
    MoneyMovementFactory(
        account=account,
        transaction_sub_type="Balance Adjustment",
        value=Decimal("-0.02"),
        executed_at=datetime(2026, 1, 4, tzinfo=UTC),
    )
    SoldPutFillFactory(account=account, executed_at=datetime(2026, 1, 5, 15, tzinfo=UTC))
    ReceiveDeliverFactory(
        account=account,
        transaction_sub_type="Dividend",
        action="Buy to Open",
        symbol="KBWD",
        underlying_symbol="KBWD",
        instrument_type="Equity",
        quantity=Decimal("1.68074"),
        value=Decimal("0"),
        executed_at=datetime(2026, 2, 3, 14, tzinfo=UTC),
    )


def page(client, **params):
    return client.get(reverse("reports:income"), ALL | params)


@pytest.mark.usefixtures("ledger")
def test_income_totals_match_the_hand_worked_ledger_to_the_cent(user_client):
    total = page(user_client).context["total"]
    assert (
        total.dividends_received,
        total.dividends_paid,
        total.interest_received,
        total.interest_paid,
        total.net,
    ) == (Decimal("31.47"), Decimal("-49.60"), Decimal("1.23"), Decimal("-12.37"), Decimal("-29.27"))


@pytest.mark.usefixtures("ledger")
def test_income_by_month_counts_each_row_on_its_new_york_trading_day(user_client):
    lines = page(user_client).context["lines"]
    assert [(line.period, line.dividends, line.interest, line.net) for line in lines] == [
        (date(2026, 1, 1), Decimal("20.40"), Decimal("1.23"), Decimal("21.63")),
        (date(2026, 2, 1), Decimal("-38.53"), Decimal("-12.37"), Decimal("-50.90")),
    ]


@pytest.mark.usefixtures("ledger")
def test_income_by_year_adds_up_to_the_total(user_client):
    lines = page(user_client, group="year").context["lines"]
    assert [(line.period, line.net) for line in lines] == [(date(2026, 1, 1), Decimal("-29.27"))]


@pytest.mark.usefixtures("ledger")
def test_dividends_by_symbol_show_received_and_paid_apart_biggest_net_first(user_client):
    lines = page(user_client).context["by_symbol"]
    assert [(line.symbol, line.received, line.paid, line.net, line.payments) for line in lines] == [
        ("AAPL", Decimal("24.00"), Decimal("-3.60"), Decimal("20.40"), 2),
        ("MSFT", Decimal("7.47"), Decimal("0"), Decimal("7.47"), 1),
        ("KO", Decimal("0"), Decimal("-46.00"), Decimal("-46.00"), 1),
    ]


@pytest.mark.usefixtures("ledger")
def test_income_keeps_to_the_selected_days(user_client):
    total = page(user_client, start="2026-02-01", end="2026-02-28").context["total"]
    assert (total.net, total.interest_received) == (Decimal("-50.90"), Decimal("0"))


@pytest.mark.usefixtures("ledger")
def test_income_page_shows_the_totals(user_client):
    html = page(user_client).content.decode()
    assert 'data-stat="net">-$29.27<' in html and 'data-stat="dividends-paid">-$49.60<' in html


def test_upcoming_ex_dividend_dates_list_held_stock_soonest_first(user_client, account):
    PositionSnapshotFactory(account=account, symbol="AAPL", quantity=Decimal("100"))
    PositionSnapshotFactory(account=account, symbol="KO", quantity=Decimal("-50"))
    PositionSnapshotFactory(account=account, symbol="SPY", quantity=Decimal("10"))
    for symbol, ex_on in [("AAPL", date(2026, 3, 20)), ("KO", date(2026, 3, 18)), ("SPY", date(2026, 3, 13))]:
        UnderlyingMetrics.objects.create(account=account, symbol=symbol, dividend_ex_on=ex_on, fetched_at=TODAY)
    UnderlyingMetrics.objects.create(account=account, symbol="MSFT", dividend_ex_on=date(2026, 3, 19), fetched_at=TODAY)
    lines = page(user_client).context["ex_dividends"]
    assert [(line.symbol, line.ex_on, line.quantity, line.is_short) for line in lines] == [
        ("KO", date(2026, 3, 18), Decimal("-50"), True),
        ("AAPL", date(2026, 3, 20), Decimal("100"), False),
    ]


def test_another_users_income_never_shows(user_client, other_user, account):
    theirs = BrokerAccountFactory(user=other_user)
    dividend(theirs, "500.00", symbol="T", on=datetime(2026, 2, 2, 14, tzinfo=UTC))
    PositionSnapshotFactory(account=theirs, symbol="T", quantity=Decimal("100"))
    UnderlyingMetrics.objects.create(account=theirs, symbol="T", dividend_ex_on=date(2026, 4, 1), fetched_at=TODAY)
    response = page(user_client)
    assert (response.context["total"].net, response.context["by_symbol"], response.context["ex_dividends"]) == (
        Decimal("0"),
        [],
        [],
    )


def test_income_of_another_users_account_is_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    assert page(user_client, account=theirs.pk).status_code == 404


def test_income_csv_of_another_users_account_is_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    assert user_client.get(reverse("reports:income_csv"), {"account": theirs.pk}).status_code == 404


def test_income_needs_sign_in(client, db):
    assert client.get(reverse("reports:income")).status_code == 302


@pytest.mark.usefixtures("ledger")
def test_income_csv_lists_every_income_row_and_adds_up_to_the_net(user_client):
    response = user_client.get(reverse("reports:income_csv"), ALL)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["trading_day"], row["kind"], row["direction"], row["symbol"], row["amount"]) for row in rows] == [
        ("2026-01-15", "dividend", "received", "AAPL", "24.00"),
        ("2026-01-15", "dividend", "paid", "AAPL", "-3.60"),
        ("2026-01-31", "interest", "received", "", "1.23"),
        ("2026-02-10", "dividend", "paid", "KO", "-46.00"),
        ("2026-02-12", "dividend", "received", "MSFT", "7.47"),
        ("2026-02-17", "interest", "paid", "", "-12.37"),
    ]
    assert sum(Decimal(row["amount"]) for row in rows) == Decimal("-29.27")


def income_rows_in_february(account, count: int, *, first_id: int) -> None:
    Transaction.objects.bulk_create(
        [
            Transaction(
                account=account,
                tastytrade_id=first_id + index,
                transaction_type="Money Movement",
                transaction_sub_type="Dividend" if index % 2 else "Credit Interest",
                symbol=f"S{index % 40}" if index % 2 else "",
                value=Decimal("1.00"),
                net_value=Decimal("1.00"),
                executed_at=datetime(2026, 2, 1 + index % 27, 15, tzinfo=UTC),
                transaction_date=date(2026, 2, 1 + index % 27),
            )
            for index in range(count)
        ]
    )


def test_income_page_costs_the_same_few_queries_for_any_number_of_rows(
    user_client, account, django_assert_max_num_queries
):
    PositionSnapshotFactory(account=account, symbol="AAPL", quantity=Decimal("100"))
    income_rows_in_february(account, 10, first_id=4_000_000_000)
    with django_assert_max_num_queries(8):
        page(user_client)
    income_rows_in_february(account, 1_000, first_id=4_100_000_000)
    with django_assert_max_num_queries(8) as captured:
        response = page(user_client)
    assert response.context["total"].net == Decimal("1010.00") and len(captured.captured_queries) <= 8
