"""Nightly backups: opted in from the profile, written to the private storage by a task that Heroku Scheduler
queues, the last 7 kept (files too), listed on the profile to download or restore through the usual restore."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.storage import storages
from django.core.management import call_command
from django.urls import reverse

from apps.reports.backup import store_backup
from apps.reports.models import StoredBackup
from apps.reports.tasks import nightly_backups
from apps.trades.models import BrokerAccount, Note, Transaction

NIGHT = datetime(2026, 3, 17, 6, tzinfo=UTC)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return tmp_path


def stored_files(folder) -> list:
    return [path for path in folder.rglob("*") if path.is_file()]


def opt_in(user) -> None:
    user.backup_nightly = True
    user.save(update_fields=["backup_nightly"])


def test_the_profile_turns_nightly_backups_on(user_client, user):
    user_client.post(reverse("accounts:profile"), {"time_zone": "UTC", "backup_nightly": "on"})

    user.refresh_from_db()
    assert user.backup_nightly


def test_nightly_backups_are_off_until_the_trader_turns_them_on(user):
    assert not user.backup_nightly
    assert nightly_backups.call() == 0


def test_a_stored_backup_is_the_same_json_as_the_download(user, history):
    backup = store_backup(user=user)

    stored = json.loads(storages["attachments"].open(backup.file_name).read())
    assert stored["format"] == "tastytrade-tracker-backup"
    assert len(stored["transactions"]) == Transaction.objects.filter(account=history).count()
    assert backup.size == storages["attachments"].size(backup.file_name)


def test_the_nightly_task_backs_up_only_the_traders_who_asked(user, other_user):
    opt_in(user)

    assert nightly_backups.call() == 1
    assert list(StoredBackup.objects.values_list("user", flat=True)) == [user.pk]


def test_the_scheduler_command_writes_them_without_a_worker(user, capsys):
    opt_in(user)

    call_command("queue_nightly_backups")

    assert "Nightly backups written: 1." in capsys.readouterr().out
    assert StoredBackup.objects.filter(user=user).count() == 1


def test_only_the_last_seven_are_kept_files_too(user, private_storage, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for night in range(9):
            with time_machine.travel(NIGHT + timedelta(days=night), tick=False):
                store_backup(user=user)

    kept = list(StoredBackup.objects.filter(user=user))
    assert len(kept) == 7
    assert kept[0].created_at == NIGHT + timedelta(days=8) and kept[-1].created_at == NIGHT + timedelta(days=2)
    assert sorted(p.name for p in stored_files(private_storage)) == sorted(b.file_name.split("/")[-1] for b in kept)


def test_pruning_one_trader_keeps_the_others_backups(user, other_user):
    store_backup(user=other_user)
    for _ in range(8):
        store_backup(user=user)

    assert StoredBackup.objects.filter(user=other_user).count() == 1


def test_the_profile_lists_the_backups_newest_first(user_client, user):
    with time_machine.travel(NIGHT, tick=False):
        older = store_backup(user=user)
    newer = store_backup(user=user)

    response = user_client.get(reverse("accounts:profile"))

    assert response.context["stored_backups"] == [newer, older]
    assert reverse("reports:stored_backup", args=[older.token]) in response.content.decode()


def test_the_owner_downloads_a_stored_backup(user_client, user):
    backup = store_backup(user=user)

    response = user_client.get(reverse("reports:stored_backup", args=[backup.token]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="tastytrade-tracker-backup-')
    assert json.loads(b"".join(response.streaming_content))["user"]["email"] == user.email


def test_another_traders_stored_backup_is_404(other_client, user):
    backup = store_backup(user=user)

    assert other_client.get(reverse("reports:stored_backup", args=[backup.token])).status_code == 404
    restore = reverse("reports:restore_stored_backup", args=[backup.token])
    assert other_client.post(restore, {"confirm": "on"}).status_code == 404


def test_restoring_a_stored_backup_brings_back_the_accounts_as_they_were(user_client, user, history):
    Note.objects.create(account=history, target="position", key="k", text="kept")
    backup = store_backup(user=user)
    BrokerAccount.objects.filter(user=user).delete()

    response = user_client.post(reverse("reports:restore_stored_backup", args=[backup.token]), {"confirm": "on"})

    assert response["Location"] == reverse("accounts:profile") + "#backups"
    account = BrokerAccount.objects.get(user=user)
    assert account.account_number == history.account_number
    assert Note.objects.get(account=account).text == "kept"


def test_a_restore_needs_the_confirmation(user_client, user, history):
    backup = store_backup(user=user)

    user_client.post(reverse("reports:restore_stored_backup", args=[backup.token]), {})

    assert not BrokerAccount.objects.filter(user=user).exclude(pk=history.pk).exists()
    assert not user.pending_restores.exists()


def test_deleting_the_trader_deletes_their_backup_files(user, private_storage, django_capture_on_commit_callbacks):
    store_backup(user=user)

    with django_capture_on_commit_callbacks(execute=True):
        user.delete()

    assert stored_files(private_storage) == []


def test_the_profile_costs_the_same_queries_with_one_or_seven_backups(user_client, user, django_assert_num_queries):
    store_backup(user=user)
    with django_assert_num_queries(5):
        user_client.get(reverse("accounts:profile"))
    for _ in range(6):
        store_backup(user=user)
    with django_assert_num_queries(5):
        user_client.get(reverse("accounts:profile"))


def test_the_profile_shows_a_backups_time_in_the_traders_time_zone(user_client, user):
    with time_machine.travel(NIGHT, tick=False):  # 06:00 UTC is 02:00 in New York (daylight time)
        store_backup(user=user)

    assert "Tue 17 Mar 2026, 02:00" in user_client.get(reverse("accounts:profile")).content.decode()
