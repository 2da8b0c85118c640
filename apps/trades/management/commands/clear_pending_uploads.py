from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.trades.models import PendingUpload


class Command(BaseCommand):
    help = "Delete CSV uploads left waiting for a confirmation longer than an hour (each upload also does this)."

    def handle(self, *args, **options) -> None:
        deleted, _ = PendingUpload.objects.expired(now=timezone.now()).delete()
        self.stdout.write(f"Deleted {deleted} expired upload rows.")
