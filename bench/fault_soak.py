"""Fault soak: 200 syncs against a faulty simulator, 20 of them killed mid-way; then the ledger against the truth.

    .venv/bin/python bench/fault_soak.py [--syncs 200] [--kills 20] [--parallel 2] [--seed 1] [--days 120]
                                         [--database-url postgres://postgres@127.0.0.1:5432/tracker_soak]
                                         [--worker]

Set-up, all on 127.0.0.1: a fresh PostgreSQL database, migrated; the TastyTrade simulator (2 accounts, `--days`
of history ending today) served by `simulator.serve()` from this process; `--parallel` traders connected to it.

Each round installs random faults on the simulator (`simulator.faults`: 429, 500, 502, 503, connection resets,
malformed JSON, slow answers past the client's timeout, a row landing between two pages, an item on two pages, a
page window shifted by one, no pagination, an access token expiring mid-sync; and the live API's quirks:
Retry-After in seconds or as an HTTP date, a Retry-After past the retry allowance that pauses the run, fields
missing or null on accounts, positions and balances, 30 s access tokens, a 406 to the API version, one account's
transactions failing throughout, a fee correction dated 20-100 days back, a fee corrected in place on a row
20-100 days back), sometimes posts a late row dated in the past week (as TastyTrade posts fee adjustments), and
runs one sync per trader, each in its own process: `python manage.py sync_tastytrade --user EMAIL`, the
scheduler's command. `--kills` of the syncs, picked at random, are killed with SIGKILL at a random moment once
their run has started. A killed sync leaves its lease held for up to 120 s; the soak expires that lease row
directly (and says so) instead of waiting. The deep check of older windows runs on every sync
(SYNC_DEEP_CHECK_DAYS=0), so back-dated corrections are found during the soak (by count for new rows, by total
against the end-of-day cash for a row edited in place); a run paused by Retry-After is made due at once before
the final clean sync (and the soak says so).

With `--worker` the syncs run as production runs them: each is queued (`queue_sync`, then `carry_on`, as Sync
now does) on the database task queue (`TASKS_BACKEND=database`) and carried out, slice after slice (a slice is
at most 2 s here, 20 s in production), by two `db_worker` processes reading the same queue. A kill is then a
SIGKILL of the worker process running one of that run's slices, mid-slice; a new worker takes its place. The
dead slice stays "running" in the queue and holds the lease; the soak expires the lease and back-dates the dead
slice's start by a lease's length (what 120 s of waiting would do) instead of waiting, and the next round's
Sync now carries the run on.

At the end the faults are cleared and each trader gets one clean sync; then every account's transactions are
compared with the simulator's: transactions lost, duplicated, mismatched (and unknown to the broker) must all be
0, and the cash must add up to the broker's cash balance.
"""

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--syncs", type=int, default=200)
parser.add_argument("--kills", type=int, default=20)
parser.add_argument("--parallel", type=int, default=2, help="traders, each synced once per round")
parser.add_argument("--seed", type=int, default=1, help="the simulator's history and the soak's dice")
parser.add_argument("--days", type=int, default=120, help="length of the simulated history")
parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tracker_soak")
parser.add_argument("--worker", action="store_true", help="syncs queued and run by two db_worker processes")
args = parser.parse_args()
dice = random.Random(args.seed)

# The child processes read the same settings; retries wait less than in production so 200 syncs fit in
# minutes (the retry logic is the same), and small pages mean many commits a kill can land between.
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.development",
    "DEBUG": "false",
    "DATABASE_URL": args.database_url,
    "LOG_LEVEL": "ERROR",
    "SYNC_PAGE_SIZE": "50",
    "TASTYTRADE_TIMEOUT_SECONDS": "1",
    "TASTYTRADE_RETRY_BASE_DELAY": "0.05",
    "TASTYTRADE_RETRY_MAX_DELAY": "0.2",
    "TASTYTRADE_RETRY_MAX_TOTAL_SECONDS": "4",
    "SYNC_DEEP_CHECK_DAYS": "0",
}
if args.worker:
    ENV |= {"TASKS_BACKEND": "database", "SYNC_WORKER_SLICE_SECONDS": "2"}
os.environ.update(ENV)

import psycopg  # noqa: E402

server_url, _, db_name = args.database_url.rpartition("/")
with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
    admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{db_name}"')

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.core.money import apply_effect  # noqa: E402
from apps.tastytrade_sync.models import Connection, SyncRun  # noqa: E402
from apps.tastytrade_sync.sync import LEASE_SECONDS, queue_sync  # noqa: E402
from apps.tastytrade_sync.tasks import carry_on  # noqa: E402
from apps.trades.models import Transaction  # noqa: E402
from simulator import Scenario, Simulator  # noqa: E402

