"""One navigation, the navbar: every section on every screen size, the current page marked."""

import re

import pytest
from django.urls import reverse

from apps.core.context_processors import SECTIONS, current_section
from apps.trades.tests.factories import BrokerAccountFactory


def navbar(client, name: str, params: dict | None = None) -> str:
    html = client.get(reverse(name), params or {}).content.decode()
    return html.split('aria-label="Main navigation"')[1].split("</nav>")[0]


def test_the_navbar_links_every_section(user_client):
    html = navbar(user_client, "dashboard:home")
    for section in SECTIONS:
        assert f'href="{reverse(section.url_name)}"' in html


def test_import_csv_and_trades_are_in_the_navbar_a_phone_collapses(user_client):
    html = navbar(user_client, "dashboard:home")
    collapsed = html.split('id="nav-menu"')[1]
    assert ">Import CSV</a>" in collapsed and ">Trades</a>" in collapsed


def test_the_page_has_no_second_list_of_sections(user_client):
    html = user_client.get(reverse("dashboard:home")).content.decode()
    assert 'aria-label="Sections"' not in html and "nav-tabs" not in html


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("dashboard:home", "Dashboard"),
        ("dashboard:positions", "Positions"),
        ("trades:list", "Trades"),
        ("trades:import_csv", "Import CSV"),
        ("reports:home", "Reports"),
        ("tastytrade_sync:page", "Sync"),
    ],
)
def test_the_current_page_is_marked_with_aria_current(user_client, name, label):
    marked = re.findall(r'aria-current="page">([^<]+)</a>', navbar(user_client, name))
    assert marked == [label]


def test_a_trades_own_page_marks_trades():
    assert current_section("trades:detail").label == "Trades"


def test_an_import_page_marks_import_csv_not_trades():
    assert current_section("trades:import_preview").label == "Import CSV"


def test_the_chosen_account_travels_to_the_data_pages_but_not_to_sync(user_client, user):
    account = BrokerAccountFactory(user=user)
    html = navbar(user_client, "dashboard:home", {"account": account.pk})
    assert f'href="{reverse("reports:home")}?account={account.pk}"' in html
    assert f'href="{reverse("tastytrade_sync:page")}"' in html


def test_a_visitor_sees_no_sections(client, db):
    html = navbar(client, "dashboard:landing")
    assert reverse("trades:list") not in html and reverse("account_login") in html
