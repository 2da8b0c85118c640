"""Sync pages without TastyTrade: ownership, forms and what the pages show."""

import pytest
from django.urls import reverse

from apps.tastytrade_sync.models import Connection, SyncRun
from apps.tastytrade_sync.tests.factories import BrokerAccountFactory, ConnectionFactory, SyncRunFactory
from apps.trades.models import BrokerAccount

SENTINEL = "refresh-SENTINEL-9f8e7d6c"


@pytest.fixture
def connection(user):
    return ConnectionFactory(user=user, credentials=("client-secret-0001", SENTINEL))


def test_sync_page_requires_sign_in(client, db):
    response = client.get(reverse("tastytrade_sync:page"))
    assert response.status_code == 302


def test_sync_page_invites_a_user_without_connections_to_connect(user_client):
    assert b"Connect your TastyTrade account" in user_client.get(reverse("tastytrade_sync:page")).content


def test_sync_page_shows_only_the_last_four_characters_of_the_refresh_token(user_client, connection):
    html = user_client.get(reverse("tastytrade_sync:page")).content.decode()
    assert "\u2022\u2022\u2022\u20226c" not in html  # not just two characters...
    assert "\u2022\u2022\u2022\u20227d6c" in html and SENTINEL not in html


def test_sync_page_query_count_does_not_grow_with_accounts(user_client, connection, django_assert_max_num_queries):
    for _ in range(5):
        BrokerAccountFactory(user=connection.user, connection=connection)
    with django_assert_max_num_queries(12):
        assert user_client.get(reverse("tastytrade_sync:page")).status_code == 200


def test_other_users_connection_page_is_404(other_client, connection):
    assert other_client.get(reverse("tastytrade_sync:connection", args=[connection.pk])).status_code == 404


def test_other_user_cannot_sync_my_connection(other_client, connection):
    assert other_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk])).status_code == 404


def test_other_user_cannot_disconnect_my_connection(other_client, connection):
    other_client.post(reverse("tastytrade_sync:disconnect", args=[connection.pk]))
    assert Connection.objects.filter(pk=connection.pk).exists()


def test_other_users_run_status_is_404(other_client, connection):
    run = SyncRunFactory(connection=connection)
    assert other_client.get(reverse("tastytrade_sync:run_status", args=[run.pk])).status_code == 404


def test_other_user_cannot_continue_my_run(other_client, connection):
    run = SyncRunFactory(connection=connection, status=SyncRun.Status.PARTIAL)
    assert other_client.post(reverse("tastytrade_sync:run_continue", args=[run.pk])).status_code == 404


def test_accounts_left_out_are_saved(user_client, connection):
    kept = BrokerAccountFactory(user=connection.user, connection=connection)
    left_out = BrokerAccountFactory(user=connection.user, connection=connection)
    user_client.post(reverse("tastytrade_sync:connection", args=[connection.pk]), {f"include_{kept.pk}": "on"})
    assert list(BrokerAccount.objects.filter(is_included=False)) == [left_out]


def test_disconnect_keeps_the_history_unless_asked(user_client, connection):
    account = BrokerAccountFactory(user=connection.user, connection=connection)
    user_client.post(reverse("tastytrade_sync:disconnect", args=[connection.pk]))
    account.refresh_from_db()
    assert (Connection.objects.count(), account.connection) == (0, None)


def test_disconnect_can_delete_the_data_too(user_client, connection):
    BrokerAccountFactory(user=connection.user, connection=connection)
    user_client.post(reverse("tastytrade_sync:disconnect", args=[connection.pk]), {"delete_data": "on"})
    assert BrokerAccount.objects.count() == 0


def test_sync_now_is_refused_with_a_message_when_the_connection_needs_reconnecting(user_client, connection):
    connection.status = Connection.Status.NEEDS_RECONNECT
    connection.save()
    response = user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]), follow=True)
    assert b"reconnect it first" in response.content


def test_sync_now_only_accepts_post(user_client, connection):
    assert user_client.get(reverse("tastytrade_sync:sync_now", args=[connection.pk])).status_code == 405


def test_connect_form_requires_both_secrets(user_client):
    response = user_client.post(reverse("tastytrade_sync:connect"), {"environment": "simulator"})
    assert response.status_code == 200 and Connection.objects.count() == 0


def test_connect_form_never_echoes_a_pasted_secret(user_client):
    response = user_client.post(
        reverse("tastytrade_sync:connect"),
        {"environment": "simulator", "client_secret": "s3cret", "refresh_token": f"{SENTINEL} with spaces"},
    )
    assert SENTINEL not in response.content.decode()


def test_connect_with_tastytrade_is_hidden_when_the_app_is_not_configured(user_client):
    assert b"Connect with TastyTrade" not in user_client.get(reverse("tastytrade_sync:connect")).content


def test_oauth_callback_with_an_unknown_state_is_refused(user_client):
    response = user_client.get(
        reverse("tastytrade_sync:oauth_callback"), {"code": "abc", "state": "forged"}, follow=True
    )
    assert b"was not started here" in response.content and Connection.objects.count() == 0


def test_stored_credentials_are_encrypted_not_plain(connection):
    row = Connection.objects.values("encrypted_refresh_token", "encrypted_client_secret").get()
    assert SENTINEL not in str(row) and "client-secret-0001" not in str(row)


def test_stored_credentials_decrypt_for_their_own_row(connection):
    assert Connection.objects.get().refresh_token == SENTINEL


def test_the_connect_form_secrets_are_masked_in_error_reports(rf, user):
    from django.views.debug import SafeExceptionReporterFilter

    from apps.tastytrade_sync.views import connect

    request = rf.post(
        reverse("tastytrade_sync:connect"),
        {"label": "x", "environment": "sandbox", "client_secret": "s3cret-value", "refresh_token": ""},
    )
    request.user = user
    connect(request)  # the form is invalid (no refresh token): it renders again, nothing is sent anywhere
    masked = SafeExceptionReporterFilter().get_post_parameters(request)
    assert masked["client_secret"] != "s3cret-value" and "s3cret-value" not in str(masked)
