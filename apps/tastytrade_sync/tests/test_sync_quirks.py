"""The live API's quirks, each reproduced by a simulator fault over real loopback HTTP through the
SDK: tolerant reading, one account's trouble kept to itself, Retry-After, marks, short-lived
tokens and a rejected API version."""

import logging
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from email.utils import format_datetime
from urllib.parse import parse_qs

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apps.tastytrade_sync.client import Client
from apps.tastytrade_sync.models import AccountSync, Connection, SyncRun
from apps.tastytrade_sync.sync import create_connection, sync_connection
from apps.tastytrade_sync.tests.factories import ConnectionFactory
from apps.tastytrade_sync.tests.test_sync import assert_ledger_matches
from apps.trades.models import BalanceSnapshot, BrokerAccount, NetLiqPoint, PositionSnapshot, Transaction
from simulator import Scenario, Simulator

ONE_ACCOUNT = Scenario(seed=3, accounts=1, start=date(2024, 3, 1), days=45)
POSITIONS = r"/accounts/[^/]+/positions"
BALANCE = r"/accounts/[^/]+/balances/USD"
SNAPSHOTS = r"/accounts/[^/]+/balance-snapshots"
NET_LIQ = r"/accounts/[^/]+/net-liq/history"


class Over:
    """A simulator served on loopback, the sleeps its clients were asked for, and a clock."""

    def __init__(self, simulator: Simulator, server) -> None:
        self.simulator, self.server, self.slept = simulator, server, []

    def client(self) -> Client:
        return Client(
            client_secret=self.simulator.client_secret,
            refresh_token=self.simulator.refresh_token,
            base_url=self.server.url,
            sleep=self.slept.append,
        )

    def sync(self, connection, **kwargs) -> SyncRun:
        return sync_connection(connection=connection, trigger=SyncRun.Trigger.MANUAL, client=self.client(), **kwargs)

    def token_requests(self) -> int:
        return sum(1 for r in self.simulator.requests if r.path == "/oauth/token")

    def after_close(self, tick: bool = True):
        moment = datetime.combine(self.simulator.today, time(22, 30), tzinfo=UTC)
        return time_machine.travel(moment, tick=tick)


@pytest.fixture
def one():
    simulator = Simulator(ONE_ACCOUNT)
    with simulator.serve() as server:
        yield Over(simulator, server)


@pytest.fixture
def two(simulator_server):
    return Over(simulator_server.simulator, simulator_server)


@pytest.fixture
def connection(user, one):
    return ConnectionFactory(user=user, credentials=(one.simulator.client_secret, one.simulator.refresh_token))


@pytest.fixture
def two_accounts(user, two):
    return ConnectionFactory(user=user, credentials=(two.simulator.client_secret, two.simulator.refresh_token))


# -- 1. tolerant reading --------------------------------------------------------------------


def test_an_account_whose_nickname_is_null_still_connects(user, one):
    one.simulator.faults.missing_field("nickname", null=True, path="/customers/me/accounts", times=None)
    with one.after_close():
        connection = create_connection(
            user=user,
            environment="simulator",
            client_secret=one.simulator.client_secret,
            refresh_token=one.simulator.refresh_token,
            client=one.client(),
        )
    assert list(BrokerAccount.objects.filter(connection=connection).values_list("nickname", flat=True)) == [""]


def test_a_balance_without_used_derivative_buying_power_is_still_stored(connection, one):
    one.simulator.faults.missing_field("used-derivative-buying-power", path=BALANCE, times=None)
    with one.after_close():
        run = one.sync(connection)
    assert run.status == SyncRun.Status.SUCCEEDED
    balance = BalanceSnapshot.objects.get(time_of_day="NOW")
    assert balance.cash_balance == one.simulator.truth(one.simulator.account_numbers[0]).cash_balance


