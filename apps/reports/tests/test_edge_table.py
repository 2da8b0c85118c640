"""The Edge report's rows written in Python (templatetags/edge_table.py): the shown figures through the display
filters, the exact sort values beside them, dashes for what is unknown, and an escaped group name."""

from decimal import Decimal

from apps.reports.templatetags.edge_table import edge_row
from apps.trades.analytics import GroupStats


def stats(**figures) -> GroupStats:
    known = {
        "key": "Short put",
        "trades": 1234,
        "winners": 2,
        "losers": 1,
        "win_rate": Decimal(2) / 3,
        "average_win": Decimal("150.5"),
        "average_loss": Decimal("-80"),
        "expectancy": Decimal("73.666"),
        "profit_factor": Decimal("3.7625"),
        "largest_win": Decimal("200"),
        "largest_loss": Decimal("-80"),
        "average_days_held": Decimal("12.25"),
        "average_captured": Decimal("0.5"),
        "total_pnl": Decimal("221.00"),
    }
    return GroupStats(**(known | figures))


def test_an_edge_row_shows_each_figure_through_the_display_filters():
    html = str(edge_row(stats(), 0))
    cells = [
        '<td class="num" data-value="1234">1,234</td>',
        '<td class="num fw-semibold pnl-pos" data-value="221.00">+$221.00</td>',
        f'<td class="num" data-value="{Decimal(2) / 3}">66.7%</td>',
        '<td class="num pnl-pos" data-value="73.666">+$73.67</td>',
        '<td class="num" data-value="-80">-$80.00</td>',
        '<td class="num" data-value="3.7625">3.76</td>',
        '<td class="num" data-value="12.25">12.3</td>',
        '<td class="num" data-value="0.5">50.0%</td>',
    ]
    assert [cell for cell in cells if cell not in html] == []


def test_an_edge_row_sorts_its_name_by_the_tables_order():
    assert '<th scope="row" class="fw-normal text-nowrap" data-value="3">Short put</th>' in str(edge_row(stats(), 3))


def test_an_edge_row_shows_a_dash_and_sorts_empty_where_a_figure_is_unknown():
    html = str(edge_row(stats(average_loss=None, profit_factor=None, largest_loss=None, average_captured=None), 0))
    assert html.count('data-value="">\u2014</td>') == 4


def test_an_edge_row_escapes_the_group_name():
    assert ">&lt;script&gt; &amp; puts</th>" in str(edge_row(stats(key="<script> & puts"), 0))
