"""Quotes and market metrics through client.py, against the simulator over the real SDK."""

from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import httpx2
import pytest
from django.core.management import call_command
from django.db import connection as database
from django.test.utils import CaptureQueriesContext

from apps.tastytrade_sync.client import MARKET_DATA_BATCH, Client, MarketMetrics
from apps.tastytrade_sync.client import Quote as ApiQuote
from apps.tastytrade_sync.market_data import GREEK_FIELDS, fill_missing_greeks, quote_rows
from apps.tastytrade_sync.models import SyncRun
from apps.tastytrade_sync.tests.factories import BrokerAccountFactory, ConnectionFactory
from apps.tastytrade_sync.tests.test_client import TOKEN, Script, make_client
from apps.tastytrade_sync.tests.test_sync import at_close, sync
from apps.trades.models import PositionSnapshot, Quote, UnderlyingMetrics
from simulator import Scenario, Simulator
from simulator import market as mk

MARKET = Scenario(seed=3, accounts=1, start=date(2024, 3, 1), days=45)


@pytest.fixture(scope="module")
def simulator() -> Simulator:
    return Simulator(MARKET)


@pytest.fixture
def client(simulator):
    with Client(
        client_secret=simulator.client_secret,
        refresh_token=simulator.refresh_token,
        base_url="http://simulator.invalid",
        transport=simulator.transport(),
        sleep=lambda seconds: None,
    ) as client:
        yield client


def held_by_type(client: Client, account_number: str) -> tuple[dict[str, list[str]], dict[str, Decimal]]:
    positions = client.positions(account_number)
    by_type: dict[str, list[str]] = {}
    for item in positions:
        by_type.setdefault(item["instrument-type"], []).append(item["symbol"])
    return by_type, {item["symbol"]: Decimal(item["mark"]) for item in positions}


def test_quotes_of_held_instruments_carry_the_marks_positions_report(client, simulator):
    by_type, marks = held_by_type(client, simulator.account_numbers[0])
    quotes = client.quotes(by_type)
    assert marks and {quote.symbol: quote.mark for quote in quotes} == marks


def test_quotes_of_more_than_a_hundred_symbols_are_asked_in_batches_of_a_hundred(client, simulator):
    equities = [symbol for symbol in mk.EQUITIES if symbol != mk.SYMBOL_CHANGE[0]] * 5
    simulator.requests.clear()
    quotes = client.quotes({"Equity": equities})
    asked = [r for r in simulator.requests if r.path == "/market-data/by-type"]
    assert (len(quotes), len(asked)) == (len(equities), -(-len(equities) // MARKET_DATA_BATCH))


def test_an_underlying_quote_is_its_price_today(client, simulator):
    (quote,) = client.quotes({"Equity": ["SPY"], "Index": ["NOPE"]})
    assert (quote.symbol, quote.mark) == ("SPY", simulator.market.price("SPY", simulator.today))


def test_a_quote_without_prices_has_none_rather_than_zero():
    answer = {"data": {"items": [{"symbol": "SPY", "instrument-type": "Equity", "mark": None, "bid": "NaN"}]}}
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(200, answer)]})
    with make_client(script) as client:
        (quote,) = client.quotes({"Equity": ["SPY"]})
    assert (quote.mark, quote.bid, quote.ask) == (None, None, None)


def test_quotes_ask_comma_joined_symbols_per_instrument_type():
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(200, {"data": {"items": []}})]})
    with make_client(script) as client:
        client.quotes({"Equity": ["SPY", "AAPL"], "Equity Option": ["SPY   261218P00022500"]})
    url = httpx2.URL(str(script.requests[-1].url))
    assert (url.params["equity"], url.params["equity-option"]) == ("SPY,AAPL", "SPY   261218P00022500")


def test_market_metrics_give_iv_rank_beta_and_the_next_earnings_date(client, simulator):
    metrics = {metric.symbol: metric for metric in client.market_metrics(["SPY", "AAPL"])}
    assert metrics["SPY"].beta == Decimal("1")
    assert metrics["AAPL"].beta == Decimal("1.78")  # AAPL's daily range is 160 bp against SPY's 90
    assert metrics["AAPL"].earnings_on > simulator.today
    assert Decimal(0) <= metrics["AAPL"].iv_rank < 1


