"""The Positions table's cells written in Python (templatetags/positions_table.py): what the filters write, escaped
names, and the fold button's target on the first leg only."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.reports.metrics import PositionLine
from apps.reports.risk import Leg, StrategyPosition
from apps.reports.templatetags.positions_table import greek_cells, leg_rows, position_row, trade_url
from apps.trades.greeks import Greeks
from apps.trades.models import BrokerAccount, PositionSnapshot

AT = datetime(2026, 3, 2, 21, tzinfo=UTC)


def short_put_leg(*, symbol="SPY   260320P00550000", contract="Mar 20 '26 550 P", difference=None, greeks=True):
    snapshot = PositionSnapshot(
        account=BrokerAccount(id=7, account_number="5WT<01>"),
        as_of=AT,
        symbol=symbol,
        instrument_type="Equity Option",
        quantity=Decimal(-2),
        multiplier=Decimal(100),
        mark=Decimal("1.5"),
        average_open_price=Decimal("2.5"),
    )
    line = PositionLine(snapshot, contract, 18, Decimal("-300.00"), Decimal("200.00"), difference=difference)
    return Leg(
        line=line,
        quantity=Decimal(-2),
        average_open_price=Decimal("2.5"),
        market_value=Decimal("-300.00"),
        unrealized=Decimal("200.00"),
        greeks=Greeks(Decimal("60"), Decimal("-4"), Decimal("8.004"), Decimal("-20")) if greeks else None,
        beta_weighted_delta=Decimal("-12.346") if greeks else None,
    )


def test_a_leg_row_writes_its_figures_with_the_display_filters():
    position = StrategyPosition(7, "p1", "Short put", legs=[short_put_leg()])
    html = str(leg_rows(position, accounts=False))
    cells = [
        '<td class="num">-2</td>',
        '<td class="num d-none d-md-table-cell">2.50</td>',
        '<td class="num d-none d-sm-table-cell">1.50</td>',
        '<td class="num d-none d-lg-table-cell">-$300.00</td>',
        '<td class="num pnl-pos">+$200.00</td>',
        '<td class="num">18</td>',
        '<td class="num" data-delta>60.00</td>',
        '<td class="num d-none d-md-table-cell">8.00</td>',
        '<td class="num d-none d-xl-table-cell">-4.000</td>',
        '<td class="num d-none d-xl-table-cell">-20.00</td>',
        '<td class="num d-none d-md-table-cell" data-beta-weighted-delta>-12.35</td>',
    ]
    assert [cell for cell in cells if cell not in html] == []


def test_a_leg_row_escapes_the_contract_its_symbol_and_its_account():
    position = StrategyPosition(7, "p1", "Short put", legs=[short_put_leg(symbol="<b>SPY", contract="Mar 20 '26")])
    html = str(leg_rows(position, accounts=True))
    assert "Mar 20 &#x27;26<div" in html and "data-symbol>&lt;b&gt;SPY</div>" in html and "5WT&lt;01&gt;" in html


def test_a_leg_row_names_the_account_only_when_several_are_shown():
    position = StrategyPosition(7, "p1", "Short put", legs=[short_put_leg(symbol="SPY   260320P00550000")])
    assert "5WT&lt;01&gt;" not in str(leg_rows(position, accounts=False))


def test_a_leg_row_shows_our_quantity_when_our_books_differ():
    position = StrategyPosition(7, "p1", "Short put", legs=[short_put_leg(difference={"computed": Decimal("-1")})])
    html = str(leg_rows(position, accounts=False))
    assert '<span class="badge text-bg-danger" title="Our books hold -1">ours: -1</span>' in html


def test_only_the_first_leg_row_carries_the_id_its_fold_button_controls():
    position = StrategyPosition(7, "p:1", "Vertical", legs=[short_put_leg(), short_put_leg()])
    html = str(leg_rows(position, accounts=False))
    assert html.count('id="legs-7-p-1"') == 1 and html.count('data-leg-of="7-p-1"') == 2


def test_greek_cells_show_a_dash_for_a_leg_without_greeks():
    html = str(greek_cells(short_put_leg(greeks=False)))
    assert html.count(">\u2014</td>") == 5


def test_a_position_shows_the_share_of_its_most_profit_only_for_a_defined_risk_credit():
    vertical = StrategyPosition(7, "v", "Vertical", strategy="vertical", open_cost=Decimal("400"))
    naked = StrategyPosition(7, "n", "Short put", strategy="short_put", open_cost=Decimal("400"))
    vertical.legs, naked.legs = [short_put_leg()], [short_put_leg()]
    assert '<td class="num d-none d-lg-table-cell">50%</td>' in str(row(vertical))
    assert '<td class="num d-none d-lg-table-cell"></td>' in str(row(naked))


def row(position, account_query=""):
    return position_row(position, payoff_url="/payoff/", account_query=account_query)


def test_a_position_links_its_trade_and_its_payoff_with_the_shown_account():
    position = StrategyPosition(7, "p:1", "Iron <condor>", legs=[short_put_leg()])
    html = str(row(position, account_query="&account=7"))
    assert '<a href="/trades/7/position/p:1/">Iron &lt;condor&gt;</a>' in html
    assert 'href="/payoff/?position=7-p-1&amp;account=7" data-payoff-link' in html and "1 leg<" in html


def test_legs_not_in_our_books_have_no_trade_or_payoff_link():
    position = StrategyPosition(None, "not-in-our-books", "Not in our books", legs=[short_put_leg(), short_put_leg()])
    html = str(row(position))
    assert "<a " not in html and "2 legs<" in html


@pytest.mark.parametrize("key", ["p-1", "chain:7 roll", "a&b=c?d#e", "ünï~@:"])
def test_a_positions_trade_link_is_the_url_django_reverses(key):
    assert trade_url(7, key) == reverse("trades:detail", args=[7, key])
