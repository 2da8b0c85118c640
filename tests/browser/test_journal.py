"""Chart screenshots and the daily journal in a real browser: a screenshot attached to a trade shows as a loaded
thumbnail under strict CSP, and a day's journal keeps its line breaks."""

import re

import pytest
from playwright.sync_api import Page, expect

from apps.journal.tests.images import png
from apps.trades.models import Position

from .test_dashboard import page_errors  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

LOADED = "image => image.complete && image.naturalWidth > 0"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }


def test_a_screenshot_attached_to_a_trade_shows_its_thumbnail(signed_in_page: Page, history, page_errors):  # noqa: F811
    page = signed_in_page
    ko = Position.objects.get(account=history, underlying_symbol="KO")
    page.goto(f"/trades/{ko.account_id}/position/{ko.key}/")

    page.get_by_label("Attach a screenshot").set_input_files(
        {"name": "ko-entry.png", "mimeType": "image/png", "buffer": png((1600, 900))}
    )
    page.get_by_role("button", name="Attach", exact=True).click()

    expect(page.get_by_text("Screenshot attached.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"#screenshots$"))
    thumbnail = page.get_by_role("img", name=re.compile(r"Screenshot 1 \(ko-entry\.png\)"))
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate(LOADED)
    assert thumbnail.evaluate("image => image.naturalWidth") <= 480
    assert page_errors == []


def test_a_refused_file_says_why_on_the_trade_page(signed_in_page: Page, history):
    page = signed_in_page
    ko = Position.objects.get(account=history, underlying_symbol="KO")
    page.goto(f"/trades/{ko.account_id}/position/{ko.key}/")

    page.get_by_label("Attach a screenshot").set_input_files(
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"just text"}
    )
    page.get_by_role("button", name="Attach", exact=True).click()

    expect(page.get_by_text(re.compile("Not attached: This file is not a PNG, JPEG or WebP image"))).to_be_visible()


def test_a_days_journal_is_written_and_listed_with_its_line_breaks(signed_in_page: Page, page_errors):  # noqa: F811
    page = signed_in_page
    page.goto("/journal/")
    page.get_by_role("link", name="Write today's journal").click()
    page.get_by_label("What happened today").fill("Waited for the open.\nSold the put at 1.20.")
    page.get_by_label("Mood").select_option("4")
    page.get_by_role("button", name="Save journal").click()
    expect(page.get_by_text(re.compile(r"Journal for .* saved\."))).to_be_visible()

    page.get_by_role("link", name=re.compile(r"Journal · ")).click()
    entry = page.locator("article").first
    expect(entry).to_contain_text("Mood 4/5")
    assert entry.locator("p br").count() == 1
    assert page_errors == []
