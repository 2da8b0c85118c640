"""The Rolls report's rows written in Python (templatetags/rolls_table.py) are the rows the template wrote cell by
cell before: the same links, cells and white space, for the hand-worked ledger of test_views_rolls (an IWM put
rolled twice then closed, an XYZ wheel called away) and for an open campaign with odd text."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.template import Context, Template
from django.urls import reverse

from apps.reports.edge import campaign_rows
from apps.trades.models import Chain, TradeFact
from apps.trades.scope import Scope

from .test_views_rolls import first_of_june, ledger  # noqa: F401 - the fixtures

pytestmark = pytest.mark.django_db

# The table body as templates/reports/home.html wrote it before campaign_rows, copied unchanged.
CELL_BY_CELL = """{% load ledger money %}<tbody>
      {% for row in campaigns.page %}
        <tr>
          <th scope="row" class="text-nowrap"><a href="{% url 'trades:chain' row.account_id row.chain_key %}">{{ row.underlying_symbol|default:"—" }}</a></th>
          <td class="num fw-semibold {{ row.realized_pnl|pnl_tone }}">{{ row.realized_pnl|signed }}</td>
          <td class="text-nowrap">{% if row.closed_on %}{{ row.status }}{% else %}<span class="badge text-bg-primary">Open</span>{% endif %}</td>
          <td class="num">{{ row.net_credit|signed }}</td>
          <td class="num">{{ row.rolls }}</td>
          <td class="text-nowrap">{{ row.get_chain_kind_display }}</td>
          <td class="text-nowrap">{{ row.opened_on|date:"Y-m-d" }}</td>
          <td class="text-nowrap">{{ row.closed_on|date:"Y-m-d"|default:"—" }}</td>
        </tr>
      {% endfor %}
      </tbody>"""  # noqa: E501
WRITTEN_ONCE = "{% load rolls_table %}<tbody>\n      {% campaign_rows campaigns.page %}\n      </tbody>"


def both(rows) -> tuple[str, str]:
    context = Context({"campaigns": {"page": rows}})
    return Template(WRITTEN_ONCE).render(context), Template(CELL_BY_CELL).render(context)


def test_the_ledgers_campaign_rows_are_the_ones_the_template_wrote_cell_by_cell(user, ledger):  # noqa: F811
    rows = campaign_rows(Scope([ledger], None, None, None, user.tz, date(2026, 6, 1)))
    assert [row.underlying_symbol for row in rows] == ["XYZ", "IWM"]
    written_once, cell_by_cell = both(rows)
    assert reverse("trades:chain", args=[ledger.pk, rows[1].chain_key]) in written_once
    assert written_once == cell_by_cell


def test_campaigns_open_and_closed_with_odd_text_are_the_rows_the_template_wrote(ledger):  # noqa: F811
    row = TradeFact(
        account=ledger, key="k", chain_key="roll <1> & co", chain_kind=Chain.Kind.ROLL, underlying_symbol="",
        opened_on=date(2026, 5, 1), entry_cash=D(0), net_credit=D("-1234.5"), realized_pnl=D("0"), rolls=3,
        outcome="<open>",
    )  # fmt: skip
    closed = TradeFact(
        account=ledger, key="c", chain_key="c", chain_kind=Chain.Kind.WHEEL, underlying_symbol="A&B",
        opened_on=date(2026, 4, 1), closed_on=date(2026, 5, 2), entry_cash=D(0), net_credit=D("10"),
        realized_pnl=D("-0.004"), outcome="<called>",
    )  # fmt: skip
    written_once, cell_by_cell = both([row, closed])
    assert '<span class="badge text-bg-primary">Open</span>' in written_once
    assert "&lt;called&gt;" in written_once
    assert written_once == cell_by_cell


def test_an_empty_page_writes_no_row():
    written_once, cell_by_cell = both([])
    assert written_once == cell_by_cell == "<tbody>\n      \n      </tbody>"
