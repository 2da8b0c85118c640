"""The P&L calendar: a month of trading days with weekly and monthly totals, a year of small months, and a
day's closed trades; every amount the P&L engine's daily figure to the cent.

The hand-worked ledger of make_trading_history (New York trading days): AAPL +98.97 on Tue 20 Jan 2026,
the SPY put +98.86 on Fri 20 Feb, KO -50.00 on Mon 16 Mar (today).
"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.journal.models import JournalDay
from apps.reports.tests.factories import BrokerAccountFactory, make_round_trips, make_trading_history
from apps.trades.lots import recompute_account
from apps.trades.pnl import RealizedLine, realized_by_day
from apps.trades.scope import Scope
from apps.trades.tests.factories import TransactionFactory

from .. import calendar

pytestmark = pytest.mark.usefixtures("frozen_clock")

D = Decimal


def page(client, name: str, **params) -> str:
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    return response.content.decode()


def queries_for(client, name: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(reverse(name), params).status_code == 200
    return len(context.captured_queries)


def day_amounts(html: str) -> dict[str, str]:
    """Day number -> amount, from the month grid's linked cells."""
    cells = re.findall(
        r'class="pnl-day-link"[^>]*>\s*<span class="pnl-day-number">(\d+)[^<]*<.*?pnl-amount">([^<]+)<',
        html,
        flags=re.S,
    )
    return dict(cells)


def calendar_figure(html: str, name: str) -> str:
    return re.search(rf'data-calendar="{name}">([^<]*)<', html).group(1)


def lines(*amounts: tuple[date, str]) -> dict[date, RealizedLine]:
    return {day: RealizedLine(day, D(amount), 1) for day, amount in amounts}


# -- The month grid (no database) ------------------------------------------------------------


def test_a_month_has_its_weeks_as_rows_of_monday_to_friday():
    month = calendar.month_grid(date(2026, 4, 1), {})
    assert month.weekday_names == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert [week.days[0].day.day for week in month.weeks] == [30, 6, 13, 20, 27]
    assert [cell.day.day for cell in month.weeks[1].days] == [6, 7, 8, 9, 10]


def test_a_month_starting_on_a_sunday_has_no_empty_first_row():
    assert calendar.month_grid(date(2026, 3, 1), {}).weeks[0].days[0].day == date(2026, 3, 2)


def test_days_outside_the_month_are_marked_and_carry_no_pnl():
    month = calendar.month_grid(date(2026, 4, 1), lines((date(2026, 3, 31), "10")))
    assert not month.weeks[0].days[1].in_month and month.weeks[0].days[1].line is None
    assert month.weeks[0].total is None and month.total is None


def test_a_weeks_total_adds_its_days_and_the_months_total_adds_every_day():
    month = calendar.month_grid(
        date(2026, 3, 1), lines((date(2026, 3, 2), "10.01"), (date(2026, 3, 4), "-3.02"), (date(2026, 3, 16), "-50"))
    )
    assert [week.total for week in month.weeks] == [D("6.99"), None, D("-50"), None, None]
    assert month.total == D("-43.01")


def test_a_month_with_a_weekend_close_shows_all_seven_days_so_no_amount_is_left_out():
    month = calendar.month_grid(date(2026, 3, 1), lines((date(2026, 3, 7), "5"), (date(2026, 3, 6), "1")))
    assert month.weekday_names[-1] == "Sun"
    assert month.weeks[0].days[-1].day == date(2026, 3, 1)  # with Sundays shown, 1 March has its row
    assert month.weeks[1].total == D("6")


def test_the_phone_list_has_the_trading_days_oldest_first():
    month = calendar.month_grid(date(2026, 3, 1), lines((date(2026, 3, 16), "-50"), (date(2026, 3, 2), "1")))
    assert [cell.day.day for cell in month.trading_days] == [2, 16]


@pytest.mark.parametrize(
    ("amount", "tone"),
    [("25", "pnl-gain-1"), ("25.01", "pnl-gain-2"), ("100", "pnl-gain-4"), ("-60", "pnl-loss-3"), ("0", "pnl-flat")],
)
def test_the_colour_scale_has_four_shades_each_way_by_share_of_the_biggest_day(amount, tone):
    assert calendar.tone(D(amount), D("100")) == tone


def test_the_legend_runs_from_the_biggest_loss_to_the_biggest_gain():
    steps = calendar.legend(D("100"))
    assert [step.tone for step in steps][::7] == ["pnl-loss-4", "pnl-gain-4"]
    assert (steps[0].low, steps[0].high, steps[4].low, steps[4].high) == (D(75), D(100), D(0), D(25))


