"""The Rolls report's rows (Reports > Rolls: roll chains and wheel campaigns), written once per page in Python.

A page shows up to 100 campaigns, eight cells each with a link to the chain; rendered cell by cell that was
most of the tab's time (bench/edge_50k.py). `campaign_rows` writes the same rows with the same filters
(`|signed`, `|pnl_tone`, `|date`, `|default`) and the same white space as the template's loop, so the page is the
same HTML. Text from the ledger (the underlying, the outcome) and the link are escaped; the rest is dates,
numbers and filter output.
"""

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.core.templatetags.money import DASH, signed
from apps.trades.models import TradeFact

from .ledger import pnl_tone

register = template.Library()

OPEN = '<span class="badge text-bg-primary">Open</span>'
ROW = (
    "\n        <tr>\n"
    '          <th scope="row" class="text-nowrap"><a href="{link}">{underlying}</a></th>\n'
    '          <td class="num fw-semibold {tone}">{result}</td>\n'
    '          <td class="text-nowrap">{status}</td>\n'
    '          <td class="num">{net_credit}</td>\n'
    '          <td class="num">{rolls}</td>\n'
    '          <td class="text-nowrap">{kind}</td>\n'
    '          <td class="text-nowrap">{opened}</td>\n'
    '          <td class="text-nowrap">{closed}</td>\n'
    "        </tr>\n"
    "      "
)


def campaign_row(row: TradeFact) -> str:
    """One campaign: its underlying linked to the chain's page, result, status, net credit, rolls, kind, dates."""
    return ROW.format(
        link=escape(reverse("trades:chain", args=[row.account_id, row.chain_key])),
        underlying=escape(row.underlying_symbol or DASH),
        tone=pnl_tone(row.realized_pnl),
        result=signed(row.realized_pnl),
        status=escape(row.status) if row.closed_on else OPEN,
        net_credit=signed(row.net_credit),
        rolls=row.rolls,
        kind=escape(row.get_chain_kind_display()),
        opened=row.opened_on.isoformat(),  # the template's |date:"Y-m-d"
        closed=row.closed_on.isoformat() if row.closed_on else DASH,
    )


@register.simple_tag
def campaign_rows(rows) -> SafeString:
    """A page of campaigns, each between the white space the template's `{% for %}` put around it."""
    html = "".join(campaign_row(row) for row in rows)
    return mark_safe(html)  # noqa: S308 - ledger text and the link escaped, the rest numbers  # nosec B308 B703
