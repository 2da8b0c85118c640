"""The one option-symbol parser, over every symbol shape the three CSV formats and the API use."""

from datetime import date
from decimal import Decimal as D

import pytest

from apps.trades.symbols import canonical_symbol, contract_name, future_product, parse_option_symbol, underlying_of


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        # API and v2/v3 CSV: OCC, root padded to six.
        ("SPY   240119P00400000", ("SPY", date(2024, 1, 19), "P", D("400"), "")),
        ("AAPL  241220C00187500", ("AAPL", date(2024, 12, 20), "C", D("187.5"), "")),
        # Weeklies and index options.
        ("SPXW  240119C04825500", ("SPXW", date(2024, 1, 19), "C", D("4825.5"), "")),
        ("SPX   241220P05000000", ("SPX", date(2024, 12, 20), "P", D("5000"), "")),
        ("XSP   250117C00590000", ("XSP", date(2025, 1, 17), "C", D("590"), "")),
        ("NDXP  250321P20000000", ("NDXP", date(2025, 3, 21), "P", D("20000"), "")),
        ("RUTW  250103C02250000", ("RUTW", date(2025, 1, 3), "C", D("2250"), "")),
        # Adjusted contracts with a fractional or changed deliverable carry a digit in the root.
        ("USO1  220617C00070000", ("USO1", date(2022, 6, 17), "C", D("70"), "")),
        ("GME1  220121P00012500", ("GME1", date(2022, 1, 21), "P", D("12.5"), "")),
        # Squashed (no padding) and lower-case, as hand-edited and some tools' files have them.
        ("SPY240119P00400000", ("SPY", date(2024, 1, 19), "P", D("400"), "")),
        ("spy   240119p00400000", ("SPY", date(2024, 1, 19), "P", D("400"), "")),
        ("USO1220617C00070000", ("USO1", date(2022, 6, 17), "C", D("70"), "")),
        ("  qqq   250620c00500000 ", ("QQQ", date(2025, 6, 20), "C", D("500"), "")),
        # Future options: the future contract is the root, the product group comes with it.
        ("./ESZ9 EW4U9 190927P2975", ("/ESZ9", date(2019, 9, 27), "P", D("2975"), "/ES")),
        ("./ESU4 EW4Q4 240823C5750", ("/ESU4", date(2024, 8, 23), "C", D("5750"), "/ES")),
        ("./MESZ4 MESZ4 241220C6000", ("/MESZ4", date(2024, 12, 20), "C", D("6000"), "/MES")),
        ("./CLZ4 LOZ4  241115C72.5", ("/CLZ4", date(2024, 11, 15), "C", D("72.5"), "/CL")),
        ("./6EM6 EUUM6 260605C1.1", ("/6EM6", date(2026, 6, 5), "C", D("1.1"), "/6E")),
        ("./NGZ19 ONX19 191025P2.5", ("/NGZ19", date(2019, 10, 25), "P", D("2.5"), "/NG")),
        # ... and squashed by the CSV export.
        ("./MESM6EXK6  260529P5800", ("/MESM6", date(2026, 5, 29), "P", D("5800"), "/MES")),
        ("./ESZ19EW4U9 190927P2975", ("/ESZ19", date(2019, 9, 27), "P", D("2975"), "/ES")),
        ("./mesm6 exk6 260529p5800", ("/MESM6", date(2026, 5, 29), "P", D("5800"), "/MES")),
    ],
)
def test_option_symbols_of_every_shape_are_parsed(symbol, expected):
    option = parse_option_symbol(symbol)
    assert (option.root, option.expires_on, option.option_type, option.strike, option.product) == expected


@pytest.mark.parametrize(
    "symbol",
    ["", "AAPL", "BRK/B", "/ESZ4", "BTC/USD", "SPY   241319P00400000", "SPY   240119X00400000", "./ESZ9"],
)
def test_other_symbols_are_not_options(symbol):
    assert parse_option_symbol(symbol) is None