def test_a_position_without_close_price_is_stored_without_it(connection, one):
    one.simulator.faults.missing_field("close-price", path=POSITIONS, times=None)
    with one.after_close():
        run = one.sync(connection)
    assert run.status == SyncRun.Status.SUCCEEDED
    positions = PositionSnapshot.objects.all()
    assert positions and all(p.close_price is None for p in positions)


def test_balance_snapshots_without_futures_values_are_still_stored(connection, one):
    one.simulator.faults.missing_field("long-futures-value", path=SNAPSHOTS, times=None)
    with one.after_close():
        run = one.sync(connection)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert BalanceSnapshot.objects.filter(time_of_day="EOD").count() > 20


def test_net_liq_history_without_pending_cash_close_is_still_stored(connection, one):
    one.simulator.faults.missing_field("pending-cash-close", path=NET_LIQ, times=None)
    with one.after_close():
        run = one.sync(connection)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert NetLiqPoint.objects.count() > 20


def test_a_position_without_a_symbol_is_skipped_and_the_log_names_endpoint_and_field(connection, one, caplog):
    one.simulator.faults.missing_field("symbol", path=POSITIONS, times=None)
    with one.after_close(), caplog.at_level(logging.WARNING):
        run = one.sync(connection)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert PositionSnapshot.objects.count() == 0
    assert "TastyTrade positions: an item without symbol was skipped" in caplog.messages


# -- 2. one account's trouble stays its own -------------------------------------------------


def failing(two: Over, account_number: str, code: int = 502):
    return two.simulator.faults.status(code, path=f"/accounts/{account_number}/transactions", times=None)


def test_a_page_that_keeps_failing_on_one_account_does_not_stop_the_other(two_accounts, two, settings):
    settings.TASTYTRADE_RETRY_ATTEMPTS = 2
    first, second = two.simulator.account_numbers
    failing(two, first)
    with two.after_close():
        run = two.sync(two_accounts)
    assert run.status == SyncRun.Status.INCOMPLETE
    stored = Transaction.objects.filter(account__account_number=second).count()
    assert stored == len(two.simulator.transactions(second))


def test_a_long_429_on_one_account_does_not_stop_the_other(two_accounts, two, settings):
    settings.TASTYTRADE_RETRY_ATTEMPTS = 2
    first, second = two.simulator.account_numbers
    failing(two, first, 429)
    with two.after_close():
        two.sync(two_accounts)
    stored = Transaction.objects.filter(account__account_number=second).count()
    assert stored == len(two.simulator.transactions(second))


def test_the_account_that_failed_shows_its_own_error_and_the_run_names_it(two_accounts, two, settings):
    settings.TASTYTRADE_RETRY_ATTEMPTS = 2
    first, second = two.simulator.account_numbers
    failing(two, first)
    with two.after_close():
        run = two.sync(two_accounts)
    errors = dict(AccountSync.objects.values_list("account__account_number", "last_error_message"))
    assert "not answering" in errors[first] and errors[second] == ""
    assert run.error_message.startswith(f"Synced 1 of 2 accounts; not {first}: TastyTrade is not answering")


def test_a_run_where_every_account_failed_is_failed_and_says_none_synced(two_accounts, two, settings):
    settings.TASTYTRADE_RETRY_ATTEMPTS = 1
    two.simulator.faults.status(502, path=r"/accounts/[^/]+/transactions", times=None)
    with two.after_close():
        run = two.sync(two_accounts)
    assert (run.status, run.error_code) == (SyncRun.Status.FAILED, "unavailable")
    assert run.error_message.startswith("Synced 0 of 2 accounts;")


def test_the_next_run_starts_with_the_account_that_waited_longest(two_accounts, two, settings):
    settings.TASTYTRADE_RETRY_ATTEMPTS = 1
    second = two.simulator.account_numbers[1]
    with two.after_close():
        two.sync(two_accounts)
        failing(two, second)
        two.sync(two_accounts)
        two.simulator.faults.clear()
        two.simulator.requests.clear()
        run = two.sync(two_accounts)
    read = [r.path.split("/")[2] for r in two.simulator.requests if r.path.endswith("/transactions")]
    assert run.status == SyncRun.Status.SUCCEEDED and read[0] == second
    assert_ledger_matches(two.simulator)


