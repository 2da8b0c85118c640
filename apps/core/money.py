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


PRICE_PLACES = 2  # at least cents, as every quote shows
PRICE_MAX_PLACES = 4  # sub-penny stock prices and futures ticks; averages beyond that are noise


def display_price(price: Decimal) -> Decimal:
    """A price at the broker's precision: at least two places, at most four, no padding beyond two.

    6730 -> 6730.00, 0.0525 -> 0.0525, an average open of 128.34967213 -> 128.3497."""
    price = price.quantize(Decimal(1).scaleb(-PRICE_MAX_PLACES), rounding=ROUND_HALF_EVEN).normalize()
    if -price.as_tuple().exponent < PRICE_PLACES:
        price = price.quantize(CENT)
    return price


def plain_decimal(value: Decimal) -> str:
    """A decimal as plain digits, never in exponent form: Decimal("0E-8") -> "0", 1E+2 -> "100",
    2.50000000 -> "2.5", -0 -> "0"."""
    if value == 0:
        return "0"
    return f"{value.normalize():f}"


def csv_value(value: Decimal, *, is_money: bool = False, exact: bool = False) -> str:
    """How a number goes into a CSV cell: plain digits with an ASCII minus, never an exponent.

    Money is written to the cent; with `exact`, the ledger's own amounts keep their sub-cent places
    (a 0.042 regulatory fee stays 0.042, so the rows add up to the broker's totals) and still show cents."""
    if is_money and exact:
        return "0.00" if value == 0 else f"{display_money(value):f}"
    if is_money:
        cents = round_cents(value)
        return "0.00" if cents == 0 else f"{cents:f}"
    return plain_decimal(value)


def display_money(amount: Decimal) -> Decimal:
    """An exact amount with at least cents: -50 -> -50.00, 0.0420 -> 0.042."""
    amount = amount.normalize()
    return amount.quantize(CENT) if -amount.as_tuple().exponent < 2 else amount
