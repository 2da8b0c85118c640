"""Serve the TastyTrade simulator on loopback: `python manage.py tastytrade_simulator --port 8765`.

The same as `python -m simulator`; the options and the serving loop live in `simulator/cli.py`.
"""

from django.core.management.base import BaseCommand, CommandError

from simulator import cli


class Command(BaseCommand):
    help = "Run a simulated TastyTrade API with a generated trading history on a local port."

    def add_arguments(self, parser):
        cli.add_arguments(parser)

    def handle(self, *args, **options):
        try:
            cli.serve(options, self.stdout.write)
        except cli.SimulatorError as error:
            raise CommandError(str(error)) from error