def test_the_day_pages_neighbours_skip_the_weekend():
    friday, monday = date(2026, 3, 13), date(2026, 3, 16)
    assert (calendar.weekday_after(friday, 1), calendar.weekday_after(monday, -1)) == (monday, friday)


def test_previous_and_next_month_cross_the_year():
    assert calendar.month_grid(date(2026, 1, 1), {}).previous == date(2025, 12, 1)
    assert calendar.month_grid(date(2025, 12, 1), {}).next == date(2026, 1, 1)


# -- The pages ---------------------------------------------------------------------------------


def test_calendar_requires_sign_in(client, db):
    assert client.get(reverse("dashboard:calendar")).status_code == 302


def test_the_calendar_opens_on_this_month(user_client, history):
    html = page(user_client, "dashboard:calendar")
    assert "March 2026" in html
    assert day_amounts(html) == {"16": "-$50.00"}


def test_the_month_page_puts_the_hand_worked_days_in_their_cells(user_client, history):
    assert day_amounts(page(user_client, "dashboard:calendar", month="2026-01")) == {"20": "+$98.97"}
    assert day_amounts(page(user_client, "dashboard:calendar", month="2026-02")) == {"20": "+$98.86"}


def test_a_day_with_two_closes_adds_them_and_a_late_evening_close_counts_on_its_new_york_day(user_client, history):
    TransactionFactory(
        account=history, symbol="MSFT", quantity=1, price=D("10"), executed_at=datetime(2026, 3, 2, 15, tzinfo=UTC)
    )
    # 01:30 UTC on 17 March is the evening of 16 March in New York.
    TransactionFactory(
        account=history,
        symbol="MSFT",
        action="Sell to Close",
        quantity=1,
        price=D("30.50"),
        executed_at=datetime(2026, 3, 17, 1, 30, tzinfo=UTC),
    )
    recompute_account(account=history)
    html = page(user_client, "dashboard:calendar", month="2026-03")
    assert day_amounts(html) == {"16": "-$29.50"}
    assert calendar_figure(html, "month-total") == "-$29.50"


def test_every_calendar_figure_equals_the_pnl_engines_daily_figures_to_the_cent(user_client, user, history):
    scope = Scope([history], None, None, None, user.tz, date(2026, 3, 16))
    engine = {line.key: line.realized_pnl for line in realized_by_day(scope)}
    assert engine == {date(2026, 1, 20): D("98.97"), date(2026, 2, 20): D("98.86"), date(2026, 3, 16): D("-50.00")}
    for day, amount in engine.items():
        day_html = page(user_client, "dashboard:calendar_day", day=day.isoformat())
        month_html = page(user_client, "dashboard:calendar", month=f"{day:%Y-%m}")
        shown = calendar_figure(day_html, "day-total")
        assert shown == calendar_figure(month_html, "month-total") == f"{'+' if amount > 0 else '-'}${abs(amount):.2f}"


def test_the_year_view_totals_each_month_and_the_year(user_client, history):
    html = page(user_client, "dashboard:calendar_year", year="2026")
    totals = dict(re.findall(r'data-month-total="([\d-]+)">([^<]*)<', html))
    assert (totals["2026-01"], totals["2026-02"], totals["2026-03"], totals["2026-04"]) == (
        "+$98.97",
        "+$98.86",
        "-$50.00",
        "\u2014",
    )
    assert calendar_figure(html, "year-total") == "+$147.83"


def test_the_year_view_links_each_trading_day_to_its_page(user_client, history):
    html = page(user_client, "dashboard:calendar_year", year="2026")
    assert f"{reverse('dashboard:calendar_day')}?day=2026-02-20" in html


def test_the_month_links_each_trading_day_to_its_page_on_desktop_and_phone(user_client, history):
    html = page(user_client, "dashboard:calendar", month="2026-03")
    assert html.count(f'href="{reverse("dashboard:calendar_day")}?day=2026-03-16"') == 2


def test_month_links_keep_the_picked_account(user_client, user, history):
    make_trading_history(user, account_number="5WT88888")
    html = page(user_client, "dashboard:calendar", month="2026-03", account=history.pk)
    assert f"{reverse('dashboard:calendar')}?month=2026-04&amp;account={history.pk}" in html
    assert f"{reverse('dashboard:calendar_day')}?day=2026-03-16&amp;account={history.pk}" in html


def test_the_calendar_adds_the_included_accounts_or_shows_the_one_picked(user_client, user, history):
    make_trading_history(user, account_number="5WT88888")
    assert calendar_figure(page(user_client, "dashboard:calendar", month="2026-03"), "month-total") == "-$100.00"
    html = page(user_client, "dashboard:calendar", month="2026-03", account=history.pk)
    assert calendar_figure(html, "month-total") == "-$50.00"


