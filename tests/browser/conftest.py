"""Playwright fixtures for every browser test: one headless Debian Chromium per module, a fresh page per test
against pytest-django's live server (with a screenshot saved under test-artifacts/ when the test ends), and
signing in through the real sign-in form.

    @pytest.mark.browser
    def test_something(signed_in_page):          # alice@example.com, signed in
        signed_in_page.goto("/dashboard/")

``browser_page`` is a signed-out page; ``sign_in(page, email)`` signs any verified user in.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect, sync_playwright

from apps.accounts.tests.fake_google import fake_google  # noqa: F401 - fixture

CHROMIUM = Path("/usr/bin/chromium")
# Never a browser downloaded by `playwright install`: Debian's package, offline and quiet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
PASSWORD = "correct-horse-battery"  # make_user's default in the root conftest


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module (about half a second to start). Not per session: Playwright's sync API
    keeps an event loop running in this thread while it is open, and other apps' tests call asyncio.run(),
    which refuses to start next to a running loop; pytest-django runs those after the live-server tests."""
    if not CHROMIUM.exists():
        message = f"Browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    # The test body's ORM calls are plain synchronous code, which Django would otherwise refuse next to
    # Playwright's running loop.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Rate-limit counters live in the cache, shared with the live server; many quick sign-ins in a row
    would otherwise trip allauth's 30 sign-ins a minute per IP."""
    cache.clear()


@pytest.fixture
def browser_page(browser: Browser, live_server, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A signed-out page whose relative URLs go to the live server; screenshotted when the test ends."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}.png", full_page=True)
    context.close()


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """Signs a verified user in through the sign-in form, the way a person does."""

    def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page).to_have_url(re.compile(r"/dashboard/$"))

    return sign_in


@pytest.fixture
def signed_in_page(browser_page: Page, user, sign_in) -> Page:
    """``browser_page`` signed in as the root conftest's ``user`` (alice@example.com)."""
    sign_in(browser_page, user.email)
    return browser_page
