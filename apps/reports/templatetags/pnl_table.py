"""The P&L report's period rows (Reports > P&L by day, month or year), written once per row in Python.

By day over all time the table has a row for every trading day (about 500 in two years), five cells each;
rendered cell by cell through the `pnl-cells` partial that was most of the page's time (bench/edge_50k.py).
`pnl_line_row` writes the same row with the same filters (`|signed`, `|count`, `|money`, `|pnl_tone`), so
the page is the same HTML. Every piece is a filter's output (digits, signs, "$", ",", "—") or an ISO date.
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


@register.simple_tag
def pnl_line_row(line: RealizedLine, grouping: str) -> SafeString:
    """One period's row: the period, its realized P&L, closing events, and the commissions and fees in it."""
    html = ROW.format(
        period=line.key.isoformat()[: KEY_LENGTH.get(grouping, 10)],
        tone=pnl_tone(line.realized_pnl),
        realized=signed(line.realized_pnl),
        events=count(line.closing_events),
        commissions_tone=_negative(line.commissions_in_pnl),
        commissions=money(line.commissions_in_pnl),
        fees_tone=_negative(line.fees_in_pnl),
        fees=money(line.fees_in_pnl),
    )
    return mark_safe(html)  # noqa: S308  # nosec B308 B703 - an ISO date and our filters' output only
