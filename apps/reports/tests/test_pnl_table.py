"""The P&L report's period rows written in Python (templatetags/pnl_table.py) are the rows the template wrote
cell by cell before: the same cells, classes and white space, for the hand-worked ledger and for odd figures.

The ledger of make_trading_history: AAPL +98.97 (20 Jan), a SPY put +98.86 (20 Feb), KO -50.00 (16 Mar 2026).
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from apps.reports.templatetags.pnl_table import pnl_line_rows
from apps.trades.pnl import RealizedLine

pytestmark = pytest.mark.usefixtures("frozen_clock")

# The table body as templates/reports/home.html wrote it before pnl_line_rows: its `amount` and `pnl-cells`
# partials and its loop, copied unchanged.
CELL_BY_CELL = """{% load ledger money %}
{% partialdef amount %}<td class="num{% if value < 0 %} pnl-neg{% endif %}">{{ value|money }}</td>{% endpartialdef %}
{% partialdef pnl-cells %}
<td class="num fw-semibold {{ line.realized_pnl|pnl_tone }}">{{ line.realized_pnl|signed }}</td>
<td class="num">{{ line.closing_events|count }}</td>
{% with value=line.commissions_in_pnl %}{% partial amount %}{% endwith %}
{% with value=line.fees_in_pnl %}{% partial amount %}{% endwith %}
{% endpartialdef %}<tbody>
        {% for line in lines %}
          <tr>
            <th scope="row" class="fw-normal text-nowrap">{% if grouping == "year" %}{{ line.key|date:"Y" }}{% elif grouping == "month" %}{{ line.key|date:"Y-m" }}{% else %}{{ line.key|date:"Y-m-d" }}{% endif %}</th>
            {% partial pnl-cells %}
          </tr>
        {% endfor %}
        </tbody>"""  # noqa: E501


def cell_by_cell(lines, grouping: str) -> str:
    html = Template(CELL_BY_CELL).render(Context({"lines": lines, "grouping": grouping}))
    return html[html.index("<tbody>") :]


def written_once(lines, grouping: str) -> str:
    html = Template("{% load pnl_table %}<tbody>\n        {% pnl_line_rows lines grouping %}\n        </tbody>")
    return html.render(Context({"lines": lines, "grouping": grouping}))


TABLE = r'<table class="table table-sm table-key-first table-striped align-middle">.*?<tbody>(.*?)</tbody>'


def body_rows(html: str) -> list[list[str]]:
    """The period table's body rows, as each cell's opening tag and text."""
    body = re.search(TABLE, html, re.S).group(1)
    return [re.findall(r"(<t[hd][^>]*>[^<]*)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


@pytest.mark.parametrize("grouping", ["day", "month", "year"])
def test_the_ledgers_period_rows_are_the_ones_the_template_wrote_cell_by_cell(user_client, history, grouping):
    lines = user_client.get(reverse("reports:home"), {"group": grouping, "start": ""}).context["lines"]
    assert lines
    assert written_once(lines, grouping) == cell_by_cell(lines, grouping)


def test_rows_with_losses_thousands_and_nothing_charged_are_the_ones_the_template_wrote():
    lines = [
        RealizedLine(date(2025, 12, 31), Decimal("-12345.6789"), 1234, Decimal("-1000.5"), Decimal("-0.005")),
        RealizedLine(date(2026, 1, 2), Decimal("0.0000"), 0, Decimal("0"), Decimal("0")),
        RealizedLine(date(2026, 1, 5), Decimal("0.004"), 3, Decimal("-0.0049"), Decimal("0.01")),
    ]
    assert written_once(lines, "day") == cell_by_cell(lines, "day")


def test_the_by_day_table_shows_each_trading_days_pnl_events_and_charges(user_client, history):
    html = user_client.get(reverse("reports:home"), {"group": "day", "start": ""}).content.decode()
    assert body_rows(html) == [
        [
            '<th scope="row" class="fw-normal text-nowrap">2026-01-20', '<td class="num fw-semibold pnl-pos">+$98.97',
            '<td class="num">1', '<td class="num pnl-neg">-$1.00', '<td class="num pnl-neg">-$0.03',
        ],
        [
            '<th scope="row" class="fw-normal text-nowrap">2026-02-20', '<td class="num fw-semibold pnl-pos">+$98.86',
            '<td class="num">1', '<td class="num pnl-neg">-$1.00', '<td class="num pnl-neg">-$0.14',
        ],
        [
            '<th scope="row" class="fw-normal text-nowrap">2026-03-16', '<td class="num fw-semibold pnl-neg">-$50.00',
            '<td class="num">1', '<td class="num">$0.00', '<td class="num">$0.00',
        ],
    ]  # fmt: skip


def test_an_empty_range_writes_no_row():
    assert str(pnl_line_rows([], "day")) == ""
