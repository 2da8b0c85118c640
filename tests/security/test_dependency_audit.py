"""`make security` checks the pinned requirements, and everything they install, against the vendored advisory
snapshot, offline: a known-vulnerable pin fails it, with the advisory named."""

from pathlib import Path

import pytest

from security import audit


def requirements(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text(text)
    return path


def test_the_pinned_requirements_have_no_advisory_in_the_snapshot(capsys):
    assert audit.check() == 0
    assert "Checked" in capsys.readouterr().out


def test_a_pin_inside_an_advisorys_range_fails_the_check_and_names_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(audit, "ROOT", tmp_path)
    monkeypatch.setattr(audit, "REQUIREMENTS", [requirements(tmp_path, "Django==4.2.0\n")])

    assert audit.check() == 1
    assert "VULNERABLE: django 4.2.0 (requirements.txt:1): PYSEC-2023-100" in capsys.readouterr().out


def test_a_requirement_that_is_not_pinned_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(audit, "ROOT", tmp_path)
    path = requirements(tmp_path, "Django>=4.2\n")

    with pytest.raises(SystemExit, match="is not pinned with =="):
        audit.pinned(path)


def test_an_advisory_range_covers_from_introduced_up_to_but_not_fixed():
    advisory = {"versions": [], "ranges": [[{"introduced": "4.2"}, {"fixed": "4.2.3"}, {"introduced": "5.0"}]]}

    assert [audit.affected(v, advisory) for v in ["4.1.9", "4.2", "4.2.2", "4.2.3", "4.9", "5.0", "6.1"]] == [
        False,
        True,
        True,
        False,
        False,
        True,
        True,
    ]
