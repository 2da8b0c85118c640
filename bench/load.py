"""Load: 50 signed-in traders browse the dashboard and press Sync now for 60 s against gunicorn on PostgreSQL.

    .venv/bin/python bench/load.py [--users 50] [--duration 60] [--think 1-3] [--days 365]
                                   [--database-url postgres://postgres@127.0.0.1:5432/tracker_load]

What it sets up, all on 127.0.0.1:
- a fresh PostgreSQL database, migrated, and static files collected into a temporary directory;
- the TastyTrade simulator in its own process (`manage.py tastytrade_simulator`, 2 accounts, `--days` of history);
- `--users` traders, each connected to that simulator with its credentials and synced once before the load
  (every trader has the same two accounts' ledger, P&L included), each signed in by a session row written
  directly (the sign-in form's rate limits would refuse 50 sign-ins from one address);
- gunicorn exactly as the Procfile's web command starts it (3 workers unless WEB_CONCURRENCY says otherwise),
  and the sync worker as its worker line does, with the production settings and test-safe secrets.

Then every trader, for `--duration` seconds: waits a think time drawn from `--think` seconds, then opens the
dashboard, positions, transactions, reports or sync page, or presses Sync now (a real no-change sync against the
simulator, at most once per 30 s per connection: the app answers a quicker press with "try again"), and then
follows the run as the page's script does: a POST to its continue URL every second until it ends ("follow sync";
the worker carries the sync, so these only read progress). Every request carries X-Forwarded-Proto: https, as
Heroku's router sends it (production redirects plain http). An error is any answer but 200 (pages, follow sync)
or 302 (Sync now), or no answer. It prints requests per second, p50/p95/p99 and errors,
overall and per page. Aim: no error and p95 <= 300 ms.
"""

import argparse
import asyncio
import logging
import os
import random
import re
import secrets
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--users", type=int, default=50)
parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
parser.add_argument("--think", default="1-3", help="think time between a trader's clicks, seconds: 'low-high'")
parser.add_argument("--days", type=int, default=365, help="length of the simulated history")
parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tracker_load")
args = parser.parse_args()
THINK_LOW, THINK_HIGH = (float(x) for x in args.think.split("-"))

# Weighted clicks: mostly the dashboard, now and then Sync now.
PAGES = {
    "dashboard": ("/dashboard/", 4),
    "positions": ("/dashboard/positions/", 2),
    "transactions": ("/dashboard/transactions/", 2),
    "reports": ("/reports/", 2),
    "sync page": ("/sync/", 1),
    "Sync now": (None, 1),
}
FOLLOW = "follow sync"  # the page's script polling the run Sync now started, once a second until it ends


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat: the load shares 2 cores with everything."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def process_ticks() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, command name, user+system jiffies) for every process, from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        found[int(stat.parent.name)] = (int(fields[1]), name, int(fields[11]) + int(fields[12]))
    return found


def cpu_by_part(before: dict, after: dict, parts: dict[str, int]) -> dict[str, float]:
    """CPU seconds used between two process_ticks() by each part (a pid and its children), PostgreSQL
    and everything else (this script and the machine's other work)."""

    def part_of(pid: int) -> str:
        seen = 0
        while pid in after and seen < 50:
            for part, root in parts.items():
                if pid == root:
                    return part
            if after[pid][1] == "postgres":
                return "PostgreSQL"
            pid, seen = after[pid][0], seen + 1
        return "other"

    used: dict[str, float] = defaultdict(float)
    hertz = os.sysconf("SC_CLK_TCK")
    for pid, (_, _, ticks) in after.items():
        used[part_of(pid)] += (ticks - (before[pid][2] if pid in before else 0)) / hertz
    return used


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"nothing answered at {url}") from None
            time.sleep(0.2)


# -- the environment gunicorn and this process share -------------------------------------------------------

static_root = Path(tempfile.mkdtemp(prefix="tracker-load-static-"))
simulator_port, web_port = free_port(), free_port()
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "load-bench-" + secrets.token_urlsafe(48),
    "FIELD_ENCRYPTION_KEYS": "bG9hZC1iZW5jaC1vbmx5LTMyLWJ5dGUta2V5LS0tLS0=",
    "ALLOWED_HOSTS": "127.0.0.1",
    "DATABASE_URL": args.database_url,
    "STATIC_ROOT": str(static_root),
    "TASTYTRADE_SIMULATOR_URL": f"http://127.0.0.1:{simulator_port}",
    "LOG_LEVEL": "WARNING",
    "PORT": str(web_port),
    "TASKS_BACKEND": "database",  # as app.json sets it: a db_worker runs the syncs
}
os.environ.update(ENV)

import psycopg  # noqa: E402

server, _, db_name = args.database_url.rpartition("/")
with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
    admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{db_name}"')

import django  # noqa: E402

django.setup()
logging.getLogger("tastytrade").setLevel(logging.WARNING)  # the SDK logs each token refresh at DEBUG

