"""`.env.example` lists every variable the settings read, so an operator never has to read the code to find one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Every setting is read through `read("NAME", ...)` or `env.<type>("NAME", ...)` (config/settings/base.py).
READ = re.compile(r"""\b(?:read|env(?:\.\w+)?)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
LISTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.MULTILINE)


def variables_the_settings_read() -> set[str]:
    return {name for path in (ROOT / "config" / "settings").glob("*.py") for name in READ.findall(path.read_text())}


def test_env_example_lists_every_variable_the_settings_read():
    read = variables_the_settings_read()
    assert {"SECRET_KEY", "DATABASE_URL", "FIELD_ENCRYPTION_KEYS"} <= read  # the pattern still finds them
    listed = set(LISTED.findall((ROOT / ".env.example").read_text()))
    assert read - listed == set()
