"""A first sync of 50,000 transactions from the loopback simulator into PostgreSQL, and a no-change re-sync.

    .venv/bin/python bench/sync_first.py [--database-url postgres://postgres@127.0.0.1:5432/tracker_bench]
                                         [--activity 22] [--days 730]

It builds the simulator's one-account, two-year history (about 50,000 rows at activity 22), serves it
on a free 127.0.0.1 port, migrates a fresh PostgreSQL database, and times:
- the first sync end to end through `sync_connection` (token call, every page through the real SDK,
  normalisation, batched upserts with per-page checkpoints, positions and balances), without the P&L
  recompute, which bench/pnl_rebuild.py times on its own;
- a no-change re-sync (the overlap window only);
- a same-run baseline: a raw `INSERT ... ON CONFLICT DO NOTHING` of the same rows with psycopg, no HTTP.
Aims: 5,000 transactions per second or more end to end, the re-sync in 1 s or less.
"""

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tracker_bench")
parser.add_argument("--activity", type=int, default=22)
parser.add_argument("--days", type=int, default=730)
args = parser.parse_args()

import psycopg  # noqa: E402
import psycopg.types.json  # noqa: E402

server_url, _, db_name = args.database_url.rpartition("/")
with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
    admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{db_name}"')

os.environ["DATABASE_URL"] = args.database_url
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.development"
os.environ["SYNC_PAGE_SIZE"] = "2000"
os.environ["LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.tastytrade_sync.models import Connection, SyncRun  # noqa: E402
from apps.tastytrade_sync.sync import normalize_transaction, sync_connection  # noqa: E402
from apps.trades.models import Transaction  # noqa: E402
from simulator import Scenario, Simulator  # noqa: E402

call_command("migrate", verbosity=0)
start = date.today() - timedelta(days=args.days - 1)
t0 = time.perf_counter()
# The same deterministic history in-process, to check the result against; served by a separate process
# (as TastyTrade would be), so the server's work does not share this process's interpreter lock.
simulator = Simulator(Scenario(seed=7, accounts=1, start=start, days=args.days, activity=args.activity))
number = simulator.account_numbers[0]
rows = simulator.transactions(number)
print(f"simulator: {len(rows):,} transactions generated in {time.perf_counter() - t0:.1f} s")
with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
server = subprocess.Popen(
    [
        sys.executable,
        "manage.py",
        "tastytrade_simulator",
        "--port",
        str(port),
        "--seed",
        "7",
        "--accounts",
        "1",
        "--days",
        str(args.days),
        "--start",
        start.isoformat(),
        "--activity",
        str(args.activity),
    ],
    cwd=ROOT,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)
settings.TASTYTRADE_SIMULATOR_URL = f"http://127.0.0.1:{port}"
for _ in range(600):
    try:
        urllib.request.urlopen(settings.TASTYTRADE_SIMULATOR_URL + "/customers/me", timeout=1)
    except urllib.error.HTTPError:
        break  # it answers (401 without a token)
    except OSError:
        time.sleep(0.1)

user = User.objects.create_user("bench@example.com", "bench-password-1")
connection = Connection(user=user, environment="simulator", label="bench")
connection.set_credentials(client_secret=simulator.client_secret, refresh_token=simulator.refresh_token)
connection.save()

try:
    with mock.patch("apps.trades.lots.recompute_account"):
        t0 = time.perf_counter()
        run = sync_connection(connection=connection, trigger=SyncRun.Trigger.MANUAL)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = sync_connection(connection=connection, trigger=SyncRun.Trigger.MANUAL)
        resync = time.perf_counter() - t0
finally:
    server.terminate()

stored = Transaction.objects.filter(account__account_number=number).count()
assert run.status == "succeeded" and stored == len(rows), (run.status, run.error_message, stored, len(rows))

# Baseline: the same rows, already normalised, written by psycopg's executemany of one
# INSERT ... ON CONFLICT (pipelined: one round trip per batch, the statement prepared once). A multi-row
# VALUES list was slower: psycopg parses a 30,000-placeholder statement in Python each time.
items = [row.to_api() for row in rows]
normalised = [normalize_transaction(item) for item in items]
account_id = Transaction.objects.filter(account__account_number=number).values_list("account_id", flat=True).first()
COLUMNS = ["account_id", "created_at", "updated_at", "source", *normalised[0]]
now = datetime.now(UTC)
t0 = time.perf_counter()
with psycopg.connect(args.database_url) as raw, raw.cursor() as cursor:
    cursor.execute("CREATE TEMP TABLE baseline (LIKE trades_transaction INCLUDING DEFAULTS INCLUDING IDENTITY)")
    cursor.execute("CREATE UNIQUE INDEX ON baseline (account_id, tastytrade_id)")
    fixed = {"account_id": account_id, "created_at": now, "updated_at": now, "source": "api"}
    cursor.executemany(
        f"INSERT INTO baseline ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"  # noqa: S608
        " ON CONFLICT (account_id, tastytrade_id) DO NOTHING",
        [
            [psycopg.types.json.Jsonb(r["raw"]) if name == "raw" else fixed.get(name, r.get(name)) for name in COLUMNS]
            for r in normalised
        ],
    )
    raw.commit()
baseline = time.perf_counter() - t0

print(
    f"first sync:       {stored:,} transactions in {first:.2f} s = {stored / first:,.0f} transactions/s (aim >= 5,000)"
)
print(
    f"baseline insert:  {len(normalised):,} rows in {baseline:.2f} s = {len(normalised) / baseline:,.0f} rows/s"
    " (raw INSERT ... ON CONFLICT of the same rows, no HTTP, no parsing)"
)
print(
    f"no-change resync: {again.fetched:,} read, {again.inserted} inserted, {again.updated} updated "
    f"in {resync:.2f} s (aim <= 1 s)"
)
print("aims met" if stored / first >= 5000 and resync <= 1 else "AIMS NOT MET")
