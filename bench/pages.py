"""Page speed: the dashboard and every tab served by gunicorn on PostgreSQL holding about 50,000 transactions.

    .venv/bin/python bench/pages.py [--database-url postgres://postgres@127.0.0.1:5432/tracker_pages]
                                    [--requests 50] [--reuse] [--only NAME] [--port N] [--simulator-port N]

It builds the simulator's one-account, two-year history (seed 7, activity 22: about 50,000 rows), serves it
on a free 127.0.0.1 port, migrates a fresh PostgreSQL database, syncs it through `sync_connection` and runs
`recompute_account`, so the P&L engine's tables are full. (`--reuse` keeps a database a previous run filled.)

Then it starts the app the way the Procfile's `web` line does (gunicorn, production settings, secrets from
the environment, ALLOWED_HOSTS=127.0.0.1), signs a session in, and requests each page one after the other
over loopback as one user would (X-Forwarded-Proto: https, as Heroku's router sends), a few warm-up requests
first, then --requests timed ones per page. It prints p50 and p95 per page. Aim: p95 of 150 ms or less.
"""

import argparse
import http.client
import os
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tracker_pages")
parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first")
parser.add_argument("--activity", type=int, default=22)
parser.add_argument("--days", type=int, default=730)
parser.add_argument("--reuse", action="store_true", help="keep the database a previous run filled")
parser.add_argument("--only", default="", help="time only the pages whose name contains this (e.g. returns)")
parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
parser.add_argument("--simulator-port", type=int, default=0, help="the simulator's port (default: a free one)")
args = parser.parse_args()

AIM_MS = 150
BENCH_EMAIL = "bench-pages@example.com"
# Throwaway production secrets for a loopback run (the same kind `make check` uses).
SECRET_KEY = "bench-pages-only-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"  # noqa: S105 - loopback only
FIELD_ENCRYPTION_KEY = "YmVuY2gtcGFnZXMtb25seS0zMi1ieXRlLWtleS0tLS0="

import psycopg  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"nothing answered at {url}") from None
            time.sleep(0.1)


server_url, _, db_name = args.database_url.rpartition("/")
with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone()
    fresh = not (args.reuse and exists)
    if fresh:
        admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{db_name}"')

os.environ["DATABASE_URL"] = args.database_url
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.development"
os.environ["SYNC_PAGE_SIZE"] = "2000"
os.environ["LOG_LEVEL"] = "WARNING"
# The same secrets as the served app, so the session signed in here is valid there.
os.environ["SECRET_KEY"] = SECRET_KEY
os.environ["FIELD_ENCRYPTION_KEYS"] = FIELD_ENCRYPTION_KEY

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection as database  # noqa: E402
from django.test import Client  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.tastytrade_sync.models import Connection, SyncRun  # noqa: E402
from apps.tastytrade_sync.sync import sync_connection  # noqa: E402
from apps.trades.lots import recompute_account  # noqa: E402
from apps.trades.models import BrokerAccount, PnlEvent, Position, Transaction  # noqa: E402
from simulator import Scenario, Simulator  # noqa: E402