call_command("migrate", verbosity=0)
started = time.monotonic()
simulator = Simulator(
    Scenario(seed=args.seed, accounts=2, start=date.today() - timedelta(days=args.days - 1), days=args.days)
)
truth_before = sum(len(simulator.transactions(n)) for n in simulator.account_numbers)
print(f"simulator: {truth_before:,} transactions in {len(simulator.account_numbers)} accounts, {args.days} days")

POSITIONS = r"/accounts/[^/]+/positions"
BALANCES = r"/accounts/[^/]+/balances/USD"


def account_transactions() -> str:
    return f"/accounts/{dice.choice(simulator.account_numbers)}/transactions"


FAULTS = [
    ("429", lambda f, on: f.status(429, method="GET", on=on)),
    ("500", lambda f, on: f.status(500, method="GET", on=on)),
    ("502", lambda f, on: f.status(502, method="GET", on=on)),
    ("503", lambda f, on: f.status(503, method="GET", on=on)),
    ("reset", lambda f, on: f.reset(method="GET", on=on)),
    ("malformed JSON", lambda f, on: f.malformed_json(method="GET", on=on)),
    ("slow past the timeout", lambda f, on: f.slow(1.5, method="GET", on=on)),
    ("row lands between pages", lambda f, on: f.new_transaction(method="GET", on=on)),
    ("item on two pages", lambda f, on: f.duplicate_item(mode="extra", method="GET", on=on)),
    ("window shifted by one", lambda f, on: f.duplicate_item(mode="shift", method="GET", on=on)),
    ("no pagination", lambda f, on: f.drop_pagination(method="GET", on=on)),
    ("token expires mid-sync", lambda f, on: f.expire_token(method="GET", on=on)),
    # More 503s in a row than the client retries: the sync fails part-way, in plain words, keeping what it wrote.
    ("outage: 503 six times running", lambda f, on: f.status(503, method="GET", on=range(on, on + 6))),
    ("429 with Retry-After 1 s", lambda f, on: f.status(429, retry_after=1, method="GET", on=on)),
    (
        "503 with Retry-After as an HTTP date",
        lambda f, on: f.status(
            503, retry_after=format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True), on=on
        ),
    ),
    ("429 with Retry-After 6 s: the run pauses", lambda f, on: f.status(429, retry_after=6, method="GET", on=on)),
    (
        "null account nickname",
        lambda f, on: f.missing_field("nickname", null=True, path="/customers/me/accounts", times=None),
    ),
    ("positions without close-price", lambda f, on: f.missing_field("close-price", path=POSITIONS, times=None)),
    (
        "balances without used-derivative-buying-power",
        lambda f, on: f.missing_field("used-derivative-buying-power", path=BALANCES, times=None),
    ),
    ("30 s access tokens", lambda f, on: f.short_lived_tokens(30, times=None)),
    ("406 to the API version", lambda f, on: f.reject_version(method="GET", on=on)),
    (
        "one account's transactions fail throughout",
        lambda f, on: f.status(502, path=account_transactions(), times=None),
    ),
    ("fee correction dated 20-100 days back", lambda f, on: f.late_correction(days_back=dice.randint(20, 100), on=on)),
    (
        "fee corrected in place on a row 20-100 days back",
        lambda f, on: f.edit_in_place(days_back=dice.randint(20, 100), amount=Decimal("-0.03"), on=on),
    ),
]


def expire_lease(connection: Connection) -> None:
    Connection.objects.filter(pk=connection.pk).update(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))


def make_paused_runs_due(connection: Connection) -> int:
    return connection.runs.filter(resume_after__isnull=False).update(resume_after=datetime.now(UTC))


def sync_command(email: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "sync_tastytrade", "--user", email],
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class Workers:
    """Two db_worker processes on one queue, as two worker dynos would be; a killed one is replaced."""

    def __init__(self, count: int = 2) -> None:
        self.started = 0
        self.processes: dict[str, subprocess.Popen] = {}
        for _ in range(count):
            self.start()

    def start(self) -> None:
        worker_id = f"soak-worker-{self.started}"
        self.started += 1
        self.processes[worker_id] = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-reload", "--worker-id", worker_id],
            cwd=ROOT,
            env={**os.environ, **ENV},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self, worker_id: str) -> None:
        process = self.processes.pop(worker_id)
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.start()

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process.wait(timeout=60)


