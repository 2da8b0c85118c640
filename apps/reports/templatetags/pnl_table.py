"""The P&L report's period rows (Reports > P&L by day, month or year), written in Python.

By day over all time the table has a row for every trading day (about 500 in two years), five cells each;
rendered cell by cell through the `pnl-cells` partial that was most of the page's time (bench/edge_50k.py).
`pnl_line_rows` writes the same rows with the same filters (`|signed`, `|count`, `|money`, `|pnl_tone`) and
the same white space as the template's loop, so the page is the same HTML. Every piece is a filter's output
(digits, signs, "$", ",", "—") or an ISO date.
"""

from django import template
from django.utils.safestring import SafeString, mark_safe

from apps.core.templatetags.money import count, money, signed
from apps.trades.pnl import RealizedLine

from .ledger import pnl_tone

register = template.Library()

# The template's `|date:"Y"`, `"Y-m"` and `"Y-m-d"` of a period's first day: its ISO date cut short.
KEY_LENGTH = {"year": 4, "month": 7, "day": 10}
ROW = (
    "<tr>\n"
    '            <th scope="row" class="fw-normal text-nowrap">{period}</th>\n'
    "            \n"
    '<td class="num fw-semibold {tone}">{realized}</td>\n'
    '<td class="num">{events}</td>\n'
    '<td class="num{commissions_tone}">{commissions}</td>\n'
    '<td class="num{fees_tone}">{fees}</td>\n'
    "\n"
    "          </tr>"
)


def _negative(value) -> str:
    return " pnl-neg" if value < 0 else ""


def pnl_line_row(line: RealizedLine, grouping: str) -> str:
    """One period's row: the period, its realized P&L, closing events, and the commissions and fees in it."""
    return ROW.format(
        period=line.key.isoformat()[: KEY_LENGTH.get(grouping, 10)],
        tone=pnl_tone(line.realized_pnl),
        realized=signed(line.realized_pnl),
        events=count(line.closing_events),
        commissions_tone=_negative(line.commissions_in_pnl),
        commissions=money(line.commissions_in_pnl),
        fees_tone=_negative(line.fees_in_pnl),
        fees=money(line.fees_in_pnl),
    )


@register.simple_tag
def pnl_line_rows(lines: list[RealizedLine], grouping: str) -> SafeString:
    """The table body's rows, each between the white space the template's `{% for %}` put around it."""
    html = "".join(f"\n          {pnl_line_row(line, grouping)}\n        " for line in lines)
    return mark_safe(html)  # noqa: S308 - ISO dates and our filters' output only  # nosec B308 B703
