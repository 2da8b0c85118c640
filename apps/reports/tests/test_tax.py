"""The tax year, with each rule's figures worked out by hand in the test (times UTC, days New York)."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from apps.reports.tax import tax_year
from apps.reports.tax_lots import Term, held_long_term, is_section_1256, last_trading_day
from apps.trades.lots import recompute_account
from apps.trades.tests.factories import (
    BrokerAccountFactory,
    FutureTransactionFactory,
    OptionTransactionFactory,
    PositionSnapshotFactory,
    ReceiveDeliverFactory,
    TransactionFactory,
    occ_symbol,
)

pytestmark = pytest.mark.django_db


def at(year: int, month: int, day: int, hour: int = 15) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture
def account():
    return BrokerAccountFactory()


def year_of(account, year: int):
    recompute_account(account=account)
    return tax_year(user=account.user, year=year)


def stock(account, when: datetime, quantity: int, price: str, *, symbol="AAPL", action="Buy to Open", **charges):
    return TransactionFactory(
        account=account, symbol=symbol, action=action, quantity=quantity, price=D(price), executed_at=when, **charges
    )


def figures(line) -> tuple:
    return (line.acquired, line.sold, line.proceeds, line.cost_basis, line.wash_disallowed, line.gain, line.term)


# --- Holding periods -------------------------------------------------------------------------------


def test_a_year_and_a_day_is_long_term_and_the_anniversary_itself_is_short():
    assert held_long_term(date(2024, 3, 4), date(2025, 3, 5)) is True
    assert held_long_term(date(2024, 3, 4), date(2025, 3, 4)) is False
    assert held_long_term(date(2024, 2, 29), date(2025, 3, 1)) is True


def test_stock_held_over_a_year_is_long_term(account):
    stock(account, at(2024, 3, 4), 10, "100", commission=D("-1"))
    stock(account, at(2025, 3, 5), 10, "120", action="Sell to Close")
    [line] = year_of(account, 2025).lines
    # Cost 1,000 + 1.00 commission; proceeds 1,200.
    assert figures(line) == (date(2024, 3, 4), date(2025, 3, 5), D("1200"), D("1001"), D("0"), D("199"), Term.LONG)


def test_a_short_option_closed_after_more_than_a_year_is_short_term(account):
    option = dict(account=account, expires_on=date(2026, 1, 16))
    OptionTransactionFactory(**option, price=D("5.00"), executed_at=at(2024, 6, 3))
    OptionTransactionFactory(**option, action="Buy to Close", price=D("2.00"), executed_at=at(2025, 7, 1))
    [line] = year_of(account, 2025).lines
    # Written for 500, bought back for 200: proceeds are the premium received.
    assert figures(line) == (date(2024, 6, 3), date(2025, 7, 1), D("500"), D("200"), D("0"), D("300"), Term.SHORT)


def test_an_expired_option_realizes_on_its_expiry_day(account):
    OptionTransactionFactory(account=account, price=D("1.00"), commission=D("-1.14"), executed_at=at(2026, 3, 2))
    ReceiveDeliverFactory(account=account)  # expires 20 Mar 2026
    [line] = year_of(account, 2026).lines
    assert figures(line) == (date(2026, 3, 2), date(2026, 3, 20), D("98.86"), D("0"), D("0"), D("98.86"), Term.SHORT)


# --- Options that end in stock ---------------------------------------------------------------------


def removal_and_delivery(account, *, underlying, option_type, strike, sub_type, action, when):
    ReceiveDeliverFactory(
        account=account, transaction_sub_type=sub_type, underlying_symbol=underlying, option_type=option_type,
        strike=strike, expires_on=date(2026, 3, 20), executed_at=when,
    )  # fmt: skip
    ReceiveDeliverFactory(
        account=account, transaction_sub_type=action, action=action, symbol=underlying, underlying_symbol=underlying,
        instrument_type="Equity", option_type="", strike=None, expires_on=None, multiplier=None, quantity=100,
        price=strike, value=D(100) * strike * (-1 if action.startswith("Buy") else 1), clearing_fees=D("-5.00"),
        executed_at=when,
    )  # fmt: skip


def test_an_assigned_put_premium_lowers_the_stock_basis_and_its_holding_period_starts_at_assignment(account):
    OptionTransactionFactory(
        account=account, underlying_symbol="SCHG", strike=D("103"), price=D("1.20"), commission=D("-1.00"),
        executed_at=at(2025, 2, 3),
    )  # fmt: skip
    removal_and_delivery(
        account, underlying="SCHG", option_type="P", strike=D("103"), sub_type="Assignment", action="Buy to Open",
        when=at(2025, 3, 20, 21),
    )  # fmt: skip
    stock(account, at(2026, 3, 20), 100, "105", symbol="SCHG", action="Sell to Close")
    # 2025: the put's 119.00 is realized by the engine, but for tax it moved into the stock.
    year_2025 = year_of(account, 2025)
    assert year_2025.lines == []
    assert (year_2025.bridge.realized_fifo, year_2025.bridge.premium_moved, year_2025.bridge.taxable_total) == (
        D("119"),
        D("119"),
        D("0"),
    )
    # 2026: bought at 10,300 + 5.00 fee less the 119.00 premium = 10,186; held from 20 Mar 2025 to its
    # anniversary: short term (the put's 2025 start does not count).
    [line] = tax_year(user=account.user, year=2026).lines
    assert figures(line) == (date(2025, 3, 20), date(2026, 3, 20), D("10500"), D("10186"), D("0"), D("314"), "short")
    assert line.carried_premium == D("119")


def test_an_exercised_long_call_premium_adds_to_the_stock_basis(account):
    OptionTransactionFactory(
        account=account, action="Buy to Open", underlying_symbol="XYZ", option_type="C", strike=D("100"),
        price=D("3.00"), commission=D("-1"), executed_at=at(2026, 3, 2),
    )  # fmt: skip
    removal_and_delivery(
        account, underlying="XYZ", option_type="C", strike=D("100"), sub_type="Exercise", action="Buy to Open",
        when=at(2026, 3, 20, 21),
    )  # fmt: skip
    stock(account, at(2026, 4, 1), 100, "104", symbol="XYZ", action="Sell to Close")
    [line] = year_of(account, 2026).lines
    # 10,000 + 5.00 fee + the call's 301.00 = 10,306; sold for 10,400.
    assert figures(line) == (date(2026, 3, 20), date(2026, 4, 1), D("10400"), D("10306"), D("0"), D("94"), "short")


def test_an_assigned_covered_call_premium_adds_to_the_amount_realized_on_the_stock(account):
    stock(account, at(2024, 1, 8), 100, "45", symbol="XYZ")
    OptionTransactionFactory(
        account=account, underlying_symbol="XYZ", option_type="C", strike=D("50"), price=D("1"),
        executed_at=at(2026, 3, 2),
    )  # fmt: skip
    removal_and_delivery(
        account, underlying="XYZ", option_type="C", strike=D("50"), sub_type="Assignment", action="Sell to Close",
        when=at(2026, 3, 20, 21),
    )  # fmt: skip
    [line] = year_of(account, 2026).lines
    # Delivered at 5,000 less the 5.00 fee, plus the call's 100.00; bought at 4,500 in 2024: long term.
    assert figures(line) == (date(2024, 1, 8), date(2026, 3, 20), D("5095"), D("4500"), D("0"), D("595"), "long")


def test_an_assigned_call_without_shares_adds_its_premium_to_the_short_sales_proceeds(account):
    OptionTransactionFactory(
        account=account, underlying_symbol="XYZ", option_type="C", strike=D("50"), price=D("2.00"),
        commission=D("-1"), executed_at=at(2026, 3, 2),
    )  # fmt: skip
    removal_and_delivery(
        account, underlying="XYZ", option_type="C", strike=D("50"), sub_type="Assignment", action="Sell to Open",
        when=at(2026, 3, 20, 21),
    )  # fmt: skip
    stock(account, at(2026, 4, 1), 100, "48", symbol="XYZ", action="Buy to Close")
    [line] = year_of(account, 2026).lines
    # Sold short at 5,000 less the 5.00 fee, plus the call's 199.00; bought back for 4,800.
    assert figures(line) == (date(2026, 3, 20), date(2026, 4, 1), D("5194"), D("4800"), D("0"), D("394"), "short")


# --- Corporate actions ----------------------------------------------------------------------------


def corporate_action(account, sub_type, old, new, close_quantity, open_quantity, basis, when):
    for action, symbol, quantity, value in (
        ("Sell to Close", old, close_quantity, basis),
        ("Buy to Open", new, open_quantity, -basis),
    ):
        ReceiveDeliverFactory(
            account=account, transaction_sub_type=sub_type, action=action, symbol=symbol, quantity=quantity,
            underlying_symbol=old, instrument_type="Equity", option_type="", strike=None, expires_on=None,
            multiplier=None, price=basis / quantity, value=value, executed_at=when,
        )  # fmt: skip


def test_a_split_keeps_the_acquisition_date_and_the_cost(account):
    stock(account, at(2024, 1, 5), 10, "100", symbol="NVDA")
    corporate_action(account, "Forward Split", "NVDA", "NVDA", 10, 20, D("1000"), at(2024, 6, 10))
    stock(account, at(2025, 3, 10), 20, "60", symbol="NVDA", action="Sell to Close")
    [line] = year_of(account, 2025).lines
    assert (line.quantity, line.symbol) == (D("20"), "NVDA")
    assert figures(line) == (date(2024, 1, 5), date(2025, 3, 10), D("1200"), D("1000"), D("0"), D("200"), "long")


def test_a_symbol_change_keeps_the_acquisition_date_and_the_cost(account):
    stock(account, at(2024, 5, 1), 10, "30", symbol="VIAC", commission=D("-1"))
    corporate_action(account, "Symbol Change", "VIAC", "PARA", 10, 10, D("300"), at(2024, 9, 3))
    stock(account, at(2025, 5, 2), 10, "35", symbol="PARA", action="Sell to Close")
    [line] = year_of(account, 2025).lines
    assert line.symbol == "PARA"
    assert figures(line) == (date(2024, 5, 1), date(2025, 5, 2), D("350"), D("301"), D("0"), D("49"), "long")


# --- Section 1256 ---------------------------------------------------------------------------------


def test_index_options_and_futures_are_section_1256_and_equity_options_are_not():
    assert is_section_1256(instrument_type="Equity Option", underlying="SPX", symbol="SPXW  260320P05800000")
    assert is_section_1256(instrument_type="Equity Option", underlying="XSP", symbol="XSP   260320P00580000")
    assert is_section_1256(instrument_type="Future", underlying="/ES", symbol="/ESH6")
    assert is_section_1256(instrument_type="Future Option", underlying="/ES", symbol="./ESH6 EW3H6 260320P5800")
    assert not is_section_1256(instrument_type="Equity Option", underlying="SPY", symbol="SPY   260320P00580000")
    assert not is_section_1256(instrument_type="Equity", underlying="SPX", symbol="SPX")


def test_the_last_trading_day_skips_a_weekend():
    assert (last_trading_day(2025), last_trading_day(2022)) == (date(2025, 12, 31), date(2022, 12, 30))


def test_an_open_future_is_marked_at_year_end_and_the_mark_is_next_years_basis(account):
    FutureTransactionFactory(account=account, commission=D("-2"), executed_at=at(2025, 12, 10))
    PositionSnapshotFactory(
        account=account, as_of=at(2025, 12, 31, 21), symbol="/ESH6", instrument_type="Future",
        underlying_symbol="/ES", quantity=1, multiplier=50, mark=D("5010"),
    )  # fmt: skip
    FutureTransactionFactory(
        account=account, action="Sell", price=D("5020"), value=D("1000"), commission=D("-2"),
        executed_at=at(2026, 1, 15),
    )  # fmt: skip
    year_2025 = year_of(account, 2025)
    [mark] = year_2025.lines
    # 10 points x 50 above the fill, less the 2.00 commission: 498.00; 60% long, 40% short.
    assert (mark.is_mark, mark.gain, mark.term, mark.note) == (
        True,
        D("498"),
        "1256",
        "open at year end: position snapshot of 2025-12-31",
    )
    assert (year_2025.section_1256_long, year_2025.section_1256_short) == (D("298.80"), D("199.20"))
    # 2026: realized 1,000 - 4.00 = 996.00, of which 498.00 was taxed in 2025.
    year_2026 = tax_year(user=account.user, year=2026)
    [line] = year_2026.lines
    assert (line.realized_pnl, line.prior_mark, line.gain) == (D("996"), D("498"), D("498"))
    bridge = year_2026.bridge
    assert (bridge.realized_fifo, bridge.marks_last_year, bridge.marks_this_year, bridge.taxable_total) == (
        D("996"),
        D("498"),
        D("0"),
        D("498"),
    )
    assert bridge.difference == 0


def test_an_open_index_option_without_a_mark_says_so_and_keeps_its_basis(account):
    spx = occ_symbol("SPXW", date(2026, 1, 16), "P", D("5800"))
    OptionTransactionFactory(
        account=account, symbol=spx, underlying_symbol="SPX", strike=D("5800"), expires_on=date(2026, 1, 16),
        price=D("10.00"), executed_at=at(2025, 12, 1),
    )  # fmt: skip
    year_2025 = year_of(account, 2025)
    [mark] = year_2025.lines
    assert (mark.gain, mark.note) == (D("0"), "open at year end: no mark available")
    assert [m.source for m in year_2025.marks] == ["no mark available"]


def test_an_index_option_held_a_day_is_still_sixty_forty(account):
    spx = occ_symbol("SPXW", date(2026, 3, 20), "P", D("5800"))
    for action, price, when in (("Sell to Open", "10.00", at(2026, 3, 2)), ("Buy to Close", "5.00", at(2026, 3, 3))):
        OptionTransactionFactory(
            account=account, symbol=spx, underlying_symbol="SPX", strike=D("5800"), action=action, price=D(price),
            executed_at=when,
        )  # fmt: skip
    year = year_of(account, 2026)
    [line] = year.lines
    # 1,000 received, 500 paid: 500 gain, 300.00 long and 200.00 short.
    assert (line.term, line.gain, year.section_1256_long, year.section_1256_short) == (
        "1256",
        D("500"),
        D("300.00"),
        D("200.00"),
    )


# --- Wash sales ----------------------------------------------------------------------------------


def test_a_buy_within_30_days_after_a_loss_washes_it_into_the_replacement(account):
    stock(account, at(2026, 1, 5), 10, "100")
    stock(account, at(2026, 2, 2), 10, "90", action="Sell to Close")
    stock(account, at(2026, 2, 20), 10, "95")
    stock(account, at(2026, 3, 20), 10, "110", action="Sell to Close")
    loss, replacement = year_of(account, 2026).lines
    # Lost 100.00, all disallowed (code W): the gain column shows 0.
    assert figures(loss) == (date(2026, 1, 5), date(2026, 2, 2), D("900"), D("1000"), D("100"), D("0"), "short")
    # 950 + the 100 disallowed; held 28 days before, so acquired 20 Feb less 28 days.
    expected = (date(2026, 1, 23), date(2026, 3, 20), D("1100"), D("1050"), D("0"), D("50"), Term.SHORT)
    assert figures(replacement) == expected


def test_a_buy_within_30_days_before_a_loss_is_its_replacement(account):
    stock(account, at(2026, 1, 5), 10, "100")
    stock(account, at(2026, 1, 26), 10, "95")
    stock(account, at(2026, 2, 2), 10, "90", action="Sell to Close")
    stock(account, at(2026, 6, 1), 10, "97", action="Sell to Close")
    loss, replacement = year_of(account, 2026).lines
    assert (loss.wash_disallowed, loss.gain) == (D("100"), D("0"))
    # 950 + 100 = 1,050 against 970: a 80.00 loss, nothing bought near it. Held 28 days + 26 Jan to 1 Jun.
    expected = (date(2025, 12, 29), date(2026, 6, 1), D("970"), D("1050"), D("0"), D("-80"), Term.SHORT)
    assert figures(replacement) == expected


def test_a_buy_31_days_later_is_no_wash_sale(account):
    stock(account, at(2026, 1, 5), 10, "100")
    stock(account, at(2026, 2, 2), 10, "90", action="Sell to Close")
    stock(account, at(2026, 3, 5), 10, "95")
    [loss] = year_of(account, 2026).lines
    assert (loss.wash_disallowed, loss.gain) == (D("0"), D("-100"))


def test_a_partial_replacement_disallows_only_its_share(account):
    stock(account, at(2026, 1, 5), 10, "100")
    stock(account, at(2026, 2, 2), 10, "90", action="Sell to Close")
    stock(account, at(2026, 2, 10), 4, "95")
    [loss] = year_of(account, 2026).lines
    # 4 of 10 shares replaced: 40.00 of the 100.00 loss disallowed.
    assert (loss.wash_disallowed, loss.gain) == (D("40"), D("-60"))


def test_a_wash_sale_across_the_year_end_defers_the_loss_into_next_year(account):
    stock(account, at(2025, 11, 3), 10, "100")
    stock(account, at(2025, 12, 19), 10, "90", action="Sell to Close")
    stock(account, at(2026, 1, 6), 10, "92")
    stock(account, at(2026, 4, 1), 10, "95", action="Sell to Close")
    year_2025 = year_of(account, 2025)
    bridge = year_2025.bridge
    assert (bridge.realized_fifo, bridge.wash_disallowed, bridge.taxable_total, bridge.difference) == (
        D("-100"),
        D("100"),
        D("0"),
        D("0"),
    )
    year_2026 = tax_year(user=account.user, year=2026)
    [replacement] = year_2026.lines
    # 920 + 100 = 1,020 against 950: the deferred loss comes back as -70.00 (realized FIFO +30.00);
    # the 46 days held (3 Nov to 19 Dec) tack on: 6 Jan less 46 days is 21 Nov.
    assert (replacement.cost_basis, replacement.gain, replacement.acquired) == (D("1020"), D("-70"), date(2025, 11, 21))
    assert (year_2026.bridge.realized_fifo, year_2026.bridge.wash_released, year_2026.bridge.difference) == (
        D("30"),
        D("100"),
        D("0"),
    )


def test_a_chain_of_wash_sales_carries_both_losses_into_the_last_replacement(account):
    stock(account, at(2026, 1, 5), 10, "100")
    stock(account, at(2026, 1, 20), 10, "90", action="Sell to Close")  # -100
    stock(account, at(2026, 2, 2), 10, "92")  # replaces the first: basis 1,020
    stock(account, at(2026, 2, 16), 10, "88", action="Sell to Close")  # -40 FIFO, -140 with the carried loss
    stock(account, at(2026, 3, 2), 10, "89")  # replaces the second: basis 890 + 140 = 1,030
    stock(account, at(2026, 5, 1), 10, "100", action="Sell to Close")
    first, second, last = year_of(account, 2026).lines
    assert (first.wash_disallowed, second.cost_basis, second.wash_disallowed, second.gain) == (
        D("100"),
        D("1020"),
        D("140"),
        D("0"),
    )
    assert (last.cost_basis, last.gain) == (D("1030"), D("-30"))


def test_a_closed_short_option_repeated_within_30_days_washes(account):
    option = dict(account=account, expires_on=date(2026, 6, 19))
    OptionTransactionFactory(**option, price=D("1.00"), executed_at=at(2026, 3, 2))
    OptionTransactionFactory(**option, action="Buy to Close", price=D("3.00"), executed_at=at(2026, 3, 9))
    OptionTransactionFactory(**option, price=D("2.50"), executed_at=at(2026, 3, 16))
    [loss] = year_of(account, 2026).lines
    assert (loss.proceeds, loss.cost_basis, loss.wash_disallowed, loss.gain) == (D("100"), D("300"), D("200"), D("0"))


def test_section_1256_losses_never_wash(account):
    spx = occ_symbol("SPXW", date(2026, 6, 19), "P", D("5800"))
    option = dict(account=account, symbol=spx, underlying_symbol="SPX", strike=D("5800"), expires_on=date(2026, 6, 19))
    OptionTransactionFactory(**option, price=D("10.00"), executed_at=at(2026, 3, 2))
    OptionTransactionFactory(**option, action="Buy to Close", price=D("15.00"), executed_at=at(2026, 3, 9))
    OptionTransactionFactory(**option, price=D("14.00"), executed_at=at(2026, 3, 10))
    year = year_of(account, 2026)
    loss = year.lines[0]
    assert (loss.term, loss.wash_disallowed, loss.gain) == ("1256", D("0"), D("-500"))


def test_a_buy_in_another_account_washes_only_in_the_interpretation(account):
    other = BrokerAccountFactory(user=account.user)
    stock(account, at(2026, 1, 5), 10, "100")
    stock(account, at(2026, 2, 2), 10, "90", action="Sell to Close")
    stock(other, at(2026, 2, 10), 10, "95")
    recompute_account(account=other)
    year = year_of(account, 2026)
    assert [line.wash_disallowed for line in year.lines] == [D("0")]
    assert [line.wash_disallowed for line in year.interpretation] == [D("100")]


def test_a_call_bought_after_a_stock_loss_washes_only_in_the_interpretation(account):
    stock(account, at(2026, 1, 5), 100, "100", symbol="XYZ")
    stock(account, at(2026, 2, 2), 100, "90", symbol="XYZ", action="Sell to Close")
    OptionTransactionFactory(
        account=account, action="Buy to Open", underlying_symbol="XYZ", option_type="C", strike=D("95"),
        expires_on=date(2026, 6, 19), price=D("2.00"), executed_at=at(2026, 2, 10),
    )  # fmt: skip
    year = year_of(account, 2026)
    assert [line.wash_disallowed for line in year.lines] == [D("0")]
    # One call covers 100 shares: the whole 1,000.00 loss.
    assert [line.wash_disallowed for line in year.interpretation] == [D("1000")]


def test_the_rest_of_the_same_order_is_not_a_replacement(account):
    for price in ("100", "100.50"):  # one order filled in two pieces
        TransactionFactory(account=account, quantity=10, price=D(price), executed_at=at(2026, 1, 5), order_id=7)
    stock(account, at(2026, 2, 2), 10, "90", action="Sell to Close")
    [loss] = year_of(account, 2026).lines
    assert (loss.wash_disallowed, loss.gain) == (D("0"), D("-100"))


def test_two_open_lots_of_one_contract_show_one_year_end_mark(account):
    for when in (at(2025, 12, 1), at(2025, 12, 2)):
        FutureTransactionFactory(account=account, executed_at=when)
    PositionSnapshotFactory(
        account=account, as_of=at(2025, 12, 31, 21), symbol="/ESH6", instrument_type="Future",
        underlying_symbol="/ES", quantity=2, multiplier=50, mark=D("5001"),
    )  # fmt: skip
    year = year_of(account, 2025)
    # Each lot is marked: 1 point x 50 = 50.00 each.
    assert [line.gain for line in year.lines] == [D("50"), D("50")]
    assert [(mark.symbol, mark.price) for mark in year.marks] == [("/ESH6", D("5001"))]
