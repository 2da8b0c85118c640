"""Every chart says what it shows and has its numbers beside it as a table (for screen readers and exact figures).

The ledger of make_trading_history: AAPL +98.97 (20 Jan), a SPY put +98.86 (20 Feb), KO -50.00 (16 Mar 2026).
"""

import json
import re

import pytest
from django.template import Context, Template
from django.urls import reverse

pytestmark = pytest.mark.usefixtures("frozen_clock")


def page(client, name: str, params: dict | None = None) -> str:
    response = client.get(reverse(name), params or {})
    assert response.status_code == 200
    return response.content.decode()


def canvases(html: str) -> list[str]:
    return re.findall(r"<canvas[^>]*>", html)


def chart_tables(html: str) -> list[list[list[str]]]:
    """Each fallback table's body rows, as the cells' text."""
    tables = re.findall(r'<details class="chart-table.*?<tbody>(.*?)</tbody>', html, re.S)
    return [
        [re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
        for body in tables
    ]


def chart_data(html: str, data_id: str) -> dict:
    return json.loads(re.search(rf'<script id="{data_id}" type="application/json">(.*?)</script>', html).group(1))


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("dashboard:home", {}),
        ("reports:home", {}),
        ("reports:home", {"report": "cash-flow"}),
        ("reports:home", {"report": "edge"}),
    ],
)
def test_every_chart_canvas_is_named_for_a_screen_reader_and_has_a_table_beside_it(user_client, history, name, params):
    html = page(user_client, name, params)
    drawn = canvases(html)
    assert drawn
    for canvas in drawn:
        assert 'role="img"' in canvas
        assert re.search(r'aria-label(ledby)?="[^"]+"', canvas)
    assert len(chart_tables(html)) == len(drawn)


def test_the_pnl_charts_table_lists_each_month_with_its_realized_pnl_and_running_total(user_client, history):
    html = page(user_client, "reports:home")
    assert chart_tables(html)[0] == [
        ["2026-01", "$98.97", "$98.97"],
        ["2026-02", "$98.86", "$197.83"],
        ["2026-03", "-$50.00", "$147.83"],
    ]


def test_the_cash_flow_charts_table_has_a_row_per_period_of_its_chart_data(user_client, history):
    html = page(user_client, "reports:home", {"report": "cash-flow"})
    data = chart_data(html, "cash-flow-data")
    rows = chart_tables(html)[0]
    assert [row[0] for row in rows] == data["labels"]
    assert len(rows[0]) == 3


def test_the_dashboards_monthly_pnl_table_matches_its_chart(user_client, history):
    html = page(user_client, "dashboard:home", {"start": "2026-01-01"})
    data = chart_data(html, "monthly-pnl-data")
    table = next(rows for rows in chart_tables(html) if rows and rows[0][0] == data["labels"][0])
    assert [row[0] for row in table] == data["labels"]


def test_a_chart_table_shows_percentages_with_one_decimal_and_a_missing_value_as_a_dash():
    template = Template(
        '{% load chart_tables %}{% chart_table data "labels:Group" "win_rate:Win rate" percent="win_rate" %}'
    )
    html = template.render(Context({"data": {"labels": ["Short put", "Iron condor"], "win_rate": [66.666, None]}}))
    assert chart_tables(html)[0] == [["Short put", "66.7%"], ["Iron condor", "—"]]


def test_a_chart_table_names_its_columns_in_the_traders_words():
    template = Template('{% load chart_tables %}{% chart_table data "labels:Day" "values:Net liquidating value" %}')
    html = template.render(Context({"data": {"labels": ["2026-01-02"], "values": [-1234.5]}}))
    assert re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', html) == ["Day", "Net liquidating value"]
    assert chart_tables(html)[0] == [["2026-01-02", "-$1,234.50"]]


# The table body as templates/includes/_chart_table.html wrote it before the rows were written in Python,
# copied unchanged: one cell at a time, by kind.
CELL_BY_CELL = """{% load money %}<tbody>
        {% for row in rows %}<tr>{% for cell in row %}{% if cell.kind == "label" %}<th scope="row" class="fw-normal">{{ cell.value }}</th>{% elif cell.kind == "percent" %}<td class="num">{{ cell.value|floatformat:"1g"|default:"—" }}{% if cell.value is not None %}%{% endif %}</td>{% else %}<td class="num">{{ cell.value|money }}</td>{% endif %}{% endfor %}</tr>
        {% endfor %}
      </tbody>"""  # noqa: E501


def cell_by_cell(data: dict, keys: list[str], percent: set[str]) -> str:
    rows = [
        [
            {"value": value, "kind": "label" if index == 0 else "percent" if keys[index] in percent else "money"}
            for index, value in enumerate(cells)
        ]
        for cells in zip(*(data.get(key) or [] for key in keys), strict=False)
    ]
    return Template(CELL_BY_CELL).render(Context({"rows": rows}))


def test_a_chart_tables_rows_are_the_ones_the_template_wrote_cell_by_cell():
    data = {
        "labels": ["2026-01-02", "<b>Tag</b> & co", 2026, None],
        "realized": [1234567.891, -0.004, 0, None],
        "win_rate": [66.666, -12.34, 1234.5, None],
    }
    template = Template(
        '{% load chart_tables %}{% chart_table data "labels:Day" "realized:Realized" "win_rate:Win rate" '
        'percent="win_rate" %}'
    )
    html = template.render(Context({"data": data}))
    expected = cell_by_cell(data, ["labels", "realized", "win_rate"], {"win_rate"})
    assert html[html.index("<tbody>") : html.index("</tbody>") + 8] == expected


def test_the_pnl_by_day_charts_table_has_every_trading_day_of_the_range(user_client, history):
    html = page(user_client, "reports:home", {"group": "day", "start": ""})
    assert chart_tables(html)[0] == [
        ["2026-01-20", "$98.97", "$98.97"],
        ["2026-02-20", "$98.86", "$197.83"],
        ["2026-03-16", "-$50.00", "$147.83"],
    ]
