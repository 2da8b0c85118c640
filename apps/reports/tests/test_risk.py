"""The open-risk tree: legs under the engine's strategy positions under their underlying; sums worked by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal

from apps.reports.metrics import OpenTrade, PositionLine, UnderlyingGroup
from apps.reports.risk import NOT_IN_OUR_BOOKS, BuyingPower, expirations, open_book, with_concentration
from apps.trades.greeks import Greeks
from apps.trades.models import PositionSnapshot, Quote, UnderlyingMetrics

AT = datetime(2026, 3, 2, 21, tzinfo=UTC)


def line(symbol, *, quantity, multiplier, mark, unrealized=None, trades=(), kind="Equity Option", account_id=1):
    snapshot = PositionSnapshot(
        account_id=account_id,
        as_of=AT,
        symbol=symbol,
        instrument_type=kind,
        quantity=Decimal(quantity),
        multiplier=Decimal(multiplier),
        mark=Decimal(mark),
        average_open_price=Decimal("2.50"),
    )
    return PositionLine(snapshot, symbol, None, None, unrealized, trades=tuple(trades))


def quote(symbol, delta, gamma="0", theta="0", vega="0", weighted=None, account_id=1):
    return Quote(
        account_id=account_id,
        symbol=symbol,
        fetched_at=AT,
        delta=Decimal(delta),
        gamma=Decimal(gamma),
        theta=Decimal(theta),
        vega=Decimal(vega),
        beta_weighted_delta=Decimal(weighted if weighted is not None else delta),
    )


def trade(key, strategy, quantity, cost="0", price=None):
    return OpenTrade(1, key, strategy, Decimal(quantity), Decimal(cost), price)


def hand_worked_book():
    """Short 2 SPY puts (delta -0.30, gamma 0.02, theta -0.04 a day, vega 0.10 each per share), 100 SPY shares,
    and a short AAPL call (delta 0.25, gamma 0.03, theta -0.06, vega 0.12; AAPL at 200 with beta 1.2 and SPY at
    600, so 0.25 x 200 x 1.2 / 600 = 0.10 SPY shares of beta-weighted delta per share)."""
    put, call = "SPY   260320P00550000", "AAPL  260320C00220000"
    groups = [
        UnderlyingGroup(
            "AAPL", [line(call, quantity=-1, multiplier=100, mark="3.00", trades=[trade("c", "short_call", -1)])]
        ),
        UnderlyingGroup(
            "SPY",
            [
                line(put, quantity=-2, multiplier=100, mark="1.50", trades=[trade("p", "short_put", -2)]),
                line("SPY", quantity=100, multiplier=1, mark="600", kind="Equity", trades=[trade("s", "stock", 100)]),
            ],
        ),
    ]
    quotes = {
        (1, put): quote(put, "-0.30", "0.02", "-0.04", "0.10"),
        (1, "SPY"): quote("SPY", "1"),
        (1, call): quote(call, "0.25", "0.03", "-0.06", "0.12", weighted="0.10"),
    }
    return open_book(groups, quotes=quotes, metrics={}, engine_ran=True, today=AT.date())


def test_leg_greeks_are_the_per_share_figures_times_quantity_and_multiplier():
    book = hand_worked_book()
    short_puts = book.underlyings[1].positions[0].legs[0]
    # -2 contracts x 100: delta -0.30 -> +60, gamma 0.02 -> -4, theta -0.04 -> +8 a day, vega 0.10 -> -20.
    assert short_puts.greeks == Greeks(Decimal(60), Decimal(-4), Decimal(8), Decimal(-20))
    assert short_puts.beta_weighted_delta == Decimal(60)


def test_an_underlyings_greeks_add_up_its_positions():
    spy = hand_worked_book().underlyings[1]
    # Puts +60 and 100 shares: delta 160; gamma -4, theta +8, vega -20 from the puts alone.
    assert spy.greeks == Greeks(Decimal(160), Decimal(-4), Decimal(8), Decimal(-20))
    assert spy.beta_weighted_delta == Decimal(160)


def test_the_portfolios_greeks_and_beta_weighted_delta_add_up_every_underlying():
    book = hand_worked_book()
    # AAPL's short call: delta -25, gamma -3, theta +6, vega -12, beta-weighted -10 SPY shares.
    assert book.underlyings[0].greeks == Greeks(Decimal(-25), Decimal(-3), Decimal(6), Decimal(-12))
    # With SPY's: delta 160 - 25 = 135, gamma -7, theta +14 a day, vega -32, beta-weighted 160 - 10 = 150.
    assert book.greeks == Greeks(Decimal(135), Decimal(-7), Decimal(14), Decimal(-32))
    assert book.beta_weighted_delta == Decimal(150)


def test_each_engine_position_is_its_own_group_under_the_underlying():
    spy = hand_worked_book().underlyings[1]
    assert [(position.label, len(position.legs)) for position in spy.positions] == [("Short put", 1), ("Stock", 1)]


def test_a_leg_two_engine_positions_hold_is_split_with_the_engines_unrealized_for_each():
    put = "SPY   260320P00550000"
    # Two puts sold at 2.50 and 2.41 (net of fees 248.86 and 240.00), marked at 1.50: -150 + 248.86 and -150 + 240.
    held = line(
        put,
        quantity=-2,
        multiplier=100,
        mark="1.50",
        unrealized=Decimal("188.86"),
        trades=[trade("a", "short_put", -1, "248.86"), trade("b", "short_put", -1, "240.00")],
    )
    book = open_book([UnderlyingGroup("SPY", [held])], quotes={}, metrics={}, engine_ran=True, today=AT.date())
    assert [position.unrealized for position in book.underlyings[0].positions] == [Decimal("98.86"), Decimal("90.00")]
    assert book.unrealized == Decimal("188.86")


def test_a_broker_quantity_our_books_lack_is_not_in_our_books_and_has_no_unrealized():
    put = "SPY   260320P00550000"
    held = line(
        put, quantity=-3, multiplier=100, mark="1.50", unrealized=None, trades=[trade("a", "short_put", -2, "497.72")]
    )
    positions = (
        open_book([UnderlyingGroup("SPY", [held])], quotes={}, metrics={}, engine_ran=True, today=AT.date())
        .underlyings[0]
        .positions
    )
    rest = positions[-1]
    assert (rest.label, rest.legs[0].quantity, rest.unrealized) == (NOT_IN_OUR_BOOKS, Decimal(-1), None)


def test_a_vertical_credit_spread_shows_the_share_of_its_credit_made():
    short, long = "SPY   260320P00550000", "SPY   260320P00540000"
    # Sold at 2.50, bought at 1.50 (-151.14 with fees): a credit of 98.86. Marked 0.80 and 0.30, each leg's
    # unrealized is mark x size + cost: -80 + 250.00 = 170.00 and 30 - 151.14 = -121.14, so 48.86 made: 49.42%.
    legs = [
        line(
            long,
            quantity=1,
            multiplier=100,
            mark="0.30",
            unrealized=Decimal("-121.14"),
            trades=[trade("v", "vertical", 1, "-151.14")],
        ),
        line(
            short,
            quantity=-1,
            multiplier=100,
            mark="0.80",
            unrealized=Decimal("170.00"),
            trades=[trade("v", "vertical", -1, "250.00")],
        ),
    ]
    (vertical,) = (
        open_book([UnderlyingGroup("SPY", legs)], quotes={}, metrics={}, engine_ran=True, today=AT.date())
        .underlyings[0]
        .positions
    )
    assert (vertical.open_cost, vertical.unrealized) == (Decimal("98.86"), Decimal("48.86"))
    assert vertical.max_profit_share == Decimal("0.4942")


def test_a_short_put_has_no_share_of_max_profit_as_its_risk_is_not_defined():
    spy = hand_worked_book().underlyings[1]
    assert spy.positions[0].max_profit_share is None


# -- capital at risk, concentration, expirations -------------------------------------------------


def test_a_vertical_credit_spreads_capital_at_risk_is_its_width_less_the_credit():
    short, long = "SPY   260320P00550000", "SPY   260320P00540000"
    # A 10-wide put spread for a 98.86 credit: at most 1,000 - 98.86 = 901.14 lost at expiration.
    legs = [
        line(
            long,
            quantity=1,
            multiplier=100,
            mark="0.30",
            unrealized=Decimal("-121.14"),
            trades=[trade("v", "vertical", 1)],
        ),
        line(
            short,
            quantity=-1,
            multiplier=100,
            mark="0.80",
            unrealized=Decimal("170.00"),
            trades=[trade("v", "vertical", -1)],
        ),
    ]
    book = open_book([UnderlyingGroup("SPY", legs)], quotes={}, metrics={}, engine_ran=True, today=AT.date())
    assert book.underlyings[0].positions[0].at_risk == Decimal("901.14")


def test_a_naked_short_calls_capital_at_risk_follows_the_naked_option_rule():
    call = "AAPL  260320C00220000"
    held = line(
        call,
        quantity=-1,
        multiplier=100,
        mark="3.00",
        unrealized=Decimal("50.00"),
        trades=[trade("c", "short_call", -1)],
    )
    quotes = {(1, "AAPL"): Quote(account_id=1, symbol="AAPL", fetched_at=AT, mark=Decimal("200"))}
    # AAPL at 200, the 220 call 20 out of the money: max(20% x 200 - 20, 10% x 200) + 3.00 = 23.00 a share.
    book = open_book([UnderlyingGroup("AAPL", [held])], quotes=quotes, metrics={}, engine_ran=True, today=AT.date())
    assert book.underlyings[0].at_risk == Decimal("2300.00")


def test_an_underlying_above_the_users_share_of_net_liq_is_marked_concentrated():
    book = hand_worked_book()
    book.underlyings[0].positions[0].at_risk = Decimal("3000")
    book.underlyings[1].positions[0].at_risk = Decimal("1000")
    book.underlyings[1].positions[1].at_risk = Decimal("0")
    power = BuyingPower(net_liq=Decimal("10000"), available=None, used=None, maintenance=None, as_of=None)
    aapl, spy = with_concentration(book, power, warn_above_percent=25).underlyings
    assert (aapl.share_of_risk, aapl.share_of_net_liq, aapl.concentrated) == (Decimal("0.75"), Decimal("0.3"), True)
    assert (spy.share_of_risk, spy.share_of_net_liq, spy.concentrated) == (Decimal("0.25"), Decimal("0.1"), False)


def expiring(symbol, quantity, *, price, ex_dividend=None):
    held = line(symbol, quantity=quantity, multiplier=100, mark="1.00", trades=[trade(symbol, "custom", quantity)])
    quotes = {(1, "XYZ"): Quote(account_id=1, symbol="XYZ", fetched_at=AT, mark=Decimal(price))}
    metrics = {"XYZ": UnderlyingMetrics(symbol="XYZ", dividend_ex_on=ex_dividend, fetched_at=AT)}
    book = open_book([UnderlyingGroup("XYZ", [held])], quotes=quotes, metrics=metrics, engine_ran=True, today=AT.date())
    return expirations(book, today=AT.date())  # Monday 2 March 2026


def test_a_leg_expiring_by_sunday_expires_this_week_and_the_week_after_next_week():
    assert len(expiring("XYZ   260306P00050000", 1, price="60").this_week) == 1
    assert len(expiring("XYZ   260313P00050000", 1, price="60").next_week) == 1
    assert expiring("XYZ   260320P00050000", 1, price="60").next_week == []


def test_a_short_put_within_1_percent_of_its_strike_is_an_assignment_risk():
    (watch,) = expiring("XYZ   260320P00050000", -1, price="50.40").assignment_risk
    assert watch.note == "within 1% of the strike"


def test_a_short_call_in_the_money_is_an_assignment_risk():
    (watch,) = expiring("XYZ   260320C00050000", -1, price="52").assignment_risk
    assert watch.note == "in the money"


def test_a_long_option_in_the_money_is_no_assignment_risk():
    assert expiring("XYZ   260320C00050000", 1, price="52").assignment_risk == []


def test_a_short_call_over_an_ex_dividend_date_is_listed():
    (watch,) = expiring("XYZ   260320C00060000", -1, price="52", ex_dividend=date(2026, 3, 12)).ex_dividend
    assert watch.note == "ex-dividend Mar 12"


def test_a_short_call_expiring_before_the_ex_dividend_date_is_not_listed():
    assert expiring("XYZ   260320C00060000", -1, price="52", ex_dividend=date(2026, 4, 12)).ex_dividend == []
