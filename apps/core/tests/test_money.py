from decimal import Decimal

import pytest

from apps.core.money import apply_effect, round_cents, to_decimal
from apps.core.templatetags.money import money, pct
from apps.core.templatetags.money import signed as signed_filter


def test_to_decimal_parses_broker_strings_exactly():
    assert to_decimal("1880.0") == Decimal("1880.0")


def test_to_decimal_keeps_floats_at_their_printed_value():
    assert to_decimal(0.1) == Decimal("0.1")


def test_to_decimal_reads_numbers_sent_as_json_integers():
    assert to_decimal(40) == Decimal(40)


def test_to_decimal_treats_missing_and_double_dash_as_zero():
    assert [to_decimal(None), to_decimal(""), to_decimal("--")] == [0, 0, 0]


def test_to_decimal_drops_thousands_separators():
    assert to_decimal("1,234.50") == Decimal("1234.50")


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", True, [1]])
def test_to_decimal_refuses_what_is_not_an_amount(bad):
    with pytest.raises(ValueError):
        to_decimal(bad)


def test_apply_effect_makes_debits_negative():
    assert apply_effect("10305.0", "Debit") == Decimal("-10305.0")


def test_apply_effect_keeps_credits_positive_even_if_sent_negative():
    assert apply_effect("-643.74", "Credit") == Decimal("643.74")


def test_apply_effect_none_effect_on_zero_is_zero():
    assert apply_effect("0.0", "None") == 0


def test_round_cents_uses_bankers_rounding():
    assert [round_cents(Decimal("0.125")), round_cents(Decimal("0.135"))] == [Decimal("0.12"), Decimal("0.14")]


def test_money_filter_formats_thousands_and_cents():
    assert money(Decimal("1234.5")) == "$1,234.50"


def test_money_filter_puts_a_minus_sign_before_the_dollar():
    assert money(Decimal("-3")) == "\u2212$3.00"


def test_money_filter_shows_a_dash_for_missing_values():
    assert money(None) == "\u2014"


def test_signed_filter_marks_gains_with_a_plus():
    assert signed_filter(Decimal("12")) == "+$12.00"


def test_signed_filter_marks_losses_with_a_minus():
    assert signed_filter(Decimal("-4.1")) == "\u2212$4.10"


def test_signed_filter_leaves_zero_unsigned():
    assert signed_filter(Decimal("0")) == "$0.00"


def test_pct_filter_shows_a_ratio_as_percent():
    assert pct(Decimal("0.4567")) == "45.7%"


def test_pct_filter_takes_decimal_places():
    assert pct(Decimal("-0.12346"), 2) == "\u221212.35%"
