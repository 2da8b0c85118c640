"""Property: whatever faults TastyTrade throws at a sync, one clean sync afterwards leaves the
ledger equal to the broker's, row for row, with no duplicate and nothing lost."""

import contextlib
import os
import threading
from datetime import date

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apps.tastytrade_sync.client import Client
from apps.tastytrade_sync.models import Connection, SyncRun
from apps.tastytrade_sync.sync import sync_connection
from apps.tastytrade_sync.tests.factories import ConnectionFactory
from apps.tastytrade_sync.tests.test_sync import (
    assert_checkpoints_hold,
    assert_ledger_matches,
    at_close,
    client_for,
)
from simulator import Scenario, Simulator

FAULTS = [
    "429",
    "500",
    "502",
    "503",
    "reset",
    "malformed_json",
    "new_transaction",
    "duplicate_extra",
    "duplicate_shift",
    "drop_pagination",
    "expire_token",
]


class Crash(BaseException):
    """The process dies mid-sync: nothing after this point runs, not even our error handling."""


class CrashingClient(Client):
    def __init__(self, *args, crash_after_pages: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pages_left = crash_after_pages  # None: never

    def transactions_page(self, *args, **kwargs):
        if self.pages_left == 0:
            raise Crash
        if self.pages_left is not None:
            self.pages_left -= 1
        return super().transactions_page(*args, **kwargs)


def install(simulator: Simulator, kind: str, on: int) -> None:
    faults = simulator.faults
    where = {"on": on, "method": "GET"}
    if kind.isdigit():
        faults.status(int(kind), **where)
    elif kind.startswith("duplicate_"):
        faults.duplicate_item(mode=kind.removeprefix("duplicate_"), **where)
    else:
        getattr(faults, kind)(**where)


fault_plans = st.lists(st.tuples(st.sampled_from(FAULTS), st.integers(min_value=1, max_value=12)), max_size=6)


@pytest.mark.slow
@settings(
    max_examples=100 if os.environ.get("CI") else 20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(min_value=1, max_value=5),
    plan=fault_plans,
    crash_after=st.none() | st.integers(0, 8),
    window_days=st.sampled_from([90, 12]),  # one window for the 40 days, or several
)
# Found by this test: a shifted page lost an item, and the short last page came without pagination,
# which used to end the window as complete without holding it to the total reported before.
@example(seed=1, plan=[("duplicate_shift", 2), ("drop_pagination", 9)], crash_after=None, window_days=90)
# Found by the fault soak: a shifted page skipped a row and the process died before the window
# ended; the checkpoint had already moved past the row, more than the overlap.
@example(seed=1, plan=[("duplicate_shift", 2)], crash_after=5, window_days=90)
def test_after_any_faults_one_clean_sync_leaves_the_ledger_equal_to_the_brokers(
    user, seed, plan, crash_after, window_days, django_settings
):
    django_settings.SYNC_WINDOW_DAYS = window_days
    simulator = Simulator(Scenario(seed=seed, accounts=1, start=date(2024, 3, 1), days=40))
    with transaction.atomic(), at_close(simulator):
        connection = ConnectionFactory(user=user, credentials=(simulator.client_secret, simulator.refresh_token))
        for kind, on in plan:
            install(simulator, kind, on)
        # The faults hit this sync, which may also die after `crash_after` pages.
        with contextlib.suppress(Crash):
            sync_connection(connection=connection, trigger="manual", client=crashing_client(simulator, crash_after))
        assert_checkpoints_hold(simulator)
        # The crashed process's lease would expire on its own; let the clock have done that.
        Connection.objects.filter(pk=connection.pk).update(lease_token="", lease_expires_at=None)
        # A second sync meets the faults the first did not reach.
        sync_connection(connection=connection, trigger="manual", client=client_for(simulator))
        assert_checkpoints_hold(simulator)
        simulator.faults.clear()
        final = sync_connection(connection=connection, trigger="manual", client=client_for(simulator))
        assert final.status == SyncRun.Status.SUCCEEDED
        assert_ledger_matches(simulator)
        transaction.set_rollback(True)


def crashing_client(simulator: Simulator, crash_after: int | None) -> Client:
    return client_for(simulator, CrashingClient, crash_after_pages=crash_after)


@pytest.fixture
def django_settings(settings):
    settings.SYNC_PAGE_SIZE = 20
    settings.TASTYTRADE_RETRY_ATTEMPTS = 4
    return settings


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_syncs_of_one_account_run_exactly_once(user):
    simulator = Simulator(Scenario(seed=2, accounts=1, start=date(2024, 3, 1), days=40))
    connection = ConnectionFactory(user=user, credentials=(simulator.client_secret, simulator.refresh_token))
    barrier = threading.Barrier(8)
    statuses = []

    def one_sync():
        from django.db import connection as db

        barrier.wait()
        try:
            run = sync_connection(
                connection=Connection.objects.get(pk=connection.pk), trigger="manual", client=client_for(simulator)
            )
            statuses.append(run.status)
        finally:
            db.close()

    with at_close(simulator):
        threads = [threading.Thread(target=one_sync) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert sorted(statuses).count(SyncRun.Status.SUCCEEDED) == 1
    assert statuses.count(SyncRun.Status.SKIPPED) == 7
    assert_ledger_matches(simulator)


@pytest.mark.parametrize("crash_after", [3, 5, 7])
def test_a_page_that_skipped_a_row_is_read_again_after_the_process_dies_before_the_window_ends(
    user, crash_after, django_settings
):
    simulator = Simulator(Scenario(seed=1, accounts=1, start=date(2024, 3, 1), days=40))
    connection = ConnectionFactory(user=user, credentials=(simulator.client_secret, simulator.refresh_token))
    simulator.faults.duplicate_item(mode="shift", on=2, method="GET")  # page 2 repeats one row and skips one
    with at_close(simulator):
        with contextlib.suppress(Crash):
            sync_connection(connection=connection, trigger="manual", client=crashing_client(simulator, crash_after))
        assert_checkpoints_hold(simulator)
        Connection.objects.filter(pk=connection.pk).update(lease_token="", lease_expires_at=None)
        simulator.faults.clear()
        final = sync_connection(connection=connection, trigger="manual", client=client_for(simulator))
    assert final.status == SyncRun.Status.SUCCEEDED
    assert_ledger_matches(simulator)
