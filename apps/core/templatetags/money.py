"""Display filters: `|money`, `|signed` and `|pct`. The one place amounts get formatted."""

from decimal import Decimal

from django import template

from apps.core.money import round_cents, to_decimal

register = template.Library()

MINUS = "\u2212"  # a real minus sign reads better than a hyphen in tables


def _parse(value: object) -> Decimal | None:
    try:
        return to_decimal(value)
    except ValueError:
        return None


@register.filter
def money(value: object) -> str:
    """1234.5 -> "$1,234.50"; -3 -> "−$3.00"; missing -> "—"."""
    amount = _parse(value)
    if amount is None or value is None:
        return "\u2014"
    amount = round_cents(amount)
    sign = MINUS if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.filter
def signed(value: object) -> str:
    """Like money, with an explicit plus for gains: "+$12.00", "−$4.10", "$0.00"."""
    amount = _parse(value)
    if amount is None or value is None:
        return "\u2014"
    amount = round_cents(amount)
    if amount > 0:
        return f"+${amount:,.2f}"
    return money(amount)


@register.filter
def pct(value: object, places: int = 1) -> str:
    """A ratio as a percentage: 0.4567 -> "45.7%"."""
    ratio = _parse(value)
    if ratio is None or value is None:
        return "\u2014"
    percent = (ratio * 100).quantize(Decimal(1).scaleb(-int(places)))
    sign = MINUS if percent < 0 else ""
    return f"{sign}{abs(percent):,}%"
