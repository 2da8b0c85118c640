"""The simulator's command line, shared by `python -m simulator` and `manage.py tastytrade_simulator`."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable
from datetime import date, timedelta

from .app import OTHER_REFRESH_TOKEN, Simulator
from .scenario import Scenario
from .server import SimulatorServer


class SimulatorError(Exception):
    """A bad option or a port that cannot be bound: the message is for the operator."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--seed", type=int, default=1, help="scenario seed: same seed, same history")
    parser.add_argument("--accounts", type=int, default=2, help="number of accounts (default 2)")
    parser.add_argument("--days", type=int, default=730, help="length of the history in days (default 730)")
    parser.add_argument(
        "--start", type=date.fromisoformat, help="first day of the history, YYYY-MM-DD (default: it ends today)"
    )
    parser.add_argument("--activity", type=int, default=1, help="new positions per trading day and account")
    parser.add_argument("--token-lifetime", type=int, default=900, help="access token lifetime in seconds")
    parser.add_argument("--environment", choices=["production", "sandbox"], default="production")
    parser.add_argument("--client-id", default=None, help="OAuth client id (default tastytrade-tracker-sim)")
    parser.add_argument("--client-secret", default=None, help="OAuth client secret (default sim-client-secret)")
    parser.add_argument("--refresh-token", default=None, help="the grant's refresh token (default sim-refresh-token-1)")
    parser.add_argument(
        "--advance-every", type=float, default=0, help="add a day of activity every N seconds (0: never)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")


def build_simulator(options: dict) -> Simulator:
    """The simulator the options describe, its history generated before the first request."""
    start = options["start"] or date.today() - timedelta(days=options["days"] - 1)
    try:
        scenario = Scenario(
            seed=options["seed"],
            accounts=options["accounts"],
            start=start,
            days=options["days"],
            activity=options["activity"],
        )
    except ValueError as error:
        raise SimulatorError(str(error)) from error
    credentials = {
        name: options[name] for name in ("client_id", "client_secret", "refresh_token") if options[name] is not None
    }
    simulator = Simulator(
        scenario,
        access_token_lifetime=options["token_lifetime"],
        environment=options["environment"],
        **credentials,
    )
    simulator.warm()
    return simulator


def serve(options: dict, write: Callable[[str], None]) -> None:
    """Build the simulator, describe it, and serve it until Ctrl-C."""
    simulator = build_simulator(options)
    try:
        server = SimulatorServer(simulator, options["host"], options["port"], verbose=options["verbose"])
    except OSError as error:
        raise SimulatorError(f"Cannot listen on {options['host']}:{options['port']}: {error}") from error
    describe(simulator, server, write)
    stop = threading.Event()
    if options["advance_every"] > 0:
        threading.Thread(
            target=advance_until, args=(simulator, options["advance_every"], stop, write), daemon=True
        ).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        write("Stopped.")
    finally:
        stop.set()
        server.stop()


def describe(simulator: Simulator, server: SimulatorServer, write: Callable[[str], None]) -> None:
    scenario = simulator.scenario
    write(f"TastyTrade simulator on {server.url}")
    write(f"  history: seed {scenario.seed}, {scenario.start} to {simulator.today}, activity {scenario.activity}")
    for number in simulator.account_numbers:
        truth = simulator.truth(number)
        write(
            f"  account {number}: {truth.transaction_count} transactions, cash {truth.cash_balance}, "
            f"{len(truth.open_quantities)} open positions"
        )
    write(f"  client id:      {simulator.client_id}")
    write(f"  client secret:  {simulator.client_secret}")
    write(f"  refresh token:  {simulator.refresh_token}")
    write(f"  another customer's refresh token: {OTHER_REFRESH_TOKEN} (account {simulator.stranger_account_number})")
    write(f"  point the app at it: TASTYTRADE_API_URL={server.url}")
    write("Press Ctrl-C to stop.")


def advance_until(simulator: Simulator, seconds: float, stop: threading.Event, write: Callable[[str], None]) -> None:
    while not stop.wait(seconds):
        rows = simulator.advance(1)
        write(f"  {simulator.today}: {len(rows)} new transactions")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description="Run a simulated TastyTrade API with a generated trading history."
    )
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    try:
        serve(options, lambda line: print(line, flush=True))
    except SimulatorError as error:
        parser.exit(1, f"{error}\n")
