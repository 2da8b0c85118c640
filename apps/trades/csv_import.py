"""Import TastyTrade's transaction-history CSV exports into the same ledger as the API sync.

Three header versions exist (docs/tastytrade-api.md#csv-exports) and are told apart by the header row alone:
the legacy 15-column tastyworks export, the 20-column 2024 export and the 21-column export with
`Total` (2025 on). Rows become `Transaction`s with source="csv" and no TastyTrade id.

What the formats allow, and where it goes:
* Amounts are signed from the account's point of view (cash in positive), charges negative.
* v2/v3 `Commissions` -> `commission`; v2/v3 `Fees` (the export's sum of clearing, regulatory and
  index-option fees) -> `other_charge`, because the CSV cannot say which is which.
* Legacy `Fees` is one positive number for commission and fees together (three decimals,
  e.g. 1.152); it is stored negated in `other_charge` and `commission` stays 0, so a commission
  report never counts an unknown mix. `Transaction.fees` and `net_value` are right either way.
* `net_value` is v3's `Total` as the broker wrote it (a disagreement with Value + Commissions +
  Fees is reported as a data issue), v2's Value + Commissions + Fees, legacy's Amount - Fees.
* Option expiry, strike and call/put come from the option symbol, never from the Expiration Date
  column, which follows the exporting browser's time zone and can be a day off. Legacy rows carry
  only the root, so their OCC symbol is rebuilt from the separate columns.
* v2/v3 times carry their own UTC offset (`+0200`, no colon). Legacy times have none and are
  read in the importing user's time zone, which the report says.

Dedup: a row is already present when the account holds a row with the same `match_key` (UTC
minute, type, symbol, side, quantity and value: what the API and all three formats carry) and
charges that agree to the cent, whichever source or format brought it. Identical fills in one
minute pair one for one: a file with three where the ledger holds two adds one (the last in
execution order).
Each written row also gets `import_key`, a SHA-256 of its fields plus its occurrence number among
identical rows of the file, which the database keeps unique per account against a racing import.
Rows are written in the order the broker executed them (exports list the newest first), so rows
sharing a timestamp reach the P&L engine in execution order.

Every file lands whole or not at all (one database transaction per file); bad rows are reported
with line, column and value, and are left out only when the caller says `skip_bad_rows`.
"""

from __future__ import annotations

import codecs
import copy
import csv
import functools
import gzip
import hashlib
import hmac
import io
import itertools
import logging
import operator
import pickle
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from apps.core.money import ZERO
from apps.trades import bulk, lots
from apps.trades.models import (
    OPTION_TYPES,
    BrokerAccount,
    InstrumentType,
    LedgerMatch,
    Transaction,
    fill_key,
    match_key,
    money_movement_sub_type,
    pop_match,
)
from apps.trades.symbols import OptionSymbol, canonical_symbol, parse_option_symbol, underlying_of

NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")

logger = logging.getLogger(__name__)

LEGACY, V2, V3 = "legacy", "v2", "v3"
V2_COLUMNS = [
    "Date",
    "Type",
    "Sub Type",
    "Action",
    "Symbol",
    "Instrument Type",
    "Description",
    "Value",
    "Quantity",
    "Average Price",
    "Commissions",
    "Fees",
    "Multiplier",
    "Root Symbol",
    "Underlying Symbol",
    "Expiration Date",
    "Strike Price",
    "Call or Put",
    "Order #",
    "Currency",
]
HEADERS = {
    LEGACY: [
        "Date/Time",
        "Transaction Code",
        "Transaction Subcode",
        "Symbol",
        "Buy/Sell",
        "Open/Close",
        "Quantity",
        "Expiration Date",
        "Strike",
        "Call/Put",
        "Price",
        "Fees",
        "Amount",
        "Description",
        "Account Reference",
    ],
    V2: V2_COLUMNS,
    V3: [*V2_COLUMNS[:-1], "Total", "Currency"],
}
FORMAT_NAMES = {
    LEGACY: "legacy tastyworks export (15 columns)",
    V2: "2024 export (20 columns)",
    V3: "2025 export with Total (21 columns)",
}

# One object for the multiplier most rows share: the kept reading's pickle writes a shared value once.
HUNDRED, ONE = Decimal(100), Decimal(1)
CASH_SETTLEMENTS = {"Cash Settled Assignment", "Cash Settled Exercise"}
# Ledger limits (apps/trades/models.py): MONEY has 4 decimals, QUANTITY and PRICE 8.
MONEY_PLACES, QUANTITY_PLACES = 4, 8
MONEY_LIMIT, QUANTITY_LIMIT = Decimal(10) ** 14, Decimal(10) ** 16
TEXT_LIMITS = {
    "transaction_type": 40,
    "transaction_sub_type": 60,
    "action": 20,
    "symbol": 64,
    "underlying_symbol": 32,
    "instrument_type": 32,
    "currency": 8,
}

AMOUNT_RE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$")
FILL_PRICE_RE = re.compile(r"@\s*(?P<price>\d[\d,]*(?:\.\d+)?)\s*$")
# "tastytrade_transactions_history_x5WT00001_240101_to_241231.csv"
FILE_NAME_ACCOUNT_RE = re.compile(r"_x(?P<account>[A-Za-z0-9]+)_\d{6}_to_\d{6}")


@dataclass(frozen=True)
class CsvFile:
    name: str
    content: bytes
    compressed: bool = False  # gzip, as an upload waits in the database (see `compress`)
    parsed: bytes | None = None  # the preview's reading of it (`dump_parsed`), so the import does not read it again


LONE_CR = re.compile(r"(?<=\r)(?!\n)")
GZIP_MAGIC = b"\x1f\x8b"  # no CSV text starts with these bytes


def compress(chunks: Iterable[bytes]) -> bytes:
    """An uploaded file as gzip, read chunk by chunk: the request never holds the whole file as one string,
    and an upload waits in the database (PendingFile, shared by every web and worker dyno) at about a fifth of
    its size. Level 1: 20 MB of exports compress in about 0.1 s, barely larger than at level 6."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)  # wbits 31: a gzip header and trailer
    parts = [compressor.compress(chunk) for chunk in chunks]
    parts.append(compressor.flush())
    return b"".join(parts)


def stored_file(name: str, content: bytes, parsed: bytes | None = None) -> CsvFile:
    """A file as an upload stored it: gzip since uploads were compressed, plain bytes before that."""
    return CsvFile(name=name, content=content, compressed=content[:2] == GZIP_MAGIC, parsed=parsed)


class UnreadableLine(Exception):
    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


def _lines(csv_file: CsvFile) -> Iterator[str]:
    """The file's lines as text, one at a time (never the whole file at once), for the csv reader.

    Decoded line by line, so a byte that is not UTF-8 is reported on its line."""
    raw = io.BytesIO(csv_file.content)
    stream = gzip.GzipFile(fileobj=raw) if csv_file.compressed else raw
    first = stream.readline().removeprefix(codecs.BOM_UTF8)
    for number, line in enumerate(itertools.chain([first], stream), start=1):
        try:
            text = line.decode()
        except UnicodeDecodeError:
            raise UnreadableLine(number) from None
        # A lone carriage return ends a line too (old Mac files), as in text mode.
        if "\r" in text and "\r" in text[:-2]:
            yield from (part for part in LONE_CR.split(text) if part)
        else:
            yield text


@dataclass(frozen=True)
class RowProblem:
    """Something wrong (or worth knowing) about one cell: line 1 is the header."""

    line: int
    column: str
    value: str
    message: str


@dataclass
class FileReport:
    name: str
    format: str = ""  # LEGACY, V2 or V3; empty when the file was not recognised
    rows: int = 0
    new: int = 0
    already_present: int = 0
    # Why rows were already present -> how many. A plain dict: dataclasses.asdict (the stored report) turns a
    # Counter's items into keys.
    present_reasons: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    refused: str = ""  # why nothing from this file lands; empty when it does
    problems: list[RowProblem] = field(default_factory=list)  # bad rows
    data_issues: list[RowProblem] = field(default_factory=list)  # rows kept, but worth a look
    notes: list[str] = field(default_factory=list)
    # The first rows the import would add (or added), as text for the preview: stored as JSON with the report.
    sample: list[dict[str, str]] = field(default_factory=list)

    @property
    def format_name(self) -> str:
        return FORMAT_NAMES.get(self.format, "unrecognised")

    @property
    def lands(self) -> bool:
        return not self.refused

    @property
    def present_lines(self) -> list[str]:
        """ "12 imported before from the 2024 export (20 columns)", most first."""
        ranked = sorted(self.present_reasons.items(), key=lambda item: -item[1])
        return [f"{count} {reason}" for reason, count in ranked]


@dataclass
class ImportReport:
    account_number: str
    account_exists: bool
    committed: bool  # False for a preview
    files: list[FileReport] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(f.new for f in self.files)

    @property
    def already_present(self) -> int:
        return sum(f.already_present for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def refused_files(self) -> list[FileReport]:
        return [f for f in self.files if f.refused]

    @property
    def has_bad_rows(self) -> bool:
        return any(f.problems for f in self.files)


class _RowTable:
    """Rows of one file read without a problem, column by column: each field a list over the rows, and each
    row's CSV cells joined by NUL, from which its `raw` is made when it is written. No row read without a problem
    has a NUL in a cell (`_Cells` reports one), so the cells come back whole. One list per field, not one dict
    per row: the preview's 75,000 rows were a third of its time in making, keeping and freeing those dicts."""

    __slots__ = ("columns", "csv_format", "raw_texts")

    def __init__(self, csv_format: str, columns: dict[str, list], raw_texts: list[str]):
        self.csv_format, self.columns, self.raw_texts = csv_format, columns, raw_texts

    def append(self, fields: dict, raw_text: str) -> int:
        """Add one row's fields (the row reader's dict); returns its index."""
        if not self.columns:
            self.columns = {name: [] for name in fields}
        if fields.keys() != self.columns.keys():
            raise ValueError("the rows of one file have different fields")  # never: one parser made them all
        for name, value in fields.items():
            self.columns[name].append(value)
        self.raw_texts.append(raw_text)
        return len(self.raw_texts) - 1

    def raw(self, index: int) -> dict:
        """What `Transaction.raw` keeps of a CSV row: its format and its cells under the format's header."""
        cells = self.raw_texts[index].split("\x00")
        return {"csv_format": self.csv_format, "row": dict(zip(HEADERS[self.csv_format], cells, strict=True))}


