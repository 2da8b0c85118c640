"""`manage.py pnl_report`: the JSON shape, each grouping, CSV, and the functions behind it."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.trades.lots import recompute_account
from apps.trades.models import BrokerAccount
from apps.trades.pnl import open_positions, statistics
from apps.trades.tests.factories import (
    BrokerAccountFactory,
    MoneyMovementFactory,
    OptionTransactionFactory,
    PositionSnapshotFactory,
    ReceiveDeliverFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db


def at(month: int, day: int, hour: int = 15) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def account(user):
    """January: a stock round trip. February: a short put expires. March: shares bought, income, fees."""
    account = BrokerAccountFactory(user=user, account_number="5WT00001")
    MoneyMovementFactory(account=account, value=D("10000"), executed_at=at(1, 2))
    TransactionFactory(account=account, quantity=10, price=D("100"), commission=D("-1"), executed_at=at(1, 5))
    TransactionFactory(
        account=account, action="Sell to Close", quantity=10, price=D("110"), regulatory_fees=D("-0.03"),
        executed_at=at(1, 20),
    )  # fmt: skip
    OptionTransactionFactory(
        account=account, expires_on=date(2026, 2, 20), price=D("1.00"), commission=D("-1"), clearing_fees=D("-0.10"),
        regulatory_fees=D("-0.04"), executed_at=at(2, 2),
    )  # fmt: skip
    ReceiveDeliverFactory(account=account, expires_on=date(2026, 2, 20), executed_at=at(2, 20, 21))
    TransactionFactory(
        account=account, symbol="KO", quantity=5, price=D("60"), clearing_fees=D("-0.05"), executed_at=at(3, 2)
    )
    MoneyMovementFactory(
        account=account, transaction_sub_type="Dividend", symbol="KO", value=D("15.30"), executed_at=at(3, 13)
    )
    MoneyMovementFactory(
        account=account, transaction_sub_type="Credit Interest", value=D("4.12"), executed_at=at(3, 31)
    )
    MoneyMovementFactory(account=account, transaction_sub_type="Debit Interest", value=D("-2"), executed_at=at(3, 31))
    MoneyMovementFactory(account=account, transaction_sub_type="Fee", value=D("-25"), executed_at=at(3, 20))
    MoneyMovementFactory(
        account=account, transaction_sub_type="Balance Adjustment", value=D("-0.02"), executed_at=at(3, 21)
    )
    recompute_account(account=account)
    return account


def report(*arguments: str) -> str:
    out = StringIO()
    call_command("pnl_report", *arguments, stdout=out)
    return out.getvalue()


def test_the_json_report_by_month(account):
    assert json.loads(report("--user", "alice@example.com", "--by", "month")) == {
        "by": "month",
        "timezone": "America/New_York",
        "rows": [
            {"key": "2026-01", "realized_pnl": "98.97", "commissions": "-1.00", "fees": "-0.03", "closed_events": 1},
            {"key": "2026-02", "realized_pnl": "98.86", "commissions": "-1.00", "fees": "-0.14", "closed_events": 1},
            {"key": "2026-03", "realized_pnl": "0.00", "commissions": "0.00", "fees": "-0.05", "closed_events": 0},
        ],
        "totals": {"realized_pnl": "197.83", "commissions": "-2.00", "fees": "-0.22", "closed_events": 2},
        "account_fees": "-25.02",
        "dividends": "15.30",
        "interest": "2.12",
        # 10,000 - 1,001 + 1,099.97 + 98.86 - 300.05 + 15.30 + 4.12 - 2 - 25 - 0.02
        "cash": "9890.18",
        "open_positions": [
            {
                "account": "5WT00001",
                "symbol": "KO",
                "instrument_type": "Equity",
                "quantity": "5",
                "open_cost": "-300.05",
            }
        ],
    }


@pytest.mark.parametrize(
    ("by", "rows"),
    [
        ("year", [["2026", "197.83", "-2.00", "-0.22", 2]]),
        (
            "day",
            [
                ["2026-01-05", "0.00", "-1.00", "0.00", 0],
                ["2026-01-20", "98.97", "0.00", "-0.03", 1],
                ["2026-02-02", "0.00", "-1.00", "-0.14", 0],
                ["2026-02-20", "98.86", "0.00", "0.00", 1],
                ["2026-03-02", "0.00", "0.00", "-0.05", 0],
            ],
        ),
        (
            "underlying",
            [
                ["AAPL", "98.97", "-1.00", "-0.03", 1],
                ["KO", "0.00", "0.00", "-0.05", 0],
                ["SPY", "98.86", "-1.00", "-0.14", 1],
            ],
        ),
        ("strategy", [["Short put", "98.86", "-1.00", "-0.14", 1], ["Stock", "98.97", "-1.00", "-0.08", 1]]),
        (
            "instrument-type",
            [["Equity", "98.97", "-1.00", "-0.08", 1], ["Equity Option", "98.86", "-1.00", "-0.14", 1]],
        ),
    ],
)
def test_each_grouping_splits_the_same_totals(account, by, rows):
    result = json.loads(report("--user", "alice@example.com", "--by", by))
    assert [list(row.values()) for row in result["rows"]] == rows
    assert result["totals"] == {"realized_pnl": "197.83", "commissions": "-2.00", "fees": "-0.22", "closed_events": 2}


def test_the_csv_report_has_the_rows_and_a_total(account):
    assert report("--user", "alice@example.com", "--by", "year", "--format", "csv").splitlines() == [
        "key,realized_pnl,commissions,fees,closed_events",
        "2026,197.83,-2.00,-0.22,2",
        "total,197.83,-2.00,-0.22,2",
    ]


def test_days_are_the_users_time_zone(account, user):
    TransactionFactory(
        account=account, symbol="KO", action="Sell to Close", quantity=5, price=D(61), executed_at=at(4, 2, 2)
    )
    recompute_account(account=account)
    assert json.loads(report("--user", user.email, "--by", "day"))["rows"][-1]["key"] == "2026-04-01"
    user.time_zone = "Europe/Berlin"
    user.save()
    recompute_account(account=account)
    result = json.loads(report("--user", user.email, "--by", "day"))
    assert (result["timezone"], result["rows"][-1]["key"]) == ("Europe/Berlin", "2026-04-02")


def test_one_account_of_several(account, user):
    other = BrokerAccountFactory(user=user, account_number="5WT00002")
    TransactionFactory(account=other, symbol="F", quantity=100, price=D("12"))
    recompute_account(account=other)
    result = json.loads(report("--user", user.email, "--account", "5WT00002", "--by", "year"))
    assert result["cash"] == "-1200.00"
    assert [position["symbol"] for position in result["open_positions"]] == ["F"]
    everything = json.loads(report("--user", user.email, "--by", "year"))
    assert [position["account"] for position in everything["open_positions"]] == ["5WT00001", "5WT00002"]


def test_an_account_left_out_of_reports_is_left_out_unless_asked_for(account, user):
    BrokerAccount.objects.filter(pk=account.pk).update(is_included=False)
    assert json.loads(report("--user", user.email, "--by", "year"))["rows"] == []
    assert json.loads(report("--user", user.email, "--account", "5WT00001", "--by", "year"))["cash"] == "9890.18"


def test_another_users_account_is_not_found(account, other_user):
    with pytest.raises(CommandError, match="has no account 5WT00001"):
        report("--user", other_user.email, "--account", "5WT00001", "--by", "year")


def test_an_unknown_user_is_refused(db):
    with pytest.raises(CommandError, match="No user with the email address"):
        report("--user", "nobody@example.com", "--by", "year")


def test_the_report_takes_a_fixed_number_of_queries(account, user, django_assert_max_num_queries):
    for day in range(3, 28):
        TransactionFactory(account=account, symbol="XOM", quantity=1, executed_at=at(4, day))
        TransactionFactory(account=account, symbol="XOM", action="Sell to Close", executed_at=at(4, day, 16))
    recompute_account(account=account)
    for by in ("month", "strategy"):
        with django_assert_max_num_queries(10):
            report("--user", user.email, "--by", by)


def test_unrealized_pnl_comes_from_the_brokers_mark(account):
    PositionSnapshotFactory(account=account, symbol="KO", quantity=5, mark=D("62.10"))
    [ko] = open_positions(accounts=BrokerAccount.objects.filter(pk=account.pk))
    # Worth 310.50 against 300.05 paid.
    assert (ko.mark, ko.market_value, ko.unrealized_pnl) == (D("62.10"), D("310.50"), D("10.45"))


def test_statistics_count_closed_positions(account):
    stats = statistics(accounts=BrokerAccount.objects.filter(pk=account.pk), tz=account.user.tz)
    assert (stats.closed_positions, stats.winners, stats.losers, stats.win_rate) == (2, 2, 0, D(1))
    assert (stats.largest_win, stats.realized_pnl, stats.profit_factor) == (D("98.97"), D("197.83"), None)


def test_statistics_of_a_range_with_no_closed_position_are_empty(account):
    stats = statistics(accounts=BrokerAccount.objects.filter(pk=account.pk), tz=account.user.tz, first=date(2027, 1, 1))
    assert (stats.closed_positions, stats.winners, stats.losers, stats.realized_pnl) == (0, 0, 0, D(0))
    assert (stats.win_rate, stats.average_win, stats.average_loss, stats.profit_factor) == (None, None, None, None)
    assert (stats.largest_win, stats.largest_loss) == (None, None)


def stats_ledger(user):
    """The hand-worked ledger of test_analytics: SPY +58.80, QQQ +150, IWM +150, SCHG +314, TSLA -300."""
    from apps.trades.tests.test_analytics import (
        assigned_put,
        expired_put_spread,
        losing_call,
        managed_put,
        rolled_put,
    )

    account = BrokerAccountFactory(user=user, account_number="5WT00009")
    for trades in (managed_put, expired_put_spread, rolled_put, assigned_put, losing_call):
        trades(account)
    recompute_account(account=account)


def test_stats_by_dte_print_each_buckets_statistics_as_json(user):
    stats_ledger(user)
    output = StringIO()
    call_command("pnl_report", user=user.email, by="dte", stats=True, stdout=output)
    report = json.loads(output.getvalue())
    assert report["rows"][0] == {
        "key": "8-21", "trades": 4, "winners": 3, "losers": 1, "win_rate": "0.7500",
        "average_win": "174.27", "average_loss": "-300.00", "expectancy": "55.70", "profit_factor": "1.7427",
        "largest_win": "314.00", "largest_loss": "-300.00", "average_days_held": "19.5000",
        "average_captured": "0.6723", "total_pnl": "222.80",
    }  # fmt: skip
    assert report["rows"][1]["key"] == "22-45"
    assert (report["rows"][1]["average_loss"], report["rows"][1]["profit_factor"]) == (None, None)


def test_stats_by_strategy_print_as_csv(user):
    stats_ledger(user)
    output = StringIO()
    call_command("pnl_report", user=user.email, by="strategy", stats=True, format="csv", stdout=output)
    lines = output.getvalue().splitlines()
    assert lines[0] == (
        "key,trades,winners,losers,win_rate,average_win,average_loss,expectancy,profit_factor,"
        "largest_win,largest_loss,average_days_held,average_captured,total_pnl"
    )
    assert [line.split(",")[0] + ":" + line.split(",")[-1] for line in lines[1:]] == [
        "Long call:-300.00",
        "Short put:522.80",
        "Vertical spread:150.00",
    ]


def test_a_stats_only_grouping_without_stats_is_an_error(user):
    with pytest.raises(CommandError, match="needs --stats"):
        call_command("pnl_report", user=user.email, by="tag", stdout=StringIO())