class QueuedSync:
    """A sync as Sync now starts it with a worker: queued, then carried out slice by slice by the workers."""

    def __init__(self, connection: Connection, workers: Workers) -> None:
        self.workers = workers
        self.run = carry_on(queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL))

    def poll(self) -> int | None:
        self.run.refresh_from_db()
        return None if self.run.is_active else 0

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise SystemExit(f"run {self.run.pk} still {self.run.status} after {timeout:.0f} s")
            time.sleep(0.05)

    def kill(self) -> bool:
        """SIGKILL the worker running this run's slice, mid-slice; False when no slice of it is running."""
        from django_tasks_db.models import DBTaskResult

        deadline = time.monotonic() + 5
        while self.poll() is None and time.monotonic() < deadline:
            running = DBTaskResult.objects.filter(
                status="RUNNING", task_path__endswith=".sync_slice", args_kwargs__kwargs__run_id=self.run.pk
            ).first()
            if running is not None and running.worker_ids and running.worker_ids[-1] in self.workers.processes:
                self.workers.kill(running.worker_ids[-1])
                # What waiting out the lease would do: nothing counts the dead slice as carrying the run.
                DBTaskResult.objects.filter(pk=running.pk).update(
                    started_at=datetime.now(UTC) - timedelta(seconds=LEASE_SECONDS + 1)
                )
                return True
            time.sleep(0.01)  # between two slices: the next one is about to be claimed
        return False