import httpx2  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection as db  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.tastytrade_sync.models import Connection, SyncRun  # noqa: E402
from apps.tastytrade_sync.sync import sync_connection  # noqa: E402
from apps.trades.models import Transaction  # noqa: E402
from simulator import DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN  # noqa: E402

t0 = time.perf_counter()
call_command("migrate", verbosity=0)
call_command("collectstatic", verbosity=0, interactive=False)
print(f"database {db_name} migrated, static files collected in {time.perf_counter() - t0:.1f} s")

SIMULATOR = ["tastytrade_simulator", "--port", str(simulator_port), "--seed", "1", "--accounts", "2"]
simulator = subprocess.Popen(
    [sys.executable, "manage.py", *SIMULATOR, "--days", str(args.days)],
    cwd=ROOT,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)
web = worker = None
log_path = Path(tempfile.mkstemp(prefix="tracker-load-gunicorn-", suffix=".log")[1])
try:
    wait_for(settings.TASTYTRADE_SIMULATOR_URL + "/customers/me")

    # -- traders, connected and synced once, signed in by session rows ----------------------------------
    t0 = time.perf_counter()
    cookies = []
    for n in range(args.users):
        user = User.objects.create_user(f"trader{n:02d}@example.com", secrets.token_urlsafe(16))
        connection = Connection(user=user, environment=Connection.Environment.SIMULATOR, label="Simulator")
        connection.set_credentials(client_secret=DEFAULT_CLIENT_SECRET, refresh_token=DEFAULT_REFRESH_TOKEN)
        connection.save()
        run = sync_connection(connection=connection, trigger=SyncRun.Trigger.CONNECT)
        if run.status != SyncRun.Status.SUCCEEDED:
            raise SystemExit(f"seeding sync {n} ended {run.status}: {run.error_message}")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append((user.email, session.session_key, connection.pk))
        if n == 0:
            print(f"trader 1 synced: {run.inserted:,} transactions in 2 accounts ({time.perf_counter() - t0:.1f} s)")
    print(
        f"{args.users} traders connected and synced in {time.perf_counter() - t0:.1f} s: "
        f"{Transaction.objects.count():,} transactions in the database"
    )
    db.close()

    # -- gunicorn, as the Procfile starts it ------------------------------------------------------------
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    command = line.removeprefix("web:").strip().replace("$PORT", str(web_port)).replace("0.0.0.0", "127.0.0.1")  # noqa: S104
    workers = os.environ.get("WEB_CONCURRENCY") or re.search(r"\$\{WEB_CONCURRENCY:-(\d+)\}", command)[1]
    command = re.sub(r"\$\{WEB_CONCURRENCY:-\d+\}", workers, command)
    argv = shlex.split(command)
    argv[0] = str(Path(sys.executable).with_name(argv[0]))  # the venv's gunicorn, as Heroku runs the one on PATH
    log = log_path.open("wb")
    web = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **ENV}, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{web_port}"
    wait_for(base + "/healthz")
    print(f"gunicorn: {' '.join(argv[1:])}")
    # -- the sync worker, as the Procfile starts it -----------------------------------------------------
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("worker:"))
    argv = shlex.split(line.removeprefix("worker:").strip())
    argv[0] = sys.executable if argv[0] == "python" else argv[0]
    worker = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **ENV}, stdout=log, stderr=subprocess.STDOUT)
    time.sleep(1.0)  # db_worker says nothing to the database until it claims a task
    if worker.poll() is not None:
        raise SystemExit(f"the task worker stopped: see {log_path}")
    print(f"task worker: {' '.join(argv[1:])}")

    # -- the load ---------------------------------------------------------------------------------------
    results: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    HTTPS = {"X-Forwarded-Proto": "https"}

    host = f"127.0.0.1:{web_port}"
    cpu: list[tuple[int, int]] = []
    processes: list[dict] = []

    async def timed(name: str, email: str, request) -> httpx2.Response | None:
        started = time.perf_counter()
        try:
            response = await request
        except httpx2.HTTPError as exc:
            response, status = None, type(exc).__name__
        else:
            status = str(response.status_code)
        results[name].append(time.perf_counter() - started)
        expected = 302 if name == "Sync now" else 200
        if response is None or response.status_code != expected:
            errors[name].append(f"{email}: {status}")
            return None
        return response

    async def click(client, name: str, email: str, csrf: str, connection_pk: int) -> str | None:
        """One page or Sync now; returns where Sync now sent the trader."""
        if PAGES[name][0] is not None:
            await timed(name, email, client.get(PAGES[name][0]))
            return None
        form = {"csrfmiddlewaretoken": csrf, "next": "/dashboard/"}
        response = await timed(name, email, client.post(f"/sync/connections/{connection_pk}/sync/", data=form))
        location = response.headers.get("location", "") if response else ""
        if response and not location.startswith("/dashboard/"):
            errors[name].append(f"{email}: sent to {location!r}")
        return location

    async def follow(client, run_pk: str, email: str, csrf: str) -> bool:
        """One poll of a run's progress; True while the run is still going."""
        headers = {"X-CSRFToken": csrf, "X-Requested-With": "fetch"}
        response = await timed(FOLLOW, email, client.post(f"/sync/runs/{run_pk}/continue/", headers=headers))
        return bool(response and response.json()["active"])

    async def drive() -> None:
        """Every trader opens the dashboard once (not counted); then the clock starts for all of them."""
        ready = asyncio.Event()
        warmed = 0
        deadline = [float("inf")]

        async def one(email, session_key, connection_pk) -> None:
            nonlocal warmed
            # The session and CSRF cookies are Secure, which a client speaking http to gunicorn would not send
            # back; they go in by hand. Any 32-character CSRF secret works as cookie and form token alike.
            csrf = secrets.token_hex(16)
            headers = {**HTTPS, "Cookie": f"sessionid={session_key}; csrftoken={csrf}", "Origin": f"https://{host}"}
            async with httpx2.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
                response = await client.get("/dashboard/")  # warm-up, not counted: sessions and workers are live
                if response.status_code != 200:
                    raise SystemExit(f"{email} is not signed in: {response.status_code}")
                warmed += 1
                if warmed == len(cookies):
                    deadline[0] = time.monotonic() + args.duration
                    cpu.append(cpu_ticks())
                    processes.append(process_ticks())
                    ready.set()
                await ready.wait()
                names, weights = zip(*((name, weight) for name, (_, weight) in PAGES.items()), strict=True)
                while True:
                    await asyncio.sleep(random.uniform(THINK_LOW, THINK_HIGH))
                    if time.monotonic() >= deadline[0]:
                        return
                    name = random.choices(names, weights)[0]
                    location = await click(client, name, email, csrf, connection_pk)
                    run = re.search(r"[?&]run=(\d+)", location or "")
                    while run and time.monotonic() < deadline[0]:
                        # As static/js/sync.js does: ask every second until the run is over.
                        await asyncio.sleep(1)
                        if not await follow(client, run[1], email, csrf):
                            break

        await asyncio.gather(*(one(*cookie) for cookie in cookies))
        cpu.append(cpu_ticks())
        processes.append(process_ticks())

    print(
        f"load: {args.users} traders, think time {THINK_LOW:g}-{THINK_HIGH:g} s, {args.duration:g} s "
        f"(machine load average before: {os.getloadavg()[0]:.1f}) ..."
    )
    sync_runs_before = SyncRun.objects.count()
    db.close()
    asyncio.run(drive())
    elapsed = args.duration  # requests are started inside this window; the last ones may end a little after
