"""A 75,000-row CSV import on the task queue: preview, confirm, the import and P&L rebuild in a `db_worker`
process, and the dashboard's latency while that worker runs.

Production-like: PostgreSQL (`tracker_wt18` by default, dropped and created), TASKS_BACKEND=database, and the worker
the Procfile's `worker:` command (`manage.py db_worker --interval 0.1 --no-reload`), started before the upload and
left running as on Heroku: its start-up is not in the times, its polling for new tasks is. Pages are requested in
this process through Django's test client (no gunicorn), so the latencies are the app's own, without the network;
the upload form is asked for first, untimed, as a trader opens it before choosing files (so the upload is not this
process's first request, as it is not a gunicorn worker's).
The rows are stock round trips in the export's v3 format, written as files of at most the form's per-file limit and
posted to the upload form (its 20 MB total takes 75,000 rows, see the README). The worker's CPU seconds are printed
beside wall times: on a shared machine the wall time is mostly waiting for a CPU. The preview page's script asks
four times a second whether the preview is ready (static/js/progress.js, for its first three seconds); this script
asks the database every 20 ms, so the times are when the work was done.

    .venv/bin/python bench/import_75k.py [--rows 75000] [--database-url postgres://.../tracker_wt18]
"""

import argparse
import os
import shlex
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--rows", type=int, default=75_000)
parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tracker_wt18")
args = parser.parse_args()

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings.development",
        "DATABASE_URL": args.database_url,
        "TASKS_BACKEND": "database",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
    }
)
import psycopg  # noqa: E402

server, _, db_name = args.database_url.rpartition("/")
with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
    admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{db_name}"')

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.trades.forms import MAX_FILE_SIZE  # noqa: E402
from apps.trades.models import PendingFile, PendingUpload, Transaction  # noqa: E402

settings.ALLOWED_HOSTS = ["testserver"]
call_command("migrate", verbosity=0)

HEADER = (
    "Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,"
    "Fees,Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #,Total,Currency\n"
)
SYMBOLS = ["AAPL", "MSFT", "SPY", "IWM", "KO", "F", "AMD", "XLF"]


