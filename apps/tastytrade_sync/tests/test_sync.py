"""The sync against the simulator through the real SDK: lossless, idempotent, resumable, visible."""

import logging
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apps.core.money import apply_effect
from apps.tastytrade_sync.client import Client
from apps.tastytrade_sync.models import AccountSync, Connection, SyncRun
from apps.tastytrade_sync.sync import sync_connection
from apps.tastytrade_sync.tests.factories import ConnectionFactory
from apps.trades.models import BalanceSnapshot, BrokerAccount, PositionSnapshot, Transaction
from simulator import Scenario, Simulator

TINY = Scenario(seed=3, accounts=1, start=date(2024, 3, 1), days=45)


def client_for(simulator: Simulator, cls: type[Client] = Client, **kwargs) -> Client:
    return cls(
        client_secret=simulator.client_secret,
        refresh_token=kwargs.pop("refresh_token", simulator.refresh_token),
        base_url="http://simulator.invalid",
        transport=simulator.transport(),
        sleep=lambda seconds: None,
        **kwargs,
    )


def at_close(simulator: Simulator):
    """Freeze the clock (ticking) at the simulator's last trading day, after the close."""
    return time_machine.travel(datetime.combine(simulator.today, time(22, 30), tzinfo=UTC), tick=True)


def sync(connection, simulator, **kwargs) -> SyncRun:
    return sync_connection(
        connection=connection, trigger=SyncRun.Trigger.MANUAL, client=client_for(simulator), **kwargs
    )


def assert_ledger_matches(simulator: Simulator) -> None:
    """Every row the simulator has, once, with the same values; nothing else."""
    for number in simulator.account_numbers:
        truth = {row.id: row.to_api() for row in simulator.transactions(number)}
        ours = list(
            Transaction.objects.filter(account__account_number=number).values("tastytrade_id", "raw", "net_value")
        )
        assert len(ours) == len(truth), f"{number}: {len(ours)} rows, simulator has {len(truth)}"
        assert {row["tastytrade_id"] for row in ours} == set(truth)
        for row in ours:
            expected = truth[row["tastytrade_id"]]
            assert row["raw"] == expected
            assert row["net_value"] == apply_effect(expected["net-value"], expected["net-value-effect"])


def assert_checkpoints_hold(simulator: Simulator) -> None:
    """Every row dated before the day the next sync starts from is stored (its checkpoint, or a
    window to read again), else it would never come."""
    for state in AccountSync.objects.exclude(checkpoint=None).select_related("account"):
        number = state.account.account_number
        start = min(state.checkpoint, state.recheck_from or state.checkpoint)
        truth = {row.id for row in simulator.transactions(number) if row.transaction_date < start}
        ours = set(Transaction.objects.filter(account=state.account).values_list("tastytrade_id", flat=True))
        assert truth <= ours, f"checkpoint {state.checkpoint} passed rows never stored: {sorted(truth - ours)}"


@pytest.fixture
def tiny():
    return Simulator(TINY)


@pytest.fixture
def connection(user, tiny):
    return ConnectionFactory(user=user, credentials=(tiny.client_secret, tiny.refresh_token))


@pytest.fixture
def two_accounts(user, simulator):
    return ConnectionFactory(user=user, credentials=(simulator.client_secret, simulator.refresh_token))


def test_a_first_sync_brings_every_transaction_of_every_account(two_accounts, simulator):
    with at_close(simulator):
        run = sync(two_accounts, simulator)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert_ledger_matches(simulator)


def test_a_first_sync_counts_what_it_inserted(connection, tiny):
    with at_close(tiny):
        run = sync(connection, tiny)
    assert (run.inserted, run.updated) == (len(tiny.transactions(tiny.account_numbers[0])), 0)


def test_a_second_sync_with_no_change_inserts_and_updates_nothing(connection, tiny):
    with at_close(tiny):
        sync(connection, tiny)
        run = sync(connection, tiny)
    assert (run.status, run.inserted, run.updated) == (SyncRun.Status.SUCCEEDED, 0, 0)
    assert run.unchanged > 0


def test_cash_adds_up_to_the_brokers_cash_balance(connection, tiny):
    with at_close(tiny):
        sync(connection, tiny)
    number = tiny.account_numbers[0]
    ours = sum(Transaction.objects.filter(account__account_number=number).values_list("net_value", flat=True))
    assert ours == tiny.truth(number).cash_balance


