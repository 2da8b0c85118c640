"""Positions page speed with 300 open legs: p50, p95 and the query count of one request.

    .venv/bin/python bench/positions_300.py [--database-url postgres://postgres@127.0.0.1:5432/tracker_wt19]
                                            [--requests 50] [--legs 300]

It empties the database (migrating it first), then builds one account holding --legs open legs as a trader
would: in each of 100 underlyings a short put vertical and 10 shares (300 legs), each opened by
a fill the P&L engine turns into a strategy position, each with the broker's position snapshot, a stored
quote carrying its Greeks (computed by the same code a sync runs, apps.tastytrade_sync.market_data.quote_rows),
market metrics per underlying and a "NOW" balance. The P&L engine runs once.

Then, as config/wsgi.py does in a gunicorn worker after start-up, it tunes the garbage collector
(config.memory.tune_garbage_collector: freeze what is alive, collect the young generation every 20,000
allocations), and requests the Positions page in-process (Django's test client, DEBUG off), a few untimed
requests first, then --requests timed ones, and prints p50, p95 and the queries one request makes. Aim: p95 of
150 ms or less, at most 12 queries, none to TastyTrade.
"""

import argparse
import gc
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tracker_wt19")
parser.add_argument("--requests", type=int, default=50, help="timed requests")
parser.add_argument("--warmup", type=int, default=5, help="untimed requests first")
parser.add_argument("--legs", type=int, default=300, help="open legs (a multiple of 3)")
parser.add_argument("--profile", type=int, default=0, metavar="N", help="also print cProfile's N costliest functions")
args = parser.parse_args()

