"""Display filters, the one place numbers get formatted: `|money`, `|signed`, `|pct`, `|price`,
`|quantity` and `|count`; `|as_datetime` reads a stored ISO timestamp for Django's `|date`.

Every negative number carries the same ASCII minus sign ("-"), the one a spreadsheet reads in our
CSVs and the one `Intl.NumberFormat` puts on our chart axes, so a value reads the same in a table,
on a chart and in an export.
"""

from datetime import datetime
from decimal import Decimal

from django import template

from apps.core.money import display_price, plain_decimal, round_cents, to_decimal

register = template.Library()

MINUS = "-"
DASH = "\u2014"  # what a missing value shows


def _parse(value: object) -> Decimal | None:
    if type(value) is Decimal:
        return value  # the usual case, first: a page of a few hundred rows calls these filters thousands of times
    if value is None:
        return None
    try:
        return to_decimal(value)
    except ValueError:
        return None


def _grouped(amount: Decimal) -> str:
    """Thousands separators on a plain decimal, keeping its places: 12345.5 -> "12,345.5"."""
    sign = MINUS if amount < 0 else ""
    whole, _, places = f"{abs(amount):f}".partition(".")
    return f"{sign}{int(whole):,}" + (f".{places}" if places else "")


@register.filter
def money(value: object) -> str:
    """1234.5 -> "$1,234.50"; -3 -> "-$3.00"; missing -> "—"."""
    amount = _parse(value)
    if amount is None:
        return DASH
    amount = round_cents(amount)
    sign = MINUS if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.filter
def signed(value: object) -> str:
    """Like money, with an explicit plus for gains: "+$12.00", "-$4.10", "$0.00"."""
    amount = _parse(value)
    if amount is None:
        return DASH
    amount = round_cents(amount)
    if amount > 0:
        return f"+${amount:,.2f}"
    return money(amount)


@register.filter
def pct(value: object, places: int = 1) -> str:
    """A ratio as a percentage: 0.4567 -> "45.7%"."""
    ratio = _parse(value)
    if ratio is None:
        return DASH
    percent = (ratio * 100).quantize(Decimal(1).scaleb(-int(places)))
    sign = MINUS if percent < 0 else ""
    return f"{sign}{abs(percent):,}%"


@register.filter
def price(value: object) -> str:
    """A price as the broker quotes it: 6730 -> "6,730.00"; 0.0525 -> "0.0525"; 128.34967213 -> "128.3497"."""
    amount = _parse(value)
    if amount is None:
        return DASH
    return _grouped(display_price(amount))


@register.filter
def quantity(value: object) -> str:
    """A quantity without padding zeros or exponents: 1000.00000000 -> "1,000"; 0.5 -> "0.5"; -2 -> "-2"."""
    amount = _parse(value)
    if amount is None:
        return DASH
    return _grouped(Decimal(plain_decimal(amount)))


@register.filter
def count(value: object) -> str:
    """A whole number with thousands separators: 12345 -> "12,345"."""
    if value is None or value == "":
        return DASH
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def as_datetime(value: object) -> datetime | None:
    """An ISO 8601 timestamp kept as text (a report stored as JSON) back to a datetime, so `|date` shows it in
    the user's time zone like any other time: "2026-03-03T02:30:00+00:00" -> an aware datetime; junk -> None."""
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