def fill_database() -> None:
    call_command("migrate", verbosity=0)
    start = date.today() - timedelta(days=args.days - 1)
    simulator = Simulator(Scenario(seed=7, accounts=1, start=start, days=args.days, activity=args.activity))
    port = args.simulator_port or free_port()
    command = [
        sys.executable, "manage.py", "tastytrade_simulator", "--port", str(port), "--seed", "7",
        "--accounts", "1", "--days", str(args.days), "--start", start.isoformat(), "--activity", str(args.activity),
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        settings.TASTYTRADE_SIMULATOR_URL = f"http://127.0.0.1:{port}"
        wait_for(settings.TASTYTRADE_SIMULATOR_URL + "/customers/me", seconds=600)
        user = User.objects.create_user(BENCH_EMAIL, "bench-password-1")
        connection = Connection(user=user, environment="simulator", label="bench")
        connection.set_credentials(client_secret=simulator.client_secret, refresh_token=simulator.refresh_token)
        connection.save()
        t0 = time.perf_counter()
        run = sync_connection(connection=connection, trigger=SyncRun.Trigger.MANUAL)
        assert run.status == SyncRun.Status.SUCCEEDED, (run.status, run.error_message)
        print(f"synced {run.inserted:,} transactions in {time.perf_counter() - t0:.1f} s")
    finally:
        server.terminate()
    for account in BrokerAccount.objects.filter(user=user):
        recompute_account(account=account)
    with database.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does soon after a big load; plans need the statistics


if fresh:
    fill_database()
else:
    call_command("migrate", verbosity=0)  # a database kept from an earlier run gets newer migrations, as on release
user = User.objects.get(email=BENCH_EMAIL)
accounts = BrokerAccount.objects.filter(user=user)
print(
    f"database {db_name}: {Transaction.objects.filter(account__in=accounts).count():,} transactions, "
    f"{PnlEvent.objects.filter(account__in=accounts).count():,} P&L events, "
    f"{Position.objects.filter(account__in=accounts).count():,} positions"
)

# A signed-in session, stored where the served app reads it.
client = Client()
client.force_login(user)
session_cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
position = Position.objects.filter(account__in=accounts).order_by("-opened_at").first()
chain_position = Position.objects.filter(account__in=accounts, chain__isnull=False).order_by("-opened_at").first()
# The dashboard and each tab as a trader opens them; then other pages, for information.
TABS = [
    ("dashboard", "/dashboard/"),
    ("positions", "/dashboard/positions/"),
    ("trades", "/trades/"),
    ("transactions", "/dashboard/transactions/"),
    ("reports", "/reports/"),
    ("sync", "/sync/"),
]
OTHERS = [
    ("trades: closed SPY", "/trades/?status=closed&underlying=SPY"),
    ("trades: chains", "/trades/?show=chains"),
    ("trade detail", f"/trades/{position.account_id}/position/{position.key}/"),
    ("chain detail", f"/trades/{chain_position.account_id}/chain/{chain_position.chain.key}/"),
    ("reports: by underlying, strategy", "/reports/?report=breakdown"),
    ("reports: cash flow and fees", "/reports/?report=cash-flow"),
    ("reports: by day, all time", "/reports/?group=day&start="),
    ("reports: returns", "/reports/?report=returns"),
    ("reports: returns, all time", "/reports/?report=returns&start="),
    ("reports: edge", "/reports/?report=edge"),
    ("reports: edge, all time", "/reports/?report=edge&start="),
    ("reports: rolls", "/reports/?report=rolls"),
    ("reports: rolls, all time", "/reports/?report=rolls&start="),
    ("calendar: month", "/dashboard/calendar/"),
    ("calendar: year", "/dashboard/calendar/year/"),
]

static_root = tempfile.mkdtemp(prefix="bench-pages-static-")
environment = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": SECRET_KEY,
    "FIELD_ENCRYPTION_KEYS": FIELD_ENCRYPTION_KEY,
    "ALLOWED_HOSTS": "127.0.0.1",
    "STATIC_ROOT": static_root,
    "PORT": str(args.port or free_port()),
}
subprocess.run(
    [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=environment, check=True
)
web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
web = web.removeprefix("web:").strip().replace("--access-logfile -", "")
web = os.path.expandvars(web.replace("${WEB_CONCURRENCY:-3}", environment.get("WEB_CONCURRENCY", "3")))
web = web.replace("$PORT", environment["PORT"]).replace("0.0.0.0", "127.0.0.1")  # noqa: S104 - loopback only
gunicorn = [str(Path(sys.executable).with_name("gunicorn")), *shlex.split(web)[1:]]
print(f"serving: {' '.join(gunicorn[1:])} (production settings)")
server = subprocess.Popen(gunicorn, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
HEADERS = {"Cookie": session_cookie, "X-Forwarded-Proto": "https", "Host": "127.0.0.1"}


def get(loopback: http.client.HTTPConnection, path: str) -> float:
    """Milliseconds from sending the request to the last byte of a 200 answer."""
    started = time.perf_counter()
    loopback.request("GET", path, headers=HEADERS)
    response = loopback.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status}: {body[:300]!r}")
    return elapsed


def percentile(times: list[float], fraction: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


try:
    wait_for(f"http://127.0.0.1:{environment['PORT']}/healthz")
    results = []
    for name, path in [(name, path) for name, path in TABS + OTHERS if args.only in name]:
        loopback = http.client.HTTPConnection("127.0.0.1", int(environment["PORT"]), timeout=30)
        for _ in range(args.warmup):
            get(loopback, path)
        times = [get(loopback, path) for _ in range(args.requests)]
        loopback.close()
        results.append((name, statistics.median(times), percentile(times, 0.95)))
finally:
    server.terminate()
    server.wait()

width = max(len(name) for name, *_ in results)
print(f"{'page':<{width}}  {'p50 ms':>7}  {'p95 ms':>7}  ({args.requests} sequential requests each, one user)")
for index, (name, p50, p95) in enumerate(results):
    if index == len(TABS):
        print("other pages (for information):")
    print(f"{name:<{width}}  {p50:7.1f}  {p95:7.1f}")
slowest = max(p95 for _, _, p95 in results[: len(TABS)])
load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
print(f"load average during the run: {load} on {os.cpu_count()} CPUs (other work on the machine slows every page)")
verdict = "aim met" if slowest <= AIM_MS else "AIM NOT MET"
print(f"slowest p95 of the dashboard and the tabs: {slowest:.1f} ms (aim: {AIM_MS} ms or less): {verdict}")
