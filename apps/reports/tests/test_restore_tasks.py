"""A backup restore runs as a task: with a worker the upload only queues it and a progress page follows it;
without one (the Immediate backend) it runs in the request and the reports page says how it went."""

import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.reports.models import PendingRestore
from apps.trades.models import BrokerAccount, Transaction


@pytest.fixture
def worker_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def backup_file() -> SimpleUploadedFile:
    content = {
        "format": "tastytrade-tracker-backup",
        "version": 1,
        "broker_accounts": [{"id": 1, "account_number": "5WT00001", "nickname": "Individual"}],
    }
    return SimpleUploadedFile("backup.json", json.dumps(content).encode(), content_type="application/json")


def post_restore(client):
    return client.post(reverse("reports:restore"), {"backup": backup_file(), "confirm": "on"})


def run_worker() -> None:
    for result in DBTaskResult.objects.ready():
        result.claim("test-worker")
        result.set_successful(result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"]))


def test_with_a_worker_a_restore_is_only_queued_and_the_page_follows_it(user_client, worker_queue):
    response = post_restore(user_client)
    pending = PendingRestore.objects.get()
    assert response["Location"] == reverse("reports:restore_progress", args=[pending.pk])
    assert DBTaskResult.objects.get().task_path == "apps.reports.tasks.restore"
    assert not BrokerAccount.objects.exists()


def test_the_progress_page_shows_a_progress_bar(user_client, worker_queue):
    post_restore(user_client)
    response = user_client.get(reverse("reports:restore_progress", args=[PendingRestore.objects.get().pk]))
    assert b'class="progress"' in response.content and b"Queued" in response.content


def test_the_worker_restores_and_the_progress_says_so_in_words(user_client, worker_queue):
    post_restore(user_client)
    run_worker()
    progress = user_client.get(reverse("reports:restore_status", args=[PendingRestore.objects.get().pk])).json()
    assert (progress["done"], progress["message"]) == (True, "Restored 1 account(s) with 0 transactions.")
    assert BrokerAccount.objects.filter(account_number="5WT00001").exists()


def test_the_backup_file_is_dropped_once_restored(user_client, worker_queue):
    post_restore(user_client)
    run_worker()
    assert bytes(PendingRestore.objects.get().content) == b""


def test_a_second_restore_waits_until_the_first_has_finished(user_client, worker_queue):
    post_restore(user_client)
    post_restore(user_client)
    assert PendingRestore.objects.count() == 1 and DBTaskResult.objects.count() == 1


def test_a_bad_backup_restores_nothing_and_says_why(user_client, worker_queue):
    bad = SimpleUploadedFile("backup.json", b"not json", content_type="application/json")
    user_client.post(reverse("reports:restore"), {"backup": bad, "confirm": "on"})
    run_worker()
    progress = user_client.get(reverse("reports:restore_status", args=[PendingRestore.objects.get().pk])).json()
    assert progress["failed"] and progress["message"].startswith("Nothing was restored: This file is not JSON")
    assert not Transaction.objects.exists()


def test_another_users_restore_progress_is_404(user_client, other_client, worker_queue):
    post_restore(user_client)
    pk = PendingRestore.objects.get().pk
    assert other_client.get(reverse("reports:restore_status", args=[pk])).status_code == 404
    assert other_client.get(reverse("reports:restore_progress", args=[pk])).status_code == 404


def test_without_a_worker_the_restore_runs_in_the_request(user_client):
    response = user_client.post(reverse("reports:restore"), {"backup": backup_file(), "confirm": "on"}, follow=True)
    assert b"Restored 1 account(s) with 0 transactions." in response.content


def test_the_cleanup_command_deletes_restores_older_than_a_day_and_keeps_newer_ones(user, other_user):
    PendingRestore.objects.create(user=user, content=b"{}", created_at=timezone.now() - timedelta(days=2))
    recent = PendingRestore.objects.create(user=other_user, content=b"{}")
    call_command("clear_pending_restores", stdout=io.StringIO())
    assert list(PendingRestore.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_new_restore_deletes_restores_older_than_a_day(user_client, other_user, worker_queue):
    stale = PendingRestore.objects.create(user=other_user, content=b"{}", created_at=timezone.now() - timedelta(days=2))
    post_restore(user_client)
    assert not PendingRestore.objects.filter(pk=stale.pk).exists()
    assert PendingRestore.objects.count() == 1
