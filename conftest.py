"""Fixtures shared by every app's tests: two users and their signed-in clients, a frozen clock, the simulator."""

import pytest
from allauth.account.models import EmailAddress

from apps.accounts.models import User
from simulator import Simulator
from simulator.tests.simulator_fixtures import SMALL


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