class _RowFields(MutableMapping):
    """One row's fields, read from and written to its file's columns (and its `raw`, made when asked)."""

    __slots__ = ("index", "table")

    def __init__(self, table: _RowTable, index: int):
        self.table, self.index = table, index

    def __getitem__(self, name: str) -> object:
        if name == "raw":
            return self.table.raw(self.index)
        return self.table.columns[name][self.index]

    def __setitem__(self, name: str, value: object) -> None:
        self.table.columns[name][self.index] = value  # a KeyError for a field the rows do not have

    def __delitem__(self, name: str) -> None:
        raise TypeError("a row's fields are its file's columns: none can be removed")

    def __iter__(self) -> Iterator[str]:
        return itertools.chain(self.table.columns, ["raw"])

    def __len__(self) -> int:
        return len(self.table.columns) + 1


class ParsedRow:
    """A row read without a problem: its place in its file's columns, and what the plan needs of it."""

    __slots__ = ("charges", "executed_at", "identity", "import_key", "index", "line", "match_key", "table")

    def __init__(
        self,
        line: int,
        executed_at: datetime,
        identity: str,  # what makes two rows "the same row": import_key is its digest with the occurrence number
        match_key: tuple,  # what a row from any source or format must share with this one (models.match_key)
        charges: Decimal,  # ... and its charges, which must agree to the cent (models.pop_match)
        import_key: str,
        table: _RowTable,
        index: int,
    ):
        self.line, self.executed_at, self.identity, self.match_key = line, executed_at, identity, match_key
        self.charges, self.import_key, self.table, self.index = charges, import_key, table, index

    @property
    def fields(self) -> _RowFields:
        return _RowFields(self.table, self.index)


@dataclass
class ParsedFile:
    report: FileReport
    rows: list[ParsedRow] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Entry points


def import_csv_files(
    *, user, account_number: str, files: Sequence[CsvFile], skip_bad_rows: bool = False
) -> ImportReport:
    """Import the files into the user's account (created CSV-only if missing), each file whole or not at all."""
    account = BrokerAccount.objects.filter(user=user, account_number=account_number).first()
    report = ImportReport(account_number=account_number, account_exists=account is not None, committed=True)
    for csv_file in files:
        parsed = read_file(csv_file, tz=user.tz)
        try:
            with transaction.atomic():
                if account is None and _has_rows_to_write(parsed, skip_bad_rows):
                    account, _ = BrokerAccount.objects.get_or_create(user=user, account_number=account_number)
                # Earlier files of this upload are already in the ledger: nothing is pending.
                to_write = _plan(parsed, account=account, pending={}, skip_bad_rows=skip_bad_rows)
                _write(account, to_write)
        except IntegrityError:
            # Another import of the same rows committed between our check and our write.
            _refuse(parsed.report, "Another import added some of these rows at the same time; import it again.")
        report.files.append(parsed.report)
    if account is not None and report.new:
        lots.recompute_account(account=account)
    return report


def preview(
    *,
    user,
    account_number: str,
    files: Sequence[CsvFile],
    skip_bad_rows: bool = False,
    keep_parsed: Callable[[int, ParsedFile], None] | None = None,
) -> ImportReport:
    """What `import_csv_files` would do with these files right now, without writing anything.

    `keep_parsed(index, parsed)` receives each file's reading as it was read, to keep for the import
    (`dump_parsed`): the caller can store it after the preview."""
    account = BrokerAccount.objects.filter(user=user, account_number=account_number).first()
    report = ImportReport(account_number=account_number, account_exists=account is not None, committed=False)
    pending: dict[tuple, list[ParsedRow]] = {}  # rows earlier files of this upload would add, by match key
    for index, csv_file in enumerate(files):
        parsed = read_file(csv_file, tz=user.tz)
        if keep_parsed and csv_file.parsed is None:
            # The report as read: the plan below fills in its counts for this preview only.
            keep_parsed(index, ParsedFile(report=copy.deepcopy(parsed.report), rows=parsed.rows))
        for row in _plan(parsed, account=account, pending=pending, skip_bad_rows=skip_bad_rows):
            pending.setdefault(row.match_key, []).append(row)
        report.files.append(parsed.report)
    return report


def account_number_from_file_name(name: str) -> str | None:
    """TastyTrade names exports `tastytrade_transactions_history_x{ACCOUNT}_{YYMMDD}_to_{YYMMDD}.csv`."""
    match = FILE_NAME_ACCOUNT_RE.search(name)
    return match["account"].upper() if match else None


# Every column of a new row, and what a CSV row leaves at the model's default.
WRITTEN_FIELDS = [f.name for f in Transaction._meta.concrete_fields if not f.primary_key and f.name != "account"]
DEFAULTS = {
    f.name: f.get_default() for f in Transaction._meta.concrete_fields if f.name in WRITTEN_FIELDS and f.name != "raw"
}


def _write(account: BrokerAccount, rows: list[ParsedRow]) -> None:
    """Insert the rows with the P&L engine's bulk writer (COPY on PostgreSQL): bulk_create spent two thirds
    of a 75,000-row import building SQL value by value."""
    if not rows:
        return
    connection = connections[Transaction.objects.db]
    now = timezone.now()
    json_field = Transaction._meta.get_field("raw")
    # Every row of a file has the parser's fields; the other columns take the model's defaults, the same for all.
    tables = {id(row.table): row.table for row in rows}.values()  # the file's plain rows, and the others
    names = next(iter(tables)).columns.keys()
    if any(table.columns.keys() != names for table in tables):
        raise ValueError("the rows of one file have different fields")  # never: one parser made them all
    given = [name for name in WRITTEN_FIELDS if name in names and name != "raw"]
    defaults = {**DEFAULTS, "created_at": now, "updated_at": now}
    left = [name for name in WRITTEN_FIELDS if name not in names and name != "raw"]
    fixed = (*(defaults[name] for name in left),)
    # Each table's rows zipped from its columns at once, then taken in the order they are written.
    zipped = {id(table): list(zip(*(table.columns[name] for name in given), strict=True)) for table in tables}

    def values(row: ParsedRow) -> tuple:
        raw = connection.ops.adapt_json_value(row.table.raw(row.index), json_field.encoder)
        return (account.pk, *zipped[id(row.table)][row.index], *fixed, raw)

    # COPY goes around Django's cursor wrapper: its unique violation must still be Django's IntegrityError.
    with connection.wrap_database_errors:
        bulk.insert_rows(Transaction, ["account", *given, *left, "raw"], [values(row) for row in rows])