AIM_MS, AIM_QUERIES = 150, 12
os.environ["DATABASE_URL"] = args.database_url
os.environ["DEBUG"] = "false"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")
os.environ["ALLOWED_HOSTS"] = "testserver"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.tastytrade_sync import client as api  # noqa: E402
from apps.tastytrade_sync.market_data import quote_rows  # noqa: E402
from apps.trades.lots import recompute_account  # noqa: E402
from apps.trades.models import (  # noqa: E402
    BalanceSnapshot,
    BrokerAccount,
    PositionSnapshot,
    Quote,
    Transaction,
    UnderlyingMetrics,
)
from apps.trades.tests.factories import TransactionFactory  # noqa: E402
from config.memory import tune_garbage_collector  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
OPENED = NOW - timedelta(days=10)
EXPIRY = (NOW + timedelta(days=30)).date()
UNDERLYINGS = [f"U{n:03d}" for n in range(args.legs // 3)]


def occ(root: str, strike: int) -> str:
    return f"{root:<6}{EXPIRY:%y%m%d}P{strike * 1000:08d}"


def fill(account, n: int, symbol: str, *, action: str, quantity: int, price: str, option: bool, underlying: str):
    value = Decimal(price) * quantity * (100 if option else 1) * (1 if action.startswith("Sell") else -1)
    return TransactionFactory.build(
        account=account,
        tastytrade_id=7_000_000_000 + n,
        transaction_type="Trade",
        transaction_sub_type=action,
        action=action,
        symbol=symbol,
        underlying_symbol=underlying,
        instrument_type="Equity Option" if option else "Equity",
        quantity=Decimal(quantity),
        price=Decimal(price),
        value=value,
        net_value=value - Decimal("1.00"),
        commission=Decimal("-1.00"),
        executed_at=OPENED + timedelta(minutes=n // 2),
        order_id=n // 2 if option else None,
        description=f"{action} {quantity} {symbol} @ {price}",
    )


def build() -> User:
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    user = User.objects.create_user(email="bench-positions@example.com", password="bench-positions-0123")  # noqa: S106
    account = BrokerAccount.objects.create(user=user, account_number="5WB30000", nickname="Bench")
    fills, snapshots, api_quotes, metrics = [], [], [], []
    for n in range(args.legs // 3):
        underlying = UNDERLYINGS[n % len(UNDERLYINGS)]
        short, long = occ(underlying, 100 + n), occ(underlying, 95 + n)
        price = Decimal(110 + n)
        fills += [
            fill(
                account,
                4 * n,
                short,
                action="Sell to Open",
                quantity=1,
                price="2.50",
                option=True,
                underlying=underlying,
            ),
            fill(
                account,
                4 * n + 1,
                long,
                action="Buy to Open",
                quantity=1,
                price="1.00",
                option=True,
                underlying=underlying,
            ),
            fill(
                account,
                4 * n + 2,
                underlying,
                action="Buy to Open",
                quantity=10,
                price=str(price),
                option=False,
                underlying=underlying,
            ),
        ]
        for symbol, quantity, mark, kind, multiplier in (
            (short, -1, "1.80", "Equity Option", 100),
            (long, 1, "0.60", "Equity Option", 100),
            (underlying, 10, str(price), "Equity", 1),
        ):
            snapshots.append(
                PositionSnapshot(
                    account=account,
                    as_of=NOW,
                    symbol=symbol,
                    instrument_type=kind,
                    underlying_symbol=underlying,
                    quantity=Decimal(quantity),
                    multiplier=Decimal(multiplier),
                    average_open_price=Decimal(mark),
                    mark=Decimal(mark),
                    expires_at=datetime.combine(EXPIRY, datetime.min.time(), UTC) + timedelta(hours=21)
                    if kind != "Equity"
                    else None,
                )
            )
            api_quotes.append(api.Quote(symbol, kind, Decimal(mark), None, None, None, None, NOW))
    for underlying in UNDERLYINGS:
        metrics.append(
            api.MarketMetrics(underlying, Decimal("0.3"), Decimal("0.4"), None, Decimal("1.2"), None, None, NOW)
        )
    api_quotes.append(api.Quote("SPY", "Equity", Decimal("600"), None, None, None, None, NOW))
    Transaction.objects.bulk_create(fills)
    PositionSnapshot.objects.bulk_create(snapshots)
    Quote.objects.bulk_create(
        quote_rows(account=account, quotes=api_quotes, metrics=metrics, positions=snapshots, now=NOW)
    )
    UnderlyingMetrics.objects.bulk_create(
        UnderlyingMetrics(account=account, symbol=m.symbol, beta=m.beta, iv_rank=m.iv_rank, fetched_at=NOW)
        for m in metrics
    )
    BalanceSnapshot.objects.create(
        account=account,
        snapshot_date=NOW.date(),
        time_of_day="NOW",
        net_liquidating_value=Decimal("250000"),
        raw={"derivative-buying-power": "150000", "maintenance-requirement": "100000"},
    )
    recompute_account(account=account)
    return user


def main() -> None:
    user = build()
    # The fixture's rows are garbage now; collect them first so the freeze keeps only what a worker would.
    gc.collect()
    tune_garbage_collector()
    client = Client()
    client.force_login(user)
    url = reverse("dashboard:positions")
    for _ in range(args.warmup):
        assert client.get(url).status_code == 200
    queries = []
    # Django's test client resets the connection's query log when a request starts, so count with a wrapper.
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        response = client.get(url)
    legs = response.content.count(b'class="leg-row')  # the rows the page drew
    timings, cpu = [], []
    for _ in range(args.requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    p50, p95 = statistics.median(timings), statistics.quantiles(timings, n=20)[-1]
    # The CPU time of this process (the app's Python; the database's work is not in it) does not grow with the
    # machine's load the way wall time does.
    cpu50, cpu95 = statistics.median(cpu), statistics.quantiles(cpu, n=20)[-1]
    if args.profile:
        profile(client, url)
    print(
        f"positions page, {legs} open legs, {connection.vendor}: p50 {p50:.1f} ms, p95 {p95:.1f} ms wall; "
        f"app CPU p50 {cpu50:.1f} ms, p95 {cpu95:.1f} ms; {len(queries)} queries "
        f"(aim: p95 <= {AIM_MS} ms, <= {AIM_QUERIES} queries); load average {os.getloadavg()[0]:.1f}"
    )


def profile(client, url: str) -> None:
    """Ten requests under cProfile, the costliest functions by their own time and by cumulative time."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(args.profile)
    stats.sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