def test_the_current_balance_is_stored(connection, tiny):
    with at_close(tiny):
        sync(connection, tiny)
    balance = BalanceSnapshot.objects.get(time_of_day="NOW")
    assert balance.cash_balance == tiny.truth(tiny.account_numbers[0]).cash_balance


def test_positions_match_the_open_quantities(connection, tiny):
    with at_close(tiny):
        sync(connection, tiny)
    truth = tiny.truth(tiny.account_numbers[0]).open_quantities
    assert dict(PositionSnapshot.objects.values_list("symbol", "quantity")) == {s: Decimal(q) for s, q in truth.items()}


def test_late_fee_adjustments_and_reversals_inside_the_overlap_appear_on_the_next_sync(connection, tiny):
    with at_close(tiny):
        sync(connection, tiny)
    landed = tiny.advance(days=1)
    with at_close(tiny):
        run = sync(connection, tiny)
    assert run.inserted == len(landed)
    assert Transaction.objects.filter(
        transaction_sub_type="Balance Adjustment", tastytrade_id__in=[r.id for r in landed]
    ).exists()
    assert_ledger_matches(tiny)


def test_a_reversal_is_linked_to_the_transaction_it_reverses(connection, tiny):
    with at_close(tiny):
        sync(connection, tiny)
    tiny.advance(days=1)
    with at_close(tiny):
        sync(connection, tiny)
    reversal = Transaction.objects.exclude(reverses_tastytrade_id=None).first()
    assert reversal is not None and reversal.reverses.tastytrade_id == reversal.reverses_tastytrade_id


def test_a_revoked_refresh_token_marks_the_connection_for_reconnecting(connection, tiny):
    tiny.revoke_refresh_token()
    with at_close(tiny):
        run = sync(connection, tiny)
    connection.refresh_from_db()
    assert (run.status, connection.status) == (SyncRun.Status.FAILED, Connection.Status.NEEDS_RECONNECT)
    assert "reconnect" in run.error_message


def test_a_failed_sync_shows_its_error_on_the_accounts_until_a_good_sync(connection, tiny, settings):
    settings.TASTYTRADE_RETRY_ATTEMPTS = 1
    with at_close(tiny):
        sync(connection, tiny)
        tiny.faults.status(502, path=r"/accounts/.*/transactions", times=None)
        sync(connection, tiny)
        failed = AccountSync.objects.get().last_error_message
        tiny.faults.clear()
        sync(connection, tiny)
    assert "not answering" in failed and AccountSync.objects.get().last_error_message == ""


def test_a_sync_that_runs_out_of_time_pauses_and_the_next_slice_finishes_it(connection, tiny, settings):
    settings.SYNC_PAGE_SIZE = 25
    with at_close(tiny):
        paused = sync(connection, tiny, budget_seconds=0)
        assert paused.status == SyncRun.Status.PARTIAL and paused.finished_at is None
        finished = sync(connection, tiny, run=paused)
    assert finished.pk == paused.pk and finished.status == SyncRun.Status.SUCCEEDED
    assert_ledger_matches(tiny)


def test_a_time_budget_stop_keeps_the_days_read_when_tastytrades_count_confirms_them(connection, tiny, settings):
    settings.SYNC_PAGE_SIZE = 25
    with at_close(tiny):
        sync(connection, tiny, budget_seconds=0)
    state = AccountSync.objects.get()
    assert state.checkpoint > tiny.scenario.start  # the next slice goes on from there
    assert_checkpoints_hold(tiny)


class BudgetAfter:
    """A budget that runs out on its `calls`-th question, then stays out."""

    deadline = None  # no wall-clock limit for the client's Retry-After waits

    def __init__(self, calls: int) -> None:
        self.calls_left = calls

    def exceeded(self) -> bool:
        self.calls_left -= 1
        return self.calls_left <= 0


def test_a_time_budget_stop_after_a_page_that_skipped_a_row_keeps_no_day_past_that_row(
    connection, tiny, settings, monkeypatch
):
    settings.SYNC_PAGE_SIZE = 20
    tiny.faults.duplicate_item(mode="shift", on=3, method="GET")  # page 3 repeats one row and skips one
    monkeypatch.setattr("apps.tastytrade_sync.sync.Budget", lambda seconds: BudgetAfter(4))
    with at_close(tiny):
        paused = sync(connection, tiny, budget_seconds=1)
        assert paused.status == SyncRun.Status.PARTIAL
        assert_checkpoints_hold(tiny)
        monkeypatch.undo()
        finished = sync(connection, tiny, run=paused)
    assert finished.status == SyncRun.Status.SUCCEEDED
    assert_ledger_matches(tiny)


