"""A trader's TastyTrade credentials never leave the encrypted columns.

A sentinel client secret and refresh token go through the real flow (the Connect form, Sync now, a revoked
grant) against a loopback simulator, and then are looked for everywhere a person or a file could see them:
pages, the backup, the CSV exports, the admin, the 500 page, exception text and every log line. Key rotation
re-encrypts every row; a key that is gone leaves a connection to reconnect, never a crash.
"""

import logging
import traceback
from datetime import date, timedelta
from unittest import mock

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db
from django.test import Client
from django.urls import get_resolver, reverse

from apps.accounts.models import User
from apps.tastytrade_sync import crypto
from apps.tastytrade_sync.client import Client as TastytradeClient
from apps.tastytrade_sync.client import TastytradeError
from apps.tastytrade_sync.models import Connection, SyncRun
from apps.tastytrade_sync.sync import sync_connection
from apps.tastytrade_sync.tests.factories import BrokerAccountFactory, ConnectionFactory
from simulator import Scenario, Simulator

SECRET = "sim-secret-SENTINEL-1337"
TOKEN = "sim-refresh-SENTINEL-0042"
SENTINELS = (SECRET, TOKEN)
KEY_OLD = "b2xkLWtleS1vbGQta2V5LW9sZC1rZXktb2xkLWtleSE="
KEY_NEW = "bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleSE="
LOUD_LOGGERS = ["", "django", "django.request", "httpx2", "httpcore2", "tastytrade", "apps"]
SIGNED_IN_PAGES = [
    "dashboard:home",
    "dashboard:positions",
    "dashboard:transactions",
    "tastytrade_sync:page",
    "reports:home",
    "accounts:profile",
    "trades:import_csv",
    "trades:list",
]
DOWNLOADS = [
    "reports:backup",
    "reports:transactions_csv",
    "reports:positions_csv",
    "reports:cash_flow_csv",
    "reports:pnl_csv",
    "reports:pnl_events_csv",
    "reports:trades_csv",
]


def assert_no_sentinel(text: str | bytes, where: str) -> None:
    text = text.decode() if isinstance(text, bytes) else text
    for sentinel in SENTINELS:
        assert sentinel not in text, f"{sentinel} in {where}"


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def simulator() -> Simulator:
    """One account, 45 days ending today, accepting only the sentinel credentials."""
    scenario = Scenario(seed=3, accounts=1, start=date.today() - timedelta(days=44), days=45)
    return Simulator(scenario, client_secret=SECRET, refresh_token=TOKEN)


@pytest.fixture
def loud_logs(caplog):
    for name in LOUD_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def connected(user, user_client, settings, loud_logs) -> Connection:
    """The sentinel credentials through the Connect form, a Sync now, then a revoked grant and one more."""
    cache.clear()
    sim = simulator()
    with sim.serve() as server:
        settings.TASTYTRADE_SIMULATOR_URL = server.url
        response = user_client.post(
            reverse("tastytrade_sync:connect"),
            {"label": "Main", "environment": "simulator", "client_secret": SECRET, "refresh_token": TOKEN},
        )
        assert response.status_code == 302, response.content
        connection = Connection.objects.get(user=user)
        user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]))
        assert connection.runs.filter(status=SyncRun.Status.SUCCEEDED).exists()
        cache.clear()  # Sync now's rate limit
        sim.revoke_refresh_token(TOKEN)
        user_client.post(reverse("tastytrade_sync:sync_now", args=[connection.pk]))
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_RECONNECT
    return connection


# -- where the sentinel must not be -----------------------------------------------------------------------


def test_the_flow_really_stored_the_sentinel_encrypted(connected):
    assert (connected.client_secret, connected.refresh_token) == (SECRET, TOKEN)
    assert connected.accounts.exists()


def test_no_table_holds_the_sentinel_in_clear(connected):
    with db.cursor() as cursor:
        for table in db.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            assert_no_sentinel(repr(cursor.fetchall()), f"table {table}")


def test_no_page_shows_the_sentinel(connected, user_client):
    for name in SIGNED_IN_PAGES:
        response = user_client.get(reverse(name))
        assert response.status_code == 200, name
        assert_no_sentinel(body(response), name)


def test_the_connection_page_shows_only_the_hint(connected, user_client):
    response = user_client.get(reverse("tastytrade_sync:connection", args=[connected.pk]))
    assert_no_sentinel(body(response), "the connection page")
    assert connected.secret_hint in body(response)


def test_no_download_carries_the_sentinel_or_its_ciphertext(connected, user_client):
    for name in DOWNLOADS:
        response = user_client.get(reverse(name), {"start": ""})
        content = body(response)
        assert response.status_code == 200 and len(content) > 100, name
        assert_no_sentinel(content, name)
        assert connected.encrypted_refresh_token not in content, name
        assert connected.encrypted_client_secret not in content, name