with simulator.serve() as server:
    ENV["TASTYTRADE_SIMULATOR_URL"] = server.url
    os.environ["TASTYTRADE_SIMULATOR_URL"] = server.url  # this process queues runs for the workers
    workers = Workers() if args.worker else None
    traders = []
    for n in range(args.parallel):
        user = User.objects.create_user(f"soak{n}@example.com", "soak-password-1")
        connection = Connection(user=user, environment=Connection.Environment.SIMULATOR, label="Soak")
        connection.set_credentials(client_secret=simulator.client_secret, refresh_token=simulator.refresh_token)
        connection.save()
        traders.append((user, connection))

    slots = [(r, t) for r in range(args.syncs // args.parallel) for t in range(args.parallel)]
    # Every trader's first sync (the whole history, the most pages) is among the killed; the rest at random in
    # the first three quarters, leaving the last quarter for kills that miss (a sync that ends first) to move to.
    first_syncs = slots[: args.parallel]
    planned = slots[args.parallel : len(slots) * 3 // 4]
    to_kill = set(first_syncs) | set(dice.sample(planned, args.kills - len(first_syncs)))
    durations: list[float] = []  # seconds from a run's start to its end, of runs that succeeded: kill moments
    outcomes: Counter = Counter()
    fault_counts: Counter = Counter()
    kills = late_rows = carried = 0
    print(
        f"{len(slots)} syncs by {args.parallel} traders in {len(slots) // args.parallel} rounds, {len(to_kill)} to kill"
    )

    rounds = len(slots) // args.parallel
    round_number = -1
    while True:
        round_number += 1
        if round_number >= rounds:
            # A kill that missed (its sync ended first) moved to a later sync; past the last, add rounds.
            if kills >= args.kills or round_number >= rounds + 20:
                break
            to_kill |= {(round_number, t) for t in range(min(args.parallel, args.kills - kills))}
        simulator.faults.clear()
        for _ in range(dice.randint(0, 3)):
            name, install = dice.choice(FAULTS)
            install(simulator.faults, dice.randint(1, 10))
            fault_counts[name] += 1
        if dice.random() < 0.3:
            number = dice.choice(simulator.account_numbers)
            moment = datetime.now(UTC) - timedelta(days=dice.uniform(0, 6))
            simulator.post_transaction(number, amount=Decimal("-0.02"), executed_at=moment)
            late_rows += 1

        running = []
        for trader_number, (user, connection) in enumerate(traders):
            last_run = (
                SyncRun.objects.filter(connection=connection).order_by("-pk").values_list("pk", flat=True).first()
            )
            # A run a killed sync left behind: the next sync carries it on rather than starting another.
            left = connection.runs.active().values_list("pk", flat=True).first()
            sync = QueuedSync(connection, workers) if workers else sync_command(user.email)
            running.append((trader_number, connection, last_run or 0, left, sync))
        for trader_number, connection, last_run, left, process in running:
            if (round_number, trader_number) in to_kill:
                # Once its sync holds the lease, wait a random part of a typical sync, then SIGKILL.
                deadline = time.monotonic() + 60
                while process.poll() is None and time.monotonic() < deadline:
                    if Connection.objects.filter(pk=connection.pk, lease_expires_at__gt=timezone.now()).exists():
                        break
                    time.sleep(0.01)
                # A little past a typical run's end too: the P&L recompute after the sync is fair game.
                typical = statistics.median(durations) if durations else 1.0
                time.sleep(dice.uniform(0, 1.2 * typical))
                if workers and process.poll() is None and process.kill():
                    kills += 1
                    outcomes["killed"] += 1
                    expire_lease(connection)
                    continue
                if not workers and process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    kills += 1
                    outcomes["killed"] += 1
                    expire_lease(connection)
                    continue
                # It finished first: kill a later sync instead, so that --kills kills land.
                later = [s for s in slots if s[0] > round_number and s not in to_kill]
                if later:
                    to_kill.add(dice.choice(later))
            process.wait(timeout=300)
            run = SyncRun.objects.filter(connection=connection, pk__gt=last_run).order_by("-pk").first()
            if run is None and left is not None:
                run = SyncRun.objects.get(pk=left)
                carried += 1
            status = run.status if run else "no run"
            outcomes[status] += 1
            if status == SyncRun.Status.SUCCEEDED and run.pk != left:
                durations.append((run.finished_at - run.started_at).total_seconds())
        done = (round_number + 1) * args.parallel
        if done % 20 == 0 or done == len(slots):
            stored = Transaction.objects.count()
            print(
                f"  {done:3}/{len(slots)} syncs, {time.monotonic() - started:5.0f} s: "
                + ", ".join(f"{n} {s}" for s, n in sorted(outcomes.items()))
                + f"; {stored:,} rows stored",
                flush=True,
            )

    extra = (round_number - rounds) * args.parallel
    print(f"{sum(outcomes.values())} syncs ({max(extra, 0)} past the {len(slots)} to land the last kills)")
    print(f"syncs that carried on the run a killed sync left: {carried}")
    print(
        f"killed {kills} syncs with SIGKILL"
        + (f" (the worker running the slice; {workers.started} workers started in all)" if workers else "")
        + "; each time the lease row was expired directly instead of waiting 120 s"
    )
    print("faults installed: " + ", ".join(f"{name} x{n}" for name, n in fault_counts.most_common()))
    print(f"late rows posted in the past week between syncs: {late_rows}")
    print(f"runs that failed on the API version: {SyncRun.objects.filter(error_code='api_version').count()}")

    # One clean sync per trader, as the next scheduled run would be once TastyTrade behaves.
    simulator.faults.clear()
    for user, connection in traders:
        expire_lease(connection)
        if make_paused_runs_due(connection):
            print(f"{user.email}: a run paused by Retry-After was made due now instead of waiting")
        (QueuedSync(connection, workers) if workers else sync_command(user.email)).wait(timeout=300)
        final = SyncRun.objects.filter(connection=connection, finished_at__isnull=False).order_by("-finished_at")[0]
        print(f"final clean sync of {user.email}: {final.status}")
    if workers:
        workers.stop()
    left_running = SyncRun.objects.active().count()
    stopped = SyncRun.objects.filter(error_code="stopped").count()
    print(f"runs killed mid-sync that the next sync marked stopped: {stopped}; runs still shown active: {left_running}")

# -- the ledger against the truth -------------------------------------------------------------------------
lost = duplicated = mismatched = unknown = 0
cash_off = []
for user, _ in traders:
    for number in simulator.account_numbers:
        truth = {row.id: row.to_api() for row in simulator.transactions(number)}
        ours = Transaction.objects.filter(account__user=user, account__account_number=number)
        ids = list(ours.values_list("tastytrade_id", flat=True))
        duplicated += len(ids) - len(set(ids))  # the same TastyTrade transaction stored twice or more
        lost += len(set(truth) - set(ids))
        unknown += len(set(ids) - set(truth))  # rows the broker does not have (a NULL id counts here too)
        for row in ours.exclude(tastytrade_id=None).values("tastytrade_id", "raw", "net_value"):
            expected = truth.get(row["tastytrade_id"])
            if expected is not None and (
                row["raw"] != expected
                or row["net_value"] != apply_effect(expected["net-value"], expected["net-value-effect"])
            ):
                mismatched += 1
        cash = sum(ours.values_list("net_value", flat=True), Decimal(0))
        if cash != simulator.truth(number).cash_balance:
            cash_off.append(f"{user.email} {number}: {cash} vs {simulator.truth(number).cash_balance}")

truth_after = sum(len(simulator.transactions(n)) for n in simulator.account_numbers)
print(
    f"\nsimulator now has {truth_after:,} transactions ({truth_after - truth_before} landed during the soak); "
    f"{args.parallel} traders x {len(simulator.account_numbers)} accounts compared"
)
print(f"transactions lost:       {lost}")
print(f"transactions duplicated: {duplicated}")
print(f"transactions mismatched: {mismatched}")
print(f"transactions unknown to the broker: {unknown}")
print("cash matches the broker's cash balance" if not cash_off else "cash differs: " + "; ".join(cash_off))
print(f"soak took {time.monotonic() - started:.0f} s")
ok = lost == duplicated == mismatched == unknown == left_running == 0 and not cash_off
print("all zero" if ok else "NOT ALL ZERO")
sys.exit(0 if ok else 1)