# ---------------------------------------------------------------------------------------------
# Deciding which rows are new


def _has_rows_to_write(parsed: ParsedFile, skip_bad_rows: bool) -> bool:
    return bool(parsed.rows) and not parsed.report.refused and (skip_bad_rows or not parsed.report.problems)


def _refuse(report: FileReport, reason: str) -> None:
    report.refused = reason
    report.rejected = report.rows
    report.new = report.already_present = 0


def _plan(
    parsed: ParsedFile, *, account: BrokerAccount | None, pending: dict[tuple, list[ParsedRow]], skip_bad_rows: bool
) -> list[ParsedRow]:
    """Fill in the report's counts and return the rows to write, in execution order (none when refused)."""
    report = parsed.report
    if report.refused:
        report.rejected = report.rows
        return []
    if report.problems and not skip_bad_rows:
        bad = len({p.line for p in report.problems})
        _refuse(
            report,
            f"{bad} bad row{'s' if bad != 1 else ''}: nothing from this file is imported unless you choose "
            "to skip the bad rows (or fix the file).",
        )
        return []
    report.rejected = len({p.line for p in report.problems})
    rows = _in_execution_order(parsed.rows)
    ledger = _ledger(account, rows)
    # Only rows that something stored or pending looks like (most rows have none) are grouped by key.
    matched = {row.match_key for row in rows} & (ledger.keys() | pending.keys())
    by_key: dict[tuple, list[ParsedRow]] = {}
    for row in rows if matched else ():
        if row.match_key in matched:
            by_key.setdefault(row.match_key, []).append(row)
    present: set[int] = set()
    for key, group in by_key.items():
        candidates = [*ledger.get(key, ()), *map(_pending_match, pending.get(key, ()))]
        # A row whose own import key is stored is that row; the others pair with the stored fills
        # in execution order, and what finds no partner is a new fill.
        own = {match.import_key: match for match in candidates if match.import_key}
        for row in group:
            match = own.pop(row.import_key, None)
            if match is not None:
                candidates.remove(match)
                present.add(id(row))
                _count(report.present_reasons, _reason(match, report.format, same_row=True))
        for row in group:
            if id(row) not in present and (match := pop_match(candidates, row.charges)):
                present.add(id(row))
                _count(report.present_reasons, _reason(match, report.format, same_row=False))
    to_write = [row for row in rows if id(row) not in present]
    report.already_present = len(rows) - len(to_write)
    report.new = len(to_write)
    report.sample = [_sample(row) for row in to_write[:SAMPLE_ROWS]]
    return to_write


SAMPLE_ROWS = 5  # how many of the rows to add the preview shows


def _pending_match(row: ParsedRow) -> LedgerMatch:
    """A row an earlier file of the upload would add, as the ledger would hold it."""
    return LedgerMatch(0, row.import_key, UPLOAD, row.table.csv_format, row.charges)


def _sample(row: ParsedRow) -> dict[str, str]:
    """A row to add as the preview shows it; text, because the report is stored as JSON."""
    fields = row.fields

    def text(name: str) -> str:
        value = fields.get(name)
        return "" if value is None else str(value)

    moment = fields.get("executed_at")
    return {
        "line": str(row.line),
        "executed_at": moment.isoformat() if moment else "",
        "type": text("action") or text("transaction_type"),
        "symbol": text("symbol"),
        "quantity": text("quantity"),
        "price": text("price"),
        "net_value": text("net_value"),
    }


UPLOAD = "upload"  # a LedgerMatch's source for rows an earlier file of the same preview would add
SAME_FILL = "(same minute, symbol, side, quantity, value and fees)"


def _count(counts: dict[str, int], reason: str) -> None:
    counts[reason] = counts.get(reason, 0) + 1


def _reason(match: LedgerMatch, file_format: str, *, same_row: bool) -> str:
    """Why a row is already present, in the preview's words."""
    if match.source == UPLOAD:
        return "are in an earlier file of this upload"
    if same_row:
        return "were imported before from identical rows"
    if match.source == Transaction.Source.API:
        return f"were synced from TastyTrade {SAME_FILL}"
    if match.csv_format == file_format:
        return f"were imported before from another {FORMAT_NAMES[file_format]}"
    return f"were imported before from the {FORMAT_NAMES.get(match.csv_format, 'CSV export')} {SAME_FILL}"


def _ledger(account: BrokerAccount | None, rows: list[ParsedRow]) -> dict[tuple, list[LedgerMatch]]:
    """The account's rows in the file's time span, by match key."""
    if account is None or not rows:
        return {}
    times = [row.executed_at for row in rows]
    return Transaction.objects.filter(account=account).by_match_key(min(times), max(times))


def _in_execution_order(rows: list[ParsedRow]) -> list[ParsedRow]:
    """Oldest first, rows of one timestamp in the order the broker executed them. Exports list the
    newest first, so they are read backwards; only a file that plainly runs oldest first (its first
    row earlier than its last) is kept as it is."""
    if len(rows) > 1 and rows[0].executed_at >= rows[-1].executed_at:
        rows = rows[::-1]
    return sorted(rows, key=operator.attrgetter("executed_at"))


@functools.lru_cache(maxsize=8192)  # quantities and values repeat across rows
def _canonical(amount: Decimal) -> str:
    return "0" if amount == 0 else format(amount.normalize(), "f")


# ---------------------------------------------------------------------------------------------
# Reading a file


def parse_file(csv_file: CsvFile, *, tz: tzinfo) -> ParsedFile:
    """Read one export into rows and a report; never raises on bad input, it refuses instead."""
    parsed = ParsedFile(report=FileReport(name=csv_file.name))
    report = parsed.report
    reader = csv.reader(_lines(csv_file))
    try:
        if not _read_rows_at_once(csv_file, parsed, tz):
            _read_rows(reader, parsed, tz)
    except UnreadableLine as exc:
        parsed.rows = []
        report.refused = (
            "This file is not a TastyTrade export: TastyTrade exports are CSV text, and this file is not text "
            f"(an unreadable byte on line {exc.line})."
        )
    except csv.Error as exc:
        parsed.rows = []
        report.refused = report.refused or f"Line {reader.line_num}: the CSV is malformed ({exc})."
    except (OSError, EOFError, zlib.error):  # a stored upload that is not whole gzip: never written by us
        parsed.rows = []
        report.refused = "The stored file is damaged; upload it again."
    if report.refused:
        return parsed
    if report.format == LEGACY:
        report.notes.append(
            f"This format has no UTC offset: times were read in your time zone ({getattr(tz, 'key', tz)}) "
            "and are stored to the minute."
        )
    _number_identical_rows(parsed.rows)
    return parsed


def _read_rows_at_once(csv_file: CsvFile, parsed: ParsedFile, tz: tzinfo) -> bool:
    """`_read_rows` for a file whose every record is one line (the usual export), its records read by the csv
    module in one call: record n is line n + 1, so no line needs counting in Python. False, with nothing read,
    for any other file (a quoted cell over several lines, a line that cannot be read): `_read_rows` reads it,
    numbering and reporting each line."""
    reader = csv.reader(_lines(csv_file))
    try:
        records = list(reader)
    except (csv.Error, UnreadableLine, OSError, EOFError, zlib.error):
        return False
    if reader.line_num != len(records):
        return False
    filled = [index for index, cells in enumerate(records) if "".join(cells).strip()]  # not a blank line
    parsed.report.rows = max(len(filled) - 1, 0)
    if _read_header(parsed.report, records[filled[0]] if filled else None):
        _read_records([records[index] for index in filled[1:]], [index + 1 for index in filled[1:]], parsed, tz)
    return True


