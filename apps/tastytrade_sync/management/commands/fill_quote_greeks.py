"""Compute Greeks for stored quotes that have none (stored before trades 0013_quote_greeks); see
apps.tastytrade_sync.market_data.fill_missing_greeks. Safe to run again: quotes with Greeks are left alone."""

from django.core.management.base import BaseCommand

from apps.tastytrade_sync.market_data import fill_missing_greeks
from apps.trades.models import Quote


class Command(BaseCommand):
    help = "Compute Greeks for stored quotes that have none, where their snapshot has every input."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="quotes saved per UPDATE (default 500)")

    def handle(self, *args, batch_size: int, **options) -> None:
        filled = fill_missing_greeks(batch_size=batch_size)
        left = Quote.objects.filter(delta__isnull=True).count()
        self.stdout.write(f"Greeks computed for {filled} quote(s); {left} still without (an input is missing).")
