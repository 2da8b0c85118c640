"""A full JSON backup of one user's data, and the restore that reproduces it.

The file is one JSON object:

    {"format": "tastytrade-tracker-backup", "version": 1, "created_at": "...",
     "user": {"email": "...", "time_zone": "America/New_York"},
     "broker_accounts": [{"id": 7, "account_number": "5WT00001", ...}],
     "transactions": [{"id": 91, "account": 7, "reverses": null, "raw": {...}, ...}],
     "position_snapshots": [...], "balance_snapshots": [...], "net_liq_points": [...],
     "tags": [...], "notes": [...], "strategy_overrides": [...], "chain_edits": [...],
     "journal_days": [{"id": 3, "day": "2026-03-16", "text": "...", "mood": 4, "discipline": null, ...}]}

Each table lists every column of its model except the database's own bookkeeping (creation and
update times of ledger rows, which a restore stamps anew; the user's tags, notes and edits keep
theirs). "id" is the row's id in the backup; "account" and same-table links (a transaction's
"reverses") refer to those ids, and a restore maps them to the new rows. Decimals are strings,
times ISO 8601 with their offset. Tables a restore does not know are skipped, and a table missing
from an older file restores as empty, so a new table is one more line in ACCOUNT_TABLES. The P&L
engine's results are not in the file: a restore rebuilds them from the transactions.

The journal's days belong to the trader, not to an account: a restore writes each day of the backup over the
trader's own entry for that day (its screenshots stay) and leaves the other days alone. Screenshots themselves
are images in the private storage and are not in the file.

Never in a backup: connections and their credentials (TastyTrade client secrets and refresh
tokens), sync runs and checkpoints. A restored account keeps the connection it already had, if any.
"""

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.core.validators import ProhibitNullCharactersValidator
from django.db import DatabaseError, models, transaction
from django.utils import timezone

from apps.journal.models import JournalDay
from apps.reports.models import StoredBackup
from apps.trades import lots
from apps.trades.models import (
    BalanceSnapshot,
    BrokerAccount,
    ChainEdit,
    NetLiqPoint,
    Note,
    PositionSnapshot,
    StrategyOverride,
    Tag,
    Transaction,
)

FORMAT = "tastytrade-tracker-backup"
VERSION = 1
BATCH = 1000


class BackupError(Exception):
    """The file is not a backup this version can restore; the message says why, for the user."""


@dataclass(frozen=True)
class Table:
    name: str
    model: type[models.Model]
    # The user's own notes keep their dates; for ledger rows the dates are only our bookkeeping.
    keep_timestamps: bool = False

    def fields(self) -> list[models.Field]:
        """The columns a backup carries: all but the id, the owner links and (mostly) the automatic timestamps."""
        skipped = {"id", "user", "connection", "account"}
        return [
            field
            for field in self.model._meta.concrete_fields
            if field.name not in skipped and (self.keep_timestamps or not self.is_timestamp(field))
        ]

    def timestamps(self) -> list[models.Field]:
        return [field for field in self.fields() if self.is_timestamp(field)]

    @staticmethod
    def is_timestamp(field: models.Field) -> bool:
        return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)

    def self_links(self) -> list[models.ForeignKey]:
        """Links between rows of this table (a transaction "reverses" another), mapped to new ids on restore.

        Links to other tables would need their own mapping; a test checks that there are none.
        """
        return [field for field in self.fields() if field.is_relation and field.related_model is self.model]


ACCOUNTS = Table("broker_accounts", BrokerAccount)
# Rows that belong to a broker account, restored in this order. The P&L engine's own tables (lots,
# events, positions, chains) are not here: a restore rebuilds them from the transactions. What the
# user said about them (tags, notes, strategy overrides, chain edits) is keyed by stable keys and is.
ACCOUNT_TABLES = [
    Table("transactions", Transaction),
    Table("position_snapshots", PositionSnapshot),
    Table("balance_snapshots", BalanceSnapshot),
    Table("net_liq_points", NetLiqPoint),
    Table("tags", Tag, keep_timestamps=True),
    Table("notes", Note, keep_timestamps=True),
    Table("strategy_overrides", StrategyOverride, keep_timestamps=True),
    Table("chain_edits", ChainEdit, keep_timestamps=True),
]

