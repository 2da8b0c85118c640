"""Deleting an account forgets the trader everywhere in the same request: the sessions of every device they
are signed in on (and what those sessions held), and the CSV uploads still waiting for a confirmation."""

from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from apps.accounts.tests.test_delete_account import delete_account
from apps.trades.models import PendingUpload

CSV = (
    "Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,Fees,"
    "Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #,Total,Currency\n"
    '2026-03-31T14:00:00-0700,Money Movement,Dividend,,KO,Equity,"COCA COLA CO",15.30,0,,--,0.00,,,,,,,,15.30,USD\n'
)


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_deleting_an_account_ends_its_sessions_on_every_device(user_client, user):
    phone = signed_in_client(user)

    delete_account(user_client, user.email)

    assert not Session.objects.filter(session_key=phone.session.session_key).exists()


def test_deleting_an_account_keeps_other_traders_sessions(user_client, user, other_client):
    delete_account(user_client, user.email)

    assert Session.objects.filter(session_key=other_client.session.session_key).exists()


def test_deleting_an_account_deletes_its_waiting_uploads(user_client, user, other_client):
    for client in (user_client, other_client):
        export = SimpleUploadedFile("export.csv", CSV.encode(), content_type="text/csv")
        client.post(reverse("trades:import_csv"), {"files": [export], "account_number": "5WT00001"})

    delete_account(user_client, user.email)

    assert list(PendingUpload.objects.values_list("user__email", flat=True)) == ["bob@example.com"]