def test_a_paused_slice_does_not_try_the_failed_account_again_in_the_same_run(two_accounts, two, settings):
    settings.TASTYTRADE_RETRY_ATTEMPTS = 1
    first = two.simulator.account_numbers[0]
    rule = failing(two, first)
    with two.after_close():
        paused = two.sync(two_accounts, budget_seconds=0)  # stops after the first account
        assert paused.status == SyncRun.Status.PARTIAL
        tried = rule.seen
        finished = two.sync(two_accounts, run=paused)
    assert finished.status == SyncRun.Status.INCOMPLETE and rule.seen == tried


# -- 3. Retry-After -------------------------------------------------------------------------


def test_a_429_with_retry_after_in_seconds_waits_that_long_then_goes_on(connection, one):
    one.simulator.faults.status(429, retry_after=7, path=r"/accounts/[^/]+/transactions", on=1)
    with one.after_close():
        run = one.sync(connection)
    assert run.status == SyncRun.Status.SUCCEEDED and one.slept == [7.0]


def test_a_503_with_retry_after_as_an_http_date_waits_until_then(connection, one):
    with one.after_close(tick=False):
        when = format_datetime(timezone.now() + timedelta(seconds=12), usegmt=True)
        one.simulator.faults.status(503, retry_after=when, path=r"/accounts/[^/]+/positions", on=1)
        run = one.sync(connection)
    assert run.status == SyncRun.Status.SUCCEEDED and one.slept == [12.0]


def test_a_retry_after_longer_than_a_call_may_wait_pauses_the_run_until_then(connection, one):
    one.simulator.faults.status(429, retry_after=600, path=r"/accounts/[^/]+/transactions", on=1)
    with one.after_close(tick=False):
        run = one.sync(connection)
        assert run.status == SyncRun.Status.PARTIAL and run.finished_at is None
        assert run.resume_after == timezone.now() + timedelta(seconds=600)
    assert run.error_message == "TastyTrade asked us to pause for 10 minutes; nothing is asked before then."
    assert one.slept == []


def test_a_retry_after_past_the_runs_time_budget_pauses_instead_of_waiting(connection, one):
    one.simulator.faults.status(429, retry_after=7, path=r"/accounts/[^/]+/transactions", on=1)
    with one.after_close(tick=False):
        run = one.sync(connection, budget_seconds=5)
    assert (run.status, run.error_code, one.slept) == (SyncRun.Status.PARTIAL, "throttled", [])


def test_a_paused_run_is_not_carried_on_before_its_time(connection, one):
    one.simulator.faults.status(429, retry_after=600, path=r"/accounts/[^/]+/transactions", on=1)
    with one.after_close() as clock:
        paused = one.sync(connection)
        clock.shift(timedelta(minutes=5))
        asked = len(one.simulator.requests)
        again = one.sync(connection, run=paused)
        waiting = list(SyncRun.objects.waiting())
    assert again.status == SyncRun.Status.PARTIAL and len(one.simulator.requests) == asked and waiting == []


def test_a_paused_run_resumes_once_its_time_has_come(connection, one):
    one.simulator.faults.status(429, retry_after=600, path=r"/accounts/[^/]+/transactions", on=1)
    with one.after_close() as clock:
        paused = one.sync(connection)
        clock.shift(timedelta(minutes=11))
        assert list(SyncRun.objects.waiting()) == [paused]
        finished = one.sync(connection, run=paused)
    assert (finished.status, finished.error_message) == (SyncRun.Status.SUCCEEDED, "")
    assert_ledger_matches(one.simulator)


# -- 4. marks -------------------------------------------------------------------------------


def test_positions_carry_tastytrades_mark(connection, one):
    with one.after_close():
        one.sync(connection)
    positions = PositionSnapshot.objects.all()
    assert positions and all(p.mark is not None for p in positions)
    assert all(p.mark == p.close_price for p in positions)  # the simulator marks at its close


