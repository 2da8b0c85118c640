"""The Money in/out page: deposits and withdrawals, net contributions against net liquidating value."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from apps.trades.models import NetLiqPoint, Transaction
from apps.trades.tests.factories import (
    BalanceNowFactory,
    BrokerAccountFactory,
    MoneyMovementFactory,
    NetLiqPointFactory,
)

TODAY = datetime(2026, 3, 16, 20, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.fixture
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def account(user):
    return BrokerAccountFactory(user=user)


def money(account, sub_type: str, amount: str, *, on: datetime, description: str = "ACH"):
    return MoneyMovementFactory(
        account=account, transaction_sub_type=sub_type, value=Decimal(amount), executed_at=on, description=description
    )


@pytest.fixture
def ledger(account):
    """By hand: +10,000.00 (Jan 2), −2,500.00 (Feb 3), +1,000.50 (Mar 2, 21:00 New York: still Mar 2).
    Deposited 11,000.50, withdrawn −2,500.00, net 8,500.50. Net liq now 9,200.00: earned 699.50.
    Not transfers: a dividend, credit interest, a wire fee."""
    money(account, "Deposit", "10000.00", on=datetime(2026, 1, 2, 15, tzinfo=UTC))
    money(account, "Withdrawal", "-2500.00", on=datetime(2026, 2, 3, 15, tzinfo=UTC), description="WIRE")
    money(account, "Deposit", "1000.50", on=datetime(2026, 3, 3, 2, tzinfo=UTC))
    money(account, "Dividend", "12.00", on=datetime(2026, 2, 10, 15, tzinfo=UTC))
    money(account, "Credit Interest", "1.10", on=datetime(2026, 2, 27, 15, tzinfo=UTC))
    money(account, "Fee", "-25.00", on=datetime(2026, 2, 4, 15, tzinfo=UTC))
    NetLiqPointFactory(account=account, time=datetime(2026, 1, 2, 21, tzinfo=UTC), close=Decimal("10000.00"))
    NetLiqPointFactory(account=account, time=datetime(2026, 2, 2, 21, tzinfo=UTC), close=Decimal("10400.00"))
    NetLiqPointFactory(account=account, time=datetime(2026, 3, 13, 21, tzinfo=UTC), close=Decimal("9150.00"))
    BalanceNowFactory(account=account, snapshot_date=TODAY.date(), net_liquidating_value=Decimal("9200.00"))


def page(client, **params):
    return client.get(reverse("reports:transfers"), params)


@pytest.mark.usefixtures("ledger")
def test_money_in_and_out_adds_up_to_the_hand_worked_ledger(user_client):
    totals = page(user_client).context["totals"]
    assert (totals.deposits, totals.withdrawals, totals.net, totals.to_date) == (
        Decimal("11000.50"),
        Decimal("-2500.00"),
        Decimal("8500.50"),
        Decimal("8500.50"),
    )


@pytest.mark.usefixtures("ledger")
def test_what_was_earned_is_net_liq_less_everything_put_in(user_client):
    earnings = page(user_client).context["earnings"]
    assert (earnings.net_liquidating_value, earnings.contributed, earnings.earned) == (
        Decimal("9200.00"),
        Decimal("8500.50"),
        Decimal("699.50"),
    )


@pytest.mark.usefixtures("ledger")
def test_a_range_counts_its_own_transfers_and_carries_the_earlier_ones(user_client):
    response = page(user_client, start="2026-02-01")
    totals = response.context["totals"]
    assert (totals.deposits, totals.withdrawals, totals.before_range, totals.to_date) == (
        Decimal("1000.50"),
        Decimal("-2500.00"),
        Decimal("10000.00"),
        Decimal("8500.50"),
    )
    assert response.context["earnings"].earned == Decimal("699.50")


@pytest.mark.usefixtures("ledger")
def test_a_range_that_ends_in_the_past_shows_no_earnings(user_client):
    assert page(user_client, end="2026-02-28").context["earnings"] is None


def test_no_earnings_without_a_balance_for_every_account(user_client, user, account):
    money(account, "Deposit", "100.00", on=datetime(2026, 1, 2, 15, tzinfo=UTC))
    BalanceNowFactory(account=account, snapshot_date=TODAY.date(), net_liquidating_value=Decimal("150.00"))
    BrokerAccountFactory(user=user)  # never synced: no balance
    assert page(user_client).context["earnings"] is None


@pytest.mark.usefixtures("ledger")
def test_the_chart_steps_contributions_and_leaves_days_without_net_liq_empty(user_client):
    chart = page(user_client, start="2026-02-01").context["chart"]
    assert chart == {
        "labels": ["2026-02-02", "2026-02-03", "2026-03-02", "2026-03-13"],
        "contributions": [10000.0, 7500.0, 8500.5, 8500.5],
        "net_liq": [10400.0, None, None, 9150.0],
    }


@pytest.mark.usefixtures("ledger")
def test_transfers_are_listed_newest_first_on_their_trading_day(user_client):
    rows = page(user_client).context["transfers"]
    assert [(row.trading_day.isoformat(), row.sub_type, row.amount) for row in rows] == [
        ("2026-03-02", "Deposit", Decimal("1000.50")),
        ("2026-02-03", "Withdrawal", Decimal("-2500.00")),
        ("2026-01-02", "Deposit", Decimal("10000.00")),
    ]


@pytest.mark.usefixtures("ledger")
def test_the_page_shows_the_totals(user_client):
    html = page(user_client).content.decode()
    assert 'data-stat="net">$8,500.50<' in html and 'data-stat="earned">+$699.50<' in html


def test_another_users_transfers_never_show(user_client, other_user, account):
    theirs = BrokerAccountFactory(user=other_user)
    money(theirs, "Deposit", "50000.00", on=datetime(2026, 1, 5, 15, tzinfo=UTC))
    NetLiqPointFactory(account=theirs, time=datetime(2026, 1, 5, 21, tzinfo=UTC), close=Decimal("50000.00"))
    response = page(user_client)
    assert (response.context["totals"].net, response.context["transfers"], response.context["chart"]["labels"]) == (
        Decimal("0"),
        [],
        [],
    )


def test_money_in_and_out_of_another_users_account_is_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    assert page(user_client, account=theirs.pk).status_code == 404


def test_the_csv_of_another_users_account_is_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    assert user_client.get(reverse("reports:transfers_csv"), {"account": theirs.pk}).status_code == 404


def test_money_in_and_out_needs_sign_in(client, db):
    assert client.get(reverse("reports:transfers")).status_code == 302


@pytest.mark.usefixtures("ledger")
def test_the_csv_lists_every_transfer_and_adds_up_to_the_net(user_client, account):
    response = user_client.get(reverse("reports:transfers_csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["account_number"], row["trading_day"], row["amount"]) for row in rows] == [
        (account.account_number, "2026-03-02", "1000.50"),
        (account.account_number, "2026-02-03", "-2500.00"),
        (account.account_number, "2026-01-02", "10000.00"),
    ]
    assert sum(Decimal(row["amount"]) for row in rows) == Decimal("8500.50")


def deposits_and_points(account, count: int, *, first_id: int) -> None:
    Transaction.objects.bulk_create(
        [
            Transaction(
                account=account,
                tastytrade_id=first_id + index,
                transaction_type="Money Movement",
                transaction_sub_type="Deposit",
                value=Decimal("100.00"),
                net_value=Decimal("100.00"),
                executed_at=datetime(2025, 1, 1, 15, tzinfo=UTC),
                transaction_date=TODAY.date(),
            )
            for index in range(count)
        ]
    )
    start = datetime(2024, 1, 1, 21, tzinfo=UTC) + timedelta(days=first_id % 1000)
    NetLiqPoint.objects.bulk_create(
        [
            NetLiqPoint(account=account, time=start + timedelta(hours=5 * index), close=Decimal("100"))
            for index in range(count)
        ]
    )


def test_the_page_costs_the_same_few_queries_for_any_number_of_rows(
    user_client, account, django_assert_max_num_queries
):
    BalanceNowFactory(account=account, snapshot_date=TODAY.date())
    deposits_and_points(account, 10, first_id=4_200_000_000)
    with django_assert_max_num_queries(8):
        page(user_client)
    deposits_and_points(account, 1_000, first_id=4_300_000_500)
    with django_assert_max_num_queries(8):
        assert page(user_client).context["totals"].net == Decimal("101000.00")