# The trader's own rows, not an account's.
JOURNAL_DAYS = Table("journal_days", JournalDay, keep_timestamps=True)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_value, ensure_ascii=False, separators=(",", ":"))


def _table_json(table: Table, rows: models.QuerySet) -> Iterator[str]:
    owner = [("account", "account_id")] if table in ACCOUNT_TABLES else []
    names, columns = zip(*[("id", "id"), *owner, *((f.name, f.attname) for f in table.fields())], strict=True)
    yield f',\n"{table.name}":['
    separator = "\n"
    for values in rows.order_by("pk").values_list(*columns).iterator(chunk_size=BATCH):
        yield separator + _dumps(dict(zip(names, values, strict=True)))
        separator = ",\n"
    yield "]"


def iter_backup(user) -> Iterator[str]:
    """The backup as chunks of JSON text, written as the rows are read (a big ledger never sits in memory)."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": timezone.now(),
        "user": {"email": user.email, "time_zone": user.time_zone},
    }
    yield _dumps(header)[:-1]  # the object stays open for the tables
    yield from _table_json(ACCOUNTS, BrokerAccount.objects.filter(user=user))
    for table in ACCOUNT_TABLES:
        yield from _table_json(table, table.model.objects.filter(account__user=user))
    yield from _table_json(JOURNAL_DAYS, JournalDay.objects.filter(user=user))
    yield "}\n"


def read_backup(stream: IO) -> dict:
    """Parse and check a backup file's envelope."""
    try:
        backup = json.load(stream)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: "[[[[..." nested too deep
        raise BackupError("This file is not JSON, so it is not a backup made here.") from exc
    if not isinstance(backup, dict) or backup.get("format") != FORMAT:
        raise BackupError("This JSON file is not a TastyTrade Tracker backup.")
    if not isinstance(backup.get("version"), int) or backup["version"] > VERSION:
        raise BackupError(f"This backup is version {backup.get('version')!r}; this site reads up to {VERSION}.")
    for table in [ACCOUNTS, *ACCOUNT_TABLES, JOURNAL_DAYS]:
        rows = backup.get(table.name, [])
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise BackupError(f"The backup's {table.name} is not a list of rows.")
    return backup


def store_backup(*, user) -> StoredBackup:
    """Write the user's backup to the private storage (spooled through a temporary file, never whole in memory)
    and keep only their last StoredBackup.KEEP; older ones go, files too."""
    backup = StoredBackup(user=user, created_at=timezone.now())
    name = f"backups/{user.pk}/{backup.created_at:%Y-%m-%d}-{backup.token.hex}.json"
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        for chunk in iter_backup(user):
            spool.write(chunk.encode())
        backup.size = spool.tell()
        spool.seek(0)
        backup.file_name = storages["attachments"].save(name, File(spool))
    try:
        backup.save()
    except BaseException:
        storages["attachments"].delete(backup.file_name)
        raise
    kept = StoredBackup.objects.filter(user=user).values_list("pk", flat=True)[: StoredBackup.KEEP]
    for old in StoredBackup.objects.filter(user=user).exclude(pk__in=list(kept)):
        old.delete()  # its file goes once committed (apps/reports/apps.py)
    return backup


def read_stored_backup(backup: StoredBackup) -> bytes:
    with storages["attachments"].open(backup.file_name) as stored:
        return stored.read()


@dataclass(frozen=True)
class RestoreSummary:
    accounts: int
    rows: dict[str, int]


