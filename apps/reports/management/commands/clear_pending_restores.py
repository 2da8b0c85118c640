from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.reports.models import PendingRestore


class Command(BaseCommand):
    help = (
        "Delete backup restores older than a day, with any backup bytes a worker never took "
        "(each restore also does this)."
    )

    def handle(self, *args, **options) -> None:
        deleted, _ = PendingRestore.objects.expired(now=timezone.now()).delete()
        self.stdout.write(f"Deleted {deleted} restores older than a day.")
