"""The Returns report: time-weighted return of net liq with deposits and withdrawals taken out, worked by hand.

The worked ledger (closing net liq, 21:00 UTC = 16:00 in New York, and money moved that day):

    day          net liq     moved      capital (previous + moved)   day's return            TWR index
    Thu 02-26     8,000.00                                           (base)                  1
    Fri 02-27    10,000.00               8,000                       +2,000 / 8,000 = +25%   1.25
    Mon 03-02    10,000.00              10,000                       0                       1.25
    Tue 03-03    10,500.00              10,500                       +5%                     1.3125 (the high)
    Wed 03-04    14,250.00  +4,500.00   15,000                       -750 / 15,000 = -5%     1.246875 (the low)
    Thu 03-05    12,600.00  -2,250.00   12,000                       +600 / 12,000 = +5%     1.30921875
    Fri 03-06    12,600.00              12,600                       0                       1.30921875
    Mon 03-09    12,726.00              12,600                       +126 / 12,600 = +1%     1.3223109375 (recovered)

February: +25%. March: 1.05 x 0.95 x 1.05 x 1.01 - 1 = +5.784875%. 2026: 1.3223109375 - 1 = +32.23109375%.
Maximum drawdown: 1.246875 / 1.3125 - 1 = -5%, high 03-03, low 03-04, back above the high 03-09.
Net liq went from 8,000 to 12,726 (+59.075%), but 2,250 of that is money moved in, not return.
"""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.reports import returns
from apps.reports.tests.factories import BrokerAccountFactory
from apps.reports.tests.test_views import queries_for
from apps.trades.tests.factories import MoneyMovementFactory, NetLiqPointFactory

RETURNS = {"report": "returns", "start": "2026-01-01", "end": "2026-03-31"}
NO_RISK_FREE = Decimal(0)

CLOSES = [
    (date(2026, 2, 26), "8000.00"),
    (date(2026, 2, 27), "10000.00"),
    (date(2026, 3, 2), "10000.00"),
    (date(2026, 3, 3), "10500.00"),
    (date(2026, 3, 4), "14250.00"),
    (date(2026, 3, 5), "12600.00"),
    (date(2026, 3, 6), "12600.00"),
    (date(2026, 3, 9), "12726.00"),
]


def at_close(day: date, hour: int = 21) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def net_liq(account, closes=CLOSES) -> None:
    for day, close in closes:
        NetLiqPointFactory(account=account, time=at_close(day), close=Decimal(close))


def deposit(account, day: date, amount: str, **fields) -> None:
    MoneyMovementFactory(
        account=account, executed_at=at_close(day, 15), value=Decimal(amount), net_value=Decimal(amount), **fields
    )


def withdraw(account, day: date, amount: str) -> None:
    deposit(account, day, f"-{amount}", transaction_sub_type="Withdrawal", description="WIRE TRANSFER")


@pytest.fixture
def worked(user):
    account = BrokerAccountFactory(user=user)
    net_liq(account)
    deposit(account, date(2026, 3, 4), "4500.00")
    withdraw(account, date(2026, 3, 5), "2250.00")
    return account


@pytest.fixture
def report(user_client, worked):
    return user_client.get(reverse("reports:home"), RETURNS).context["returns"]


def daily(result) -> list[Decimal | None]:
    return [day.daily for day in result.days]


def test_each_days_return_takes_out_the_money_moved_that_day(report):
    assert daily(report) == [
        None,
        Decimal("0.25"),
        0,
        Decimal("0.05"),
        Decimal("-0.05"),
        Decimal("0.05"),
        0,
        Decimal("0.01"),
    ]


def test_a_deposit_mid_series_is_not_a_return(report):
    wednesday = report.days[4]
    assert (wednesday.flow, wednesday.daily) == (Decimal("4500.00"), Decimal("-0.05"))


def test_a_withdrawal_is_not_a_loss(report):
    thursday = report.days[5]
    assert (thursday.flow, thursday.daily) == (Decimal("-2250.00"), Decimal("0.05"))


def test_the_time_weighted_return_compounds_the_days(report):
    assert report.total == Decimal("0.3223109375")


