"""The engine against the simulator's independent FIFO ground truth (simulator/ledger.py).

Rows go through the sync's own normalisation, positions and balances come from the simulator's API,
exactly as a sync would store them. Every closed piece's realized P&L, every open lot, the open
quantities and the cash must equal the ground truth to the last digit, reconciliation must be
green, and the engine must find nothing to report as a data issue (the simulator posts only
histories TastyTrade could).
"""

from collections import defaultdict
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum

from apps.tastytrade_sync.sync import normalize_transaction, position_fields
from apps.trades.lots import recompute_account
from apps.trades.models import (
    BalanceSnapshot,
    DataIssue,
    Lot,
    PnlEvent,
    PositionSnapshot,
    ReconciliationCheck,
    Transaction,
)
from apps.trades.tests.factories import BrokerAccountFactory
from simulator import Scenario, Simulator
from simulator.tests.simulator_fixtures import access_token, api

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def synced_account(simulator: Simulator, number: str):
    """What a sync of this simulator account stores: transactions, positions, the current balance."""
    account = BrokerAccountFactory(account_number=number)
    Transaction.objects.bulk_create(
        [Transaction(account=account, **normalize_transaction(row.to_api())) for row in simulator.transactions(number)]
    )
    token = access_token(simulator)
    as_of = datetime.combine(simulator.today, time(21), tzinfo=UTC)
    positions = api(simulator, "GET", f"/accounts/{number}/positions", token=token).json()["data"]["items"]
    for item in positions:
        fields = position_fields(item)
        PositionSnapshot.objects.create(account=account, as_of=as_of, **fields)
    balance = api(simulator, "GET", f"/accounts/{number}/balances/USD", token=token).json()["data"]
    BalanceSnapshot.objects.create(
        account=account,
        snapshot_date=simulator.today,
        time_of_day="NOW",
        cash_balance=Decimal(balance["cash-balance"]),
    )
    return account


@pytest.fixture(scope="module", params=[1, 2, 3], ids=lambda seed: f"seed {seed}")
def simulated(request, django_db_setup, django_db_blocker):
    """A synced and rebuilt account per seed, built once for the module: the tests only read it.

    The rows live in a transaction rolled back when the seed's tests are done; each test runs in a
    savepoint inside it, so what a test writes is undone as usual.
    """
    simulator = Simulator(Scenario(seed=request.param, accounts=1, start=date(2024, 1, 2), days=400))
    number = simulator.account_numbers[0]
    with django_db_blocker.unblock(), transaction.atomic():
        account = synced_account(simulator, number)
        recompute_account(account=account)
        yield account, simulator.truth(number)
        transaction.set_rollback(True)


def test_every_closed_piece_realizes_what_the_ground_truth_says(simulated):
    account, truth = simulated
    theirs: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for piece in truth.closed_lots:
        theirs[(piece.opened_transaction_id, piece.closed_transaction_id)] += piece.realized_pnl
    ours: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for opened, closed, realized in PnlEvent.objects.filter(account=account).values_list(
        "lot__opening_transaction__tastytrade_id", "closing_transaction__tastytrade_id", "realized_pnl"
    ):
        ours[(opened, closed)] += realized
    assert len(theirs) > 500
    assert dict(ours) == dict(theirs)


def test_open_lots_quantities_costs_and_variation_equal_the_ground_truth(simulated):
    account, truth = simulated
    theirs = defaultdict(lambda: [Decimal(0)] * 3)
    for lot in truth.open_lots:
        total = theirs[(lot.opened_transaction_id, lot.symbol)]
        total[0] += lot.signed_quantity
        total[1] += lot.opening_cash
        total[2] += lot.variation
    ours = defaultdict(lambda: [Decimal(0)] * 3)
    for opened, symbol, quantity, cost, variation in (
        Lot.objects.filter(account=account)
        .open()
        .values_list(
            "opening_transaction__tastytrade_id",
            "symbol",
            "remaining_quantity",
            "remaining_cost",
            "remaining_variation",
        )
    ):
        total = ours[(opened, symbol)]
        total[0] += quantity
        total[1] += cost
        total[2] += variation
    assert dict(ours) == dict(theirs)
    quantities = dict(
        Lot.objects.filter(account=account)
        .open()
        .values("symbol")
        .annotate(q=Sum("remaining_quantity"))
        .values_list("symbol", "q")
    )
    assert quantities == truth.open_quantities


def test_cash_is_the_ground_truths_to_the_last_digit(simulated):
    account, truth = simulated
    cash = sum(Transaction.objects.filter(account=account).values_list("net_value", flat=True), Decimal(0))
    assert cash == truth.cash_balance


def test_reconciliation_is_green_on_simulator_data(simulated):
    account, _ = simulated
    checks = {check.kind: check.status for check in ReconciliationCheck.objects.filter(account=account)}
    assert checks == {
        ReconciliationCheck.Kind.POSITIONS: ReconciliationCheck.Status.MATCH,
        ReconciliationCheck.Kind.CASH: ReconciliationCheck.Status.MATCH,
        ReconciliationCheck.Kind.FEES: ReconciliationCheck.Status.MATCH,
    }


def test_a_simulated_history_leaves_no_data_issue_such_as_a_close_without_an_open(simulated):
    account, _ = simulated
    assert list(DataIssue.objects.filter(account=account).values_list("kind", "symbol", "message")) == []
