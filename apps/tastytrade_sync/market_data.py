"""Marks and market metrics for what an account holds: asked of TastyTrade with each sync and on demand
("Refresh marks"), stored as the account's latest snapshot so pages never call the API in a request."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.trades.models import InstrumentType, PositionSnapshot, Quote, UnderlyingMetrics
from apps.trades.symbols import INDEX_ROOTS, future_product

from .client import Client

# Underlyings TastyTrade quotes as an index, not an equity (docs/tastytrade-api.md#symbols).
INDEXES = {"SPX", "NDX", "RUT", "XSP", "VIX", "DJX", *INDEX_ROOTS.values()}


def held_symbols(positions: list[PositionSnapshot]) -> dict[str, list[str]]:
    """The held instruments and their underlyings by instrument type, each once."""
    by_type: dict[str, set[str]] = {}
    for position in positions:
        by_type.setdefault(position.instrument_type, set()).add(position.symbol)
        underlying = position.underlying_symbol
        if not underlying or underlying == position.symbol:
            continue
        if underlying.startswith("/"):
            if future_product(underlying) is not None:  # a future option's contract (`/ESZ6`), not `/ES`
                by_type.setdefault(InstrumentType.FUTURE, set()).add(underlying)
        else:
            kind = "Index" if underlying in INDEXES else InstrumentType.EQUITY
            by_type.setdefault(kind, set()).add(underlying)
    return {kind: sorted(symbols) for kind, symbols in sorted(by_type.items())}


def refresh_market_data(*, account, client: Client) -> int:
    """Ask for quotes of the account's open positions and their underlyings, and for the underlyings'
    market metrics; replace the stored snapshot and the positions' marks. Returns the number of quotes."""
    positions = list(PositionSnapshot.objects.filter(account=account).exclude(quantity=0))
    symbols = held_symbols(positions)
    quotes = client.quotes(symbols) if symbols else []
    # Metrics are per underlying: a futures family's product (`/ES`), not one contract month.
    underlyings = sorted({future_product(p.underlying_symbol) or p.underlying_symbol or p.symbol for p in positions})
    metrics = client.market_metrics(underlyings) if underlyings else []
    now = timezone.now()
    with transaction.atomic():
        Quote.objects.filter(account=account).delete()
        Quote.objects.bulk_create(
            [
                Quote(
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
                for quote in {quote.symbol: quote for quote in quotes}.values()
            ]
        )
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
