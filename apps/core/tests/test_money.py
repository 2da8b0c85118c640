from decimal import Decimal

import pytest

from apps.core.money import apply_effect, csv_value, display_price, plain_decimal, round_cents, to_decimal
from apps.core.templatetags.money import MINUS, count, money, pct, price, quantity
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
    assert money(Decimal("-3")) == "-$3.00"


def test_money_filter_shows_a_dash_for_missing_values():
    assert money(None) == "\u2014"


def test_signed_filter_marks_gains_with_a_plus():
    assert signed_filter(Decimal("12")) == "+$12.00"


def test_signed_filter_marks_losses_with_a_minus():
    assert signed_filter(Decimal("-4.1")) == "-$4.10"


def test_signed_filter_leaves_zero_unsigned():
    assert signed_filter(Decimal("0")) == "$0.00"


def test_pct_filter_shows_a_ratio_as_percent():
    assert pct(Decimal("0.4567")) == "45.7%"


def test_pct_filter_takes_decimal_places():
    assert pct(Decimal("-0.12346"), 2) == "-12.35%"


def test_pct_filter_rounds_to_one_decimal_by_default():
    assert pct(Decimal("0.12345")) == "12.3%"


def test_pct_filter_shows_a_dash_for_missing_values():
    assert pct(None) == "\u2014"


def test_money_filter_groups_millions():
    assert money(Decimal("-1234567.891")) == "-$1,234,567.89"


def test_every_filter_uses_the_one_ascii_minus_sign():
    values = [money(-1), signed_filter(-1), pct(Decimal("-0.5")), price(-1), quantity(-1), count(-1)]
    assert all(value.startswith(MINUS) and MINUS == "-" for value in values)


def test_price_filter_pads_a_whole_price_to_cents():
    assert price(Decimal("6730")) == "6,730.00"


def test_price_filter_keeps_the_brokers_sub_penny_places():
    assert price(Decimal("0.05250000")) == "0.0525"


def test_price_filter_rounds_an_average_to_four_places():
    assert price(Decimal("128.34967213")) == "128.3497"


def test_price_filter_shows_a_dash_for_missing_values():
    assert price(None) == "\u2014"


def test_quantity_filter_drops_padding_zeros_and_groups_thousands():
    assert quantity(Decimal("1000.00000000")) == "1,000"


def test_quantity_filter_keeps_fractional_shares():
    assert quantity(Decimal("0.50000000")) == "0.5"


def test_quantity_filter_never_writes_an_exponent():
    assert quantity(Decimal("0E-8")) == "0"


def test_count_filter_groups_thousands():
    assert count(12345) == "12,345"


def test_count_filter_shows_a_dash_for_missing_values():
    assert count(None) == "\u2014"


def test_display_price_keeps_at_least_two_places():
    assert str(display_price(Decimal("2.5"))) == "2.50"


def test_plain_decimal_never_writes_an_exponent():
    assert [plain_decimal(Decimal("0E-8")), plain_decimal(Decimal("1E+2")), plain_decimal(Decimal("-0"))] == [
        "0",
        "100",
        "0",
    ]


def test_csv_value_writes_money_to_the_cent():
    assert csv_value(Decimal("-12.345678"), is_money=True) == "-12.35"


def test_csv_value_writes_a_money_zero_as_plain_cents():
    assert csv_value(Decimal("-0.001"), is_money=True) == "0.00"


def test_csv_value_writes_other_numbers_plainly():
    assert csv_value(Decimal("0.05000000")) == "0.05"


def test_csv_value_keeps_a_ledger_amounts_sub_cent_places():
    assert csv_value(Decimal("0.0420"), is_money=True, exact=True) == "0.042"


def test_csv_value_pads_a_ledger_amount_to_cents():
    assert csv_value(Decimal("-50.0000"), is_money=True, exact=True) == "-50.00"


def test_a_greek_is_written_with_the_sites_one_ascii_minus_sign():
    from apps.reports.templatetags.ledger import greek

    assert (greek(Decimal("-12.346")), greek(Decimal("0.004")), greek(None)) == ("-12.35", "0.00", "\u2014")
