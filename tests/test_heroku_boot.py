"""The Heroku shape: collectstatic, the release phase, the Procfile's web command serving /healthz and hashed
static files, and its sync worker."""

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def web_command(port: int) -> list[str]:
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    command = line.removeprefix("web:").strip().replace("$PORT", str(port))
    command = re.sub(r"\$\{WEB_CONCURRENCY:-\d+\}", "2", command)
    argv = shlex.split(command.replace("0.0.0.0", "127.0.0.1"))
    # Run the venv's gunicorn, as Heroku runs the one on its PATH.
    argv[0] = str(Path(sys.executable).with_name(argv[0]))
    return argv


def fresh_database_url(tmp_path_factory) -> str:
    """An empty database of the kind the suite runs on, for the release phase to migrate."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'boot.sqlite3'}"
    import psycopg

    server, _, _ = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS tracker_heroku_boot WITH (FORCE)")
        conn.execute("CREATE DATABASE tracker_heroku_boot")
    return f"{server}/tracker_heroku_boot"


def procfile_command(kind: str) -> list[str]:
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith(f"{kind}:"))
    argv = shlex.split(line.removeprefix(f"{kind}:").strip())
    return [sys.executable if argv[0] == "python" else argv[0], *argv[1:]]


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    static_root = tmp_path_factory.mktemp("staticfiles")
    log = (tmp_path_factory.mktemp("log") / "gunicorn.log").open("w+b")
    database_url = fresh_database_url(tmp_path_factory)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "boot-test-" + "x" * 60,
        "FIELD_ENCRYPTION_KEYS": "Ym9vdC10ZXN0LW9ubHktMzItYnl0ZS1rZXktLS0tLS0=",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(static_root),
    }
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    release = subprocess.run(procfile_command("release"), cwd=ROOT, env=env, capture_output=True, text=True)
    assert release.returncode == 0, release.stdout + release.stderr
    port = free_port()
    # A file, not a pipe: an unread pipe fills up and blocks the workers.
    process = subprocess.Popen(web_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                log.seek(0)
                raise AssertionError(log.read().decode()) from None
            time.sleep(0.2)
    yield base, static_root, env
    process.terminate()
    process.wait(timeout=20)
    log.close()


def test_gunicorn_from_the_procfile_answers_healthz(production_server):
    base, _, _ = production_server
    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
        assert response.status == 200


def test_hashed_static_files_are_served_with_a_long_cache_header(production_server):
    base, static_root, _ = production_server
    hashed = next(static_root.glob("vendor/bootstrap/bootstrap.min.*.css"))
    request = urllib.request.Request(
        f"{base}/static/vendor/bootstrap/{hashed.name}", headers={"X-Forwarded-Proto": "https"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
        assert "max-age=315360000" in response.headers["Cache-Control"]


def test_release_phase_migrated_the_empty_database(production_server):
    base, _, _ = production_server
    # /accounts/login/ reads allauth's and our tables: it only renders on a migrated database.
    request = urllib.request.Request(base + "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def test_the_procfile_worker_runs_and_stops_cleanly_on_sigterm(production_server):
    _, _, env = production_server
    env = {**env, "TASKS_BACKEND": "database"}  # as app.json sets it: db_worker refuses the Immediate backend
    worker = subprocess.Popen(
        procfile_command("worker"), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert "Starting worker" in worker.stdout.readline()  # db_worker logs it before it polls the queue
        worker.send_signal(signal.SIGTERM)  # what Heroku sends on a restart, 30 s before SIGKILL
        assert worker.wait(timeout=10) == 0
        assert "shutting down gracefully" in worker.stdout.read()
    finally:
        worker.kill()