def test_the_day_page_lists_the_days_closed_trades_with_links_to_their_pages(user_client, history):
    html = page(user_client, "dashboard:calendar_day", day="2026-03-16")
    position = history.pnl_positions.get(underlying_symbol="KO")
    assert html.count("data-trade>") == 1
    assert reverse("trades:detail", args=[history.pk, position.key]) in html
    assert "-$50.00" in html


def test_a_day_without_closes_says_so(user_client, history):
    html = page(user_client, "dashboard:calendar_day", day="2026-03-13")
    assert "No trade realized P&amp;L on this trading day" in html
    assert calendar_figure(html, "day-total") == "\u2014"


def test_the_day_page_never_shows_another_users_trades(other_client, other_user, history):
    html = page(other_client, "dashboard:calendar_day", day="2026-03-16")
    assert "data-trade>" not in html and "KO" not in html


def test_the_day_page_shows_only_the_users_own_trades_when_both_traded_that_day(other_client, other_user, history):
    theirs = BrokerAccountFactory(user=other_user)
    TransactionFactory(
        account=theirs, symbol="TSLA", quantity=1, price=D("10"), executed_at=datetime(2026, 3, 2, 15, tzinfo=UTC)
    )
    TransactionFactory(
        account=theirs,
        symbol="TSLA",
        action="Sell to Close",
        quantity=1,
        price=D("12"),
        executed_at=datetime(2026, 3, 16, 15, tzinfo=UTC),
    )
    recompute_account(account=theirs)
    html = page(other_client, "dashboard:calendar_day", day="2026-03-16")
    assert html.count("data-trade>") == 1 and "TSLA" in html and "KO" not in html
    assert calendar_figure(html, "day-total") == "+$2.00"


def test_another_users_account_in_the_query_string_is_404(other_client, history):
    response = other_client.get(reverse("dashboard:calendar_day"), {"day": "2026-03-16", "account": history.pk})
    assert response.status_code == 404


@pytest.mark.parametrize("day", ["2026-02-30", "2026-13-01", "0001-01-01", "yesterday", "2026-03-16T00:00"])
def test_a_day_that_does_not_exist_is_404(user_client, day):
    assert user_client.get(reverse("dashboard:calendar_day"), {"day": day}).status_code == 404


def test_a_month_that_does_not_exist_is_404(user_client):
    assert user_client.get(reverse("dashboard:calendar"), {"month": "2026-13"}).status_code == 404


def test_the_day_page_leaves_the_journal_slot_for_the_days_notes(user_client, history):
    response = user_client.get(reverse("dashboard:calendar_day"), {"day": "2026-03-16"})
    assert "dashboard/includes/_day_extra.html" in [template.name for template in response.templates]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("dashboard:calendar", {"month": "2025-12"}),
        ("dashboard:calendar_year", {"year": "2025"}),
        ("dashboard:calendar_day", {"day": "2025-12-01"}),
    ],
)
def test_calendar_pages_cost_the_same_few_queries_for_100_and_2000_transactions(
    user_client, user, name, params, django_assert_max_num_queries
):
    account = BrokerAccountFactory(user=user)
    make_round_trips(account, 100, start=datetime(2025, 11, 3, 15, tzinfo=UTC))
    with django_assert_max_num_queries(8):
        small = queries_for(user_client, name, params)
    make_round_trips(account, 1_900, start=datetime(2025, 12, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(8):
        assert queries_for(user_client, name, params) == small


def test_today_is_marked_in_the_month(user_client, history):
    html = page(user_client, "dashboard:calendar")
    assert html.count('aria-current="date"') == 1 and "16 · today" in html


@pytest.mark.parametrize("name", ["dashboard:calendar", "dashboard:calendar_year", "dashboard:calendar_day"])
def test_before_any_sync_or_import_the_calendar_says_where_pnl_comes_from(user_client, name):
    assert 'data-calendar="no-pnl"' in page(user_client, name)


def test_once_the_engine_has_run_the_calendar_drops_that_note(user_client, history):
    assert 'data-calendar="no-pnl"' not in page(user_client, "dashboard:calendar")


def test_the_day_page_shows_that_days_journal_entry(user, user_client):
    JournalDay.objects.create(user=user, day=date(2026, 3, 16), text="Sold the 21 DTE put\nwaited for IV", mood=4)
    html = page(user_client, "dashboard:calendar_day", day="2026-03-16")
    assert "Sold the 21 DTE put<br>waited for IV" in html
    assert "Mood 4/5" in html


def test_the_day_page_never_shows_another_users_journal_entry(other_user, user_client):
    JournalDay.objects.create(user=other_user, day=date(2026, 3, 16), text="Their private note")
    html = page(user_client, "dashboard:calendar_day", day="2026-03-16")
    assert "Their private note" not in html
    assert "Nothing written for this day." in html