def _read_header(report: FileReport, header: list[str] | None) -> bool:
    """The file's format from its header (the first line that is not blank), or False and a refusal."""
    if header is None:
        report.refused = "The file is empty."
        return False
    report.format = _detect_format(header)
    if not report.format:
        report.refused = _unknown_header_message(header)
    return bool(report.format)


def _read_rows(reader, parsed: ParsedFile, tz: tzinfo) -> None:
    """The header, then every row of the file into `parsed` (or a refusal on its report)."""
    report = parsed.report
    header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if not _read_header(report, header):
        # Counted after the refusal is set: a line the csv module cannot read still leaves this refusal.
        report.rows = sum(1 for row in reader if any(cell.strip() for cell in row))
        return
    lines: list[int] = []
    records: list[list[str]] = []
    line = reader.line_num
    try:
        for cells in reader:
            first_line, line = line + 1, reader.line_num
            if not "".join(cells).strip():  # a blank line (cells of spaces only)
                continue
            lines.append(first_line)
            records.append(cells)
    finally:  # a line the csv module cannot read ends the file; the rows before it are still read and reported
        report.rows = len(records)
        _read_records(records, lines, parsed, tz)


def _read_records(records: list[list[str]], lines: list[int], parsed: ParsedFile, tz: tzinfo) -> None:
    """The file's rows, in order: what reads plainly column by column from there, the rest one by one."""
    report = parsed.report
    columns = HEADERS[report.format]
    plain = _read_plain_rows(records, lines, report.format) if report.format != LEGACY else [None] * len(records)
    if None not in plain:  # most files: every row read column by column
        parsed.rows = plain
        return
    others = _RowTable(report.format, {}, [])  # the rows the row reader reads
    for cells, line, row in zip(records, lines, plain, strict=True):
        if row is None:
            row = _parse_row(cells, columns, line, report, tz, others)
        if row is not None:
            parsed.rows.append(row)


# ---------------------------------------------------------------------------------------------
# Reading a file once: the preview keeps what it read, the import takes it from there


def read_file(csv_file: CsvFile, *, tz: tzinfo) -> ParsedFile:
    """The file's rows and report: the preview's reading when it has one for this time zone, else a new one."""
    if csv_file.parsed is not None:
        parsed = load_parsed(csv_file.parsed, tz=tz)
        if parsed is not None:
            return parsed
    return parse_file(csv_file, tz=tz)


# 4: pickled columns and each row's cells joined by NUL (3 kept a list of cells a row, 2 was JSON column by column,
# 1 JSON row by row). Bump it when FileReport, RowProblem or the rows' fields change: the pickle holds them as
# they were.
PARSED_VERSION = 4
PARSED_HEADER = b"tracker-csv-reading-%d\n" % PARSED_VERSION
PARSED_SALT = "apps.trades.csv_import.parsed"  # the HMAC's purpose, so no other signature of ours fits
SIGNATURE_SIZE = 32  # HMAC-SHA256


def _signature(payload: bytes) -> bytes:
    return salted_hmac(PARSED_SALT, payload, algorithm="sha256").digest()


def dump_parsed(parsed: ParsedFile, *, tz: tzinfo) -> bytes:
    """A file's report and rows as `load_parsed` reads them: pickled, compressed and signed with SECRET_KEY."""
    return seal_parsed(pickle_parsed(parsed, tz=tz))


def pickle_parsed(parsed: ParsedFile, *, tz: tzinfo) -> bytes:
    """A file's report and rows as a pickle of one list per field (names once, no object per row).

    A pickle keeps every value as the parser made it, with no conversion to text and back, and writes a value many
    rows share (the column reader gives them one object: a type, a symbol, a price, a day) once. It is stored in
    our database, and loading a pickle runs whatever it names, so it is stored only as `seal_parsed` signs it."""
    rows = parsed.rows
    tables = list({id(row.table): row.table for row in rows}.values())
    if len(tables) == 1 and [row.index for row in rows] == list(range(len(tables[0].raw_texts))):
        # Most files: one table holds every row, in the file's order.
        columns, raw_texts = tables[0].columns, tables[0].raw_texts
    else:  # rows read both ways (a file with a bad row or a data issue), or none: gathered in the file's order
        names = list(tables[0].columns) if tables else []
        columns = {name: [row.table.columns[name][row.index] for row in rows] for name in names}
        raw_texts = [row.table.raw_texts[row.index] for row in rows]
    kept = {
        "tz": str(tz),
        "report": parsed.report,
        "lines": [row.line for row in rows],
        "columns": columns,
        "raw_texts": raw_texts,  # a row's `raw` is its format and these cells under the format's header
    }
    return pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)


def seal_parsed(pickled: bytes) -> bytes:
    """A pickled reading as it is stored: compressed, and signed so that `load_parsed` loads only what we wrote."""
    payload = zlib.compress(pickled, 1)
    return PARSED_HEADER + _signature(payload) + payload


def load_parsed(data: bytes, *, tz: tzinfo) -> ParsedFile | None:
    """What `dump_parsed` kept, as `parse_file` returned it; None when it was read in another time zone
    (legacy exports are read in the trader's, who may have changed it), in an older layout, or does not carry
    our signature (changed in the database, or signed with an older SECRET_KEY): the file is then read again."""
    if not data.startswith(PARSED_HEADER):
        return None
    signature = data[len(PARSED_HEADER) : len(PARSED_HEADER) + SIGNATURE_SIZE]
    payload = data[len(PARSED_HEADER) + SIGNATURE_SIZE :]
    if not hmac.compare_digest(signature, _signature(payload)):
        logger.warning("A kept CSV reading does not carry our signature; the file is read again.")
        return None
    try:
        kept = pickle.loads(zlib.decompress(payload))  # noqa: S301 - signed by us with SECRET_KEY, checked above  # nosec B301
    except (AttributeError, ImportError):  # pickled by an older deploy, naming a class since moved or renamed
        return None
    if kept["tz"] != str(tz):
        return None
    report, columns, lines = kept["report"], kept["columns"], kept["lines"]
    table = _RowTable(report.format, columns, kept["raw_texts"])
    return ParsedFile(
        report=report,
        rows=list(
            map(
                ParsedRow,
                lines,
                columns.get("executed_at", []),
                itertools.repeat(""),  # the identity only numbers identical rows, done when the file was read
                _match_keys(columns) if lines else [],
                map(operator.add, columns.get("commission", []), columns.get("other_charge", [])),
                columns.get("import_key", []),
                [table] * len(lines),
                range(len(lines)),
            )
        ),
    )


def file_report(data: dict) -> FileReport:
    """A FileReport from its dataclasses.asdict form (stored previews and reports)."""
    return FileReport(
        **data
        | {
            "problems": [RowProblem(**p) for p in data["problems"]],
            "data_issues": [RowProblem(**p) for p in data["data_issues"]],
            "present_reasons": data.get("present_reasons", {}),
        }
    )


def _detect_format(header: list[str]) -> str:
    cells = [cell.strip().casefold() for cell in header]
    while cells and not cells[-1]:
        cells.pop()
    for name, columns in HEADERS.items():
        if cells == [column.casefold() for column in columns]:
            return name
    return ""


def _unknown_header_message(header: list[str]) -> str:
    names = [_short(cell.strip(), 40) for cell in header]
    shown = ", ".join(names[:25]) + (f", … ({len(names) - 25} more)" if len(names) > 25 else "")
    return (
        "This file is not a TastyTrade export: a transaction-history export starts with the header of the "
        f"legacy (15 columns), 2024 (20 columns) or 2025 (21 columns) export, found {len(names)} "
        f"column{'s' if len(names) != 1 else ''}: {shown}."
    )


def _number_identical_rows(rows: Iterable[ParsedRow]) -> None:
    """import_key = digest of the row's identity plus how many identical rows came before it in the file."""
    occurrences: dict[str, int] = {}
    for row in rows:
        occurrence = occurrences[row.identity] = occurrences.get(row.identity, -1) + 1
        row.import_key = hashlib.sha256(f"{row.identity}\x1f{occurrence}".encode()).hexdigest()
        row.table.columns["import_key"][row.index] = row.import_key


