"""Fixtures shared by every app's tests: two users and their signed-in clients, a frozen clock, the simulator."""

from datetime import UTC, datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress

from apps.accounts.models import User
from simulator import Simulator
from simulator.tests.simulator_fixtures import SMALL

# Monday 16 March 2026 after the close: the last day of `make_trading_history`, so "today" on its pages.
HISTORY_LAST_DAY = datetime(2026, 3, 16, 20, tzinfo=UTC)
# Monday 2 March 2026 during the session: the day the ledger factories' first fill executes.
FIRST_FILL_DAY = datetime(2026, 3, 2, 17, tzinfo=UTC)


def make_user(email: str, password: str = "correct-horse-battery") -> User:
    user = User.objects.create_user(email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def user(db) -> User:
    return make_user("alice@example.com")


@pytest.fixture
def other_user(db) -> User:
    return make_user("bob@example.com")


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def other_client(db, other_user):
    from django.test import Client

    other = Client()
    other.force_login(other_user)
    return other


@pytest.fixture
def simulator() -> Simulator:
    """A fresh simulator: two accounts, 180 days of history (seed 1), faults cleared."""
    return Simulator(SMALL)


@pytest.fixture
def simulator_server(simulator):
    """`simulator` served on 127.0.0.1 on a free port; `.url`, `.simulator`."""
    with simulator.serve() as server:
        yield server


@pytest.fixture
def frozen_clock():
    """The clock stopped at `HISTORY_LAST_DAY`; a module opts in with `pytestmark = usefixtures("frozen_clock")`."""
    with time_machine.travel(HISTORY_LAST_DAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def frozen_clock_on_first_fill_day():
    """The clock stopped at `FIRST_FILL_DAY`, for pages whose rows come straight from the factories."""
    with time_machine.travel(FIRST_FILL_DAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def history(user):
    """`user`'s small hand-computed ledger, run through the P&L engine (see `make_trading_history`)."""
    from apps.reports.tests.factories import make_trading_history

    return make_trading_history(user)
