"""Filter forms on a phone: folded behind a "Filters" button unless a filter is on or the form has errors."""

import re

import pytest
from django.urls import reverse

from apps.reports.tests.factories import BrokerAccountFactory

FILTER_PAGES = [
    "dashboard:home",
    "dashboard:transactions",
    "trades:list",
    "reports:home",
    "reports:income",
    "reports:transfers",
]


@pytest.fixture
def account(user):
    return BrokerAccountFactory(user=user, account_number="5WT44444")


def filter_form_classes(client, name: str, params: dict | None = None) -> list[str]:
    response = client.get(reverse(name), params or {})
    assert response.status_code == 200
    tag = re.search(r'<form method="get"[^>]*id="filters"[^>]*>', response.content.decode()).group(0)
    return re.search(r'class="([^"]*)"', tag).group(1).split()


def toggle_button(client, name: str, params: dict | None = None) -> str:
    html = client.get(reverse(name), params or {}).content.decode()
    return re.search(r'<button[^>]*data-bs-target="#filters"[^>]*>', html).group(0)


@pytest.mark.parametrize("name", FILTER_PAGES)
def test_filter_form_is_folded_on_a_phone_and_always_open_on_a_desktop(user_client, account, name):
    classes = filter_form_classes(user_client, name)
    assert {"collapse", "d-md-flex"} <= set(classes)
    assert "show" not in classes


@pytest.mark.parametrize("name", FILTER_PAGES)
def test_filters_button_shows_only_on_a_phone_and_says_the_form_is_closed(user_client, account, name):
    button = toggle_button(user_client, name)
    assert "d-md-none" in button
    assert 'aria-expanded="false"' in button


def test_filter_form_starts_open_when_a_filter_is_on(user_client, account):
    classes = filter_form_classes(user_client, "dashboard:transactions", {"underlying": "SPY"})
    assert "show" in classes


def test_filters_button_says_the_form_is_open_when_a_filter_is_on(user_client, account):
    button = toggle_button(user_client, "trades:list", {"status": "open"})
    assert 'aria-expanded="true"' in button


def test_filter_form_starts_open_when_its_dates_have_an_error(user_client, account):
    classes = filter_form_classes(user_client, "reports:income", {"start": "2026-05-01", "end": "2026-01-01"})
    assert "show" in classes


def test_choosing_a_reports_tab_alone_does_not_open_the_filters(user_client, account):
    classes = filter_form_classes(user_client, "reports:home", {"report": "cash_flow", "page": "1"})
    assert "show" not in classes
