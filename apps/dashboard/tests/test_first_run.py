"""First run: a trader with nothing synced yet sees what to do first, not a page of dashes."""

import pytest
from django.urls import reverse

from apps.reports.tests.factories import BrokerAccountFactory
from apps.tastytrade_sync.models import Connection, SyncRun
from apps.tastytrade_sync.tests.factories import ConnectionFactory, SyncRunFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")


def home(client) -> str:
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_new_user_is_offered_to_connect_tastytrade_or_import_a_csv(user_client):
    html = home(user_client)
    assert 'data-first-step="connect"' in html
    assert f'href="{reverse("tastytrade_sync:connect")}">Connect TastyTrade</a>' in html
    assert f'href="{reverse("trades:import_csv")}">Import a CSV</a>' in html


def test_a_new_user_sees_no_widgets_of_dashes(user_client):
    html = home(user_client)
    assert "data-dashboard-widget" not in html and "\u2014" not in html


def test_a_connection_that_never_synced_offers_sync_now(user_client, user):
    connection = ConnectionFactory(user=user)
    html = home(user_client)
    assert 'data-first-step="sync"' in html
    assert "has not synced yet" in html
    assert reverse("tastytrade_sync:sync_now", args=[connection.pk]) in html
    assert "data-dashboard-widget" not in html


def test_a_first_sync_in_progress_shows_its_progress(user_client, user):
    SyncRunFactory(connection=ConnectionFactory(user=user), status=SyncRun.Status.RUNNING)
    html = home(user_client)
    assert "Your first sync is running" in html
    assert "data-sync-run=" in html


def test_a_failed_first_sync_says_so_and_offers_sync_now_again(user_client, user):
    connection = ConnectionFactory(user=user)
    SyncRunFactory(connection=connection, status=SyncRun.Status.FAILED)
    html = home(user_client)
    assert "Last sync: Failed" in html
    assert reverse("tastytrade_sync:sync_now", args=[connection.pk]) in html


def test_a_user_with_an_account_sees_the_dashboard(user_client, user):
    BrokerAccountFactory(user=user)
    html = home(user_client)
    assert "data-first-step" not in html and 'data-dashboard-widget="balances"' in html


def test_a_csv_only_user_sees_the_dashboard_without_a_connection(user_client, user):
    BrokerAccountFactory(user=user, connection=None)
    assert 'data-dashboard-widget="pnl"' in home(user_client)


def test_a_connection_tastytrade_refused_before_any_sync_offers_reconnect_or_a_csv(user_client, user):
    ConnectionFactory(user=user, status=Connection.Status.NEEDS_RECONNECT)
    html = home(user_client)
    assert 'data-first-step="reconnect"' in html
    assert f'href="{reverse("tastytrade_sync:connect")}">Reconnect TastyTrade</a>' in html
    assert f'href="{reverse("trades:import_csv")}">Import a CSV</a>' in html
