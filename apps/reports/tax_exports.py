"""The tax year as files: Form 8949 rows, the Form 6781 Part I summary, every tax line, and JSON.

Amounts are rounded to cents here and only here (the figures behind them keep the engine's four
decimals, so the totals on the page may differ from a column sum of this file by a cent or two).
Every file says what it is: a report to help you check your 1099-B, not tax advice.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from .tax import DISCLAIMER, TaxYear
from .tax_lots import TaxLine, Term, cents

FORM_8949_COLUMNS = [
    "box",
    "description",
    "date_acquired",
    "date_sold",
    "proceeds",
    "cost_basis",
    "adjustment_code",
    "adjustment_amount",
    "gain_or_loss",
    "account_number",
    "symbol",
]

LINE_COLUMNS = [
    "account_number",
    "symbol",
    "description",
    "instrument_type",
    "quantity",
    "date_acquired",
    "date_sold",
    "term",
    "proceeds",
    "cost_basis",
    "wash_sale_disallowed",
    "gain_or_loss",
    "fifo_realized_pnl",
    "premium_in_basis",
    "wash_loss_in_basis",
    "prior_year_end_mark",
    "note",
    "lot_id",
    "event_id",
]

FORM_6781_COLUMNS = ["line", "description", "amount"]

# Written to the cent, like every money column of our CSVs (apps/core/money.csv_value).
MONEY_COLUMNS = frozenset(
    {
        "proceeds", "cost_basis", "adjustment_amount", "gain_or_loss", "wash_sale_disallowed", "fifo_realized_pnl",
        "premium_in_basis", "wash_loss_in_basis", "prior_year_end_mark", "amount",
    }
)  # fmt: skip


def box(line: TaxLine) -> str:
    """Covered securities whose basis the broker reports: box A short term, box D long term.

    TastyTrade accounts opened after 2011 hold covered lots only; a transferred-in lot may not be,
    which the 1099-B would show in box B or E."""
    return "D" if line.term == Term.LONG else "A"


def form_8949_rows(tax: TaxYear) -> Iterator[list]:
    for line in tax.lines:
        if line.term == Term.SECTION_1256:
            continue  # Form 6781, not 8949
        yield [
            box(line),
            line.description,
            line.acquired.isoformat(),
            line.sold.isoformat(),
            cents(line.proceeds),
            cents(line.cost_basis),
            "W" if line.wash_disallowed else "",
            cents(line.wash_disallowed) if line.wash_disallowed else "",
            cents(line.gain),
            line.account_number,
            line.symbol,
        ]


def line_row(line: TaxLine) -> list:
    return [
        line.account_number,
        line.symbol,
        line.description,
        line.instrument_type,
        line.quantity.normalize(),
        line.acquired.isoformat(),
        line.sold.isoformat(),
        line.term,
        line.proceeds,
        line.cost_basis,
        line.wash_disallowed,
        line.gain,
        line.realized_pnl,
        line.carried_premium,
        -line.carried_wash,
        line.prior_mark,
        line.note,
        line.lot_id,
        line.event_id or "",
    ]


def form_6781_rows(tax: TaxYear) -> list[list]:
    """Form 6781 Part I: the 1099-B aggregate (closed contracts and year-end marks), then the 40/60 split."""
    closed = sum((line.gain for line in tax.lines if line.term == Term.SECTION_1256 and not line.is_mark), Decimal(0))
    marks = sum((line.gain for line in tax.lines if line.is_mark), Decimal(0))
    return [
        ["1", "Section 1256 contracts closed in the year (realized, less last year-end's marks)", cents(closed)],
        ["1", "Section 1256 contracts open at the year end (marked to market)", cents(marks)],
        ["7", "Net gain or loss (lines 1 to 6)", cents(tax.section_1256)],
        ["8", "Short-term capital gain or loss (40% of line 7)", tax.section_1256_short],
        ["9", "Long-term capital gain or loss (60% of line 7)", tax.section_1256_long],
    ]


def money(amount: Decimal) -> str:
    return f"{cents(amount):f}"


def tax_year_json(tax: TaxYear) -> dict:
    bridge = tax.bridge
    return {
        "year": tax.year,
        "disclaimer": DISCLAIMER,
        "totals": {
            "short_term": money(tax.short_term),
            "long_term": money(tax.long_term),
            "section_1256": money(tax.section_1256),
            "section_1256_short_40": money(tax.section_1256_short),
            "section_1256_long_60": money(tax.section_1256_long),
            "wash_sales_disallowed": money(tax.wash_disallowed),
            "dividends": money(tax.dividends),
            "interest": money(tax.interest),
        },
        "bridge": {
            "realized_fifo": money(bridge.realized_fifo),
            "wash_sales_disallowed": money(bridge.wash_disallowed),
            "wash_losses_released": money(bridge.wash_released),
            "premium_moved_into_stock": money(bridge.premium_moved),
            "premium_released_with_stock": money(bridge.premium_released),
            "section_1256_marks_this_year": money(bridge.marks_this_year),
            "section_1256_marks_last_year": money(bridge.marks_last_year),
            "taxable_total": money(bridge.taxable_total),
            "difference": money(bridge.difference),
        },
        "year_end_marks": [
            {
                "account_number": mark.account_number,
                "symbol": mark.symbol,
                "day": mark.day.isoformat(),
                "price": None if mark.price is None else f"{mark.price.normalize():f}",
                "source": mark.source,
            }
            for mark in tax.marks
        ],
        "interpretation": {
            "label": tax.interpretation_label,
            "wash_sales_disallowed": money(sum((line.wash_disallowed for line in tax.interpretation), Decimal(0))),
        },
        "lines": [dict(zip(LINE_COLUMNS, map(_json_value, line_row(line)), strict=True)) for line in tax.lines],
    }


def _json_value(value):
    if isinstance(value, Decimal):
        return f"{value:f}"
    return value