def test_the_money_moved_in_the_range_is_deposits_less_withdrawals(report):
    assert report.flows == Decimal("2250.00")


def test_monthly_returns_compound_the_days_of_each_month(report):
    assert [(month.period, month.value) for month in report.months] == [
        (date(2026, 2, 1), Decimal("0.25")),
        (date(2026, 3, 1), Decimal("0.05784875")),
    ]


def test_yearly_returns_compound_the_days_of_each_year(report):
    assert [(year.period, year.value) for year in report.years] == [(date(2026, 1, 1), Decimal("0.3223109375"))]


def test_the_maximum_drawdown_has_its_high_low_and_recovery_days(report):
    assert report.drawdown == returns.Drawdown(
        depth=Decimal("-0.05"), peak=date(2026, 3, 3), trough=date(2026, 3, 4), recovered=date(2026, 3, 9)
    )


def test_a_drawdown_not_yet_regained_has_no_recovery_day(user_client, user):
    account = BrokerAccountFactory(user=user)
    net_liq(account, CLOSES[:5])
    deposit(account, date(2026, 3, 4), "4500.00")
    report = user_client.get(reverse("reports:home"), RETURNS).context["returns"]
    assert (report.drawdown.depth, report.drawdown.recovered) == (Decimal("-0.05"), None)


def test_a_weekend_deposit_counts_on_the_next_trading_day(user_client, user):
    account = BrokerAccountFactory(user=user)
    net_liq(account, [(date(2026, 3, 6), "10000.00"), (date(2026, 3, 9), "15150.00")])
    deposit(account, date(2026, 3, 7), "5000.00")  # a Saturday
    report = user_client.get(reverse("reports:home"), RETURNS).context["returns"]
    assert (report.days[1].flow, report.days[1].daily) == (Decimal("5000.00"), Decimal("0.01"))


def test_a_deposit_before_the_first_day_is_inside_its_value(user_client, user):
    account = BrokerAccountFactory(user=user)
    deposit(account, date(2026, 3, 6), "10000.00")
    net_liq(account, [(date(2026, 3, 6), "10000.00"), (date(2026, 3, 9), "10100.00")])
    report = user_client.get(reverse("reports:home"), RETURNS).context["returns"]
    assert daily(report) == [None, Decimal("0.01")]


def test_interest_booked_as_a_deposit_stays_in_the_return(user_client, user):
    account = BrokerAccountFactory(user=user)
    net_liq(account, [(date(2026, 3, 6), "10000.00"), (date(2026, 3, 9), "10012.00")])
    deposit(account, date(2026, 3, 9), "12.00", description="INTEREST ON CREDIT BALANCE")
    report = user_client.get(reverse("reports:home"), RETURNS).context["returns"]
    assert daily(report) == [None, Decimal("0.0012")]


def test_accounts_add_up_into_one_return(user_client, user, worked):
    other = BrokerAccountFactory(user=user)
    net_liq(other, [(day, "10000.00") for day, _ in CLOSES])
    report = user_client.get(reverse("reports:home"), RETURNS).context["returns"]
    # Tuesday: 20,000 -> 20,500 is +2.5% of the two accounts together.
    assert report.days[3].daily == Decimal("0.025")


def test_another_users_net_liq_and_deposits_are_not_counted(user_client, user, other_user, worked):
    theirs = BrokerAccountFactory(user=other_user)
    net_liq(theirs, [(day, "99.00") for day, _ in CLOSES])
    deposit(theirs, date(2026, 3, 3), "1000.00")
    assert user_client.get(reverse("reports:home"), RETURNS).context["returns"].total == Decimal("0.3223109375")


def test_returns_of_another_users_account_are_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    assert user_client.get(reverse("reports:home"), RETURNS | {"account": theirs.pk}).status_code == 404


def test_a_day_without_capital_has_no_return():
    days = returns.daily_returns([(date(2026, 3, 2), Decimal(0)), (date(2026, 3, 3), Decimal(100))], {})
    assert [day.daily for day in days] == [None, None]