# -- 5. token economy -----------------------------------------------------------------------


def test_a_30_second_token_is_not_renewed_for_every_call(connection, one):
    one.simulator.faults.short_lived_tokens(30, times=None)
    with one.after_close(tick=False):
        run = one.sync(connection)
    assert run.status == SyncRun.Status.SUCCEEDED and one.token_requests() == 1


def test_a_30_second_token_is_renewed_when_it_nears_expiry(one):
    one.simulator.faults.short_lived_tokens(30, times=None)
    with one.after_close(tick=False) as clock, one.client() as api:
        api.accounts()
        clock.shift(timedelta(seconds=20))
        api.accounts()
        renewed_before = one.token_requests()
        clock.shift(timedelta(seconds=5))
        api.accounts()
    assert (renewed_before, one.token_requests()) == (1, 2)


# -- 6. a rejected API version --------------------------------------------------------------


def test_a_rejected_api_version_stops_the_run_saying_the_app_needs_updating_not_reconnecting(connection, one):
    one.simulator.faults.reject_version(times=None)
    with one.after_close():
        run = one.sync(connection)
    connection.refresh_from_db()
    assert (run.status, run.error_code) == (SyncRun.Status.FAILED, "api_version")
    assert "the app needs updating" in run.error_message and connection.status == Connection.Status.ACTIVE


def test_a_rejected_api_version_is_logged_once_at_error(connection, one, caplog):
    one.simulator.faults.reject_version(times=None)
    with one.after_close(), caplog.at_level(logging.INFO):
        one.sync(connection)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "api_version" in errors[0].getMessage()
    assert sum(1 for r in one.simulator.requests if r.status == 406) == 1


# -- 7. late corrections beyond the overlap -------------------------------------------------


def test_a_correction_dated_before_the_overlap_is_picked_up_by_the_weekly_deep_check(connection, one):
    with one.after_close() as clock:
        one.sync(connection)
        one.simulator.faults.late_correction(days_back=30, on=1)
        one.sync(connection)  # the correction lands as this run reads: dated beyond its overlap
        clock.shift(timedelta(days=8))
        run = one.sync(connection)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert_ledger_matches(one.simulator)


def test_the_deep_check_reads_again_only_the_window_whose_count_differs(connection, one, settings):
    settings.SYNC_WINDOW_DAYS = 10
    with one.after_close() as clock:
        one.sync(connection)
        one.simulator.faults.late_correction(days_back=30, on=1)
        one.sync(connection)
        clock.shift(timedelta(days=8))
        one.simulator.requests.clear()
        one.sync(connection)
    full_reads = {
        parse_qs(r.query_string)["start-date"][0]
        for r in one.simulator.requests
        if r.path.endswith("/transactions") and parse_qs(r.query_string)["per-page"] != ["1"]
    }
    corrected = one.simulator.today - timedelta(days=30)
    reread = [date.fromisoformat(day) for day in full_reads if date.fromisoformat(day) < corrected]
    assert len(reread) == 1 and corrected - reread[0] < timedelta(days=10)


def test_the_deep_check_is_not_run_again_within_the_week(connection, one):
    with one.after_close() as clock:
        one.sync(connection)
        one.simulator.faults.late_correction(days_back=30, on=1)
        one.sync(connection)
        clock.shift(timedelta(days=3))
        one.sync(connection)
    number = one.simulator.account_numbers[0]
    assert (
        Transaction.objects.filter(account__account_number=number).count()
        == len(one.simulator.transactions(number)) - 1
    )


def test_the_connection_page_runs_the_deep_check_on_demand(connection, one, user_client):
    with one.after_close():
        one.sync(connection)
        one.simulator.faults.late_correction(days_back=30, on=1)
        one.sync(connection)
        response = user_client.post(reverse("tastytrade_sync:deep_check", args=[connection.pk]))
        run = SyncRun.objects.get(status=SyncRun.Status.QUEUED)
        one.sync(connection, run=run)
    assert response.status_code == 302
    assert_ledger_matches(one.simulator)


