"""Check the pinned requirements, and what they pull in, against a vendored advisory snapshot (offline).

    python security/audit.py [--refresh PATH_TO_PYPA_ADVISORY_DATABASE_CHECKOUT]

`make security` runs it. The snapshot (security/advisories.json) holds the PyPA advisory database's entries
(the PYSEC records pip-audit's PyPI service serves) for every package the runtime requirements install; it
says which commit it was taken from. A pinned or installed version inside an advisory's affected range fails
the check. No network is needed: pip-audit's live services (PyPI's JSON API, OSV) cannot be reached from CI,
so `make security-live` runs pip-audit separately where they can.
"""

import argparse
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "security" / "advisories.json"
REQUIREMENTS = [ROOT / "requirements" / "production.txt", ROOT / "requirements" / "development.txt"]


def pinned(path: Path) -> dict[str, tuple[Requirement, str]]:
    """{package: (requirement, where)} for every `name[extras]==version` line, following `-r` includes."""
    pins: dict[str, tuple[Requirement, str]] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r"):
            pins |= pinned(path.parent / line[2:].strip())
        elif line:
            requirement = Requirement(line)
            specs = list(requirement.specifier)
            if len(specs) != 1 or specs[0].operator != "==":
                raise SystemExit(f"{path.name}:{number}: {line!r} is not pinned with ==")
            pins[canonicalize_name(requirement.name)] = (requirement, f"{path.relative_to(ROOT)}:{number}")
    return pins


def version_of(requirement: Requirement) -> str:
    return next(iter(requirement.specifier)).version


def installed_closure(requirements: list[Requirement]) -> dict[str, str]:
    """{package: installed version} for everything these requirements install (extras included)."""
    found: dict[str, str] = {}
    seen: set[tuple[str, frozenset]] = set()
    todo = list(requirements)
    while todo:
        requirement = todo.pop()
        name, extras = canonicalize_name(requirement.name), frozenset(requirement.extras)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # not for this platform or Python: nothing installed to check
        found[name] = dist.version
        for text in dist.requires or []:
            dependency = Requirement(text)
            if dependency.marker is None or any(
                dependency.marker.evaluate(default_environment() | {"extra": extra}) for extra in [*extras, ""]
            ):
                todo.append(dependency)
    return found


def affected(version: str, advisory: dict) -> bool:
    try:
        mine = Version(version)
    except InvalidVersion:
        return False
    if version in advisory["versions"]:
        return True
    for events in advisory["ranges"]:
        introduced, hit = None, False
        for event in events:  # OSV ECOSYSTEM ranges: introduced/fixed pairs in order
            if "introduced" in event:
                introduced = Version("0") if event["introduced"] == "0" else Version(event["introduced"])
            elif "fixed" in event and introduced is not None:
                hit = hit or introduced <= mine < Version(event["fixed"])
                introduced = None
            elif "last_affected" in event and introduced is not None:
                hit = hit or introduced <= mine <= Version(event["last_affected"])
                introduced = None
        if hit or (introduced is not None and mine >= introduced):
            return True
    return False


def check() -> int:
    snapshot = json.loads(SNAPSHOT.read_text())
    by_package: dict[str, list[dict]] = {}
    for advisory in snapshot["advisories"]:
        by_package.setdefault(advisory["package"], []).append(advisory)
    pins: dict[str, tuple[Requirement, str]] = {}
    for path in REQUIREMENTS:
        pins |= pinned(path)
    closure = installed_closure([requirement for requirement, _ in pins.values()])
    versions = {name: (version, "installed, required by a pin") for name, version in closure.items()}
    versions |= {name: (version_of(requirement), where) for name, (requirement, where) in pins.items()}
    findings = [
        f"{name} {version} ({where}): {advisory['id']} {' '.join(advisory['aliases'])} - {advisory['summary']}"
        for name, (version, where) in sorted(versions.items())
        for advisory in by_package.get(name, [])
        if affected(version, advisory)
    ]
    print(
        f"Checked {len(versions)} packages ({len(pins)} pinned) against {len(snapshot['advisories'])} advisories "
        f"of {snapshot['source']} at {snapshot['commit'][:12]} ({snapshot['date']})."
    )
    for finding in findings:
        print(f"VULNERABLE: {finding}")
    return 1 if findings else 0


def refresh(checkout: Path) -> None:
    """Rebuild the snapshot from a checkout of github.com/pypa/advisory-database (needs PyYAML)."""
    import yaml

    names = set(installed_closure([req for path in REQUIREMENTS for req, _ in pinned(path).values()]))
    advisories = []
    for name in sorted(names):
        for path in sorted((checkout / "vulns" / name).glob("*.yaml")):
            record = yaml.safe_load(path.read_text())
            if record.get("withdrawn"):
                continue  # retracted (e.g. PYSEC-2023-73, a Redis server bug filed against the client)
            for item in record.get("affected", []):
                if canonicalize_name(item["package"]["name"]) != name:
                    continue
                advisories.append(
                    {
                        "id": record["id"],
                        "aliases": record.get("aliases") or [],
                        "package": name,
                        "summary": (record.get("summary") or record.get("details", "")).strip().splitlines()[0][:200],
                        "ranges": [r["events"] for r in item.get("ranges", []) if r.get("type") == "ECOSYSTEM"],
                        "versions": item.get("versions") or [],
                    }
                )
    git = ["git", "-C", str(checkout), "log", "-1", "--format=%H %cs"]
    commit, date = subprocess.run(git, capture_output=True, text=True, check=True).stdout.split()  # noqa: S603 - fixed argv
    snapshot = {
        "source": "github.com/pypa/advisory-database",
        "commit": commit,
        "date": date,
        "packages": sorted(names),
        "advisories": advisories,
    }
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1) + "\n")
    print(f"Wrote {len(advisories)} advisories for {len(names)} packages to {SNAPSHOT.relative_to(ROOT)}.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", type=Path, metavar="CHECKOUT", help="rebuild the snapshot from this checkout")
    arguments = parser.parse_args()
    if arguments.refresh:
        refresh(arguments.refresh)
    else:
        sys.exit(check())
