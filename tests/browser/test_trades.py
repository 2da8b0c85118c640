"""The Trades tab in a real browser, on simulator data synced through the real SDK: it opens, filters narrow it,
a trade opens to its legs and transactions, tags and notes are added in place, the CSV downloads."""

import re

import pytest
from playwright.sync_api import Page, expect

from .test_dashboard import page_errors, synced  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def rows(page: Page):
    return page.locator("table tbody tr")


def count_of(page: Page, noun: str) -> int:
    text = page.get_by_text(re.compile(rf"^\s*[\d,]+ {noun}")).first.inner_text()
    return int(re.match(r"\s*([\d,]+)", text).group(1).replace(",", ""))


def test_the_trades_tab_opens_from_the_dashboard(signed_in_page: Page, synced, page_errors):  # noqa: F811
    page = signed_in_page
    page.goto("/dashboard/")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Trades", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trades")
    expect(page).to_have_url(re.compile(r"/trades/$"))
    expect(rows(page).first).to_be_visible()
    assert count_of(page, "positions") > 0
    assert page_errors == []


def test_a_filter_narrows_the_trades(signed_in_page: Page, synced):  # noqa: F811
    page = signed_in_page
    page.goto("/trades/")
    everything = count_of(page, "positions")
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=open"))
    still_open = count_of(page, "position")
    assert 0 < still_open < everything
    expect(rows(page).filter(has_text=re.compile(r"Closed \d{4}-"))).to_have_count(0)


def test_chains_are_one_choice_away(signed_in_page: Page, synced):  # noqa: F811
    page = signed_in_page
    page.goto("/trades/")
    page.get_by_label("Show").select_option("chains")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"show=chains"))
    expect(page.get_by_role("columnheader", name="Kind")).to_be_visible()


def test_a_trade_opens_to_its_legs_and_transactions(signed_in_page: Page, synced, page_errors):  # noqa: F811
    page = signed_in_page
    page.goto("/trades/?status=closed")
    rows(page).first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Legs (FIFO lots)")).to_be_visible()
    expect(page.get_by_role("heading", name="Closing events")).to_be_visible()
    expect(page.locator("section[aria-labelledby=transactions-title] tbody tr").first).to_be_visible()
    assert page_errors == []


def test_a_tag_and_a_note_are_added_in_place(signed_in_page: Page, synced, page_errors):  # noqa: F811
    page = signed_in_page
    page.goto("/trades/?status=closed")
    rows(page).first.get_by_role("link").first.click()
    page.get_by_label("New tag").fill("Earnings")
    page.get_by_role("button", name="Add tag").click()
    expect(page.get_by_text("Tagged “earnings”.")).to_be_visible()
    expect(page.get_by_role("button", name="Remove the tag earnings")).to_be_visible()
    page.get_by_label("New note").fill("Closed before the report.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#notes article")).to_contain_text("Closed before the report.")
    assert page_errors == []


def test_the_trades_csv_downloads_with_its_header_row(signed_in_page: Page, synced):  # noqa: F811
    page = signed_in_page
    page.goto("/trades/?status=open")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert re.fullmatch(r"trades-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    lines = download.path().read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "account_number,position_key,underlying_symbol,strategy,detected_strategy,status,opened_at,closed_at,legs,"
        "realized_pnl,chain_key,chain_kind,tags,notes"
    )
    assert len(lines) > 1 and all(",open," in line for line in lines[1:] if line.count(",") >= 13)


def test_a_trade_page_fits_a_phone_screen(signed_in_page: Page, synced):  # noqa: F811
    page = signed_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/trades/?status=closed")
    rows(page).first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Legs (FIFO lots)")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
