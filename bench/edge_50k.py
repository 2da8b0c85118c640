"""The Edge report's speed at 50,000 transactions: p50 and p95 of the Reports Edge tab and its CSV, and their queries.

    .venv/bin/python bench/edge_50k.py [--database-url postgres://postgres@127.0.0.1:5432/tracker_wtedge]
                                       [--requests 30] [--reuse] [--email ...] [--only NAME] [--profile N]

It stores the simulator's one-account, two-year history (seed 7, activity 22: about 50,000 rows, as
bench/pages.py syncs it), read in process through the sync's normalisation (no HTTP: the sync is not what
is timed here), in a fresh PostgreSQL database, and runs `recompute_account` (timed: the rebuild now also
writes the per-trade facts). `--reuse` keeps a database a previous run filled.

Then Django's test client (in process, DEBUG off) requests the Edge tab over all time and over the default
last 365 days, and the strategy table's CSV, then the Rolls tab and its CSV, P&L by day over all time, the
P&L tab, Returns over all time and the calendar's month and year, a few warm-up requests first, then
--requests timed ones each, and prints p50, p95, the app's CPU milliseconds and the number of SQL queries of
one request. Aim: p95 150 ms or less, 12 queries or fewer. `--only rolls` times the pages so named;
`--profile N` also prints cProfile's N costliest functions over 10 requests of each page.

`--reuse --database-url .../tracker_pages --email bench-pages@example.com` times bench/pages.py's database
instead (the simulator's history synced over HTTP: 57,737 transactions), without gunicorn.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tracker_wtedge")
parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
parser.add_argument("--warmup", type=int, default=3)
parser.add_argument("--activity", type=int, default=22)
parser.add_argument("--days", type=int, default=730)
parser.add_argument("--reuse", action="store_true", help="keep the database a previous run filled")
parser.add_argument("--email", default="bench-edge@example.com", help="whose pages (bench/pages.py's: bench-pages@...)")
parser.add_argument("--only", default="", help="time only the pages whose name contains this (e.g. rolls)")
parser.add_argument("--profile", type=int, default=0, help="also print cProfile's N costliest functions")
args = parser.parse_args()

AIM_MS = 150
AIM_QUERIES = 12
BENCH_EMAIL = args.email

import psycopg  # noqa: E402

server_url, _, db_name = args.database_url.rpartition("/")
with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone()
    fresh = not (args.reuse and exists)
    if fresh:
        admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{db_name}"')

os.environ["DATABASE_URL"] = args.database_url
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.development"
os.environ["DEBUG"] = "false"  # DEBUG keeps every query's SQL: not what a trader's request pays
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection as database  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.tastytrade_sync.sync import normalize_transaction  # noqa: E402
from apps.trades import analytics  # noqa: E402
from apps.trades.lots import recompute_account  # noqa: E402
from apps.trades.models import BrokerAccount, PnlEvent, Position, Transaction  # noqa: E402
from simulator import Scenario, Simulator  # noqa: E402


def fill_database() -> None:
    call_command("migrate", verbosity=0)
    start = date.today() - timedelta(days=args.days - 1)
    simulator = Simulator(Scenario(seed=7, accounts=1, start=start, days=args.days, activity=args.activity))
    number = simulator.account_numbers[0]
    user = User.objects.create_user(BENCH_EMAIL, "bench-password-1")
    account = BrokerAccount.objects.create(user=user, account_number=number)
    rows = [normalize_transaction(row.to_api()) for row in simulator.transactions(number)]
    Transaction.objects.bulk_create([Transaction(account=account, **row) for row in rows], batch_size=2000)
    started = time.perf_counter()
    recompute_account(account=account, full=True)
    print(f"full rebuild of {len(rows):,} transactions: {time.perf_counter() - started:.2f} s")
    with database.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def percentile(times: list[float], fraction: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


if fresh:
    fill_database()
else:
    call_command("migrate", verbosity=0)
user = User.objects.get(email=BENCH_EMAIL)
accounts = BrokerAccount.objects.filter(user=user)
print(
    f"database {db_name}: {Transaction.objects.filter(account__in=accounts).count():,} transactions, "
    f"{PnlEvent.objects.filter(account__in=accounts).count():,} P&L events, "
    f"{Position.objects.filter(account__in=accounts).count():,} positions"
)
client = Client()
client.force_login(user)
PAGES = [
    ("edge, all time", "/reports/?report=edge&start="),
    ("edge, last 365 days", "/reports/?report=edge"),
    ("edge.csv by strategy, all time", "/reports/edge.csv?by=strategy&start="),
    ("cash flow (another tab, for comparison)", "/reports/?report=cash-flow"),
    ("rolls, all time", "/reports/?report=rolls&start="),
    ("rolls, last 365 days", "/reports/?report=rolls"),
    ("rolls.csv, all time", "/reports/rolls.csv?start="),
    ("P&L by day, all time", "/reports/?group=day&start="),
    ("P&L by month, last 365 days", "/reports/"),
    ("returns, all time", "/reports/?report=returns&start="),
    ("calendar month", "/dashboard/calendar/"),
    ("calendar year", "/dashboard/calendar/year/"),
]
PAGES = [(name, path) for name, path in PAGES if args.only in name]


def read(path: str):
    """One request, its body read to the end (a CSV is streamed)."""
    response = client.get(path)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


if hasattr(analytics, "write_trade_facts"):
    for account in accounts:
        started = time.perf_counter()
        with transaction.atomic():
            analytics.write_trade_facts(account=account)
        print(f"writing {account}'s trade facts (a full rebuild's share): {time.perf_counter() - started:.2f} s")
results = []
for name, path in PAGES:
    for _ in range(args.warmup):
        response = read(path)
    if response.status_code != 200:
        print(f"{name}: {path} answered {response.status_code}; skipped")
        continue
    queries = []

    def counted(execute, sql, *rest, queries=queries):
        queries.append(sql)
        return execute(sql, *rest)

    with database.execute_wrapper(counted):
        read(path)
    times, cpu = [], []
    for _ in range(args.requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        read(path)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    results.append((name, statistics.median(times), percentile(times, 0.95), statistics.median(cpu), len(queries)))
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(lambda path=path: [read(path) for _ in range(10)])
        print(f"--- {name}: cProfile over 10 requests")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)

width = max(len(name) for name, *_ in results)
print(
    f"{'page':<{width}}  {'p50 ms':>7}  {'p95 ms':>7}  {'CPU ms':>7}  {'queries':>7}  "
    f"({args.requests} requests each, in process; CPU: the app's median, without the database's)"
)
for name, p50, p95, cpu_ms, count in results:
    print(f"{name:<{width}}  {p50:7.1f}  {p95:7.1f}  {cpu_ms:7.1f}  {count:7d}")
load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
print(f"load average: {load} on {os.cpu_count()} CPUs")
met = all(p95 <= AIM_MS and count <= AIM_QUERIES for _, _, p95, _, count in results)
print(f"aim (p95 {AIM_MS} ms or less, {AIM_QUERIES} queries or fewer): {'met' if met else 'NOT MET'}")
