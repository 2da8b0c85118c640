"""`{% chart_table data "labels:Month" "realized:Realized P&L" ... %}`: a chart's numbers as a table.

Every chart canvas gets this table beside it, folded in a <details>, so a screen reader (or a trader
who wants the exact figure) reads the same numbers the chart draws: it is rendered on the server from
the very dict the page hands Chart.js through json_script. Each column is "key:Heading"; the first
column is the row label, the rest are money unless the key is listed in `percent` (comma separated).
"""

from django import template

register = template.Library()


@register.inclusion_tag("includes/_chart_table.html")
def chart_table(data: dict, *columns: str, caption: str = "", percent: str = "") -> dict:
    keys, headings = zip(*(column.split(":", 1) for column in columns), strict=True)
    percent_keys = set(filter(None, percent.split(",")))
    series = [data.get(key) or [] for key in keys]
    rows = [
        [
            {"value": value, "kind": "label" if index == 0 else "percent" if keys[index] in percent_keys else "money"}
            for index, value in enumerate(cells)
        ]
        for cells in zip(*series, strict=False)
    ]
    return {"caption": caption, "headings": headings, "rows": rows}