def _parse_row(
    cells: list[str], columns: list[str], line: int, report: FileReport, tz: tzinfo, table: _RowTable
) -> ParsedRow | None:
    """One row read on its own (legacy rows, and v2/v3 rows with a problem or a data issue): added to `table`
    when read without a problem, else reported."""
    # Some tools leave a trailing comma; extra empty cells at the end are harmless.
    while len(cells) > len(columns) and not cells[-1].strip():
        cells = cells[:-1]
    if len(cells) != len(columns):
        report.problems.append(
            RowProblem(line, "", f"{len(cells)} cells", f"expected {len(columns)} cells as in the header")
        )
        return None
    reader = _Cells(dict(zip(columns, cells, strict=True)), line)
    parse = _parse_legacy_row if report.format == LEGACY else _parse_modern_row
    fields, original_sub_type = parse(reader, tz=tz, with_total=report.format == V3)
    _reclassify_money_movement(fields, reader)
    for name, limit in TEXT_LIMITS.items():
        if len(fields[name]) > limit:
            reader.problem(_column_of(name, report.format), f"longer than {limit} characters")
    if abs(fields["net_value"]) >= MONEY_LIMIT:
        reader.problem("Total" if report.format == V3 else "", "the net value is too large")
    if reader.problems:
        report.problems.extend(reader.problems)
        return None
    report.data_issues.extend(reader.issues)
    fields.update(source=Transaction.Source.CSV, tastytrade_id=None, import_key="")
    return _read_row(line, fields, original_sub_type, table, "\x00".join(cells))


def _read_row(line: int, fields: dict, original_sub_type: str, table: _RowTable, raw_text: str) -> ParsedRow:
    """A row read without a problem, with its keys, added to `table`."""
    executed_at = fields["executed_at"]
    identity = (
        executed_at.isoformat(),
        fields["transaction_type"],
        original_sub_type,
        fields["symbol"],
        _canonical(fields["quantity"]),
        _canonical(fields["value"]),
        str(fields["order_id"] or ""),
    )
    key = match_key(
        executed_at=executed_at,
        transaction_type=fields["transaction_type"],
        symbol=fields["symbol"],
        action=fields["action"],
        quantity=fields["quantity"],
        value=fields["value"],
    )
    charges = fields["commission"] + fields["other_charge"]
    index = table.append(fields, raw_text)
    return ParsedRow(line, executed_at, "\x1f".join(identity), key, charges, "", table, index)


UNREAD = object()  # a cell `_parse_row` would report, or a row it would flag as a data issue


def _read_plain_rows(records: list[list[str]], lines: list[int], fmt: str) -> list[ParsedRow | None]:
    """The rows of a 2024 or 2025 export that `_parse_row` would read without a problem or a data issue, read
    column by column; None for every other row, which `_parse_row` then reads and reports. The rows are what
    `_parse_row` returns, field for field (the tests compare the two on every sample and on mangled files)."""
    columns = HEADERS[fmt]
    width = len(columns)
    # Some tools leave a trailing comma: extra empty cells are dropped, as `_parse_row` does.
    records = [
        cells[:width] if len(cells) > width and not "".join(cells[width:]).strip() else cells for cells in records
    ]
    fitting = [index for index, cells in enumerate(records) if len(cells) == width]
    found: list[ParsedRow | None] = [None] * len(records)
    if fitting:
        table = _Columns([records[index] for index in fitting], [lines[index] for index in fitting], fmt)
        for index, row in zip(fitting, table.parsed_rows(), strict=True):
            found[index] = row
    return found


class _Columns:
    """A v2/v3 file's rows of the header's width, column by column: a column's texts repeat (types, symbols,
    descriptions, prices, fees), so each distinct text is read once, with the row reader's own functions; only
    times and order numbers are read cell by cell. A row with a cell `_Cells` would report is not plain, nor one
    `_parse_row` would report or flag as a whole; the plain rows' fields are built a column at a time too, and
    each row's dict is zipped from them at the end."""

    def __init__(self, rows: list[list[str]], lines: list[int], fmt: str):
        self.rows_cells, self.lines, self.fmt = rows, lines, fmt
        self.column = dict(zip(HEADERS[fmt], zip(*rows, strict=True), strict=True))
        self.plain = [True] * len(rows)
        if any("\x00" in "".join(texts) for texts in self.column.values()):  # rare: `_Cells` reports each such cell
            self.plain = ["\x00" not in "".join(cells) for cells in rows]

    def parsed_rows(self) -> list[ParsedRow | None]:
        """Every row as `_parse_row` reads it, None for a row that is not plain."""
        read = self.cells()
        net_values = self.net_values(read)
        symbols = [pair if pair is UNREAD else pair[0] for pair in read["symbol_and_option"]]
        options = [pair if pair is UNREAD else pair[1] for pair in read["symbol_and_option"]]
        underlyings = self.each(
            _plain_underlying,
            list(zip(symbols, read["instrument_type"], read["stated_underlying"], read["root"], strict=True)),
        )
        self.spoil_flagged_rows(read, net_values, symbols)

        # From here on only the plain rows: every value below is one the row reader would give.
        keep = [index for index, plain in enumerate(self.plain) if plain]
        if not keep:
            return [None] * len(self.plain)

        def plain(values: Sequence) -> list:
            return [values[index] for index in keep]

        times = plain(read["executed_at"])
        sub_types, values, quantities = plain(read["sub_type"]), plain(read["value"]), plain(read["quantity"])
        instrument_types, kept_options = plain(read["instrument_type"]), plain(options)
        prices_and_multipliers = [
            _price_and_multiplier(
                instrument_type=instrument_type,
                sub_type=sub_type,
                option=option,
                fill_price=fill_price,
                average_price=average_price,
                value=value,
                quantity=quantity,
                column_multiplier=column_multiplier,
            )
            for instrument_type, sub_type, option, fill_price, average_price, value, quantity, column_multiplier in zip(
                instrument_types,
                sub_types,
                kept_options,
                plain(read["fill_price"]),
                plain(read["average_price"]),
                values,
                quantities,
                plain(read["column_multiplier"]),
                strict=True,
            )
        ]
        fields = _modern_columns(
            executed_at=[moment for moment, _ in times],
            transaction_date=[day for _, day in times],
            transaction_type=plain(read["transaction_type"]),
            sub_type=sub_types,
            action=plain(read["action"]),
            description=plain(read["description"]),
            symbol=plain(symbols),
            underlying=plain(underlyings),
            instrument_type=instrument_types,
            quantity=quantities,
            price=[price for price, _ in prices_and_multipliers],
            value=values,
            commission=plain(read["commission"]),
            fees=plain(read["fees"]),
            net_value=plain(net_values),
            multiplier=[multiplier for _, multiplier in prices_and_multipliers],
            order_id=plain(read["order_id"]),
            currency=plain(read["currency"]),
            option=kept_options,
        )
        fields["source"] = [Transaction.Source.CSV] * len(keep)
        fields["tastytrade_id"] = [None] * len(keep)
        fields["import_key"] = [""] * len(keep)  # `_number_identical_rows`, once the file is read
        table = _RowTable(self.fmt, fields, list(map("\x00".join, plain(self.rows_cells))))
        rows = _rows_from_columns(plain(self.lines), table, original_sub_types=sub_types)
        found: list[ParsedRow | None] = [None] * len(self.plain)
        for index, row in zip(keep, rows, strict=True):
            found[index] = row
        return found

    def net_values(self, read: dict[str, list]) -> list:
        """Value + Commissions + Fees, or v3's Total when its cell is not empty; a row whose Total differs (a data
        issue) is not plain."""
        net_values = [
            value + commission + fees if plain else UNREAD
            for plain, value, commission, fees in zip(
                self.plain, read["value"], read["commission"], read["fees"], strict=True
            )
        ]
        for index, total in enumerate(read["total"]):
            if total is not None and self.plain[index]:
                if total != net_values[index]:
                    self.plain[index] = False
                net_values[index] = total
        return net_values

    def spoil_flagged_rows(self, read: dict[str, list], net_values: list, symbols: list) -> None:
        """Rows `_parse_row` reports or flags as a whole are not plain: a net value too large, interest or a
        dividend booked as a deposit or withdrawal."""
        for index, (net_value, transaction_type) in enumerate(zip(net_values, read["transaction_type"], strict=True)):
            if not self.plain[index]:
                continue
            if abs(net_value) >= MONEY_LIMIT or (
                transaction_type == Transaction.Type.MONEY_MOVEMENT
                and money_movement_sub_type(
                    transaction_type=transaction_type,
                    sub_type=read["sub_type"][index],
                    description=read["description"][index],
                    symbol=symbols[index],
                    amount=net_value,
                )[1]
            ):
                self.plain[index] = False

    def cells(self) -> dict[str, list]:
        """Every cell as read, by what it is; UNREAD (and the row not plain) where `_Cells` would report it."""
        column, each = self.column, self.each
        instrument_types = each(_text_reader(TEXT_LIMITS["instrument_type"]), column["Instrument Type"])
        symbols = each(_text_reader(), column["Symbol"])
        descriptions = each(_text_reader(), column["Description"])
        quantities = each(_number_reader(QUANTITY_PLACES, or_zero=True), column["Quantity"])
        total = column["Total"] if self.fmt == V3 else None
        # Every time differs, but not every day: one date object a day, which the kept reading writes once.
        days: dict[date, date] = {}
        times = [
            UNREAD if read is UNREAD else (read[0], days.setdefault(read[1], read[1]))
            for read in self.cell_by_cell(_read_timestamp, column["Date"])
        ]
        return {
            "executed_at": times,
            "instrument_type": instrument_types,
            "symbol_and_option": each(_symbol_and_option, list(zip(symbols, instrument_types, strict=True))),
            "description": descriptions,
            "fill_price": each(_fill_price, descriptions),
            "value": each(_number_reader(MONEY_PLACES, or_zero=True), column["Value"]),
            "quantity": each(lambda quantity: quantity if quantity is UNREAD else abs(quantity), quantities),
            "average_price": each(_number_reader(QUANTITY_PLACES), column["Average Price"]),
            "commission": each(_number_reader(MONEY_PLACES, or_zero=True), column["Commissions"]),
            "fees": each(_number_reader(MONEY_PLACES, or_zero=True), column["Fees"]),
            "column_multiplier": each(_number_reader(QUANTITY_PLACES), column["Multiplier"]),
            "transaction_type": each(_text_reader(TEXT_LIMITS["transaction_type"], required=True), column["Type"]),
            "sub_type": each(_text_reader(TEXT_LIMITS["transaction_sub_type"]), column["Sub Type"]),
            "action": each(_spelled_action, column["Action"]),
            "stated_underlying": each(_text_reader(), column["Underlying Symbol"]),
            "root": each(_text_reader(), column["Root Symbol"]),
            "order_id": self.cell_by_cell(_read_order_id, column["Order #"]),  # every order number differs
            "currency": each(_text_reader(TEXT_LIMITS["currency"]), column["Currency"]),
            "total": each(_total_reader, total) if total else [None] * len(self.plain),
        }

    def each(self, read: Callable[[str], object], texts: Sequence) -> list:
        """`read` of every text, each distinct text read once."""
        readings = {text: read(text) for text in set(texts)}
        values = list(map(readings.__getitem__, texts))
        if any(value is UNREAD for value in readings.values()):
            self.spoil(values)
        return values

    def cell_by_cell(self, read: Callable[[str], tuple[object, str]], texts: Sequence[str]) -> list:
        """`read` (a value and a problem) of every text, for columns whose texts all differ."""
        values = [value if not problem else UNREAD for value, problem in map(read, texts)]
        self.spoil(values)
        return values

    def spoil(self, values: list) -> None:
        for index, value in enumerate(values):
            if value is UNREAD:
                self.plain[index] = False


