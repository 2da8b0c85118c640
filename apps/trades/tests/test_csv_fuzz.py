"""Random bytes and mangled exports: the importer never raises and never writes part of a file."""

import re
import tempfile
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.trades import csv_import
from apps.trades.csv_import import HEADERS, CsvFile, import_csv_files, preview
from apps.trades.models import BrokerAccount, Transaction

SAMPLES = Path(__file__).parent / "csv_samples"
SAMPLE_TEXTS = [(SAMPLES / name).read_text() for name in ("legacy_2021.csv", "v2_2024.csv", "v3_2026.csv")]
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Characters that reach deep into the number, date and symbol parsers.
CELL_TEXT = st.text(alphabet="0123456789,.-+:TZ/ APMCPUSDe_\"'\x00\u00e9\n", max_size=30)


@st.composite
def mangled_exports(draw) -> bytes:
    lines = draw(st.sampled_from(SAMPLE_TEXTS)).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        index = draw(st.integers(1, len(lines) - 1)) if len(lines) > 1 else 0
        cells = lines[index].split(",")
        mutation = draw(st.sampled_from(["cell", "insert", "delete", "duplicate", "truncate", "header"]))
        if mutation == "cell":
            cells[draw(st.integers(0, len(cells) - 1))] = draw(CELL_TEXT)
            lines[index] = ",".join(cells)
        elif mutation == "insert":
            at = draw(st.integers(0, len(lines[index])))
            lines[index] = lines[index][:at] + draw(st.text(max_size=20)) + lines[index][at:]
        elif mutation == "delete":
            del lines[index]
        elif mutation == "duplicate":
            lines.insert(index, lines[index])
        elif mutation == "truncate":
            lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
        else:
            lines[0] = ",".join(draw(st.permutations(lines[0].split(","))))
        if not lines:
            break
    return "\n".join(lines).encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])), errors="surrogatepass")


@st.composite
def random_rows(draw) -> bytes:
    columns = HEADERS[draw(st.sampled_from(sorted(HEADERS)))]
    rows = draw(st.lists(st.lists(CELL_TEXT, min_size=len(columns), max_size=len(columns)), max_size=4))
    text = "\n".join([",".join(columns)] + [",".join(f'"{cell}"' for cell in row) for row in rows])
    return text.encode("utf-8", errors="surrogatepass")


ANY_FILE = st.one_of(st.binary(max_size=3000), mangled_exports(), random_rows())


def check_import_lands_whole_or_not_at_all(user, content: bytes, skip_bad_rows: bool) -> None:
    files = [CsvFile(name="fuzz.csv", content=content)]
    with transaction.atomic():
        planned = preview(user=user, account_number="5WT00001", files=files, skip_bad_rows=skip_bad_rows)
        report = import_csv_files(user=user, account_number="5WT00001", files=files, skip_bad_rows=skip_bad_rows)
        written = Transaction.objects.count()
        [file] = report.files
        assert written == report.new == planned.new
        assert file.rows == file.new + file.already_present + file.rejected
        if file.refused:
            assert written == 0 and not BrokerAccount.objects.exists()
        elif not skip_bad_rows:
            assert not file.problems
        transaction.set_rollback(True)


@FUZZ
@given(content=st.binary(max_size=3000), skip_bad_rows=st.booleans())
def test_random_bytes_never_raise_and_never_write_part_of_a_file(user, content, skip_bad_rows):
    check_import_lands_whole_or_not_at_all(user, content, skip_bad_rows)


@FUZZ
@given(content=mangled_exports(), skip_bad_rows=st.booleans())
def test_mangled_exports_never_raise_and_never_write_part_of_a_file(user, content, skip_bad_rows):
    check_import_lands_whole_or_not_at_all(user, content, skip_bad_rows)


@FUZZ
@given(content=random_rows(), skip_bad_rows=st.booleans())
def test_random_cells_under_a_real_header_never_raise_and_never_write_part_of_a_file(user, content, skip_bad_rows):
    check_import_lands_whole_or_not_at_all(user, content, skip_bad_rows)


def read_both_ways(content: bytes) -> tuple[tuple, tuple]:
    """The file read as `parse_file` reads it (plain rows column by column), then by the row reader alone."""
    csv_file, tz = CsvFile(name="fuzz.csv", content=content), ZoneInfo("America/New_York")

    def everything(parsed) -> tuple:
        fields = [{name: (type(value), str(value)) for name, value in row.fields.items()} for row in parsed.rows]
        keys = [(row.line, row.fields, row.identity, row.match_key, row.charges, row.import_key) for row in parsed.rows]
        return parsed.report, fields, keys

    by_column = everything(csv_import.parse_file(csv_file, tz=tz))
    read_plainly = csv_import._read_plain_rows
    csv_import._read_plain_rows = lambda records, lines, fmt: [None] * len(records)
    try:
        return by_column, everything(csv_import.parse_file(csv_file, tz=tz))
    finally:
        csv_import._read_plain_rows = read_plainly


@FUZZ
@given(content=st.one_of(mangled_exports(), random_rows()))
def test_mangled_exports_read_column_by_column_as_they_read_row_by_row(content):
    by_column, row_by_row = read_both_ways(content)
    assert by_column == row_by_row


@settings(FUZZ, max_examples=25)
@given(content=ANY_FILE)
def test_the_upload_pages_never_raise(user_client, content):
    with transaction.atomic():
        data = {"files": [SimpleUploadedFile("fuzz.csv", content)], "account_number": "5WT00001"}
        response = user_client.post(reverse("trades:import_csv"), data)
        if response.status_code == 200:  # the form stopped it (an empty file)
            assert response.context["form"].errors
            return
        token = re.search(r"/trades/import/([\w-]+)/", response.url)[1]
        assert user_client.get(reverse("trades:import_preview", args=[token])).status_code == 200
        confirmed = user_client.post(reverse("trades:import_confirm", args=[token]), follow=True)
        assert confirmed.status_code == 200
        assert Transaction.objects.count() == confirmed.context["report"].new
        transaction.set_rollback(True)


@settings(FUZZ, max_examples=25)
@given(content=ANY_FILE)
def test_the_command_never_raises_anything_but_a_command_error(user, content):
    with transaction.atomic(), tempfile.NamedTemporaryFile(suffix=".csv") as file:
        file.write(content)
        file.flush()
        try:
            call_command(
                "import_tastytrade_csv",
                "--user",
                user.email,
                "--account",
                "5WT00001",
                file.name,
                stdout=StringIO(),
                stderr=StringIO(),
            )
        except CommandError:
            assert Transaction.objects.count() == 0
        transaction.set_rollback(True)
