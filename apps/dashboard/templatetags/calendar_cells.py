"""The calendar's year view: each small month's weeks written once in Python.

A year has about 250 trading days in twelve small months; rendered cell by cell, with three `|date` filters
per day with P&L, the template engine's loop was most of the page's time (bench/edge_50k.py). `mini_month_weeks`
writes the same cells with the same filters (`|date`, `|signed`) and the same white space, so the page is the
same HTML. The day's link is escaped; the rest is dates, day numbers, colour classes and `|signed` output.
"""

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from apps.core.templatetags.money import signed
from apps.dashboard.calendar import DayCell, Month

register = template.Library()

# The white space after a cell is the template's: its `{% if %}` branches kept the line break before the next
# branch, the last one did not.
BRANCH_END = "\n                  "
OUTSIDE = f'<td class="pnl-outside"></td>{BRANCH_END}'


def _cell(cell: DayCell, *, day_link: str, account_query: str, month_name: str) -> str:
    if not cell.in_month:
        return OUTSIDE
    if not cell.line:
        return f'<td class="text-body-secondary">{cell.day.day}</td>'
    amount = signed(cell.realized_pnl)
    return (
        f'<td class="{cell.tone}"><a href="{day_link}?day={cell.day.isoformat()}{account_query}" '
        f'title="{date_filter(cell.day, "D j M")}: {amount}">{cell.day.day}'
        f'<span class="visually-hidden"> {month_name}: {amount}</span></a></td>{BRANCH_END}'
    )


@register.simple_tag
def mini_month_weeks(month: Month, day_url: str, account) -> SafeString:
    """A small month's rows: days with P&L link to their trades (with the account shown, if one is chosen)."""
    day_link = conditional_escape(day_url)
    account_query = f"&amp;account={account.pk}" if account else ""
    # `|date:"F"` is the same for every day of the month: worked out once.
    month_name = date_filter(month.first, "F")
    weeks = []
    for week in month.weeks:
        cells = "".join(
            f"\n                  {_cell(cell, day_link=day_link, account_query=account_query, month_name=month_name)}"
            "\n                "
            for cell in week.days
        )
        weeks.append(f"<tr>\n                {cells}\n              </tr>")
    return mark_safe("".join(weeks))  # noqa: S308 - the link escaped, the rest dates and filters  # nosec B308 B703