def _plain_underlying(cells: tuple) -> object:
    """A plain row's underlying from its symbol, instrument type, Underlying Symbol and Root Symbol cells;
    UNREAD when `_parse_row` would find it too long."""
    symbol, instrument_type, stated, root = cells
    if UNREAD in (symbol, instrument_type, stated, root):
        return UNREAD
    underlying = underlying_of(symbol, instrument_type, stated or root)
    return UNREAD if len(underlying) > TEXT_LIMITS["underlying_symbol"] else underlying


def _rows_from_columns(lines: list[int], table: _RowTable, *, original_sub_types: list[str]) -> list[ParsedRow]:
    """The table's rows, with their keys, a column at a time (what `_read_row` gives for each): match keys are
    read once per distinct value."""
    fields = table.columns
    executed_at, quantities, values = fields["executed_at"], fields["quantity"], fields["value"]
    canonical = {amount: _canonical(amount) for amount in {*quantities, *values}}
    identities = map(
        "\x1f".join,
        zip(
            [moment.isoformat() for moment in executed_at],
            fields["transaction_type"],
            original_sub_types,
            fields["symbol"],
            map(canonical.__getitem__, quantities),
            map(canonical.__getitem__, values),
            [str(order_id) if order_id else "" for order_id in fields["order_id"]],
            strict=True,
        ),
    )
    keys = _match_keys(fields)
    charges = map(operator.add, fields["commission"], fields["other_charge"])
    tables, indexes = [table] * len(lines), range(len(lines))
    return list(map(ParsedRow, lines, executed_at, identities, keys, charges, fields["import_key"], tables, indexes))


def _match_keys(fields: dict[str, list]) -> list[tuple]:
    """`models.match_key` of every row, its `fill_key` read once per distinct value.

    Every time the reader gives is in UTC, so the minute is the time without its seconds, as `match_key`'s."""
    others = list(
        zip(
            fields["transaction_type"],
            fields["symbol"],
            fields["action"],
            fields["quantity"],
            fields["value"],
            strict=True,
        )
    )
    rest = {
        other: fill_key(transaction_type=other[0], symbol=other[1], action=other[2], quantity=other[3], value=other[4])
        for other in set(others)
    }
    return [
        (moment.replace(second=0, microsecond=0, tzinfo=UTC), *rest[other])
        for moment, other in zip(fields["executed_at"], others, strict=True)
    ]


def _text_reader(limit: int = 0, *, required: bool = False) -> Callable[[str], object]:
    def read(cell: str) -> object:
        cell = cell.strip()
        return UNREAD if (required and not cell) or (limit and len(cell) > limit) else cell

    return read


def _number_reader(places: int, *, or_zero: bool = False) -> Callable[[str], object]:
    def read(cell: str) -> object:
        number, problem = _read_number(cell, places)
        if problem:
            return UNREAD
        return (number or ZERO) if or_zero else number  # `or` as _Cells.amount does: 0.00 reads as ZERO

    return read


def _total_reader(cell: str) -> object:
    return _number_reader(MONEY_PLACES, or_zero=True)(cell) if cell.strip() else None


def _spelled_action(cell: str) -> object:
    action = _action_from_code(cell.strip())
    return UNREAD if len(action) > TEXT_LIMITS["action"] else action


def _symbol_and_option(symbol_and_type: tuple[object, object]) -> object:
    """The symbol as stored (options as the API spells them, as in `_parse_modern_row`) and its contract."""
    symbol, instrument_type = symbol_and_type
    if symbol is UNREAD or instrument_type is UNREAD:
        return UNREAD
    symbol = canonical_symbol(symbol) if instrument_type in OPTION_TYPES else symbol
    option, problem = _read_option(symbol, instrument_type)
    return UNREAD if problem or len(symbol) > TEXT_LIMITS["symbol"] else (symbol, option)


def _column_of(field_name: str, fmt: str) -> str:
    modern = {
        "transaction_type": "Type",
        "transaction_sub_type": "Sub Type",
        "action": "Action",
        "symbol": "Symbol",
        "underlying_symbol": "Underlying Symbol",
        "instrument_type": "Instrument Type",
        "currency": "Currency",
    }
    legacy = {
        "transaction_type": "Transaction Code",
        "transaction_sub_type": "Transaction Subcode",
        "action": "Buy/Sell",
        "symbol": "Symbol",
        "underlying_symbol": "Symbol",
        "instrument_type": "Symbol",
        "currency": "",
    }
    return (legacy if fmt == LEGACY else modern)[field_name]