@pytest.mark.parametrize(
    ("symbol", "product"),
    [
        ("/MESH5", "/MES"),
        ("/MESZ4", "/MES"),
        ("/ESZ4", "/ES"),
        ("/CLJ4", "/CL"),
        ("/NGZ19", "/NG"),
        ("/6EM6", "/6E"),
        ("/M6EU5", "/M6E"),
        ("/ZBZ4", "/ZB"),
        ("./MESZ4 MESZ4 241220C6000", "/MES"),
        ("./MESM6EXK6  260529P5800", "/MES"),
        ("AAPL", None),
        ("BTC/USD", None),
    ],
)
def test_a_futures_symbol_names_its_product_group(symbol, product):
    assert future_product(symbol) == product


@pytest.mark.parametrize(
    ("symbol", "instrument_type", "stated", "underlying"),
    [
        ("/MESH5", "Future", "/MES", "/MES"),
        ("/MESH5", "Future", "", "/MES"),
        ("./MESZ4 MESZ4 241220C6000", "Future Option", "/MESZ4", "/MES"),
        ("./MESM6EXK6  260529P5800", "Future Option", "", "/MES"),
        ("SPXW  240119C04825000", "Equity Option", "SPX", "SPX"),
        ("SPXW  240119C04825000", "Equity Option", "", "SPX"),
        ("SPXW  240119C04825000", "Equity Option", "SPXW", "SPX"),
        ("SPY   240119P00400000", "Equity Option", "", "SPY"),
        ("AAPL", "Equity", "AAPL", "AAPL"),
        ("AAPL", "Equity", "", "AAPL"),
        ("", "", "", ""),
    ],
)
def test_a_futures_family_is_one_underlying(symbol, instrument_type, stated, underlying):
    assert underlying_of(symbol, instrument_type, stated) == underlying


@pytest.mark.parametrize(
    ("symbol", "canonical"),
    [
        ("SPY   240119P00400000", "SPY   240119P00400000"),
        ("SPY240119P00400000", "SPY   240119P00400000"),
        ("spy   240119p00400000", "SPY   240119P00400000"),
        ("USO1220617C00070000", "USO1  220617C00070000"),
        ("./ESZ9 EW4U9 190927P2975", "./ESZ9 EW4U9 190927P2975"),
        ("./MESM6EXK6  260529P5800", "./MESM6 EXK6 260529P5800"),
        ("./mesm6 exk6  260529p5800", "./MESM6 EXK6 260529P5800"),
        (" AAPL ", "AAPL"),
        ("/ESZ4", "/ESZ4"),
    ],
)
def test_one_contract_has_one_spelling(symbol, canonical):
    assert canonical_symbol(symbol) == canonical


@pytest.mark.parametrize(
    ("symbol", "name"),
    [
        ("SPY   261218P00022500", "Dec 18 '26 22.5 P"),
        ("SPXW  270105C04825500", "Jan 5 '27 4825.5 C"),
        ("spy261218c00400000", "Dec 18 '26 400 C"),
        ("./MESM6EXK6  260529P5800", "May 29 '26 5800 P on /MES Jun 26"),
        ("./CLZ4 LOZ4 241115C72.5", "Nov 15 '24 72.5 C on /CL Dec 24"),
    ],
)
def test_an_option_is_named_by_expiry_strike_and_call_or_put(symbol, name):
    assert contract_name(symbol, today=date(2026, 12, 6)) == name


@pytest.mark.parametrize(
    ("symbol", "name"), [("/ESH7", "/ES Mar 27"), ("/NGZ19", "/NG Dec 19"), ("/6EM6", "/6E Jun 26")]
)
def test_a_future_is_named_by_product_month_and_year(symbol, name):
    assert contract_name(symbol, today=date(2026, 12, 6)) == name


def test_a_one_digit_futures_year_is_the_nearest_from_last_year_on():
    assert contract_name("/ESZ9", today=date(2030, 1, 2)) == "/ES Dec 29"


@pytest.mark.parametrize("symbol", ["AAPL", "BRK/B", "BTC/USD", ""])
def test_a_stock_or_anything_unread_keeps_its_symbol(symbol):
    assert contract_name(symbol, today=date(2026, 12, 6)) == symbol
