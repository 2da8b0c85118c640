"""A CSV upload with a task worker, in a real browser: the preview page shows a progress bar while a worker reads
the files, and turns into the preview by itself once the worker is done (static/js/progress.js)."""

from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import Page, expect

from .test_dashboard import page_errors  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "apps" / "trades" / "tests" / "csv_samples" / "v3_2026.csv"


@pytest.fixture
def worker_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    """What one db_worker pass does with the queued tasks (claim, run, mark done), in the test's process."""
    for result in DBTaskResult.objects.ready():
        result.claim("test-worker")
        result.set_successful(result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"]))


def test_the_preview_page_turns_from_a_progress_bar_into_the_preview_once_the_worker_has_read_the_files(
    signed_in_page: Page,
    worker_queue,
    page_errors,  # noqa: F811
):
    page = signed_in_page
    page.goto("/trades/import/")
    page.get_by_label("CSV files").set_input_files(str(SAMPLE))
    page.get_by_label("Account number").fill("5WT00001")
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("progressbar")).to_be_visible()
    expect(page.get_by_text("Reading and checking every row")).to_be_visible()

    run_worker()

    expect(page.get_by_role("heading", name="Preview import")).to_be_visible()
    expect(page.get_by_role("button", name="Import")).to_be_visible()
    assert page_errors == []
