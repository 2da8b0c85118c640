"""Serve the TastyTrade simulator on loopback: `python manage.py tastytrade_simulator --port 8765`."""

import threading
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from apps.tastytrade_sync.simulator import OTHER_REFRESH_TOKEN, Scenario, Simulator, SimulatorServer


class Command(BaseCommand):
    help = "Run a simulated TastyTrade API with a generated trading history on a local port."

    def add_arguments(self, parser):
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
        parser.add_argument(
            "--refresh-token", default=None, help="the grant's refresh token (default sim-refresh-token-1)"
        )
        parser.add_argument(
            "--advance-every", type=float, default=0, help="add a day of activity every N seconds (0: never)"
        )
        parser.add_argument("--verbose", action="store_true", help="log every request")

    def handle(self, *args, **options):
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
            raise CommandError(str(error)) from error
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
        try:
            server = SimulatorServer(simulator, options["host"], options["port"], verbose=options["verbose"])
        except OSError as error:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: {error}") from error
        self._describe(simulator, server)
        stop = threading.Event()
        if options["advance_every"] > 0:
            threading.Thread(
                target=self._advance, args=(simulator, options["advance_every"], stop), daemon=True
            ).start()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
        finally:
            stop.set()
            server.stop()

    def _describe(self, simulator: Simulator, server: SimulatorServer) -> None:
        scenario = simulator.scenario
        self.stdout.write(self.style.SUCCESS(f"TastyTrade simulator on {server.url}"))
        self.stdout.write(
            f"  history: seed {scenario.seed}, {scenario.start} to {simulator.today}, activity {scenario.activity}"
        )
        for number in simulator.account_numbers:
            truth = simulator.truth(number)
            self.stdout.write(
                f"  account {number}: {truth.transaction_count} transactions, cash {truth.cash_balance}, "
                f"{len(truth.open_quantities)} open positions"
            )
        self.stdout.write(f"  client id:      {simulator.client_id}")
        self.stdout.write(f"  client secret:  {simulator.client_secret}")
        self.stdout.write(f"  refresh token:  {simulator.refresh_token}")
        self.stdout.write(
            f"  another customer's refresh token: {OTHER_REFRESH_TOKEN} (account {simulator.stranger_account_number})"
        )
        self.stdout.write(f"  point the app at it: TASTYTRADE_API_URL={server.url}")
        self.stdout.write("Press Ctrl-C to stop.")

    def _advance(self, simulator: Simulator, seconds: float, stop: threading.Event) -> None:
        while not stop.wait(seconds):
            rows = simulator.advance(1)
            self.stdout.write(f"  {simulator.today}: {len(rows)} new transactions")
