from decimal import Decimal

import pytest

from apps.reports.templatetags.ledger import contract, number


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("2.50000000"), "2.5"),
        (Decimal("100.00000000"), "100"),
        (Decimal("-0.00012345"), "-0.00012345"),
        (Decimal("0E-8"), "0"),
        (None, "\u2014"),
    ],
)
def test_number_shows_quantities_and_prices_without_padding_or_exponents(value, shown):
    assert number(value) == shown


def test_contract_filter_names_an_option_as_a_trader_reads_it():
    assert contract("SPY   261218P00022500") == "Dec 18 '26 22.5 P"
