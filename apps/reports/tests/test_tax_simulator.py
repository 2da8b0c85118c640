"""The tax year's bridge on the simulator's multi-year history: from FIFO realized P&L to the taxable
total, to the cent, in every year."""

from datetime import date

import pytest
from django.db import transaction

from apps.reports.tax import tax_year
from apps.trades.lots import recompute_account
from apps.trades.tests.test_lots_simulator import synced_account
from simulator import Scenario, Simulator

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(scope="module")
def simulated(django_db_setup, django_db_blocker):
    """Three calendar years (Sep 2024 to Jan 2026) synced and rebuilt once for the module."""
    simulator = Simulator(Scenario(seed=2, accounts=1, start=date(2024, 9, 2), days=500))
    with django_db_blocker.unblock(), transaction.atomic():
        account = synced_account(simulator, simulator.account_numbers[0])
        recompute_account(account=account)
        yield account
        transaction.set_rollback(True)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_the_bridge_closes_to_the_cent_in_every_year(simulated, year):
    tax = tax_year(user=simulated.user, year=year)
    bridge = tax.bridge
    assert bridge.difference == 0
    assert bridge.taxable_total == tax.short_term + tax.long_term + tax.section_1256
    assert len(tax.lines) >= 20


def test_the_history_has_wash_sales_assignments_and_section_1256_lines(simulated):
    years = [tax_year(user=simulated.user, year=year) for year in (2024, 2025)]
    lines = [line for tax in years for line in tax.lines]
    assert any(line.wash_disallowed for line in lines)
    assert any(line.carried_premium for line in lines)
    assert any(line.term == "1256" for line in lines)
