"""Requests that once answered with a 500: an over-long account number in an export's file name, and the
Google and Apple sign-in URLs of a site where those providers are not set up."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from apps.trades.models import BrokerAccount

CSV = (
    "Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,Fees,"
    "Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #,Total,Currency\n"
    '2026-03-31T14:00:00-0700,Money Movement,Dividend,,KO,Equity,"COCA COLA CO",15.30,0,,--,0.00,,,,,,,,15.30,USD\n'
)
OVERLONG = "A" * 40


@pytest.fixture
def browser(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_an_overlong_account_number_in_a_file_name_asks_for_the_account_number(browser):
    name = f"tastytrade_transactions_history_x{OVERLONG}_260101_to_260331.csv"
    export = SimpleUploadedFile(name, CSV.encode(), content_type="text/csv")

    response = browser.post(reverse("trades:import_csv"), {"files": [export], "account_number": ""})

    assert response.status_code == 200
    assert "Enter the account number" in response.content.decode()
    assert not BrokerAccount.objects.exists()


PROVIDER_URLS = [
    ("get", "google_login"),
    ("post", "google_login"),
    ("get", "google_callback"),
    ("get", "apple_login"),
    ("post", "apple_login"),
]


@pytest.mark.parametrize(("method", "name"), PROVIDER_URLS)
def test_a_sign_in_provider_that_is_not_set_up_is_404(client, db, settings, method, name):
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": []}, "apple": {"APPS": []}}
    client.raise_request_exception = False

    response = getattr(client, method)(reverse(name), {"state": "x", "code": "y"} if "callback" in name else {})

    assert response.status_code == 404


def test_the_sign_in_page_offers_no_button_for_a_provider_that_is_not_set_up(client, db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": []}, "apple": {"APPS": []}}

    page = client.get(reverse("account_login")).content.decode()

    assert reverse("google_login") not in page
    assert reverse("apple_login") not in page