# -- stored with each sync -----------------------------------------------------------------------


@pytest.fixture
def synced_market(user):
    market = Simulator(MARKET)
    return market, ConnectionFactory(user=user, credentials=(market.client_secret, market.refresh_token))


def test_a_sync_stores_a_quote_for_every_held_instrument_at_the_positions_mark(synced_market):
    market, connection = synced_market
    with at_close(market):
        sync(connection, market)
    marks = dict(PositionSnapshot.objects.values_list("symbol", "mark"))
    quotes = dict(Quote.objects.filter(symbol__in=marks).values_list("symbol", "mark"))
    assert marks and quotes == marks


def test_a_sync_stores_quotes_and_metrics_of_the_underlyings(synced_market):
    market, connection = synced_market
    with at_close(market):
        sync(connection, market)
    underlyings = set(
        PositionSnapshot.objects.exclude(underlying_symbol="").values_list("underlying_symbol", flat=True)
    )
    stocks = {symbol for symbol in underlyings if not symbol.startswith("/")}
    assert stocks <= set(Quote.objects.values_list("symbol", flat=True))
    assert stocks <= set(UnderlyingMetrics.objects.values_list("symbol", flat=True))


def test_a_sync_succeeds_when_market_data_fails_and_keeps_the_last_snapshot(synced_market):
    market, connection = synced_market
    with at_close(market):
        sync(connection, market)
        before = set(Quote.objects.values_list("symbol", "mark", "fetched_at"))
        market.faults.status(500, path="/market-data/by-type", times=None)
        run = sync(connection, market)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert before and set(Quote.objects.values_list("symbol", "mark", "fetched_at")) == before


def test_a_sync_stores_greeks_from_the_mark_on_the_quotes_of_held_options(synced_market):
    market, connection = synced_market
    with at_close(market):
        sync(connection, market)
    options = Quote.objects.filter(instrument_type="Equity Option")
    assert options.exists()
    for quote in options:
        assert quote.underlying_price is not None
        assert -1 <= quote.delta <= 1 and quote.gamma >= 0 and quote.vega >= 0
        assert quote.delta > 0 if quote.symbol.strip()[-9] == "C" else quote.delta < 0


def test_a_sync_stores_spys_quote_and_a_beta_weighted_delta_for_each_held_stock(synced_market):
    market, connection = synced_market
    with at_close(market):
        sync(connection, market)
    spy = Quote.objects.get(symbol="SPY")
    assert (spy.delta, spy.beta_weighted_delta) == (Decimal(1), Decimal(1))
    for quote in Quote.objects.filter(instrument_type="Equity").exclude(symbol="SPY"):
        beta = UnderlyingMetrics.objects.filter(symbol=quote.symbol).values_list("beta", flat=True).first()
        if beta is not None:
            assert quote.beta_weighted_delta == (quote.mark * beta / spy.mark).quantize(Decimal("0.00000001"))


def test_a_future_option_is_priced_from_its_own_future_and_weighted_by_its_familys_beta():
    now = datetime(2026, 12, 1, 21, tzinfo=UTC)
    option = "./ESZ6 EW2Z6 261211P6240"
    held = PositionSnapshot(
        symbol=option,
        instrument_type="Future Option",
        underlying_symbol="/ES",  # TastyTrade names the product, not the contract month
        quantity=Decimal(-1),
        multiplier=Decimal(50),
        expires_at=datetime(2026, 12, 11, 21, tzinfo=UTC),
    )

    def quote(symbol, kind, mark):
        return ApiQuote(symbol, kind, Decimal(mark), None, None, None, None, now)

    quotes = [quote(option, "Future Option", "35.00"), quote("/ESZ6", "Future", "6400"), quote("SPY", "Equity", "640")]
    metrics = [MarketMetrics("/ES", Decimal("0.18"), None, None, Decimal("1.00"), None, None, now)]
    rows = {
        row.symbol: row for row in quote_rows(account=None, quotes=quotes, metrics=metrics, positions=[held], now=now)
    }
    put = rows[option]
    assert put.underlying_price == Decimal(6400) and -0.5 < put.delta < 0
    # Beta 1: delta x 6400 / 640 SPY shares per /ES point.
    assert put.beta_weighted_delta == (put.delta * 10).quantize(Decimal("0.00000001"))


