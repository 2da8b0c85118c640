"""The Edge report's table rows, written once per row in Python.

The Edge tab shows seven tables of up to some dozens of rows, twelve figures each with the exact value for
sorting beside the shown one; rendered cell by cell by the template engine that was most of the tab's time
(bench/edge_50k.py). `edge_row` writes the same row with the same filters (`|count`, `|signed`, `|pct`,
`|floatformat`, `|pnl_tone`), so the page is what the cell-by-cell template showed. The filters and the sort
values (`str()` of a number) hold digits, signs, "$", "%", "," and "—" only; the group's name is escaped.
"""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.core.templatetags.money import count, pct, signed

from .ledger import pnl_tone

register = template.Library()

DASH = "\u2014"
ROW = (
    "<tr>\n"
    '          <th scope="row" class="fw-normal text-nowrap" data-value="{position}">{key}</th>\n'
    '          <td class="num" data-value="{trades_value}">{trades}</td>\n'
    '          <td class="num fw-semibold {total_tone}" data-value="{total_value}">{total}</td>\n'
    '          <td class="num" data-value="{win_rate_value}">{win_rate}</td>\n'
    '          <td class="num {expectancy_tone}" data-value="{expectancy_value}">{expectancy}</td>\n'
    '          <td class="num" data-value="{average_win_value}">{average_win}</td>\n'
    '          <td class="num" data-value="{average_loss_value}">{average_loss}</td>\n'
    '          <td class="num" data-value="{profit_factor_value}">{profit_factor}</td>\n'
    '          <td class="num" data-value="{largest_win_value}">{largest_win}</td>\n'
    '          <td class="num" data-value="{largest_loss_value}">{largest_loss}</td>\n'
    '          <td class="num" data-value="{days_value}">{days}</td>\n'
    '          <td class="num" data-value="{captured_value}">{captured}</td>\n'
    "        </tr>"
)


def _value(number) -> str:
    """The exact figure a column sorts by (`|default_if_none:''|stringformat:'s'`)."""
    return "" if number is None else str(number)


@register.simple_tag
def edge_row(row, position: int) -> SafeString:
    """One group's statistics (an `apps.trades.analytics.GroupStats`); `position` is its place in the table's
    natural order, which the name column sorts by."""
    html = ROW.format(
        position=position,
        key=escape(row.key),
        trades_value=_value(row.trades),
        trades=count(row.trades),
        total_tone=pnl_tone(row.total_pnl),
        total_value=_value(row.total_pnl),
        total=signed(row.total_pnl),
        win_rate_value=_value(row.win_rate),
        win_rate=pct(row.win_rate),
        expectancy_tone=pnl_tone(row.expectancy),
        expectancy_value=_value(row.expectancy),
        expectancy=signed(row.expectancy),
        average_win_value=_value(row.average_win),
        average_win=signed(row.average_win),
        average_loss_value=_value(row.average_loss),
        average_loss=signed(row.average_loss),
        profit_factor_value=_value(row.profit_factor),
        profit_factor=floatformat(row.profit_factor, 2) or DASH,
        largest_win_value=_value(row.largest_win),
        largest_win=signed(row.largest_win),
        largest_loss_value=_value(row.largest_loss),
        largest_loss=signed(row.largest_loss),
        days_value=_value(row.average_days_held),
        days=floatformat(row.average_days_held, 1) or DASH,
        captured_value=_value(row.average_captured),
        captured=pct(row.average_captured),
    )
    return mark_safe(html)  # noqa: S308 - the name escaped, the rest filter output and numbers  # nosec B308 B703