def test_a_window_still_short_after_its_second_reading_is_read_again_by_the_next_sync(connection, tiny, settings):
    settings.SYNC_PAGE_SIZE = 20
    tiny.faults.duplicate_item(mode="shift", on=[2, 11], method="GET")  # 9 pages: both readings skip a row
    with at_close(tiny):
        short = sync(connection, tiny)
        detail = AccountSync.objects.get().incomplete_detail
        assert_checkpoints_hold(tiny)
        again = sync(connection, tiny)
    assert short.status == SyncRun.Status.INCOMPLETE
    assert "TastyTrade reported more transactions than it sent" in detail
    assert again.status == SyncRun.Status.SUCCEEDED and AccountSync.objects.get().incomplete_detail == ""
    assert_ledger_matches(tiny)


def test_a_window_without_pagination_on_any_page_is_held_to_tastytrades_count(connection, tiny, settings):
    settings.SYNC_PAGE_SIZE = 20
    # The 9 pages of the first reading come without pagination; the count after them has it.
    tiny.faults.drop_pagination(path=r"/accounts/[^/]+/transactions", on=range(1, 10))
    tiny.faults.duplicate_item(mode="shift", on=2, method="GET")  # page 2 repeats one row and skips one
    with at_close(tiny):
        run = sync(connection, tiny)
    assert run.status == SyncRun.Status.SUCCEEDED  # the count came short, so the window was read again
    assert_ledger_matches(tiny)


def test_the_next_run_reads_only_the_days_left_short_and_then_shows_the_account_complete(connection, tiny, settings):
    settings.SYNC_PAGE_SIZE = 20
    with at_close(tiny):
        sync(connection, tiny)
        AccountSync.objects.update(
            recheck_from=date(2024, 3, 5), recheck_to=date(2024, 3, 9), incomplete_detail="short before"
        )
        tiny.requests.clear()
        run = sync(connection, tiny)
    windows = {
        (query["start-date"][0], query["end-date"][0])
        for query in (parse_qs(r.query_string) for r in tiny.requests if r.path.endswith("/transactions"))
    }
    state = AccountSync.objects.get()
    assert ("2024-03-05", "2024-03-09") in windows
    assert (run.status, state.recheck_from, state.incomplete_detail) == (SyncRun.Status.SUCCEEDED, None, "")


def test_a_time_budget_stop_while_days_wait_to_be_read_again_still_ends_complete(
    connection, tiny, settings, monkeypatch
):
    settings.SYNC_PAGE_SIZE = 20
    with at_close(tiny):
        sync(connection, tiny)
        AccountSync.objects.update(
            checkpoint=date(2024, 3, 20), recheck_from=date(2024, 3, 12), recheck_to=date(2024, 3, 15)
        )
        monkeypatch.setattr("apps.tastytrade_sync.sync.Budget", lambda seconds: BudgetAfter(4))
        paused = sync(connection, tiny, budget_seconds=1)
        assert paused.status == SyncRun.Status.PARTIAL
        monkeypatch.undo()
        finished = sync(connection, tiny, run=paused)
    assert finished.status == SyncRun.Status.SUCCEEDED
    assert_ledger_matches(tiny)


def test_a_second_sync_while_one_holds_the_lease_answers_already_syncing(connection, tiny):
    Connection.objects.filter(pk=connection.pk).update(
        lease_token="someone", lease_expires_at=datetime.now(UTC) + timedelta(minutes=1)
    )
    run = sync(connection, tiny)
    assert run.status == SyncRun.Status.SKIPPED and run.pk is None


def test_an_expired_lease_from_a_crashed_sync_does_not_block_the_next(connection, tiny):
    with at_close(tiny):
        Connection.objects.filter(pk=connection.pk).update(
            lease_token="crashed", lease_expires_at=datetime.now(UTC) - timedelta(seconds=1)
        )
        assert sync(connection, tiny).status == SyncRun.Status.SUCCEEDED


def test_rows_a_csv_import_brought_in_are_taken_over_not_duplicated(connection, tiny):
    with at_close(tiny):
        sync(connection, tiny)
    first = Transaction.objects.filter(transaction_type="Trade").order_by("executed_at").first()
    # Turn it into what the CSV importer writes: no TastyTrade id, an import key.
    Transaction.objects.filter(pk=first.pk).update(tastytrade_id=None, source="csv", import_key="csv-row-1")
    AccountSync.objects.update(checkpoint=None)
    with at_close(tiny):
        sync(connection, tiny)
    first.refresh_from_db()
    assert (first.tastytrade_id, first.import_key, first.source) == (first.raw["id"], "csv-row-1", "api")
    assert_ledger_matches(tiny)