def test_the_backup_has_the_ledger_but_no_connection(connected, user_client):
    content = body(user_client.get(reverse("reports:backup")))
    assert '"transactions":[' in content and "encrypted" not in content and "secret_context" not in content


def test_the_admin_never_shows_the_sentinel(connected, db):
    superuser = User.objects.create_superuser("root@example.com", "correct-horse-battery")
    staff = Client()
    staff.force_login(superuser)
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
    pages.append(reverse("admin:accounts_user_change", args=[connected.user_id]))
    account = connected.accounts.get()
    pages.append(reverse("admin:trades_brokeraccount_change", args=[account.pk]))  # lists the connection
    for url in pages:
        response = staff.get(url)
        assert response.status_code == 200, url
        assert_no_sentinel(body(response), url)
        assert connected.encrypted_refresh_token not in body(response)


def logged(caplog) -> str:
    """Every record of the test so far, fixtures included, formatted with its traceback and arguments."""
    records = caplog.get_records("setup") + caplog.get_records("call")
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(f"{formatter.format(record)} {record.args!r}" for record in records)


def test_not_a_line_of_the_logs_carries_the_sentinel(connected, loud_logs):
    text = logged(loud_logs)
    # The flow did log, at DEBUG, down to the HTTP client's wire events.
    assert "sync run" in text and "httpcore2" in text and "/oauth/token" in text
    assert_no_sentinel(text, "the logs")


def test_the_failed_runs_message_is_plain_words(connected):
    failed = connected.runs.get(status=SyncRun.Status.FAILED)
    assert failed.error_message == "TastyTrade refused the refresh token: reconnect this connection."


# -- the 500 page ----------------------------------------------------------------------------------------


def test_the_500_page_shows_nothing_of_the_request(rf, settings, db):
    settings.DEBUG = False
    request = rf.post(reverse("tastytrade_sync:connect"), {"client_secret": SECRET, "refresh_token": TOKEN})
    response = get_resolver().resolve_error_handler(500)(request)
    assert response.status_code == 500 and b"Something went wrong on our side" in response.content
    assert_no_sentinel(response.content, "the 500 page")


def test_a_crash_while_connecting_logs_no_posted_credentials(user, settings, loud_logs):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(user)
    with mock.patch("apps.tastytrade_sync.views.create_connection", side_effect=RuntimeError("database went away")):
        response = client.post(
            reverse("tastytrade_sync:connect"),
            {"environment": "production", "client_secret": SECRET, "refresh_token": TOKEN},
        )
    assert response.status_code == 500
    assert "database went away" in logged(loud_logs)  # the traceback is logged ...
    assert_no_sentinel(response.content, "the 500 page")
    assert_no_sentinel(logged(loud_logs), "the error log")  # ... the POST body is not


# -- exception text from client.py ----------------------------------------------------------------------


def every_exception_in(exc: BaseException) -> list[BaseException]:
    chain, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


FAULTS = {
    "revoked grant": lambda sim: sim.revoke_refresh_token(TOKEN),
    "401 after a fresh token": lambda sim: sim.faults.expire_token(method="GET", times=None),
    "429 every time": lambda sim: sim.faults.status(429, method="GET", times=None),
    "503 every time": lambda sim: sim.faults.status(503, method="GET", times=None),
    "resets": lambda sim: sim.faults.reset(method="GET", times=None),
    "malformed JSON": lambda sim: sim.faults.malformed_json(method="GET", times=None),
    "slow past the timeout": lambda sim: sim.faults.slow(30, method="GET", times=None),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_client_errors_never_carry_the_credentials(fault, settings, loud_logs):
    settings.TASTYTRADE_TIMEOUT_SECONDS = 0.2
    settings.TASTYTRADE_RETRY_ATTEMPTS = 2
    sim = simulator()
    FAULTS[fault](sim)
    api = TastytradeClient(
        client_secret=SECRET,
        refresh_token=TOKEN,
        base_url="http://simulator.invalid",
        transport=sim.transport(),
        sleep=lambda seconds: None,
    )
    with pytest.raises(TastytradeError) as raised, api:
        api.accounts()
    for exc in every_exception_in(raised.value):
        assert_no_sentinel(str(exc), f"str() of {type(exc).__name__}")
        assert_no_sentinel(repr(exc), f"repr() of {type(exc).__name__}")
    assert_no_sentinel("".join(traceback.format_exception(raised.value)), "the traceback")
    assert_no_sentinel(raised.value.user_message, "the user's message")
    assert_no_sentinel(logged(loud_logs), "the logs")


def test_a_client_for_another_customers_account_says_not_permitted_without_the_token(settings):
    sim = simulator()
    api = TastytradeClient(
        client_secret=SECRET, refresh_token=TOKEN, base_url="http://sim.invalid", transport=sim.transport()
    )
    with pytest.raises(TastytradeError) as raised, api:
        api.positions(sim.stranger_account_number)
    assert raised.value.code == "not_permitted"
    assert_no_sentinel("".join(traceback.format_exception(raised.value)), "the traceback")


# -- key rotation -----------------------------------------------------------------------------------------


def test_key_rotation_re_encrypts_every_row(settings, user, other_user):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_OLD]
    connections = [
        ConnectionFactory(user=owner, credentials=(f"{SECRET}-{n}", f"{TOKEN}-{n}"))
        for n, owner in enumerate([user, user, other_user, other_user, other_user])
    ]
    before = {c.pk: (c.encrypted_client_secret, c.encrypted_refresh_token) for c in connections}
    settings.FIELD_ENCRYPTION_KEYS = [KEY_NEW, KEY_OLD]
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = [KEY_NEW]  # the old key is dropped after the rotation
    for n, connection in enumerate(Connection.objects.order_by("pk")):
        old_secret, old_token = before[connection.pk]
        assert connection.encrypted_client_secret != old_secret
        assert connection.encrypted_refresh_token != old_token
        assert crypto.is_current(connection.encrypted_client_secret)
        assert crypto.is_current(connection.encrypted_refresh_token)
        assert (connection.client_secret, connection.refresh_token) == (f"{SECRET}-{n}", f"{TOKEN}-{n}")


