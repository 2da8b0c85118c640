"""A faithful TastyTrade API simulator: real HTTP, a realistic trading history, fault injection.

    from simulator import Scenario, Simulator

    sim = Simulator(Scenario(seed=1, accounts=2, days=730))
    with sim.serve() as server:                 # loopback HTTP on a free port
        session = sim.session(server.url)        # the real tastytrade SDK, pointed at it
    sim.transport()                              # or in-process, as an httpx2 transport
    sim.faults.status(429, path=r"/accounts/\\w+/transactions", on=2)
    sim.advance(days=1)                          # new activity, late corrections included
    sim.truth(sim.account_numbers[0])            # cash, open quantities, FIFO realized P&L

Modules: `market` (calendar, symbols, prices), `scenario` (the history generator),
`transactions` (the row and its JSON), `ledger` (ground truth and its exact convention),
`faults` (scriptable failures), `app` (the HTTP application), `server` (loopback server and
in-process transport).
"""

from .app import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
    OTHER_REFRESH_TOKEN,
    SimRequest,
    Simulator,
)
from .faults import FaultPlan, Rule
from .ledger import AccountTruth, ClosedLot, Ledger, OpenLot
from .scenario import History, Scenario
from .server import SimulatorServer, SimulatorTransport
from .transactions import Transaction

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_REFRESH_TOKEN",
    "OTHER_REFRESH_TOKEN",
    "AccountTruth",
    "ClosedLot",
    "FaultPlan",
    "History",
    "Ledger",
    "OpenLot",
    "Rule",
    "Scenario",
    "SimRequest",
    "Simulator",
    "SimulatorServer",
    "SimulatorTransport",
    "Transaction",
]