# -- Greeks for quotes stored before they were computed (fill_missing_greeks) -----------------------------------


@pytest.fixture
def account(user):
    return BrokerAccountFactory(user=user)


def stored_without_greeks(account):
    """The account's snapshot as quote_rows stores it, returned, and stored with the Greeks wiped (as before
    migration trades 0013 a quote had none)."""
    now = datetime(2026, 12, 1, 21, tzinfo=UTC)
    put = "QQQ   261218P00500000"
    held = PositionSnapshot.objects.create(
        account=account,
        as_of=now,
        symbol=put,
        instrument_type="Equity Option",
        underlying_symbol="QQQ",
        quantity=Decimal(-1),
        multiplier=Decimal(100),
        expires_at=datetime(2026, 12, 18, 21, tzinfo=UTC),
    )
    UnderlyingMetrics.objects.create(account=account, symbol="QQQ", beta=Decimal("1.1"), fetched_at=now)
    metrics = [MarketMetrics("QQQ", Decimal("0.2"), None, None, Decimal("1.1"), None, None, now)]
    quotes = [
        ApiQuote(put, "Equity Option", Decimal("6.40"), None, None, None, None, now),
        ApiQuote("QQQ", "Equity", Decimal("505"), None, None, None, None, now),
        ApiQuote("SPY", "Equity", Decimal("640"), None, None, None, None, now),
    ]
    computed = quote_rows(account=account, quotes=quotes, metrics=metrics, positions=[held], now=now)
    Quote.objects.bulk_create(computed)
    Quote.objects.update(**{name: None for name in GREEK_FIELDS if name != "volatility_from_mark"})
    return {row.symbol: row for row in computed}


def greeks_of(quote) -> tuple:
    return tuple(getattr(quote, name) for name in GREEK_FIELDS)


def test_a_quote_stored_without_greeks_gains_those_the_store_time_path_computes(account):
    computed = stored_without_greeks(account)
    assert fill_missing_greeks() == 3
    stored = {quote.symbol: greeks_of(quote) for quote in Quote.objects.all()}
    assert stored == {symbol: greeks_of(row) for symbol, row in computed.items()}


def test_filling_greeks_again_changes_nothing(account):
    stored_without_greeks(account)
    fill_missing_greeks()
    before = {quote.symbol: greeks_of(quote) for quote in Quote.objects.all()}
    assert fill_missing_greeks() == 0
    assert {quote.symbol: greeks_of(quote) for quote in Quote.objects.all()} == before


def test_an_option_quote_whose_underlying_was_not_quoted_keeps_no_greeks(account):
    stored_without_greeks(account)
    Quote.objects.filter(symbol="QQQ").delete()
    fill_missing_greeks()
    put = Quote.objects.get(instrument_type="Equity Option")
    assert (put.underlying_price, put.delta, put.gamma, put.theta, put.vega) == (None, None, None, None, None)


def test_an_option_quote_no_longer_held_keeps_no_greeks(account):
    stored_without_greeks(account)
    PositionSnapshot.objects.all().delete()  # its expiry is not known any more
    fill_missing_greeks()
    assert Quote.objects.get(instrument_type="Equity Option").delta is None


def test_greeks_are_saved_in_batches_of_the_size_asked(account):
    stored_without_greeks(account)
    with CaptureQueriesContext(database) as queries:
        assert fill_missing_greeks(batch_size=2) == 3
    updates = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("UPDATE")]
    assert len(updates) == 2  # two quotes, then one


def test_the_command_says_how_many_quotes_gained_greeks_and_how_many_could_not(account):
    stored_without_greeks(account)
    Quote.objects.filter(symbol="QQQ").update(mark=None)  # the put has no underlying price now
    out = StringIO()
    call_command("fill_quote_greeks", stdout=out)
    assert out.getvalue().strip() == "Greeks computed for 2 quote(s); 1 still without (an input is missing)."