def test_after_rotation_the_old_key_alone_reads_nothing(settings, user):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_OLD]
    ConnectionFactory(user=user, credentials=(SECRET, TOKEN))
    settings.FIELD_ENCRYPTION_KEYS = [KEY_NEW, KEY_OLD]
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = [KEY_OLD]
    connection = Connection.objects.get()
    with pytest.raises(crypto.DecryptionError):
        connection.refresh_token  # noqa: B018
    with pytest.raises(crypto.DecryptionError):
        connection.client_secret  # noqa: B018


def test_rotation_says_what_it_did_and_marks_unreadable_rows(settings, user, capsys):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_OLD]
    readable = ConnectionFactory(user=user)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_NEW]
    lost = ConnectionFactory(user=user)
    Connection.objects.filter(pk=lost.pk).update(encrypted_refresh_token="v1:00000000:AAAA")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_NEW, KEY_OLD]
    call_command("rotate_encryption_keys")
    assert "Re-encrypted 1, already current 0, unreadable 1." in capsys.readouterr().out
    readable.refresh_from_db()
    lost.refresh_from_db()
    assert (readable.status, lost.status) == (Connection.Status.ACTIVE, Connection.Status.NEEDS_RECONNECT)


# -- a key that is gone -----------------------------------------------------------------------------------


@pytest.fixture
def orphaned(settings, user) -> Connection:
    """A connection sealed with a key that is no longer configured."""
    settings.FIELD_ENCRYPTION_KEYS = [KEY_OLD]
    connection = ConnectionFactory(user=user, credentials=(SECRET, TOKEN))
    BrokerAccountFactory(user=user, connection=connection)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_NEW]
    settings.TASTYTRADE_SIMULATOR_URL = "http://127.0.0.1:9"  # never reached: nothing can be decrypted
    return connection


def test_a_sync_with_a_lost_key_fails_in_plain_words_and_asks_to_reconnect(orphaned):
    run = sync_connection(connection=orphaned, trigger=SyncRun.Trigger.MANUAL)
    orphaned.refresh_from_db()
    assert (run.status, run.error_code) == (SyncRun.Status.FAILED, "auth")
    assert run.error_message == "Stored TastyTrade credentials can no longer be read: reconnect this connection."
    assert orphaned.status == Connection.Status.NEEDS_RECONNECT
    assert (orphaned.lease_token, orphaned.lease_expires_at) == ("", None)


def test_sync_now_with_a_lost_key_answers_with_a_message_and_the_pages_render(orphaned, user_client):
    cache.clear()
    response = user_client.post(reverse("tastytrade_sync:sync_now", args=[orphaned.pk]), follow=True)
    assert response.status_code == 200
    assert b"Stored TastyTrade credentials can no longer be read" in response.content
    for url in [
        reverse("tastytrade_sync:page"),
        reverse("tastytrade_sync:connection", args=[orphaned.pk]),
        reverse("dashboard:home"),
    ]:
        page = user_client.get(url)
        assert page.status_code == 200, url
        assert_no_sentinel(page.content, url)
    assert b"Needs reconnecting" in user_client.get(reverse("tastytrade_sync:page")).content


def test_a_garbled_ciphertext_is_a_reconnect_too(user, settings):
    connection = ConnectionFactory(user=user)
    Connection.objects.filter(pk=connection.pk).update(encrypted_refresh_token="not a ciphertext")
    connection.refresh_from_db()
    run = sync_connection(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    connection.refresh_from_db()
    assert (run.status, connection.status) == (SyncRun.Status.FAILED, Connection.Status.NEEDS_RECONNECT)


def test_the_scheduled_sync_with_a_lost_key_reports_it_in_plain_words(orphaned, capsys):
    with pytest.raises(CommandError, match="1 connection"):
        call_command("sync_tastytrade")
    assert "reconnect this connection" in capsys.readouterr().out
