"""Marks and market metrics for what an account holds: asked of TastyTrade with each sync and on demand
("Refresh marks"), stored as the account's latest snapshot so pages never call the API in a request."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.trades.greeks import beta_weighted_delta, quote_greeks
from apps.trades.models import OPTION_TYPES, InstrumentType, PositionSnapshot, Quote, UnderlyingMetrics
from apps.trades.symbols import INDEX_ROOTS, future_product, parse_option_symbol, underlying_of

from . import client as api
from .client import Client

# Beta-weighted delta is in SPY shares, so SPY's quote is asked for with every snapshot, held or not.
BETA_BENCHMARK = "SPY"

# Underlyings TastyTrade quotes as an index, not an equity (docs/tastytrade-api.md#symbols).
INDEXES = {"SPX", "NDX", "RUT", "XSP", "VIX", "DJX", *INDEX_ROOTS.values()}


def held_symbols(positions: list[PositionSnapshot]) -> dict[str, list[str]]:
    """The held instruments and their underlyings by instrument type, each once."""
    by_type: dict[str, set[str]] = {}
    for position in positions:
        by_type.setdefault(position.instrument_type, set()).add(position.symbol)
        underlying = priced_from(position.symbol, position.instrument_type, position.underlying_symbol)
        if not underlying or underlying == position.symbol:
            continue
        if underlying.startswith("/"):
            if future_product(underlying) is not None:  # a future option's contract (`/ESZ6`), not `/ES`
                by_type.setdefault(InstrumentType.FUTURE, set()).add(underlying)
        else:
            kind = "Index" if underlying in INDEXES else InstrumentType.EQUITY
            by_type.setdefault(kind, set()).add(underlying)
    return {kind: sorted(symbols) for kind, symbols in sorted(by_type.items())}


def priced_from(symbol: str, instrument_type: str, stated: str) -> str:
    """The instrument whose price prices this one: a future option's own future (`/ESZ6`; TastyTrade states the
    product `/ES` as its underlying), an option's stated underlying, a share's or a future's own symbol."""
    if instrument_type not in OPTION_TYPES:
        return symbol
    option = parse_option_symbol(symbol)
    if option is not None and option.product:
        return option.root
    return stated or (option.root if option else symbol)


def refresh_market_data(*, account, client: Client) -> int:
    """Ask for quotes of the account's open positions and their underlyings, and for the underlyings'
    market metrics; replace the stored snapshot and the positions' marks. Returns the number of quotes."""
    positions = list(PositionSnapshot.objects.filter(account=account).exclude(quantity=0))
    symbols = held_symbols(positions)
    if symbols:
        symbols.setdefault(InstrumentType.EQUITY, [])
        symbols[InstrumentType.EQUITY] = sorted({*symbols[InstrumentType.EQUITY], BETA_BENCHMARK})
    quotes = client.quotes(symbols) if symbols else []
    # Metrics are per underlying: a futures family's product (`/ES`), not one contract month.
    underlyings = sorted({future_product(p.underlying_symbol) or p.underlying_symbol or p.symbol for p in positions})
    metrics = client.market_metrics(underlyings) if underlyings else []
    now = timezone.now()
    rows = quote_rows(account=account, quotes=quotes, metrics=metrics, positions=positions, now=now)
    with transaction.atomic():
        Quote.objects.filter(account=account).delete()
        Quote.objects.bulk_create(rows)
        # The positions carry the fresh mark too, so the dashboard, the Positions page and the CSV, which all
        # read a position's mark, show one figure.
        fresh = {quote.symbol: quote.mark for quote in quotes if quote.mark is not None}
        for position in positions:
            position.mark = fresh.get(position.symbol, position.mark)
        PositionSnapshot.objects.bulk_update(positions, ["mark"], batch_size=500)
        UnderlyingMetrics.objects.filter(account=account).delete()
        UnderlyingMetrics.objects.bulk_create(
            [
                UnderlyingMetrics(
                    account=account,
                    symbol=metric.symbol,
                    implied_volatility=metric.implied_volatility,
                    iv_rank=metric.iv_rank,
                    iv_percentile=metric.iv_percentile,
                    beta=metric.beta,
                    earnings_on=metric.earnings_on,
                    dividend_ex_on=metric.dividend_ex_on,
                    fetched_at=now,
                )
                for metric in {metric.symbol: metric for metric in metrics}.values()
            ]
        )
    return len(quotes)


def quote_rows(
    *, account, quotes: list[api.Quote], metrics: list[api.MarketMetrics], positions: list[PositionSnapshot], now
) -> list[Quote]:
    """The snapshot's rows, each with its per-unit Greeks and beta-weighted delta, computed here once so a page
    only multiplies them by quantities."""
    prices = {quote.symbol: quote.mark for quote in quotes if quote.mark is not None}
    by_underlying = {metric.symbol: metric for metric in metrics}
    held = {position.symbol: position for position in positions}
    rows = []
    for quote in {quote.symbol: quote for quote in quotes}.values():
        row = Quote(
            account=account,
            symbol=quote.symbol,
            instrument_type=quote.instrument_type,
            mark=quote.mark,
            bid=quote.bid,
            ask=quote.ask,
            last=quote.last,
            close=quote.close,
            quoted_at=quote.updated_at,
            fetched_at=now,
        )
        with_snapshot_greeks(row, position=held.get(quote.symbol), metrics=by_underlying, prices=prices, now=now)
        rows.append(row)
    return rows


