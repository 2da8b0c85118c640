"""Every main page, on a desktop (1440x900) and a phone (390x844), in light and dark mode: the page never
scrolls sideways, logs no console error, and shows no `NaN`, `undefined`, `None` or `0E` (a Decimal in exponent
form). Data: half a year of simulated TastyTrade activity synced through the real SDK and P&L engine.

Add a page to PAGES to walk it too. With UPDATE_SCREENS=1 the walk also refreshes the screenshots of the few
pages marked `screen` in docs/screens/ (linked from the README); otherwise they go to test-artifacts/screens/.
"""

import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image
from playwright.sync_api import Browser

from apps.tastytrade_sync.tests.factories import synced_from_simulator
from apps.trades.models import Position, PositionSnapshot

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class MainPage:
    url_name: str
    query: str | Callable[[object], str] = ""  # or the user -> the query string
    kwargs: Callable[[object], dict] | None = None  # the user -> the URL's kwargs
    screen: str = ""  # kept as docs/screens/<screen>-<viewport>-<mode>.png (a few pages only)

    def url(self, user) -> str:
        query = self.query(user) if callable(self.query) else self.query
        return reverse(self.url_name, kwargs=self.kwargs(user) if self.kwargs else None) + query


def first_closed_position(user) -> dict:
    position = Position.objects.filter(account__user=user, closed_at__isnull=False).order_by("-closed_at").first()
    return {"account": position.account_id, "key": position.key}


def a_held_underlying(user) -> str:
    snapshot = PositionSnapshot.objects.filter(account__user=user).order_by("underlying_symbol").first()
    return f"?underlying={snapshot.underlying_symbol}"


PAGES = [
    MainPage("dashboard:home", screen="dashboard"),
    MainPage("dashboard:positions", screen="positions"),
    MainPage("trades:list", screen="trades"),
    MainPage("trades:detail", kwargs=first_closed_position),
    MainPage("dashboard:transactions"),
    MainPage("reports:home", screen="reports"),
    MainPage("reports:home", query="?report=breakdown"),
    MainPage("reports:home", query="?report=edge"),
    MainPage("reports:home", query="?report=cash-flow"),
    MainPage("reports:home", query="?report=returns"),
    MainPage("reports:home", query="?report=rolls"),
    MainPage("reports:income"),
    MainPage("reports:transfers"),
    MainPage("reports:tax"),
    MainPage("dashboard:calendar"),
    MainPage("dashboard:calendar_year"),
    MainPage("dashboard:calendar_day"),
    MainPage("dashboard:payoff", query=a_held_underlying),
    MainPage("journal:list"),
    MainPage("journal:day"),
    MainPage("trades:import_csv"),
    MainPage("tastytrade_sync:page"),
    MainPage("accounts:profile"),
]
VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
MODES = ["light", "dark"]  # the user follows the system; the browser says which
# Kept screenshots: every marked page on a desktop in light mode, and the dashboard in the other three.
KEPT = {("desktop", "light")}
KEPT_DASHBOARD = {("desktop", "dark"), ("phone", "light"), ("phone", "dark")}

WRONG_TEXT = re.compile(r"\bNaN\b|\bundefined\b|\bNone\b|\b0E[-+]?\d")
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def synced(user, settings):
    return synced_from_simulator(user, settings, seed=3)


def keep_screenshot(png: bytes, name: str) -> None:
    """A small PNG: 256 colours are plenty for a page of text and flat charts."""
    folder = Path(settings.BASE_DIR) / (
        "docs/screens" if os.environ.get("UPDATE_SCREENS") == "1" else "test-artifacts/screens"
    )
    folder.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(folder / f"{name}.png", optimize=True)


def walk(browser: Browser, base_url: str, sign_in, user, viewport: str, mode: str) -> list[str]:
    """Open every page in one tab; return what is wrong, page by page."""
    context = browser.new_context(base_url=base_url, viewport=VIEWPORTS[viewport], color_scheme=mode)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, user.email)
    problems = []
    for main_page in PAGES:
        url = main_page.url(user)
        errors.clear()
        response = page.goto(url)
        page.wait_for_load_state("load")
        where = f"{url} ({viewport}, {mode})"
        if response is None or response.status != 200:
            problems.append(f"{where}: status {response and response.status}")
            continue
        if page.evaluate("document.documentElement.dataset.bsTheme") != mode:
            problems.append(f"{where}: drawn in the wrong colour mode")
        if (overflow := page.evaluate(OVERFLOW)) > 0:
            problems.append(f"{where}: scrolls sideways by {overflow}px")
        if found := WRONG_TEXT.findall(page.inner_text("body")):
            problems.append(f"{where}: shows {sorted(set(found))}")
        if errors:
            problems.append(f"{where}: console errors {errors}")
        if main_page.screen and (
            (viewport, mode) in KEPT or (main_page.screen == "dashboard" and (viewport, mode) in KEPT_DASHBOARD)
        ):
            keep_screenshot(page.screenshot(), f"{main_page.screen}-{viewport}-{mode}")
    context.close()
    return problems


def test_every_main_page_fits_and_reads_cleanly_on_desktop_and_phone_in_both_modes(
    browser: Browser, live_server, sign_in, user, synced
):
    problems = []
    for viewport in VIEWPORTS:
        for mode in MODES:
            problems += walk(browser, live_server.url, sign_in, user, viewport, mode)
    assert problems == []
