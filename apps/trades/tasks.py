"""The trades app's long work as django.tasks: a CSV upload's preview and import, and a full P&L rebuild.

A `db_worker` runs them when TASKS_BACKEND is "database"; with the Immediate backend they run inside the
request that queues them, as before.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.tasks import task

from . import csv_import, lots
from .models import BrokerAccount, PendingFile, PendingUpload

logger = logging.getLogger(__name__)


@contextmanager
def collecting_only_at_the_end() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one task, then let it run as usual.

    Reading a 75,000-row import makes millions of small objects (cells, Decimals, rows, lots, events) that hold
    no reference cycles, so reference counting frees every one of them; the collector would only walk the growing
    heap again and again (a third of the preview's CPU time, bench/import_75k.py) and free nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@task
def apply_import(*, upload_id: int) -> int:
    """Import a confirmed upload's files and recompute the P&L; returns the rows it added.

    One database transaction for every file, the P&L recompute and the stored report: an import cut off
    anywhere (a worker restart, a crash) leaves nothing behind and the upload says it failed, so the trader
    can confirm it again. The row lock makes a second run of this task wait for the first and find its report.
    """
    PendingUpload.objects.filter(pk=upload_id, report="").update(phase=PendingUpload.Phase.IMPORTING)
    try:
        with collecting_only_at_the_end(), transaction.atomic():
            upload = PendingUpload.objects.select_for_update().select_related("user").filter(pk=upload_id).first()
            if upload is None or upload.report:
                return 0
            report = csv_import.import_csv_files(
                user=upload.user,
                account_number=upload.account_number,
                files=[
                    csv_import.stored_file(f.name, bytes(f.content), bytes(f.parsed) if f.parsed else None)
                    for f in upload.files.all()
                ],
                skip_bad_rows=upload.skip_bad_rows,
            )
            upload.report = json.dumps(dataclasses.asdict(report), cls=DjangoJSONEncoder)
            upload.phase = PendingUpload.Phase.WAITING
            upload.save(update_fields=["report", "phase"])
            upload.files.all().delete()  # the bytes are not needed any more
    except BaseException:  # a worker's shutdown too (SystemExit): the transaction is rolled back either way
        logger.exception("CSV import of upload %s failed; nothing was imported", upload_id)
        PendingUpload.objects.filter(pk=upload_id, report="").update(phase=PendingUpload.Phase.FAILED)
        raise
    return report.new


@task
def preview_upload(*, upload_id: int, skip_bad_rows: bool) -> None:
    """Read and check every row of an upload, writing nothing, and keep the report for the preview page and
    what it read of each file for the import (parsed once: the import takes the rows from there)."""
    upload = PendingUpload.objects.select_related("user").filter(pk=upload_id).first()
    if upload is None:
        return
    stored = list(upload.files.all())
    kept: dict[int, csv_import.ParsedFile] = {}  # each file's reading: stored for the import once the preview is

    with collecting_only_at_the_end():
        report = csv_import.preview(
            user=upload.user,
            account_number=upload.account_number,
            files=[
                csv_import.stored_file(f.name, bytes(f.content), bytes(f.parsed) if f.parsed else None) for f in stored
            ],
            skip_bad_rows=skip_bad_rows,
            keep_parsed=kept.__setitem__,
        )
    # Only if the trader has not asked for the other kind of preview meanwhile.
    PendingUpload.objects.filter(pk=upload_id, previewed_skipping=skip_bad_rows, report="").update(
        preview=json.dumps(dataclasses.asdict(report), cls=DjangoJSONEncoder)
    )
    # The page waits for the preview, not for this. A worker runs one task at a time, so an import confirmed
    # meanwhile starts after this and finds the readings; one that another worker starts first reads the files.
    with collecting_only_at_the_end():
        for index, parsed in kept.items():
            stored[index].parsed = csv_import.dump_parsed(parsed, tz=upload.user.tz)
    PendingFile.objects.bulk_update([stored[index] for index in kept], ["parsed"])  # one query for every file


@task
def rebuild_pnl(*, account_id: int) -> None:
    """Recompute one account's P&L from its first transaction (after a restore, or on request)."""
    account = BrokerAccount.objects.filter(pk=account_id).first()
    if account is not None:
        with collecting_only_at_the_end():
            lots.recompute_account(account=account, full=True)
