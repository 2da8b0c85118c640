"""`|number`: quantities without padding zeros or exponents, with thousands separators (prices use `|price`);
`|contract`: a symbol as a trader reads it."""

from decimal import Decimal

from django import template

from apps.core.templatetags.money import quantity
from apps.trades.symbols import contract_name

register = template.Library()

QUANTA = {places: Decimal(1).scaleb(-places) for places in range(5)}  # `|greek`'s steps, made once


@register.filter
def number(value: object) -> str:
    """Decimal("2.50000000") -> "2.5"; Decimal("1000.00000000") -> "1,000"; None -> "—" (core's `|quantity`)."""
    if value is None or value == "":
        return "\u2014"
    if not isinstance(value, Decimal):
        return str(value)
    return quantity(value)


@register.filter
def pnl_tone(value: object) -> str:
    """The CSS class that colours a P&L amount: "pnl-pos" for a gain, "pnl-neg" for a loss, "" otherwise."""
    if not isinstance(value, (Decimal, int, float)):
        return ""
    return "pnl-pos" if value > 0 else "pnl-neg" if value < 0 else ""


@register.filter
def contract(symbol: str) -> str:
    """An option or future symbol as a trader reads it (`Dec 18 '26 22.5 P`, `/ES Mar 26`): see `contract_name`."""
    return contract_name(symbol)


@register.filter
def greek(value: object, places: int = 2) -> str:
    """A Greek or an estimate to `places` decimals with the site's one (ASCII) minus sign: -12.346 -> "-12.35";
    None -> "—"."""
    if value is None or value == "":
        return "\u2014"
    rounded = Decimal(value).quantize(QUANTA.get(places) or Decimal(1).scaleb(-int(places)))
    if rounded == 0:
        rounded = abs(rounded)
    text = f"{abs(rounded):,f}"
    return f"-{text}" if rounded < 0 else text