def with_snapshot_greeks(row: Quote, *, position: PositionSnapshot | None, metrics: dict, prices: dict, now) -> None:
    """The quote's underlying price (unless it has one), per-unit Greeks and beta-weighted delta, from the rest of
    its snapshot: the held position (its expiry), the underlyings' market metrics by symbol (their implied
    volatility and beta: TastyTrade's or the stored UnderlyingMetrics) and the snapshot's marks by symbol (the
    underlying's price, SPY's). Anything missing leaves the Greeks None: they are never guessed."""
    underlying = priced_from(row.symbol, row.instrument_type, position.underlying_symbol if position else "")
    # The future option's own future (`/ESZ6`) prices it; its family (`/ES`) carries the metrics.
    family = underlying_of(row.symbol, row.instrument_type, underlying)
    metric = metrics.get(family) or metrics.get(underlying)
    if row.underlying_price is None:
        row.underlying_price = prices.get(underlying)
    with_greeks(row, expires_at=position.expires_at if position else None, metric=metric, now=now)
    row.beta_weighted_delta = (
        beta_weighted_delta(
            row.delta,
            underlying_price=row.underlying_price,
            beta=metric.beta if metric else None,
            spy_price=prices.get(BETA_BENCHMARK),
        )
        if row.delta is not None
        else None
    )


GREEK_FIELDS = [
    "underlying_price",
    "implied_volatility",
    "volatility_from_mark",
    "delta",
    "gamma",
    "theta",
    "vega",
    "beta_weighted_delta",
]


def fill_missing_greeks(*, batch_size: int = 500) -> int:
    """Greeks for the stored quotes that have none, as those stored before Greeks were computed (migration trades
    0013_quote_greeks): computed as a sync computes them (with_snapshot_greeks), at the time each quote was
    fetched, from its own account's stored snapshot (the positions' expiries, the underlyings' quotes and metrics,
    SPY's quote). A quote whose inputs are missing keeps none, and the Positions page says so as it does today.
    One account's snapshot at a time, saved in batches; running it again changes nothing. Returns how many quotes
    gained Greeks."""
    accounts = Quote.objects.filter(delta__isnull=True).values_list("account_id", flat=True).distinct().order_by()
    filled = 0
    for account_id in accounts:
        quotes = list(Quote.objects.filter(account_id=account_id))
        prices = {quote.symbol: quote.mark for quote in quotes if quote.mark is not None}
        positions = PositionSnapshot.objects.filter(account_id=account_id).exclude(quantity=0)
        held = {position.symbol: position for position in positions}
        metrics = {metric.symbol: metric for metric in UnderlyingMetrics.objects.filter(account_id=account_id)}
        gained = []
        for quote in quotes:
            if quote.delta is not None:
                continue
            with_snapshot_greeks(
                quote, position=held.get(quote.symbol), metrics=metrics, prices=prices, now=quote.fetched_at
            )
            if quote.delta is not None:
                gained.append(quote)
        Quote.objects.bulk_update(gained, GREEK_FIELDS, batch_size=batch_size)
        filled += len(gained)
    return filled


def with_greeks(row: Quote, *, expires_at: datetime | None, metric: api.MarketMetrics | None, now) -> None:
    computed = quote_greeks(
        symbol=row.symbol,
        instrument_type=row.instrument_type,
        mark=row.mark,
        underlying_price=row.underlying_price,
        expires_at=expires_at,
        now=now,
        fallback_volatility=metric.implied_volatility if metric else None,
        rate=Decimal(str(settings.GREEKS_RISK_FREE_RATE)),
        dividend_yield=Decimal(str(settings.GREEKS_DIVIDEND_YIELD)),
    )
    if computed is None:
        return
    row.implied_volatility = computed.implied_volatility
    row.volatility_from_mark = computed.volatility_from_mark
    greeks = computed.greeks
    row.delta, row.gamma, row.theta, row.vega = greeks.delta, greeks.gamma, greeks.theta, greeks.vega


def refresh_accounts(*, accounts) -> int:
    """ "Refresh marks": each connected account's snapshot, one client per connection. Returns the quotes stored."""
    from .sync import client_for  # here, as sync.py imports this module

    by_connection: dict[int, list] = {}
    for account in accounts:
        by_connection.setdefault(account.connection_id, []).append(account)
    stored = 0
    for group in by_connection.values():
        with client_for(group[0].connection) as client:
            stored += sum(refresh_market_data(account=account, client=client) for account in group)
    return stored
