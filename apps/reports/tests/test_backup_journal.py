"""The journal's days travel in the backup: a restore writes each day of the backup over the trader's entry for
that day, keeps that day's screenshots, and leaves the other days alone."""

import json
from datetime import UTC, date, datetime

import pytest

from apps.journal.models import Attachment, JournalDay
from apps.reports import backup


def backup_of(user) -> dict:
    return json.loads("".join(backup.iter_backup(user)))


@pytest.fixture
def journal(user) -> JournalDay:
    entry = JournalDay.objects.create(user=user, day=date(2026, 3, 16), text="Sold the put.\nWaited.", mood=4)
    JournalDay.objects.filter(pk=entry.pk).update(created_at=datetime(2026, 3, 16, 21, tzinfo=UTC))
    return entry


def test_a_backup_holds_the_traders_journal_days_only(user, other_user, journal):
    JournalDay.objects.create(user=other_user, day=date(2026, 3, 16), text="theirs")

    rows = backup_of(user)["journal_days"]

    assert [(row["day"], row["text"], row["mood"], row["discipline"]) for row in rows] == [
        ("2026-03-16", "Sold the put.\nWaited.", 4, None)
    ]


def test_restoring_into_another_trader_reproduces_the_days_and_their_dates(user, other_user, journal):
    backup.restore_backup(user=other_user, backup=backup_of(user))

    restored = JournalDay.objects.get(user=other_user)
    assert (restored.day, restored.text, restored.mood) == (date(2026, 3, 16), "Sold the put.\nWaited.", 4)
    assert restored.created_at == datetime(2026, 3, 16, 21, tzinfo=UTC)


def test_a_restore_writes_over_the_same_day_and_keeps_its_screenshots_and_the_other_days(user, journal):
    data = backup_of(user)
    JournalDay.objects.filter(pk=journal.pk).update(text="changed later", mood=1)
    Attachment.objects.create(
        user=user, target="day", journal_day=journal, image_name="a", thumbnail_name="b",
        content_type="image/png", width=1, height=1, size=1,
    )  # fmt: skip
    JournalDay.objects.create(user=user, day=date(2026, 3, 17), text="after the backup")

    summary = backup.restore_backup(user=user, backup=data)

    journal.refresh_from_db()
    assert (journal.text, journal.mood) == ("Sold the put.\nWaited.", 4)
    assert journal.attachments.count() == 1
    assert JournalDay.objects.filter(user=user, day=date(2026, 3, 17)).exists()
    assert summary.rows["journal_days"] == 1


def test_a_backup_from_before_the_journal_restores_and_leaves_the_journal_alone(user, journal):
    data = backup_of(user)
    del data["journal_days"]

    backup.restore_backup(user=user, backup=data)

    assert JournalDay.objects.filter(user=user).count() == 1


def test_a_journal_score_outside_one_to_five_restores_nothing(user, other_user, journal):
    data = backup_of(user)
    data["journal_days"][0]["mood"] = 9

    with pytest.raises(backup.BackupError, match="mood"):
        backup.restore_backup(user=other_user, backup=data)
    assert not JournalDay.objects.filter(user=other_user).exists()
