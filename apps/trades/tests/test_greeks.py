"""Greeks against textbook values (Hull, Options, Futures, and Other Derivatives) and their identities."""

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.trades.greeks import (
    Greeks,
    OptionTerms,
    beta_weighted_delta,
    implied_volatility,
    model_price,
    option_greeks,
    quote_greeks,
)

NOW = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
RATE = Decimal("0.05")


def call(strike, years, *, future=False) -> OptionTerms:
    return OptionTerms(is_call=True, strike=strike, years=years, is_future_option=future)


def put(strike, years, *, future=False) -> OptionTerms:
    return OptionTerms(is_call=False, strike=strike, years=years, is_future_option=future)


def test_a_call_and_a_put_are_priced_as_in_hulls_example_15_6():
    # S = 42, K = 40, r = 10%, sigma = 20%, T = 0.5: c = 4.76, p = 0.81.
    market = {"underlying": 42.0, "volatility": 0.2, "rate": 0.1, "dividend_yield": 0.0}
    assert round(model_price(call(40.0, 0.5), **market), 2) == 4.76
    assert round(model_price(put(40.0, 0.5), **market), 2) == 0.81


def test_the_greeks_of_a_call_are_hulls_textbook_values():
    # Hull's running example: S = 49, K = 50, r = 5%, sigma = 20%, T = 20 weeks (0.3846 years):
    # delta 0.522, gamma 0.066, theta -4.31 a year (-0.0118 a day), vega 12.1 (0.121 per volatility point).
    greeks = option_greeks(call(50.0, 0.3846), underlying=49.0, volatility=0.2, rate=0.05, dividend_yield=0.0)
    assert (round(greeks.delta, 3), round(greeks.gamma, 3)) == (Decimal("0.522"), Decimal("0.066"))
    assert round(greeks.theta * 365, 2) == Decimal("-4.31")
    assert round(greeks.vega * 100, 1) == Decimal("12.1")


def test_call_and_put_prices_keep_put_call_parity_with_a_dividend_yield():
    # c - p = S e^(-qT) - K e^(-rT)
    market = {"underlying": 100.0, "volatility": 0.3, "rate": 0.04, "dividend_yield": 0.02}
    difference = model_price(call(95.0, 0.75), **market) - model_price(put(95.0, 0.75), **market)
    assert difference == pytest.approx(100 * math.exp(-0.02 * 0.75) - 95 * math.exp(-0.04 * 0.75), abs=1e-9)


def test_call_delta_less_put_delta_is_the_discounted_share_with_a_dividend_yield():
    market = {"underlying": 100.0, "volatility": 0.3, "rate": 0.04, "dividend_yield": 0.02}
    difference = option_greeks(call(95.0, 0.75), **market).delta - option_greeks(put(95.0, 0.75), **market).delta
    assert float(difference) == pytest.approx(math.exp(-0.02 * 0.75), abs=1e-7)


def test_a_future_option_is_priced_by_black_76_as_in_hulls_example():
    # Hull (Black's model): a put on a future, F = K = 20, r = 9%, sigma = 25%, T = 4 months: 1.12.
    price = model_price(put(20.0, 4 / 12, future=True), underlying=20.0, volatility=0.25, rate=0.09, dividend_yield=0)
    assert round(price, 2) == 1.12


def test_implied_volatility_gives_back_the_volatility_that_priced_the_option():
    terms = put(5800.0, 30 / 365, future=True)
    price = model_price(terms, underlying=5900.0, volatility=0.18, rate=0.04, dividend_yield=0.0)
    found = implied_volatility(terms, price=price, underlying=5900.0, rate=0.04, dividend_yield=0.0)
    assert found == pytest.approx(0.18, abs=1e-9)


def test_a_mark_below_intrinsic_value_has_no_implied_volatility():
    assert implied_volatility(call(40.0, 0.5), price=1.0, underlying=42.0, rate=0.1, dividend_yield=0.0) is None