def rows(count: int) -> list[str]:
    """Stock round trips, one every 20 minutes of market time, oldest last (as exports list them)."""
    out, moment = [], datetime(2016, 1, 4, 15, 0, tzinfo=UTC)
    for n in range(count):
        symbol = SYMBOLS[(n // 2) % len(SYMBOLS)]
        price = 50 + (n % 97) / 4
        buying = n % 2 == 0
        opening, closing = ("BUY_TO_OPEN", "Buy to Open", "Bought"), ("SELL_TO_CLOSE", "Sell to Close", "Sold")
        action, sub, word = opening if buying else closing
        value = -price * 10 if buying else price * 10
        stamp = moment.astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
        out.append(
            f"{stamp},Trade,{sub},{action},{symbol},Equity,{word} 10 {symbol} @ {price:.2f},{value:.2f},10,"
            f"{-value / 10:.2f},0.00,-0.01,,,,,,,{700000000 + n},{value - 0.01:.2f},USD\n"
        )
        moment += timedelta(minutes=20)
        if moment.hour >= 21:
            moment = (moment + timedelta(days=1 if moment.weekday() < 4 else 3)).replace(hour=15, minute=0)
    return out[::-1]


def files(lines: list[str]) -> list[bytes]:
    chunks, current = [], HEADER
    for line in lines:
        if len(current) + len(line) > MAX_FILE_SIZE:
            chunks.append(current.encode())
            current = HEADER
        current += line
    return [*chunks, current.encode()]


def start_worker() -> subprocess.Popen:
    """The Procfile's `worker:` command, as Heroku runs it: a long-running process polling for tasks."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:"))
    argv = shlex.split(line.removeprefix("worker:"))
    argv[0] = sys.executable if argv[0] == "python" else argv[0]
    return subprocess.Popen(argv, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def worker_cpu() -> float:
    """The worker's CPU seconds so far (user and system), with its finished children's (the preview's reading
    processes), from /proc (Linux)."""
    fields = (Path("/proc") / str(worker.pid) / "stat").read_text().rpartition(")")[2].split()
    return sum(int(ticks) for ticks in fields[11:15]) / CLOCK_TICKS


worker = start_worker()
time.sleep(5)  # its start-up (Django, a random start-up delay of up to its interval): long over in production
assert worker.poll() is None, "the worker did not start"

user = User.objects.create_user("bench@example.com", "bench-password-123")
client = Client()
client.force_login(user)
assert client.get(reverse("trades:import_csv")).status_code == 200  # the form, before the files are chosen
contents = files(rows(args.rows))
uploads = [SimpleUploadedFile(f"part{n:02d}.csv", c, content_type="text/csv") for n, c in enumerate(contents)]
print(f"{args.rows:,} rows in {len(contents)} files, {sum(map(len, contents)) / 1e6:.1f} MB")
cpu0 = worker_cpu()  # the upload queues the preview task: the worker may start before the preview page is asked for
t0 = time.perf_counter()
response = client.post(reverse("trades:import_csv"), {"files": uploads, "account_number": "5WT75000"})
upload_request = time.perf_counter() - t0
assert response.status_code == 302, response.status_code
upload = PendingUpload.objects.get(user=user)
stored = sum(len(f.content) for f in PendingFile.objects.filter(upload=upload))
print(f"stored compressed: {stored / 1e6:.1f} MB")


preview_url = reverse("trades:import_preview", args=[upload.token])
t0 = time.perf_counter()
response = client.get(preview_url)  # the progress bar (the upload queued the preview task)
preview_request = time.perf_counter() - t0
assert response.status_code == 200 and b"Reading and checking" in response.content
waiting = PendingUpload.objects.filter(pk=upload.pk, preview="")
while waiting.exists():
    assert worker.poll() is None, "the worker stopped"
    time.sleep(0.02)
preview_cpu = worker_cpu() - cpu0
response = client.get(preview_url)
preview = time.perf_counter() - t0 + upload_request
assert b"Preview import" in response.content

t0 = time.perf_counter()
response = client.post(reverse("trades:import_confirm", args=[upload.token]))
confirm = time.perf_counter() - t0
assert response.status_code == 302 and not Transaction.objects.exists()

cpu0 = worker_cpu()
t0 = time.perf_counter()
latencies = []
status_url = reverse("trades:import_status", args=[upload.token])
dashboard = reverse("dashboard:home")
importing = PendingUpload.objects.filter(pk=upload.pk, report="")
while importing.exclude(phase=PendingUpload.Phase.FAILED).exists():
    assert worker.poll() is None, "the worker stopped"
    for url in (dashboard, status_url):
        s = time.perf_counter()
        assert client.get(url).status_code == 200
        latencies.append(time.perf_counter() - s)
    time.sleep(0.1)
background = time.perf_counter() - t0
background_cpu = worker_cpu() - cpu0
worker.send_signal(signal.SIGTERM)
worker.wait(timeout=30)
upload.refresh_from_db()
assert upload.report, f"import did not finish: phase {upload.phase!r}"
p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else latencies[0]

print(f"upload request (files stored compressed)      {upload_request * 1000:7.0f} ms")
print(f"preview page request (the progress bar)      {preview_request * 1000:7.0f} ms")
print(f"upload to preview (worker reads every row)   {preview * 1000:8.0f} ms   aim < 2000 ms")
print(f"  the worker's CPU time meanwhile            {preview_cpu * 1000:8.0f} ms")
print(f"confirm (queue the task)                     {confirm * 1000:8.0f} ms   aim < 200 ms")
print(f"import and P&L rebuild in the worker process {background:8.1f} s    aim <= 15 s")
print(f"  the worker's CPU time meanwhile            {background_cpu:8.1f} s")
print(f"pages during it: {len(latencies)} requests, p95 {p95 * 1000:.0f} ms   aim < 150 ms")
print(f"transactions stored: {Transaction.objects.count():,}")
print(
    "load average: {:.1f}, {:.1f}, {:.1f} on {} CPUs (other work on the machine stretches wall times)".format(
        *os.getloadavg(), os.cpu_count()
    )
)