def _parse_modern_row(cells: _Cells, *, tz: tzinfo, with_total: bool) -> tuple[dict, str]:
    """One row of the 2024 (v2) or 2025 (v3) export."""
    executed_at = cells.timestamp("Date")
    instrument_type = cells.text("Instrument Type")
    # Squashed or lower-case option symbols are stored as the API spells them: one contract, one instrument.
    symbol = canonical_symbol(cells.text("Symbol")) if instrument_type in OPTION_TYPES else cells.text("Symbol")
    description = cells.text("Description")
    value = cells.amount("Value")
    quantity = abs(cells.number("Quantity", places=QUANTITY_PLACES) or ZERO)
    average_price = cells.number("Average Price", places=QUANTITY_PLACES)
    commission = cells.amount("Commissions")
    fees = cells.amount("Fees")
    column_multiplier = cells.number("Multiplier", places=QUANTITY_PLACES)
    net_value = value + commission + fees
    if with_total and cells.values["Total"].strip():
        total = cells.amount("Total")
        if total != net_value and not cells.problems:
            cells.issue(
                "Total",
                f"differs from Value + Commissions + Fees ({net_value}); kept the broker's Total as the net value",
            )
        net_value = total

    option = _option_from_symbol(cells, symbol, instrument_type)
    price, multiplier = _price_and_multiplier(
        instrument_type=instrument_type,
        sub_type=cells.text("Sub Type"),
        option=option,
        fill_price=_fill_price(description),
        average_price=average_price,
        value=value,
        quantity=quantity,
        column_multiplier=column_multiplier,
    )

    underlying = cells.text("Underlying Symbol") or cells.text("Root Symbol")
    columns = _modern_columns(
        executed_at=[executed_at],
        transaction_date=[_trading_date(executed_at)],
        transaction_type=[cells.text("Type", required=True)],
        sub_type=[cells.text("Sub Type")],
        action=[_action_from_code(cells.text("Action"))],
        description=[description],
        symbol=[symbol],
        underlying=[underlying_of(symbol, instrument_type, underlying)],
        instrument_type=[instrument_type],
        quantity=[quantity],
        price=[price],
        value=[value],
        commission=[commission],
        fees=[fees],
        net_value=[net_value],
        multiplier=[multiplier],
        order_id=[cells.order_id("Order #")],
        currency=[cells.text("Currency")],
        option=[option],
    )
    fields = {name: value for name, [value] in columns.items()}
    return fields, fields["transaction_sub_type"]


def _modern_columns(
    *,
    executed_at: list[datetime | None],
    transaction_date: list[date | None],
    transaction_type: list[str],
    sub_type: list[str],
    action: list[str],
    description: list[str],
    symbol: list[str],
    underlying: list[str],
    instrument_type: list[str],
    quantity: list[Decimal],
    price: list[Decimal | None],
    value: list[Decimal],
    commission: list[Decimal],
    fees: list[Decimal],
    net_value: list[Decimal],
    multiplier: list[Decimal | None],
    order_id: list[int | None],
    currency: list[str],
    option: list[OptionSymbol | None],
) -> dict[str, list]:
    """2024/2025 rows' fields, a list of every row's value by field, from their cells as read: one definition for
    the column reader and the row reader (which gives lists of one)."""
    return {
        "executed_at": executed_at,
        "transaction_date": transaction_date,
        "transaction_type": transaction_type,
        "transaction_sub_type": sub_type,
        "action": action,
        "description": description,
        "symbol": symbol,
        "underlying_symbol": underlying,
        "instrument_type": instrument_type,
        "quantity": quantity,
        "price": price,
        "value": value,
        "commission": commission,
        "other_charge": fees,
        "net_value": net_value,
        "multiplier": multiplier,
        "order_id": order_id,
        "currency": [text or "USD" for text in currency],
        "expires_on": [each.expires_on if each else None for each in option],
        "strike": [each.strike if each else None for each in option],
        "option_type": [each.option_type if each else "" for each in option],
    }


def _parse_legacy_row(cells: _Cells, *, tz: tzinfo, with_total: bool) -> tuple[dict, str]:
    """One row of the legacy tastyworks export: options carry only the root in Symbol."""
    executed_at = cells.local_time("Date/Time", tz)
    root = cells.text("Symbol")
    side = cells.choice("Buy/Sell", {"": "", "buy": "Buy", "sell": "Sell"})
    effect = cells.choice("Open/Close", {"": "", "open": "Open", "close": "Close"})
    call_put = cells.choice("Call/Put", {"": "", "c": "C", "p": "P", "call": "C", "put": "P"})
    expires_on = cells.date("Expiration Date")
    strike = cells.number("Strike", places=QUANTITY_PLACES)
    quantity = abs(cells.number("Quantity", places=QUANTITY_PLACES) or ZERO)
    price = cells.number("Price", places=QUANTITY_PLACES)
    fees = cells.amount("Fees")  # positive: commission and fees together
    value = cells.amount("Amount")  # signed, before fees

    option = None
    if call_put or expires_on or strike is not None:
        if not (call_put and expires_on and strike is not None):
            cells.problem("Call/Put", "an option row needs Expiration Date, Strike and Call/Put")
        else:
            option = OptionSymbol(root=root, expires_on=expires_on, option_type=call_put, strike=strike)
    is_future = root.startswith("/") or root.startswith("./")
    if option:
        instrument_type = InstrumentType.FUTURE_OPTION if is_future else InstrumentType.EQUITY_OPTION
        symbol = canonical_symbol(root) if is_future else _occ_symbol(cells, option)
    elif is_future:
        instrument_type, symbol = InstrumentType.FUTURE, root
    elif "/" in root:
        instrument_type, symbol = "Cryptocurrency", root
    else:
        instrument_type, symbol = (InstrumentType.EQUITY if root else ""), root

    fields = {
        "executed_at": executed_at,
        "transaction_date": _trading_date(executed_at),
        "transaction_type": cells.text("Transaction Code", required=True),
        "transaction_sub_type": cells.text("Transaction Subcode"),
        "action": f"{side} to {effect}" if side and effect else side,
        "description": cells.text("Description"),
        "symbol": symbol,
        "underlying_symbol": underlying_of(symbol, instrument_type, root if option else ""),
        "instrument_type": instrument_type,
        "quantity": quantity,
        "price": abs(price) if price is not None else None,
        "value": value,
        "commission": ZERO,
        "other_charge": -fees,
        "net_value": value - fees,
        # Unknown for futures, future options and crypto: this format has no multiplier column.
        "multiplier": {InstrumentType.EQUITY_OPTION: HUNDRED, InstrumentType.EQUITY: ONE}.get(instrument_type),
        "order_id": None,
        "currency": "USD",
        **_option_fields(option),
    }
    return fields, fields["transaction_sub_type"]


# ---------------------------------------------------------------------------------------------
# Row helpers


def _reclassify_money_movement(fields: dict, cells: _Cells) -> None:
    """Interest and dividends booked as Deposit/Withdrawal get their own sub-type, as the sync
    gives them; the original sub-type stays in `raw`."""
    better, reason = money_movement_sub_type(
        transaction_type=fields["transaction_type"],
        sub_type=fields["transaction_sub_type"],
        description=fields["description"],
        symbol=fields["symbol"],
        amount=fields["net_value"],
    )
    if reason:
        fields["transaction_sub_type"] = better
        column = "Transaction Subcode" if "Transaction Subcode" in cells.values else "Sub Type"
        cells.issue(column, f"booked as {better}: {reason}")


def _option_from_symbol(cells: _Cells, symbol: str, instrument_type: str) -> OptionSymbol | None:
    """Expiry, strike and call/put from the symbol (never from the Expiration Date column)."""
    option, problem = _read_option(symbol, instrument_type)
    if problem:
        cells.problem("Symbol", problem)
    return option


def _read_option(symbol: str, instrument_type: str) -> tuple[OptionSymbol | None, str]:
    """An option row's contract (None for other rows), or None and why not."""
    option = parse_option_symbol(symbol) if instrument_type in OPTION_TYPES else None
    if option is not None and (option.strike >= QUANTITY_LIMIT or -option.strike.as_tuple().exponent > 8):
        option = None
    if instrument_type in OPTION_TYPES and option is None:
        return None, f"not a valid {instrument_type.lower()} symbol"
    return option, ""


