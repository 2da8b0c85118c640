"""Payoff curves: at expiration and today, anchored on today's unrealized P&L."""

from datetime import date

import pytest

from apps.reports.payoff import PayoffLeg, breakevens, max_loss, payoff_chart, pnl_at
from apps.trades.greeks import OptionTerms, model_price

TODAY = date(2026, 3, 2)
EXPIRY = date(2026, 3, 20)


def short_put(volatility=None) -> PayoffLeg:
    # Sold 1 XYZ 50 put at 1.50, marked at 1.00: worth -100 now, 50 made so far.
    return PayoffLeg(
        size=-100,
        worth_now=-100.0,
        unrealized=50.0,
        strike=50.0,
        is_call=False,
        expires_on=EXPIRY,
        volatility=volatility,
    )


def test_a_short_put_keeps_its_whole_credit_at_expiration_above_the_strike():
    assert pnl_at([short_put()], 55.0, on=EXPIRY) == pytest.approx(150.0)


def test_a_short_put_loses_a_share_per_dollar_below_its_strike_at_expiration():
    assert pnl_at([short_put()], 45.0, on=EXPIRY) == pytest.approx(150.0 - 500.0)


def test_a_short_puts_breakeven_is_the_strike_less_the_credit():
    chart = payoff_chart([short_put(volatility=0.3)], price=52.0, today=TODAY)
    assert chart["breakevens"] == [pytest.approx(48.5, abs=0.01)]


def test_the_today_curve_passes_through_todays_unrealized_at_todays_price():
    terms = OptionTerms(is_call=False, strike=50.0, years=18 / 365, is_future_option=False)
    mark = model_price(terms, underlying=52.0, volatility=0.3, rate=0.04, dividend_yield=0.0)
    leg = PayoffLeg(size=-100, worth_now=-100 * mark, unrealized=25.0, strike=50.0, expires_on=EXPIRY, volatility=0.3)
    assert pnl_at([leg], 52.0, on=TODAY) == pytest.approx(25.0, abs=1e-6)


def test_shares_move_one_for_one_with_the_price():
    shares = PayoffLeg(size=100, worth_now=5000.0, unrealized=200.0)
    assert pnl_at([shares], 51.0, on=TODAY) == pytest.approx(300.0)


def test_a_short_puts_most_loss_is_down_to_a_price_of_zero():
    assert max_loss([short_put()], today=TODAY) == pytest.approx(5000.0 - 150.0)


def test_a_short_calls_loss_is_unlimited():
    call = PayoffLeg(size=-100, worth_now=-100.0, unrealized=50.0, strike=50.0, is_call=True, expires_on=EXPIRY)
    assert max_loss([call], today=TODAY) is None


def test_breakevens_are_where_the_curve_crosses_zero():
    assert breakevens([1.0, 2.0, 3.0, 4.0], [-1.0, 1.0, 1.0, -3.0]) == [1.5, 3.25]


def test_a_calendar_spreads_most_loss_prices_the_later_leg_at_zero_without_failing():
    # Short the March 50 put, long the April 50 put (bought for 2.00, worth 2.00 now): at March's expiration
    # and a price of zero the long put is worth about its strike, so the spread's worst is a small debit.
    april = PayoffLeg(
        size=100, worth_now=200.0, unrealized=0.0, strike=50.0, expires_on=date(2026, 4, 17), volatility=0.3
    )
    worst = max_loss([short_put(volatility=0.3), april], today=TODAY)
    assert worst is not None and 0 <= worst < 200.0