finally:
    for process in (web, worker):
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    simulator.terminate()
    simulator.wait(timeout=30)
    shutil.rmtree(static_root, ignore_errors=True)  # the gunicorn log stays: its path is printed below


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


everything = [value for values in results.values() for value in values]
error_count = sum(len(e) for e in errors.values())
print()
print(f"{'':14} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
for name in [*PAGES, FOLLOW]:
    values = results[name]
    if values:
        print(
            f"{name:14} {len(values):9,} {percentile(values, 50):8.0f} {percentile(values, 95):8.0f} "
            f"{percentile(values, 99):8.0f} {len(errors[name]):7}"
        )
p95 = percentile(everything, 95)
print(
    f"{'all':14} {len(everything):9,} {percentile(everything, 50):8.0f} {p95:8.0f} "
    f"{percentile(everything, 99):8.0f} {error_count:7}"
)
mean = statistics.mean(everything) * 1000
print(f"\n{len(everything) / elapsed:.1f} requests/s over {elapsed:.1f} s; mean {mean:.0f} ms")
(busy0, total0), (busy1, total1) = cpu
print(f"machine CPU busy during the load: {100 * (busy1 - busy0) / (total1 - total0):.0f}% of {os.cpu_count()} cores")
parts = {"gunicorn": web.pid, "sync worker": worker.pid, "simulator": simulator.pid, "load driver": os.getpid()}
used = cpu_by_part(*processes, parts)
ranked = sorted(used.items(), key=lambda item: -item[1])
print("CPU seconds used: " + ", ".join(f"{part} {seconds:.1f}" for part, seconds in ranked))
runs = SyncRun.objects.order_by("pk")[sync_runs_before:]
outcomes = defaultdict(int)
for run in runs:
    outcomes[run.status] += 1
print("Sync now during the load: " + (", ".join(f"{n} {s}" for s, n in sorted(outcomes.items())) or "none"))
for name, found in errors.items():
    for error in found[:5]:
        print(f"  error: {name}: {error}")
server_errors = sum(1 for line in log_path.read_text(errors="replace").splitlines() if '" 5' in line)
print(f"gunicorn log {log_path}: {server_errors} 5xx")
print("aim met: no error and p95 <= 300 ms" if error_count == 0 and p95 <= 300 else "AIM NOT MET")