def _occ_symbol(cells: _Cells, option: OptionSymbol) -> str:
    thousandths = option.strike * 1000
    if len(option.root) > 6 or thousandths != thousandths.to_integral_value() or thousandths >= 10**8:
        cells.problem("Strike", "cannot build an OCC option symbol from Symbol, Expiration Date and Strike")
        return option.root
    return f"{option.root:<6}{option.expires_on:%y%m%d}{option.option_type}{int(thousandths):08d}"


def _price_and_multiplier(
    *,
    instrument_type: str,
    sub_type: str,
    option: OptionSymbol | None,
    fill_price: Decimal | None,
    average_price: Decimal | None,
    value: Decimal,
    quantity: Decimal,
    column_multiplier: Decimal | None,
) -> tuple[Decimal | None, Decimal | None]:
    """A v2/v3 row's per-unit price and multiplier."""
    price = fill_price
    if instrument_type == InstrumentType.EQUITY_OPTION:
        multiplier = HUNDRED  # every OCC-listed equity or index option; the symbol says so
    elif instrument_type == InstrumentType.FUTURE_OPTION:
        # The export's Multiplier column says 1 for /MES options that pay x5: derive it from the cash.
        multiplier = _derived_multiplier(value, quantity, price)
    elif column_multiplier:
        multiplier = column_multiplier
    else:
        multiplier = ONE if instrument_type == InstrumentType.EQUITY else None
    if option is not None and sub_type in CASH_SETTLEMENTS:
        # The API posts a cash settlement at the strike as its price; a file's row is stored the same way
        # (docs/tastytrade-api.md#cash-settlement).
        price = option.strike
    if price is None and average_price and instrument_type != InstrumentType.FUTURE:
        # Average Price is Value / Quantity, so an option's includes its multiplier (370.00 for 3.70).
        price = _quantize(abs(average_price) / (multiplier or 1), QUANTITY_PLACES)
    return price, multiplier


def _option_fields(option: OptionSymbol | None) -> dict:
    if option is None:
        return {"expires_on": None, "strike": None, "option_type": ""}
    return {"expires_on": option.expires_on, "strike": option.strike, "option_type": option.option_type}


@functools.lru_cache(maxsize=8192)  # one description per symbol, size and price: many rows share one
def _fill_price(description: str) -> Decimal | None:
    """The per-unit fill price the description ends with ("Sold 1 /CLJ4 @ 79.53")."""
    match = FILL_PRICE_RE.search(description)
    if not match or not AMOUNT_RE.match(match["price"]):
        return None
    price = Decimal(match["price"].replace(",", ""))
    return price if price < QUANTITY_LIMIT and -price.as_tuple().exponent <= QUANTITY_PLACES else None


def _derived_multiplier(value: Decimal, quantity: Decimal, price: Decimal | None) -> Decimal | None:
    if not value or not quantity or not price:
        return None
    multiplier = abs(value) / (quantity * price)
    nearest = multiplier.to_integral_value()
    if nearest and abs(multiplier - nearest) <= nearest / 200:  # cents rounding in Value
        return nearest
    return _quantize(multiplier, QUANTITY_PLACES) if multiplier < QUANTITY_LIMIT else None


@functools.lru_cache(maxsize=256)  # a handful of codes, on every row of a 75,000-row file
def _action_from_code(code: str) -> str:
    """BUY_TO_OPEN -> "Buy to Open", as the API spells actions."""
    if not code:
        return ""
    words = code.replace("_", " ").split()
    return " ".join(word.lower() if word.lower() == "to" else word.capitalize() for word in words)


@functools.lru_cache(maxsize=8192)  # amounts, quantities and charges repeat across rows: read each text once
def _read_number(cell: str, places: int) -> tuple[Decimal | None, str]:
    """A cell as a decimal, or None and why not (empty when the cell is just empty)."""
    cell = cell.strip()
    if not cell:
        return None, ""
    if cell == "--":
        return ZERO, ""
    if not AMOUNT_RE.match(cell):
        return None, "not a number"
    number = Decimal(cell.replace(",", ""))
    limit = MONEY_LIMIT if places == MONEY_PLACES else QUANTITY_LIMIT
    if abs(number) >= limit:
        return None, "too large"
    if -number.as_tuple().exponent > places:
        return None, f"more than {places} decimal places"
    return number, ""


def _read_timestamp(cell: str) -> tuple[tuple[datetime, date] | None, str]:
    """A v2/v3 time in UTC and its trading date, or None and why not."""
    cell = cell.strip()
    if not TIMESTAMP_RE.match(cell):
        return None, "not a date and time with a UTC offset (2024-08-16T15:57:13+0200)"
    try:
        moment = datetime.fromisoformat(cell).astimezone(UTC_ZONE)
        return (moment, _trading_date(moment)), ""
    except (ValueError, OverflowError):
        return None, "not a valid date and time"


def _read_order_id(cell: str) -> tuple[int | None, str]:
    """An order number (empty is None), or None and why not."""
    cell = cell.strip()
    if not cell:
        return None, ""
    if not cell.isascii() or not cell.isdigit() or int(cell) >= 2**63:
        return None, "not an order number"
    return int(cell), ""


def _trading_date(moment: datetime | None) -> date | None:
    # The broker's booking date is the New York date of the execution (§5.8).
    return moment.astimezone(NEW_YORK).date() if moment else None


def _quantize(amount: Decimal, places: int) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-places))


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Cells:
    """One CSV row by column name; every reader records a problem and returns a harmless default."""

    def __init__(self, values: dict[str, str], line: int):
        self.values = values
        self.line = line
        self.problems: list[RowProblem] = []
        self.issues: list[RowProblem] = []
        if "\x00" in "".join(values.values()):  # rare: look cell by cell only then
            for column, cell in values.items():
                if "\x00" in cell:
                    self.problem(column, "contains a NUL character")

    def problem(self, column: str, message: str) -> None:
        self.problems.append(RowProblem(self.line, column, _short(self.values.get(column, "")), message))

    def issue(self, column: str, message: str) -> None:
        self.issues.append(RowProblem(self.line, column, _short(self.values.get(column, "")), message))

    def text(self, column: str, *, required: bool = False) -> str:
        cell = self.values[column].strip()
        if required and not cell:
            self.problem(column, "is empty")
        return cell

    def number(self, column: str, *, places: int) -> Decimal | None:
        """A plain or thousands-separated decimal; empty is None and `--` is zero."""
        number, problem = _read_number(self.values[column], places)
        if problem:
            self.problem(column, problem)
        return number

    def amount(self, column: str) -> Decimal:
        return self.number(column, places=MONEY_PLACES) or ZERO

    def order_id(self, column: str) -> int | None:
        order_id, problem = _read_order_id(self.values[column])
        if problem:
            self.problem(column, problem)
        return order_id

    def choice(self, column: str, choices: dict[str, str]) -> str:
        cell = self.values[column].strip().casefold()
        if cell not in choices:
            self.problem(column, f"expected one of {', '.join(v for v in choices.values() if v)} or empty")
            return ""
        return choices[cell]

    def timestamp(self, column: str) -> datetime | None:
        """ISO 8601 with its own offset (`2024-08-16T15:57:13+0200`), returned in UTC."""
        moment_and_day, problem = _read_timestamp(self.values[column])
        if problem:
            self.problem(column, problem)
        return moment_and_day[0] if moment_and_day else None

    def local_time(self, column: str, tz: tzinfo) -> datetime | None:
        """Legacy `MM/DD/YYYY h:mm AM/PM`, in the exporter's (here: the user's) time zone."""
        cell = self.values[column].strip()
        try:
            moment = datetime.strptime(cell, "%m/%d/%Y %I:%M %p").replace(tzinfo=tz).astimezone(UTC_ZONE)
            _trading_date(moment)
        except (ValueError, OverflowError):
            self.problem(column, "not a date and time like 05/20/2021 5:10 PM")
            return None
        return moment

    def date(self, column: str) -> date | None:
        cell = self.values[column].strip()
        if not cell:
            return None
        for pattern in ("%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d"):
            try:
                return datetime.strptime(cell, pattern).date()
            except ValueError:
                continue
        self.problem(column, "not a date like 06/18/2021")
        return None