def test_accounts_left_out_are_not_synced(connection, tiny):
    with at_close(tiny):
        sync(connection, tiny)
        BrokerAccount.objects.update(is_included=False)
        run = sync(connection, tiny)
    assert (run.accounts_total, run.fetched) == (0, 0)


def test_the_sentinel_refresh_token_appears_nowhere(user, user_client, caplog, tiny):
    sentinel = "sim-refresh-SENTINEL-0042"
    tiny.grants[sentinel] = type(tiny.grants[tiny.refresh_token])(sentinel, "me-1", tiny.client_id)
    connection = ConnectionFactory(user=user, credentials=(tiny.client_secret, sentinel))
    caplog.set_level(logging.DEBUG)
    with at_close(tiny):
        sync_connection(connection=connection, trigger="manual", client=client_for(tiny, refresh_token=sentinel))
        tiny.revoke_refresh_token(sentinel)
        sync_connection(connection=connection, trigger="manual", client=client_for(tiny, refresh_token=sentinel))
    pages = [
        reverse("tastytrade_sync:page"),
        reverse("tastytrade_sync:connection", args=[connection.pk]),
        reverse("dashboard:home"),
    ]
    html = "".join(user_client.get(url).content.decode() for url in pages)
    from django.db import connection as db

    with db.cursor() as cursor:
        tables = db.introspection.table_names(cursor)
        dump = []
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            dump.append(repr(cursor.fetchall()))
    assert sentinel not in html
    assert sentinel not in caplog.text
    assert sentinel not in "".join(dump)


class TakenOverClient(Client):
    """A sync too slow to renew its lease: before its `pages`-th page, another process takes the lease."""

    def __init__(self, *args, connection, pages, **kwargs):
        super().__init__(*args, **kwargs)
        self.connection, self.pages = connection, pages

    def transactions_page(self, *args, **kwargs):
        page = super().transactions_page(*args, **kwargs)
        self.pages -= 1
        if self.pages == 0:
            Connection.objects.filter(pk=self.connection.pk).update(
                lease_token="the-other-process", lease_expires_at=timezone.now() + timedelta(seconds=60)
            )
        return page


def taken_over(connection, simulator, pages) -> SyncRun:
    client = client_for(simulator, TakenOverClient, connection=connection, pages=pages)
    return sync_connection(connection=connection, trigger=SyncRun.Trigger.MANUAL, client=client)


def test_a_sync_whose_lease_was_taken_over_writes_no_further_page(connection, tiny, settings):
    settings.SYNC_PAGE_SIZE = 25
    with at_close(tiny):
        taken_over(connection, tiny, pages=2)
    assert Transaction.objects.count() == 25  # the first page only: the second met a lease no longer ours


def test_a_sync_whose_lease_was_taken_over_leaves_the_run_and_the_lease_to_the_other_process(connection, tiny):
    with at_close(tiny):
        run = taken_over(connection, tiny, pages=1)
    run.refresh_from_db()
    connection.refresh_from_db()
    assert (run.status, run.finished_at, connection.lease_token) == (SyncRun.Status.RUNNING, None, "the-other-process")


def test_a_run_another_process_finished_is_never_revived_by_a_stale_copy(connection, tiny):
    with at_close(tiny):
        run = sync(connection, tiny)
        stale = SyncRun.objects.get(pk=run.pk)
        stale.status = SyncRun.Status.PARTIAL  # what a page loaded before the run finished holds
        again = sync(connection, tiny, run=stale)
    assert (again.status, again.finished_at, again.unchanged) == (run.status, run.finished_at, run.unchanged)
    assert not Connection.objects.get(pk=connection.pk).lease_token


def test_a_short_last_page_without_pagination_is_still_held_to_the_total_reported_before(user, settings):
    settings.SYNC_PAGE_SIZE = 20
    simulator = Simulator(Scenario(seed=1, accounts=1, start=date(2024, 3, 1), days=40))
    connection = ConnectionFactory(user=user, credentials=(simulator.client_secret, simulator.refresh_token))
    simulator.faults.duplicate_item(mode="shift", on=2, method="GET")  # page 2 repeats one row and skips one
    simulator.faults.drop_pagination(on=9, method="GET")  # the short last page comes without pagination
    with at_close(simulator):
        sync(connection, simulator)  # the window falls short of the total, so it is read again
    assert_ledger_matches(simulator)
