"""Uploads and restores cannot exhaust the server: bodies over the limit are refused before they are read,
waiting uploads live in the database with a per-trader cap and an expiry, and an import cut off part way
leaves the ledger and the P&L as they were."""

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from apps.trades import forms, lots
from apps.trades import views as trade_views
from apps.trades.models import Lot, PendingUpload, PnlState, Transaction

SAMPLES = Path(__file__).resolve().parents[2] / "apps" / "trades" / "tests" / "csv_samples"
START = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)


@pytest.fixture
def browser(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def upload(client, name: str = "v3_2026.csv", **fields):
    export = SimpleUploadedFile(name, (SAMPLES / name).read_bytes(), content_type="text/csv")
    return client.post(reverse("trades:import_csv"), {"files": [export], "account_number": "5WT00001", **fields})


def token_of(response) -> str:
    return re.search(r"/trades/import/([\w-]+)/", response.url)[1]


def preview_status(client, token: str) -> int:
    return client.get(reverse("trades:import_preview", args=[token])).status_code


def post_claiming(client, url: str, length: int):
    """A POST whose Content-Length claims ``length`` bytes while only a few are sent: reading the body
    would fail (the test client refuses to read past what was sent), so a 413 means nothing read it."""
    return client.generic(
        "POST", url, b"--x--", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(length)
    )


# -- bodies over the limit -------------------------------------------------------------------------------


def test_a_csv_upload_over_the_limit_is_refused_before_it_is_read(browser):
    response = post_claiming(browser, reverse("trades:import_csv"), forms.MAX_TOTAL_SIZE + 1024 * 1024)

    assert response.status_code == 413
    assert "this page takes at most" in response.content.decode()
    assert not PendingUpload.objects.exists()


def test_an_upload_of_75000_rows_in_tastytrades_1000_row_files_is_taken(browser):
    # 75 files of 1,000 rows at 250 bytes a row, the most an export holds: the body limit and the form let it
    # through to the preview.
    start, end = b"2026-06-01T10:00:00-0400,Money Movement,Dividend,,KO,Equity,", b",1.00,0,,,,,,,,,,,1.00,USD\n"
    row = start + b"x" * (250 - len(start) - len(end)) + end
    header = (SAMPLES / "v3_2026.csv").read_bytes().splitlines(keepends=True)[0]
    content = header + row * 1000
    files = [SimpleUploadedFile(f"part{n:02d}.csv", content, content_type="text/csv") for n in range(75)]

    response = browser.post(reverse("trades:import_csv"), {"files": files, "account_number": "5WT00001"})

    assert response.status_code == 302 and response.url.startswith("/trades/import/")
    assert PendingUpload.objects.get().files.count() == 75


def test_a_backup_over_the_limit_is_refused_before_it_is_read(browser, settings):
    response = post_claiming(browser, reverse("reports:restore"), settings.BACKUP_RESTORE_MAX_BYTES + 1)

    assert response.status_code == 413


def test_any_other_form_over_the_default_limit_is_refused_before_it_is_read(browser, settings):
    response = post_claiming(browser, reverse("accounts:profile"), settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    assert response.status_code == 413


# -- where waiting uploads live, and how many -------------------------------------------------------------


def test_a_waiting_upload_lives_in_the_database_not_the_cache(browser):
    token = token_of(upload(browser))

    cache.clear()  # an evicting cache (Redis under memory pressure) loses nothing

    assert preview_status(browser, token) == 200
    assert PendingUpload.objects.get(token=token).files.count() == 1


def test_a_trader_keeps_at_most_the_newest_waiting_uploads(browser, monkeypatch):
    monkeypatch.setattr(trade_views, "MAX_PENDING_UPLOADS", 2)

    tokens = [token_of(upload(browser)) for _ in range(3)]

    assert [preview_status(browser, token) for token in tokens] == [404, 200, 200]
    assert PendingUpload.objects.count() == 2


def test_a_traders_waiting_uploads_are_capped_in_bytes(browser, monkeypatch):
    size = (SAMPLES / "v3_2026.csv").stat().st_size
    monkeypatch.setattr(trade_views, "MAX_PENDING_SIZE", size * 3 // 2)

    first, second = token_of(upload(browser)), token_of(upload(browser))

    assert (preview_status(browser, first), preview_status(browser, second)) == (404, 200)


def test_another_traders_uploads_do_not_count_against_the_cap(browser, other_client, monkeypatch):
    monkeypatch.setattr(trade_views, "MAX_PENDING_UPLOADS", 1)
    mine = token_of(upload(browser))

    upload(other_client)

    assert preview_status(browser, mine) == 200


def test_an_upload_left_waiting_is_deleted_after_an_hour(browser, other_client):
    with time_machine.travel(START, tick=False):
        token = token_of(upload(browser))
    with time_machine.travel(START + timedelta(minutes=61), tick=False):
        assert preview_status(browser, token) == 404
        upload(other_client)  # any upload clears the expired ones

    assert not PendingUpload.objects.filter(token=token).exists()


# -- an import cut off part way ---------------------------------------------------------------------------


def worker_timeout(**kwargs):
    """What gunicorn's sync worker does when a request outlives --timeout: SystemExit in the request."""
    raise SystemExit(1)


def test_an_import_cut_off_before_its_pnl_leaves_the_ledger_untouched(user_client, monkeypatch):
    token = token_of(upload(user_client))
    monkeypatch.setattr(lots, "recompute_account", worker_timeout)

    user_client.post(reverse("trades:import_confirm", args=[token]))  # the import task fails; the page says so

    assert not Transaction.objects.exists()
    assert PendingUpload.objects.get(token=token).report == ""


def test_an_import_cut_off_can_be_confirmed_again_and_lands_whole_with_its_pnl(user_client, monkeypatch):
    token = token_of(upload(user_client))
    with monkeypatch.context() as patch:
        patch.setattr(lots, "recompute_account", worker_timeout)
        user_client.post(reverse("trades:import_confirm", args=[token]))

    user_client.post(reverse("trades:import_confirm", args=[token]))

    assert Transaction.objects.count() > 0
    assert PnlState.objects.get().transaction_count == Transaction.objects.count()
    assert Lot.objects.exists()


def test_the_cleanup_command_deletes_only_expired_uploads(browser):
    with time_machine.travel(START, tick=False):
        old = token_of(upload(browser))
    with time_machine.travel(START + timedelta(minutes=30), tick=False):
        fresh = token_of(upload(browser))
    with time_machine.travel(START + timedelta(minutes=65), tick=False):
        call_command("clear_pending_uploads", stdout=io.StringIO())

    assert list(PendingUpload.objects.values_list("token", flat=True)) == [fresh]
    assert old != fresh