@transaction.atomic
def restore_backup(*, user, backup: dict) -> RestoreSummary:
    """Make the user's copy of every account in the backup what the backup says, all or nothing.

    An account the user already has (same account number) keeps its row and connection; its ledger
    rows are replaced by the backup's. Accounts that are not in the backup are left alone.
    """
    accounts: dict[Any, BrokerAccount] = {}
    for row in backup.get(ACCOUNTS.name, []):
        values = _field_values(ACCOUNTS, row)
        number = values.pop("account_number", None)
        if not number:
            raise BackupError("An account in the backup has no account number.")
        account, created = BrokerAccount.objects.get_or_create(user=user, account_number=number, defaults=values)
        if not created:
            for table in reversed(ACCOUNT_TABLES):
                table.model.objects.filter(account=account).delete()
            BrokerAccount.objects.filter(pk=account.pk).update(**values)
        accounts[row.get("id")] = account
    counts = {table.name: _restore_table(table, backup.get(table.name, []), accounts) for table in ACCOUNT_TABLES}
    counts[JOURNAL_DAYS.name] = _restore_journal_days(user, backup.get(JOURNAL_DAYS.name, []))
    for account in accounts.values():
        lots.recompute_account(account=account, full=True)  # every transaction is new: rebuild the P&L
    return RestoreSummary(accounts=len(accounts), rows=counts)


def _restore_table(table: Table, rows: list[dict], accounts: dict[Any, BrokerAccount]) -> int:
    self_links = table.self_links()
    objects, links, timestamps = [], [], []  # links: per row, the backup ids its same-table links point at
    for row in rows:
        if row.get("account") not in accounts:
            raise BackupError(f"A row of {table.name} belongs to an account the backup does not list.")
        values = _field_values(table, row)
        links.append({field.attname: values.pop(field.name, None) for field in self_links})
        timestamps.append({field.name: values[field.name] for field in table.timestamps() if values.get(field.name)})
        objects.append(table.model(account=accounts[row["account"]], **values))
    try:
        created = table.model.objects.bulk_create(objects, batch_size=BATCH)
    except DatabaseError as exc:
        raise BackupError(f"The backup's {table.name} do not fit this database: {exc}") from exc
    new_ids = {row.get("id"): obj.pk for row, obj in zip(rows, created, strict=True)}
    linked = []
    for obj, targets in zip(created, links, strict=True):
        if any(target is not None for target in targets.values()):
            for attname, target in targets.items():
                setattr(obj, attname, new_ids.get(target))
            linked.append(obj)
    if linked:
        table.model.objects.bulk_update(linked, [field.attname for field in self_links], batch_size=BATCH)
    if table.timestamps():
        # Inserting stamps "now" on automatic dates; put back the ones the backup carries.
        for obj, stamps in zip(created, timestamps, strict=True):
            for name, value in stamps.items():
                setattr(obj, name, value)
        names = [field.name for field in table.timestamps()]
        table.model.objects.bulk_update(created, names, batch_size=BATCH)
    return len(created)


def _restore_journal_days(user, rows: list[dict]) -> int:
    """Each day of the backup over the trader's entry for that day (kept, with its screenshots, if there is one)."""
    for row in rows:
        values = _field_values(JOURNAL_DAYS, row)
        day = values.pop("day", None)
        if day is None:
            raise BackupError("A journal day in the backup has no date.")
        entry, _ = JournalDay.objects.update_or_create(user=user, day=day, defaults=values)
        # Saving stamps "now"; put back the dates the backup carries, as for notes.
        JournalDay.objects.filter(pk=entry.pk).update(**{k: v for k, v in values.items() if k.endswith("_at") and v})
    return len(rows)


def _field_values(table: Table, row: dict) -> dict[str, Any]:
    """The row's known columns, parsed the way the model field parses form input."""
    values = {}
    for field in table.fields():
        if field.name not in row:
            continue
        raw = row[field.name]
        if field.is_relation:
            values[field.name] = raw  # an id within the backup, mapped after insert
            continue
        try:
            # clean(), not only to_python(): lengths, digits and choices are checked here, so a bad value is
            # refused in words on every database (SQLite would store it; PostgreSQL would fail mid-restore).
            values[field.name] = raw if raw is None or isinstance(field, models.JSONField) else field.clean(raw, None)
            if isinstance(values[field.name], str):
                ProhibitNullCharactersValidator()(values[field.name])  # PostgreSQL cannot store NUL in text
        except (ValidationError, TypeError, ValueError) as exc:
            raise BackupError(f"{table.name}: {field.name} has a value this site cannot read: {raw!r}") from exc
    return values
