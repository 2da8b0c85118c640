import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_heroku_boot import free_port, web_command

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Gunicorn:
    process: subprocess.Popen
    url: str

    def stop(self) -> str:
        """Stop it and return everything it wrote: the access log and Django's log lines."""
        self.process.terminate()
        return self.process.communicate(timeout=30)[0]


@pytest.fixture
def procfile_gunicorn(tmp_path):
    """The Procfile's web command on a free loopback port (settings without a database: the pages these
    tests ask for need none)."""
    port = free_port()
    env = {
        "PATH": str(Path(sys.executable).parent),
        "DJANGO_SETTINGS_MODULE": "config.settings.development",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    process = subprocess.Popen(
        web_command(port), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    server = Gunicorn(process=process, url=f"http://127.0.0.1:{port}")
    for line in process.stdout:  # blocks until gunicorn says it listens; no sleeping
        if "Listening at" in line:
            break
    yield server
    if process.poll() is None:
        server.stop()
