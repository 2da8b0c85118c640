"""Money helpers: every amount is a Decimal from the API to the template."""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0")


def to_decimal(value: object) -> Decimal:
    """Parse a broker amount that may come as a string, an int, a float or be missing.

    Floats go through str() so 0.1 stays 0.1 and does not become 0.1000000000000000055...
    """
    if type(value) is str:
        # The common case first (a sync parses about a dozen amounts per transaction): a plain
        # number string. Anything odd falls through to the careful path below.
        try:
            result = Decimal(value)
        except InvalidOperation:
            pass
        else:
            if result.is_finite():
                return result
    if value is None or value == "":
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, (int, float)):
        return _parse_amount_text(str(value))
    if isinstance(value, str):
        return _parse_amount_text(value)
    raise ValueError(f"not an amount: {value!r}")


def _parse_amount_text(value: str) -> Decimal:
    """The careful path: thousands separators, surrounding spaces, "--" for nothing."""
    text = value.strip().replace(",", "")
    if text in {"--", "-"}:
        return ZERO
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return result


def apply_effect(amount: object, effect: str | None) -> Decimal:
    """Apply TastyTrade's `*-effect`: amounts are magnitudes, Debit means cash out."""
    magnitude = abs(to_decimal(amount))
    return -magnitude if effect == "Debit" else magnitude


def round_cents(amount: Decimal) -> Decimal:
    """Round to cents the way statements do (banker's rounding keeps sums unbiased)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
