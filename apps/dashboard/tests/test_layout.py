"""Your own dashboard: widgets shown, hidden and reordered per user, with a reset; forgiving of old layouts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.reports.tests.factories import BrokerAccountFactory

from .. import layout
from ..models import DashboardLayout

pytestmark = pytest.mark.usefixtures("frozen_clock")
DEFAULT = [widget.name for widget in layout.WIDGETS]


@pytest.fixture
def account(user):
    return BrokerAccountFactory(user=user)


def shown_order(client) -> list[str]:
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    return re.findall(r'data-dashboard-widget="([^"]+)"', response.content.decode())


def post(client, **data):
    data.setdefault("shown", DEFAULT)
    return client.post(reverse("dashboard:edit_layout"), data)


# -- Reading a saved layout ------------------------------------------------------------------


def test_no_saved_layout_is_every_widget_in_the_default_order():
    assert [(item.name, item.shown) for item in layout.arrange(None)] == [(name, True) for name in DEFAULT]


def test_a_saved_layout_keeps_its_order_and_hidden_widgets():
    saved = [{"name": "sync", "shown": True}, {"name": "pnl", "shown": False}]
    placed = layout.arrange(saved)
    assert [(item.name, item.shown) for item in placed[:2]] == [("sync", True), ("pnl", False)]


def test_unknown_duplicate_and_malformed_entries_are_ignored():
    saved = [{"name": "old-widget"}, {"name": "pnl", "shown": False}, {"name": "pnl"}, "sync", 7, {"shown": True}]
    placed = layout.arrange(saved)
    assert [item.name for item in placed].count("pnl") == 1
    assert "old-widget" not in [item.name for item in placed]
    assert placed[0].name == "pnl" and not placed[0].shown


def test_a_widget_added_since_the_layout_was_saved_appears_shown_at_the_end():
    saved = [{"name": name, "shown": True} for name in DEFAULT if name != "calendar"]
    placed = layout.arrange(saved)
    assert (placed[-1].name, placed[-1].shown) == ("calendar", True)


def test_a_layout_that_is_not_a_list_is_the_default():
    assert [item.name for item in layout.arrange({"pnl": False})] == DEFAULT


def test_moving_the_first_widget_up_changes_nothing():
    placed = layout.arrange(None)
    assert layout.moved(placed, DEFAULT[0], "up") == placed


# -- The page and the "Edit layout" form ----------------------------------------------------------


def test_the_dashboard_shows_every_widget_in_the_default_order(user_client, account):
    assert shown_order(user_client) == DEFAULT


def test_moving_a_widget_up_is_saved_and_the_page_follows_it(user_client, user, account):
    response = post(user_client, move="calendar:up")
    assert response.status_code == 302 and response.url == "/dashboard/?edit=layout#edit-layout"
    expected = ["balances", "pnl", "net-liq", "calendar", "sync", "monthly-pnl", "cumulative-pnl"]
    assert shown_order(user_client) == expected
    assert [entry["name"] for entry in DashboardLayout.objects.get(user=user).widgets] == expected


def test_moving_a_widget_down_swaps_it_with_the_next(user_client, account):
    post(user_client, move="balances:down")
    assert shown_order(user_client)[:2] == ["pnl", "balances"]


def test_unticked_widgets_are_hidden(user_client, account):
    post(user_client, shown=["pnl", "calendar"])
    assert shown_order(user_client) == ["pnl", "calendar"]


def test_a_hidden_widget_keeps_its_place_when_shown_again(user_client, account):
    post(user_client, move="sync:up")
    post(user_client, shown=[name for name in DEFAULT if name != "sync"])
    post(user_client)
    assert shown_order(user_client)[2:4] == ["sync", "net-liq"]


def test_hiding_every_widget_says_how_to_show_them_again(user_client, account):
    post(user_client, shown=[])
    html = user_client.get(reverse("dashboard:home")).content.decode()
    assert "Every widget is hidden" in html and 'data-dashboard-widget="' not in html


def test_reset_goes_back_to_the_default_layout(user_client, user, account):
    post(user_client, move="calendar:up", shown=["calendar"])
    post(user_client, reset="1")
    assert shown_order(user_client) == DEFAULT
    assert not DashboardLayout.objects.filter(user=user).exists()


def test_an_unknown_widget_or_direction_saves_nothing(user_client, user, account):
    post(user_client, move="nope:up")
    post(user_client, move="pnl:sideways")
    assert not DashboardLayout.objects.filter(user=user).exists()


def test_a_layout_is_the_users_own(user_client, other_client, other_user, account):
    BrokerAccountFactory(user=other_user)
    post(user_client, shown=["pnl"])
    assert shown_order(other_client) == DEFAULT


def test_the_edit_panel_opens_after_a_change(user_client, account):
    html = user_client.get(reverse("dashboard:home"), {"edit": "layout"}).content.decode()
    assert 'id="edit-layout" open' in html


def test_the_layout_form_refuses_a_get(user_client):
    assert user_client.get(reverse("dashboard:edit_layout")).status_code == 405


def test_signed_out_visitors_cannot_change_a_layout(client, db):
    assert client.post(reverse("dashboard:edit_layout"), {"reset": "1"}).status_code == 302


def test_a_hidden_calendar_costs_no_query(user_client, history):
    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            user_client.get(reverse("dashboard:home"))
        return len(context.captured_queries)

    shown = queries()
    post(user_client, shown=[name for name in DEFAULT if name != "calendar"])
    assert queries() == shown - 1
