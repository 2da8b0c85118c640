"""Wide tables on a phone (390x844): key columns first, the first one kept in view while the rest scroll."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from .test_edge_report import ledger  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

BAD_ROWS = Path(settings.BASE_DIR) / "apps/trades/tests/csv_samples/v3_bad_rows.csv"


def test_the_import_previews_file_table_shows_the_rejected_column_on_a_phone(signed_in_page, tmp_path):
    # A long file name, as TastyTrade names its exports.
    export = tmp_path / "tastytrade_transactions_history_x5WT00001_260101_to_261206.csv"
    export.write_bytes(BAD_ROWS.read_bytes())
    signed_in_page.set_viewport_size({"width": 390, "height": 844})
    signed_in_page.goto("/trades/import/")
    signed_in_page.set_input_files("input[type=file]", str(export))
    signed_in_page.get_by_role("button", name="Preview the import").click()
    rejected = signed_in_page.get_by_role("columnheader", name="Rejected")
    expect(rejected).to_be_in_viewport(ratio=1)
    files = signed_in_page.locator(".table-responsive").first
    assert files.evaluate("element => element.scrollWidth - element.clientWidth") <= 0


def test_a_wide_tables_first_column_stays_in_view_when_it_scrolls_sideways_on_a_phone(signed_in_page, ledger):  # noqa: F811
    signed_in_page.set_viewport_size({"width": 390, "height": 844})
    signed_in_page.goto("/reports/?report=edge&start=")
    section = signed_in_page.locator("#edge-underlying-title").locator("xpath=../..")
    scroller = section.locator("table[data-sortable]").locator("xpath=..")
    first_cell = scroller.locator("tbody th").first
    before = first_cell.bounding_box()["x"]
    scroller.evaluate("element => { element.scrollLeft = 200; }")
    assert scroller.evaluate("element => element.scrollLeft") > 0
    assert abs(first_cell.bounding_box()["x"] - before) < 1
