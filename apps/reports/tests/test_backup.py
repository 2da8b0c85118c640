"""The JSON backup holds all of a user's ledger and nothing secret; restoring it reproduces that ledger."""

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.reports import backup
from apps.reports.tests.factories import BrokerAccountFactory
from apps.tastytrade_sync.tests.factories import ConnectionFactory
from apps.trades.models import (
    BrokerAccount,
    ChainEdit,
    Note,
    PnlState,
    Strategy,
    StrategyOverride,
    Tag,
    Target,
    Transaction,
)
from apps.trades.tests.factories import (
    BalanceNowFactory,
    NetLiqPointFactory,
    SoldPutFillFactory,
    SoldPutPositionFactory,
)

SENTINEL = "refresh-SENTINEL-1a2b3c4d"


@pytest.fixture
def ledger(user):
    """One account of every kind of row, with values that only survive an exact copy."""
    connection = ConnectionFactory(user=user, credentials=("client-secret-SENTINEL", SENTINEL))
    account = BrokerAccountFactory(user=user, connection=connection, account_number="5WT22222", nickname="Roth IRA")
    opening = SoldPutFillFactory(
        account=account,
        executed_at=datetime(2026, 3, 2, 14, 31, 5, 123456, tzinfo=UTC),
        value=Decimal("1234.5678"),
        quantity=Decimal("0.00012345"),
        raw={"id": 1, "nested": {"price": "2.50", "legs": [1, 2]}},
    )
    SoldPutFillFactory(account=account, reverses=opening, reverses_tastytrade_id=opening.tastytrade_id)
    SoldPutFillFactory(account=account, tastytrade_id=None, import_key="csv-digest-1", source="csv")
    SoldPutPositionFactory(account=account, mark=None)
    BalanceNowFactory(account=account, time_of_day="EOD", snapshot_date=date(2026, 3, 1))
    NetLiqPointFactory(account=account, close=Decimal("25000.1234"))
    Tag.objects.create(account=account, target=Target.POSITION, key="tt:400000000", name="earnings")
    note = Note.objects.create(account=account, target=Target.CHAIN, key="tt:400000000", text="Rolled twice")
    Note.objects.filter(pk=note.pk).update(created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    StrategyOverride.objects.create(account=account, position_key="tt:400000000", strategy=Strategy.STRANGLE)
    ChainEdit.objects.create(account=account, action=ChainEdit.Action.SPLIT, position_key="tt:400000001")
    return account


def backup_of(user) -> dict:
    return json.loads("".join(backup.iter_backup(user)))


def without_ids(data: dict) -> dict:
    """A backup with the row ids (which differ between databases) replaced by their order."""
    text = json.dumps({key: value for key, value in data.items() if key not in {"created_at", "user"}})
    data = json.loads(text)
    accounts = {row["id"]: n for n, row in enumerate(data["broker_accounts"])}
    transactions = {row["id"]: n for n, row in enumerate(data["transactions"])}
    for table in backup.ACCOUNT_TABLES:
        for row in data[table.name]:
            row["id"] = None
            row["account"] = accounts[row["account"]]
    for row in data["transactions"]:
        row["reverses"] = transactions.get(row["reverses"])
    for row in [*data["broker_accounts"], *data.get("journal_days", [])]:
        row["id"] = None
    return data


def test_a_backup_names_its_format_and_version(user, ledger):
    data = backup_of(user)
    assert (data["format"], data["version"]) == ("tastytrade-tracker-backup", 1)


def test_a_backup_holds_every_table(user, ledger):
    data = backup_of(user)
    counts = {name: len(data[name]) for name in ["broker_accounts", *(t.name for t in backup.ACCOUNT_TABLES)]}
    assert counts == {
        "broker_accounts": 1,
        "transactions": 3,
        "position_snapshots": 1,
        "balance_snapshots": 1,
        "net_liq_points": 1,
        "tags": 1,
        "notes": 1,
        "strategy_overrides": 1,
        "chain_edits": 1,
    }


def test_a_backup_keeps_the_brokers_raw_record(user, ledger):
    assert backup_of(user)["transactions"][0]["raw"] == {"id": 1, "nested": {"price": "2.50", "legs": [1, 2]}}


def test_a_backup_never_holds_connection_secrets(user, ledger):
    text = "".join(backup.iter_backup(user))
    connection = ledger.connection
    for secret in [
        SENTINEL,
        "client-secret-SENTINEL",
        connection.encrypted_refresh_token,
        str(connection.secret_context),
    ]:
        assert secret not in text


def test_a_backup_leaves_out_other_users_data(user, ledger, other_user):
    SoldPutFillFactory(account=BrokerAccountFactory(user=other_user), description="Bob's trade")
    assert "Bob's trade" not in "".join(backup.iter_backup(user))


def test_every_link_a_backup_carries_points_within_its_own_table():
    for table in [backup.ACCOUNTS, *backup.ACCOUNT_TABLES]:
        links = [field for field in table.fields() if field.is_relation]
        assert links == table.self_links(), table.name


def test_restoring_into_an_empty_user_reproduces_the_backup(user, ledger, other_user):
    original = backup_of(user)
    backup.restore_backup(user=other_user, backup=original)
    assert without_ids(backup_of(other_user)) == without_ids(original)


def test_restore_keeps_the_date_of_a_note(user, ledger, other_user):
    backup.restore_backup(user=other_user, backup=backup_of(user))
    assert Note.objects.get(account__user=other_user).created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_restore_rebuilds_the_pnl_from_the_restored_transactions(user, ledger, other_user):
    backup.restore_backup(user=other_user, backup=backup_of(user))
    assert PnlState.objects.get(account__user=other_user).transaction_count == 3


def test_a_backup_from_before_a_table_existed_restores_it_as_empty(user, ledger, other_user):
    data = backup_of(user)
    del data["chain_edits"]
    backup.restore_backup(user=other_user, backup=data)
    assert ChainEdit.objects.filter(account__user=other_user).count() == 0


def test_restore_links_a_reversal_to_the_restored_copy_of_its_transaction(user, ledger, other_user):
    backup.restore_backup(user=other_user, backup=backup_of(user))
    reversal = Transaction.objects.get(account__user=other_user, reverses__isnull=False)
    assert reversal.reverses.account.user == other_user


def test_restoring_twice_gives_the_same_data(user, ledger):
    original = backup_of(user)
    backup.restore_backup(user=user, backup=original)
    backup.restore_backup(user=user, backup=original)
    assert without_ids(backup_of(user)) == without_ids(original)


def test_restore_replaces_an_existing_accounts_rows_and_keeps_its_connection(user, ledger):
    original = backup_of(user)
    SoldPutFillFactory(account=ledger, description="after the backup")
    backup.restore_backup(user=user, backup=original)
    ledger.refresh_from_db()
    assert (ledger.transactions.count(), ledger.connection is not None) == (3, True)


def test_restore_leaves_accounts_that_are_not_in_the_backup_alone(user, ledger):
    original = backup_of(user)
    other_account = BrokerAccountFactory(user=user)
    SoldPutFillFactory(account=other_account)
    backup.restore_backup(user=user, backup=original)
    assert other_account.transactions.count() == 1


def test_a_file_that_is_not_json_is_refused():
    with pytest.raises(backup.BackupError, match="not JSON"):
        backup.read_backup(io.BytesIO(b"account,symbol\n"))


def test_json_that_is_not_a_backup_is_refused():
    with pytest.raises(backup.BackupError, match="not a TastyTrade Tracker backup"):
        backup.read_backup(io.BytesIO(b'{"hello": "world"}'))


def test_a_backup_from_a_newer_version_is_refused():
    with pytest.raises(backup.BackupError, match="version 2"):
        backup.read_backup(io.BytesIO(b'{"format": "tastytrade-tracker-backup", "version": 2}'))


def test_a_bad_value_restores_nothing(user, ledger, other_user):
    data = backup_of(user)
    data["transactions"][-1]["executed_at"] = "yesterday-ish"
    with pytest.raises(backup.BackupError, match="executed_at"):
        backup.restore_backup(user=other_user, backup=data)
    assert BrokerAccount.objects.filter(user=other_user).count() == 0


def test_a_row_of_an_unlisted_account_restores_nothing(user, ledger, other_user):
    data = backup_of(user)
    data["transactions"][0]["account"] = 999_999
    with pytest.raises(backup.BackupError, match="does not list"):
        backup.restore_backup(user=other_user, backup=data)
    assert Transaction.objects.filter(account__user=other_user).count() == 0


def test_backup_user_command_writes_the_backup_to_stdout(user, ledger):
    out = io.StringIO()
    call_command("backup_user", user="ALICE@example.com", stdout=out)
    assert len(json.loads(out.getvalue())["transactions"]) == 3


def test_restore_user_command_reads_the_file_back(user, ledger, other_user, tmp_path):
    path = tmp_path / "alice.json"
    path.write_text("".join(backup.iter_backup(user)), encoding="utf-8")
    out = io.StringIO()
    call_command("restore_user", str(path), user=other_user.email, stdout=out)
    assert "Restored 1 account(s)" in out.getvalue()
    assert Transaction.objects.filter(account__user=other_user).count() == 3


def test_restore_user_command_names_an_unknown_user(tmp_path, db):
    with pytest.raises(CommandError, match="No user with the email address nobody@example"):
        call_command("restore_user", str(tmp_path / "x.json"), user="nobody@example.com")


def test_backup_download_is_a_json_attachment(user_client, ledger):
    response = user_client.get(reverse("reports:backup"))
    assert response["Content-Disposition"].startswith('attachment; filename="tastytrade-tracker-backup-')
    assert len(json.loads(b"".join(response.streaming_content))["transactions"]) == 3


def test_restore_form_restores_an_uploaded_backup(user, ledger, other_user, other_client):
    upload = io.BytesIO("".join(backup.iter_backup(user)).encode())
    upload.name = "backup.json"
    response = other_client.post(reverse("reports:restore"), {"backup": upload, "confirm": "on"}, follow=True)
    assert "Restored 1 account(s) with 3 transactions." in response.content.decode()
    assert Transaction.objects.filter(account__user=other_user).count() == 3


def test_restore_form_needs_the_confirmation(user, ledger, other_user, other_client):
    upload = io.BytesIO("".join(backup.iter_backup(user)).encode())
    upload.name = "backup.json"
    other_client.post(reverse("reports:restore"), {"backup": upload})
    assert BrokerAccount.objects.filter(user=other_user).count() == 0


def test_restore_form_says_why_a_file_was_refused(user_client):
    upload = io.BytesIO(b"not json")
    upload.name = "backup.json"
    response = user_client.post(reverse("reports:restore"), {"backup": upload, "confirm": "on"}, follow=True)
    assert "Nothing was restored: This file is not JSON" in response.content.decode()
