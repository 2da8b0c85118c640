"""The dashboard's own layout and its P&L calendar in a real browser: a widget moved with the keyboard stays
moved after a reload, and a day of the calendar opens that day's closed trades on a desktop and on a phone."""

import re

import pytest
from playwright.sync_api import Page, expect

from apps.reports.tests.factories import BrokerAccountFactory

pytestmark = pytest.mark.browser


def widget_order(page: Page) -> list[str]:
    return page.locator("[data-dashboard-widget]").evaluate_all("nodes => nodes.map(n => n.dataset.dashboardWidget)")


def test_a_widget_moved_with_the_keyboard_keeps_its_place_after_a_reload(signed_in_page: Page, user):
    BrokerAccountFactory(user=user)
    page = signed_in_page
    page.goto("/dashboard/")
    assert widget_order(page).index("calendar") > widget_order(page).index("sync")
    page.locator("#edit-layout summary").focus()
    page.keyboard.press("Enter")  # opens the panel
    move_up = page.locator("button[value='calendar:up']")
    expect(move_up).to_have_accessible_name("Move up: P&L calendar (this month)")
    move_up.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/\?edit=layout"))
    expect(page.get_by_role("status").or_(page.locator(".alert")).first).to_contain_text("Dashboard layout saved.")
    page.goto("/dashboard/")
    order = widget_order(page)
    assert order.index("calendar") == order.index("net-liq") + 1 and order.index("calendar") < order.index("sync")


def test_a_hidden_widget_stays_hidden_until_the_layout_is_reset(signed_in_page: Page, user):
    BrokerAccountFactory(user=user)
    page = signed_in_page
    page.goto("/dashboard/")
    page.get_by_text("Edit layout").click()
    page.get_by_role("checkbox", name="Sync status").uncheck()
    page.get_by_role("button", name="Save layout").click()
    page.reload()
    assert "sync" not in widget_order(page)
    page.get_by_role("button", name="Reset to the default layout").click()
    assert "sync" in widget_order(page)


@pytest.mark.parametrize("width", [1440, 390])
def test_a_calendar_day_opens_its_closed_trades(signed_in_page: Page, history, width):
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/dashboard/calendar/?month=2026-03")
    page.get_by_role("link", name=re.compile(r"16")).filter(visible=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monday, 16 March 2026")
    expect(page.locator("[data-calendar=day-total]")).to_have_text("-$50.00")
    page.get_by_role("link", name=re.compile(r"KO")).click()
    expect(page).to_have_url(re.compile(r"/trades/\d+/position/"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