def test_an_option_past_expiration_in_the_money_is_delta_one():
    greeks = option_greeks(put(50.0, -0.001), underlying=45.0, volatility=0.2, rate=0.05, dividend_yield=0.0)
    assert greeks == Greeks(Decimal(-1), Decimal(0), Decimal(0), Decimal(0))


def test_quote_greeks_come_from_the_marks_implied_volatility():
    # Hull's call priced at sigma = 20% gives back 20% and its Greeks.
    mark = Decimal(
        str(round(model_price(call(50.0, 0.3846), underlying=49.0, volatility=0.2, rate=0.05, dividend_yield=0), 6))
    )
    computed = quote_greeks(
        symbol="XYZ   260701C00050000",
        instrument_type="Equity Option",
        mark=mark,
        underlying_price=Decimal(49),
        expires_at=NOW + timedelta(days=0.3846 * 365),
        now=NOW,
        fallback_volatility=None,
        rate=RATE,
        dividend_yield=Decimal(0),
    )
    assert round(computed.implied_volatility, 4) == Decimal("0.2000")
    assert computed.volatility_from_mark
    assert round(computed.greeks.delta, 3) == Decimal("0.522")


def test_quote_greeks_fall_back_to_the_underlyings_implied_volatility_when_the_mark_gives_none():
    computed = quote_greeks(
        symbol="XYZ   260701C00040000",
        instrument_type="Equity Option",
        mark=Decimal("1.00"),  # below the 2.00 intrinsic value
        underlying_price=Decimal(42),
        expires_at=NOW + timedelta(days=182),
        now=NOW,
        fallback_volatility=Decimal("0.25"),
        rate=RATE,
        dividend_yield=Decimal(0),
    )
    assert (computed.implied_volatility, computed.volatility_from_mark) == (Decimal("0.25000000"), False)


def test_an_option_without_an_underlying_price_has_no_greeks():
    computed = quote_greeks(
        symbol="XYZ   260701C00040000",
        instrument_type="Equity Option",
        mark=Decimal("3.00"),
        underlying_price=None,
        expires_at=NOW + timedelta(days=182),
        now=NOW,
        fallback_volatility=Decimal("0.25"),
        rate=RATE,
        dividend_yield=Decimal(0),
    )
    assert computed is None


def test_shares_and_futures_are_delta_one():
    for kind, symbol in (("Equity", "SPY"), ("Future", "/ESH6")):
        computed = quote_greeks(
            symbol=symbol,
            instrument_type=kind,
            mark=None,
            underlying_price=None,
            expires_at=None,
            now=NOW,
            fallback_volatility=None,
            rate=RATE,
            dividend_yield=Decimal(0),
        )
        assert computed.greeks == Greeks(Decimal(1), Decimal(0), Decimal(0), Decimal(0))


def test_beta_weighted_delta_is_in_spy_shares():
    # 100 deltas of a $200 stock with beta 1.5, SPY at $600: 100 x 200 x 1.5 / 600 = 50 SPY shares.
    weighted = beta_weighted_delta(
        Decimal(100), underlying_price=Decimal(200), beta=Decimal("1.5"), spy_price=Decimal(600)
    )
    assert weighted == Decimal(50)


def test_beta_weighted_delta_is_unknown_without_a_beta():
    assert beta_weighted_delta(Decimal(100), underlying_price=Decimal(200), beta=None, spy_price=Decimal(600)) is None


@pytest.mark.parametrize("future", [False, True])
def test_at_an_underlying_of_zero_a_call_is_worthless_and_a_put_is_its_discounted_strike(future):
    market = {"underlying": 0.0, "volatility": 0.3, "rate": 0.05, "dividend_yield": 0.01}
    assert model_price(call(40.0, 0.5, future=future), **market) == 0.0
    assert model_price(put(40.0, 0.5, future=future), **market) == pytest.approx(40.0 * math.exp(-0.05 * 0.5))