def test_another_users_connection_cannot_ask_for_a_deep_check(connection, other_client):
    response = other_client.post(reverse("tastytrade_sync:deep_check", args=[connection.pk]))
    assert response.status_code == 404 and not SyncRun.objects.exists()


def full_reads_before(simulator: Simulator, day: date) -> list[date]:
    """The start dates of the transaction windows read in full (not a one-item count) before `day`."""
    starts = {
        date.fromisoformat(parse_qs(r.query_string)["start-date"][0])
        for r in simulator.requests
        if r.path.endswith("/transactions") and parse_qs(r.query_string)["per-page"] != ["1"]
    }
    return sorted(start for start in starts if start < day)


def test_a_fee_corrected_in_place_before_the_overlap_is_picked_up_by_the_deep_check(connection, one):
    with one.after_close() as clock:
        one.sync(connection)
        one.simulator.faults.edit_in_place(days_back=30, amount=Decimal("-0.07"), on=1)
        one.sync(connection)  # the old row changes as this run reads: beyond its overlap
        clock.shift(timedelta(days=8))
        run = one.sync(connection)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert_ledger_matches(one.simulator)


def test_the_deep_check_reads_again_only_the_window_whose_totals_differ(connection, one, settings):
    settings.SYNC_WINDOW_DAYS = 10
    with one.after_close() as clock:
        one.sync(connection)
        one.simulator.faults.edit_in_place(days_back=30, on=1)
        one.sync(connection)
        clock.shift(timedelta(days=8))
        one.simulator.requests.clear()
        one.sync(connection)
    edited = one.simulator.today - timedelta(days=30)
    reread = full_reads_before(one.simulator, edited)
    assert len(reread) == 1 and edited - reread[0] <= timedelta(days=10)


def test_a_deep_check_whose_totals_agree_compares_them_without_reading_a_window_again(connection, one, settings):
    settings.SYNC_WINDOW_DAYS = 10
    with one.after_close() as clock:
        one.sync(connection)
        clock.shift(timedelta(days=8))
        first_read = AccountSync.objects.get().checkpoint - timedelta(days=settings.SYNC_OVERLAP_DAYS)
        one.simulator.requests.clear()
        one.sync(connection)
    snapshot_starts = [
        date.fromisoformat(parse_qs(r.query_string)["start-date"][0])
        for r in one.simulator.requests
        if r.path.endswith("/balance-snapshots")
    ]
    assert min(snapshot_starts) < one.simulator.today - timedelta(days=30)  # the deep check's balances
    assert full_reads_before(one.simulator, first_read) == []


def test_a_window_whose_totals_still_differ_after_its_reading_is_logged_not_read_again(
    connection, one, settings, caplog
):
    settings.SYNC_WINDOW_DAYS = 10
    with one.after_close() as clock:
        one.sync(connection)
        clock.shift(timedelta(days=8))
        first_read = AccountSync.objects.get().checkpoint - timedelta(days=settings.SYNC_OVERLAP_DAYS)
        # Balances that no reading of the rows can explain (as a cut-off other than ours would give).
        one.simulator.faults.extra_fields({"cash-balance": "1000.0"}, path=SNAPSHOTS, times=None)
        one.simulator.requests.clear()
        with caplog.at_level(logging.INFO):
            run = one.sync(connection)
    reads = Counter(
        parse_qs(r.query_string)["start-date"][0]
        for r in one.simulator.requests
        if r.path.endswith("/transactions") and parse_qs(r.query_string)["per-page"] != ["1"]
    )
    still = [r for r in caplog.records if "still differ" in r.getMessage()]
    assert run.status == SyncRun.Status.SUCCEEDED and still
    assert all(n == 1 for day, n in reads.items() if date.fromisoformat(day) < first_read)