def test_sharpe_is_the_mean_over_the_standard_deviation_annualized():
    # mean 1/150, sample variance 7/30,000: (1/150) / sqrt(7/30,000) x sqrt(252) = 4 x sqrt(3) = 6.9282...
    sharpe = returns.sharpe_ratio([Decimal("0.01"), Decimal("-0.01"), Decimal("0.02")], NO_RISK_FREE)
    assert sharpe.quantize(Decimal("0.0001")) == Decimal("6.9282")


def test_sortino_divides_by_the_downside_deviation_only():
    # downside deviation sqrt(0.01^2 / 3): (1/150) / (0.01 / sqrt(3)) x sqrt(252) = 2 x sqrt(756) / 3 = 18.3303...
    sortino = returns.sortino_ratio([Decimal("0.01"), Decimal("-0.01"), Decimal("0.02")], NO_RISK_FREE)
    assert sortino.quantize(Decimal("0.0001")) == Decimal("18.3303")


def test_the_risk_free_rate_is_taken_off_each_day_compounded_over_252_days():
    daily_rate = returns.daily_risk_free(Decimal("0.04"))
    assert ((1 + daily_rate) ** 252).quantize(Decimal("0.000001")) == Decimal("1.040000")


def test_sharpe_and_sortino_of_the_worked_ledger_take_off_four_percent_a_year(settings, user_client, worked):
    # Daily returns 0.25, 0, 0.05, -0.05, 0.05, 0, 0.01: mean 0.31 / 7 = 0.0442857, sample deviation 0.0969290;
    # 4% a year is 0.0001556 a day. Sharpe (0.0442857 - 0.0001556) / 0.0969290 x sqrt(252) = 7.2274 (7.2529 at 0%).
    # Sortino: only -0.05 and the two 0 days fall below 0.0001556, downside deviation sqrt(0.0025156 / 7) = 0.0189572;
    # (0.0442857 - 0.0001556) / 0.0189572 x sqrt(252) = 36.9539.
    settings.RISK_FREE_RATE = Decimal("0.04")
    report = user_client.get(reverse("reports:home"), RETURNS).context["returns"]
    assert (report.sharpe.quantize(Decimal("0.0001")), report.sortino.quantize(Decimal("0.0001"))) == (
        Decimal("7.2274"),
        Decimal("36.9539"),
    )


def test_the_page_shows_the_figures_and_the_chart_data(user_client, worked):
    response = user_client.get(reverse("reports:home"), RETURNS)
    chart = response.context["returns_chart"]
    assert (chart["months"], chart["monthly"]) == (["2026-02", "2026-03"], [25.0, 5.7849])
    assert b'data-stat="twr">32.23%' in response.content


def test_the_returns_report_costs_the_same_few_queries_for_any_history(
    user_client, user, django_assert_max_num_queries
):
    account = BrokerAccountFactory(user=user)
    net_liq(account, CLOSES[:3])
    deposit(account, date(2026, 3, 2), "100.00")
    with django_assert_max_num_queries(12):
        small = queries_for(user_client, reverse("reports:home"), RETURNS)
    net_liq(account, CLOSES[3:])
    for day, _ in CLOSES[3:]:
        deposit(account, day, "100.00")
    with django_assert_max_num_queries(12):
        assert queries_for(user_client, reverse("reports:home"), RETURNS) == small


def returns_csv_rows(client, params) -> list[dict]:
    response = client.get(reverse("reports:returns_csv"), params)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.usefixtures("worked")
def test_the_returns_csv_has_a_row_a_day_with_the_money_moved_taken_out(user_client):
    rows = returns_csv_rows(user_client, {"start": "2026-01-01", "end": "2026-03-31"})
    assert len(rows) == len(CLOSES)
    wednesday = rows[4]
    assert (wednesday["trading_day"], wednesday["net_liq"], wednesday["money_moved"], wednesday["daily_return"]) == (
        "2026-03-04",
        "14250.00",
        "4500.00",
        "-0.05",
    )
    assert rows[0]["daily_return"] == ""  # the first day has no day before it to earn on


def test_the_returns_csv_of_another_users_account_is_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    assert user_client.get(reverse("reports:returns_csv"), {"account": theirs.pk}).status_code == 404
