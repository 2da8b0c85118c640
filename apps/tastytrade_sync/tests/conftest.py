"""Fixtures for tests that talk to TastyTrade: the simulator, in-process and on a loopback port."""

import pytest

from apps.tastytrade_sync.simulator import Simulator

from .simulator_fixtures import SMALL


@pytest.fixture
def simulator() -> Simulator:
    """A fresh simulator: two accounts, 180 days of history (seed 1), faults cleared."""
    return Simulator(SMALL)


@pytest.fixture
def simulator_server(simulator):
    """`simulator` served on 127.0.0.1 on a free port; `.url`, `.simulator`."""
    with simulator.serve() as server:
        yield server
