"""The year view's small months written in Python (templatetags/calendar_cells.py) are the weeks the template
wrote cell by cell before: the same cells, links, titles and white space, with and without an account picked.

The ledger of make_trading_history: AAPL +98.97 (20 Jan), a SPY put +98.86 (20 Feb), KO -50.00 (16 Mar 2026).
"""

from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from apps.trades.pnl import RealizedLine, realized_by_day
from apps.trades.scope import Scope

from .. import calendar

pytestmark = pytest.mark.usefixtures("frozen_clock")

# The weeks of a small month as templates/dashboard/calendar_year.html wrote them before, copied unchanged.
CELL_BY_CELL = """{% load ledger money %}{% for week in month.weeks %}<tr>
                {% for cell in week.days %}
                  {% if not cell.in_month %}<td class="pnl-outside"></td>
                  {% elif cell.line %}<td class="{{ cell.tone }}"><a href="{{ day_url }}?day={{ cell.day|date:'Y-m-d' }}{% if scope.account %}&amp;account={{ scope.account.pk }}{% endif %}" title="{{ cell.day|date:'D j M' }}: {{ cell.realized_pnl|signed }}">{{ cell.day.day }}<span class="visually-hidden"> {{ cell.day|date:"F" }}: {{ cell.realized_pnl|signed }}</span></a></td>
                  {% else %}<td class="text-body-secondary">{{ cell.day.day }}</td>{% endif %}
                {% endfor %}
              </tr>{% endfor %}"""  # noqa: E501
WRITTEN_ONCE = "{% load calendar_cells %}{% mini_month_weeks month day_url scope.account %}"


def both(month: calendar.Month, account=None) -> tuple[str, str]:
    context = {"month": month, "day_url": reverse("dashboard:calendar_day"), "scope": {"account": account}}
    return Template(WRITTEN_ONCE).render(Context(context)), Template(CELL_BY_CELL).render(Context(context))


def ledger_year(user, history) -> calendar.Year:
    lines = realized_by_day(Scope([history], None, None, None, user.tz, date(2026, 3, 16)))
    return calendar.year_grid(2026, calendar.by_day(lines))


def test_the_ledgers_small_months_are_the_ones_the_template_wrote_cell_by_cell(user, history):
    months = ledger_year(user, history).months
    assert [month.first.month for month in months if month.total is not None] == [1, 2, 3]
    for month in months:
        written_once, cell_by_cell = both(month)
        assert written_once == cell_by_cell


def test_with_an_account_picked_the_day_links_are_the_ones_the_template_wrote(user, history):
    for month in ledger_year(user, history).months[:3]:
        written_once, cell_by_cell = both(month, account=history)
        assert f"&amp;account={history.pk}" in written_once
        assert written_once == cell_by_cell


def test_a_loss_and_a_day_without_pnl_are_the_cells_the_template_wrote():
    lines = {
        date(2026, 5, 4): RealizedLine(date(2026, 5, 4), Decimal("-1234.567"), 2),
        date(2026, 5, 29): RealizedLine(date(2026, 5, 29), Decimal("0.00"), 1),
    }
    written_once, cell_by_cell = both(calendar.month_grid(date(2026, 5, 1), lines))
    assert 'title="Mon 4 May: -$1,234.57"' in written_once
    assert written_once == cell_by_cell
