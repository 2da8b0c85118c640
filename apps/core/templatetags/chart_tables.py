"""`{% chart_table data "labels:Month" "realized:Realized P&L" ... %}`: a chart's numbers as a table.

Every chart canvas gets this table beside it, folded in a <details>, so a screen reader (or a trader
who wants the exact figure) reads the same numbers the chart draws: it is rendered on the server from
the very dict the page hands Chart.js through json_script. Each column is "key:Heading"; the first
column is the row label, the rest are money unless the key is listed in `percent` (comma separated).

Each row is written once here in Python: a chart of every trading day of two years has about 500 rows,
and the template engine's cell-by-cell loop over them was a fifth of the P&L-by-day page's time
(bench/edge_50k.py). The cells are what the template wrote: the label as `{{ value }}` prints it, money
through `|money`, a percentage through `|floatformat:"1g"` with a "%" (a dash when missing).
"""

from django import template
from django.template.base import render_value_in_context
from django.template.defaultfilters import floatformat
from django.utils.safestring import mark_safe

from .money import DASH, money

register = template.Library()


def _label_cell(value, context) -> str:
    return f'<th scope="row" class="fw-normal">{render_value_in_context(value, context)}</th>'


def _percent_cell(value) -> str:
    suffix = "" if value is None else "%"
    return f'<td class="num">{floatformat(value, "1g") or DASH}{suffix}</td>'


def _money_cell(value) -> str:
    return f'<td class="num">{money(value)}</td>'


def _row(label, figures, writers, context) -> str:
    cells = "".join(write(value) for write, value in zip(writers, figures, strict=True))
    return f"<tr>{_label_cell(label, context)}{cells}</tr>"


@register.inclusion_tag("includes/_chart_table.html", takes_context=True)
def chart_table(context, data: dict, *columns: str, caption: str = "", percent: str = "") -> dict:
    keys, headings = zip(*(column.split(":", 1) for column in columns), strict=True)
    percent_keys = set(filter(None, percent.split(",")))
    series = [data.get(key) or [] for key in keys]
    writers = [_percent_cell if key in percent_keys else _money_cell for key in keys[1:]]
    # Each row followed by the white space the template's loop wrote after it.
    rows = "".join(
        f"{_row(label, figures, writers, context)}\n        " for label, *figures in zip(*series, strict=False)
    )
    # The labels went through the template's own escaping (render_value_in_context); the rest is |money and
    # |floatformat output.
    safe_rows = mark_safe(rows)  # noqa: S308 - labels escaped, the rest our filters' output  # nosec B308 B703
    return {"caption": caption, "headings": headings, "rows": safe_rows}
