"""A confirmed CSV import runs as a task: with a worker the confirmation only queues it and a progress page
follows it; without one (the Immediate backend) it runs in the request, as before."""

import gc
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from apps.trades import csv_import, lots
from apps.trades.models import BrokerAccount, Lot, PendingFile, PendingUpload, PnlState, Transaction
from apps.trades.tasks import collecting_only_at_the_end, rebuild_pnl

SAMPLES = Path(__file__).resolve().parent / "csv_samples"


@pytest.fixture
def worker_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def upload(client, name: str = "v3_2026.csv") -> str:
    export = SimpleUploadedFile(name, (SAMPLES / name).read_bytes(), content_type="text/csv")
    response = client.post(reverse("trades:import_csv"), {"files": [export], "account_number": "5WT00001"})
    return re.search(r"/trades/import/([\w-]+)/", response.url)[1]


def confirm(client, token: str):
    return client.post(reverse("trades:import_confirm", args=[token]))


def import_tasks():
    """The queued imports (an upload queues its preview too)."""
    return DBTaskResult.objects.filter(task_path="apps.trades.tasks.apply_import")


def run_worker() -> None:
    # In the test's transaction db_worker's own connection check would close the connection: call its pieces.
    for result in DBTaskResult.objects.ready():
        result.claim("test-worker")
        result.set_successful(result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"]))


def test_with_a_worker_confirming_only_queues_the_import(user_client, worker_queue):
    confirm(user_client, upload(user_client))
    assert import_tasks().count() == 1
    assert not Transaction.objects.exists()


def test_with_a_worker_the_result_page_shows_a_progress_bar_until_the_import_is_done(user_client, worker_queue):
    token = upload(user_client)
    confirm(user_client, token)
    response = user_client.get(reverse("trades:import_result", args=[token]))
    assert b'class="progress"' in response.content and b"Queued" in response.content


def test_the_worker_imports_the_rows_and_the_page_then_shows_the_report(user_client, worker_queue):
    token = upload(user_client)
    confirm(user_client, token)
    run_worker()
    assert Transaction.objects.exists()
    assert b"Import finished" in user_client.get(reverse("trades:import_result", args=[token])).content


def test_the_progress_says_done_once_the_worker_has_imported(user_client, worker_queue):
    token = upload(user_client)
    confirm(user_client, token)
    run_worker()
    progress = user_client.get(reverse("trades:import_status", args=[token])).json()
    assert (progress["done"], progress["percent"], progress["reload"]) == (True, 100, True)


def test_another_users_import_progress_is_404(user_client, other_client, worker_queue):
    token = upload(user_client)
    confirm(user_client, token)
    assert other_client.get(reverse("trades:import_status", args=[token])).status_code == 404


def test_a_second_import_waits_until_the_first_has_finished(user_client, worker_queue):
    first, second = upload(user_client), upload(user_client, "v2_2024.csv")
    confirm(user_client, first)
    confirm(user_client, second)
    assert PendingUpload.objects.get(token=second).phase == PendingUpload.Phase.WAITING
    assert import_tasks().count() == 1


def test_a_second_click_on_confirm_queues_nothing_more(user_client, worker_queue):
    token = upload(user_client)
    confirm(user_client, token)
    confirm(user_client, token)
    assert import_tasks().count() == 1


def test_a_failed_import_says_so_and_leaves_nothing(user_client, monkeypatch):
    token = upload(user_client)
    monkeypatch.setattr(lots, "recompute_account", lambda **kwargs: 1 / 0)
    confirm(user_client, token)
    progress = user_client.get(reverse("trades:import_status", args=[token])).json()
    assert (progress["done"], progress["failed"]) == (True, True)
    assert not Transaction.objects.exists()


def test_without_a_worker_the_confirmation_imports_in_the_request(user_client):
    token = upload(user_client)
    response = user_client.post(reverse("trades:import_confirm", args=[token]), follow=True)
    assert b"Import finished" in response.content and Transaction.objects.exists()


def test_with_a_worker_the_upload_queues_the_preview_before_its_page_is_asked_for(user_client, worker_queue):
    upload(user_client)
    assert DBTaskResult.objects.get().task_path == "apps.trades.tasks.preview_upload"


def test_with_a_worker_the_preview_is_read_by_a_task_while_a_progress_bar_shows(user_client, worker_queue):
    token = upload(user_client)
    response = user_client.get(reverse("trades:import_preview", args=[token]))
    assert b'class="progress"' in response.content and b"Reading and checking every row" in response.content
    assert DBTaskResult.objects.get().task_path == "apps.trades.tasks.preview_upload"


def test_the_preview_shows_once_the_worker_has_read_the_files(user_client, worker_queue):
    token = upload(user_client)
    user_client.get(reverse("trades:import_preview", args=[token]))
    run_worker()
    response = user_client.get(reverse("trades:import_preview", args=[token]))
    assert b"Preview import" in response.content and b"Nothing has been written yet" in response.content
    assert not Transaction.objects.exists()


def test_asking_for_the_preview_again_reads_the_files_only_once(user_client, worker_queue):
    token = upload(user_client)
    user_client.get(reverse("trades:import_preview", args=[token]))
    user_client.get(reverse("trades:import_preview", args=[token]))
    assert DBTaskResult.objects.count() == 1


def test_a_preview_that_skips_bad_rows_is_read_again(user_client, worker_queue):
    token = upload(user_client)
    user_client.get(reverse("trades:import_preview", args=[token]))
    run_worker()
    user_client.get(reverse("trades:import_preview", args=[token]), {"skip_bad_rows": "true"})
    assert DBTaskResult.objects.filter(args_kwargs__kwargs__skip_bad_rows=True).count() == 1


def test_the_progress_says_when_the_preview_is_ready(user_client, worker_queue):
    token = upload(user_client)
    user_client.get(reverse("trades:import_preview", args=[token]))
    run_worker()
    progress = user_client.get(reverse("trades:import_status", args=[token])).json()
    assert (progress["done"], progress["reload"], progress["phase"]) == (True, True, "Preview ready")


def test_the_full_pnl_rebuild_task_rebuilds_an_accounts_lots_from_its_transactions(user_client):
    confirm(user_client, upload(user_client))
    lots_before = Lot.objects.count()
    Lot.objects.all().delete()
    PnlState.objects.all().delete()
    rebuild_pnl.enqueue(account_id=BrokerAccount.objects.get().pk)
    assert Lot.objects.count() == lots_before > 0
    assert PnlState.objects.get().transaction_count == Transaction.objects.count()


def test_while_importing_the_progress_counts_the_rows_the_preview_found(user_client, worker_queue):
    token = upload(user_client)
    user_client.get(reverse("trades:import_preview", args=[token]))
    run_worker()
    confirm(user_client, token)
    PendingUpload.objects.filter(token=token).update(phase=PendingUpload.Phase.IMPORTING)
    progress = user_client.get(reverse("trades:import_status", args=[token])).json()
    assert progress["message"] == "Importing 12 rows (12 new) and recomputing your P&L in one step."


# -- parsed once -------------------------------------------------------------------------------


def test_the_import_takes_the_rows_the_preview_read_without_reading_the_file_again(user_client, monkeypatch):
    token = upload(user_client)
    assert user_client.get(reverse("trades:import_preview", args=[token])).status_code == 200
    assert PendingFile.objects.get(upload__token=token).parsed

    def no_second_reading(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(csv_import, "parse_file", no_second_reading)
    confirm(user_client, token)
    assert Transaction.objects.count() == 12


def test_the_preview_is_stored_before_the_readings_are_kept_for_the_import(user_client, worker_queue, monkeypatch):
    token = upload(user_client)
    seal = csv_import.seal_parsed
    previews_when_sealing = []

    def spy(pickled: bytes) -> bytes:
        previews_when_sealing.append(bool(PendingUpload.objects.get(token=token).preview))
        return seal(pickled)

    monkeypatch.setattr(csv_import, "seal_parsed", spy)
    run_worker()
    assert previews_when_sealing == [True]
    assert PendingFile.objects.get(upload__token=token).parsed


def test_a_task_pauses_the_garbage_collector_and_turns_it_back_on_even_when_it_fails():
    during = []
    with pytest.raises(RuntimeError), collecting_only_at_the_end():
        during.append(gc.isenabled())
        raise RuntimeError("the task failed")
    assert (during, gc.isenabled()) == ([False], True)


def test_a_garbage_collector_turned_off_before_a_task_stays_off():
    gc.disable()
    try:
        with collecting_only_at_the_end():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
