import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.db import models, transaction
from django.utils import timezone


class PendingRestoreQuerySet(models.QuerySet):
    def running(self) -> "PendingRestoreQuerySet":
        """Restores queued or under way: one per trader at a time. A restore whose worker was killed
        stops counting after RUNNING_LIMIT, so the trader is never locked out."""
        since = timezone.now() - PendingRestore.RUNNING_LIMIT
        phases = [PendingRestore.Phase.QUEUED, PendingRestore.Phase.RESTORING]
        return self.filter(phase__in=phases, created_at__gte=since)

    def expired(self, *, now) -> "PendingRestoreQuerySet":
        """Restores older than a day: their outcome has been read, and a queued one whose worker never came
        would otherwise keep the backup's bytes for good."""
        return self.filter(created_at__lt=now - PendingRestore.KEPT_FOR)


class PendingRestore(models.Model):
    """A backup file on its way into the ledger: kept here for the worker, then only its outcome."""

    RUNNING_LIMIT = timedelta(hours=1)
    KEPT_FOR = timedelta(days=1)

    class Phase(models.TextChoices):
        QUEUED = "queued", "Queued"
        RESTORING = "restoring", "Restoring accounts and rebuilding P&L"
        DONE = "done", "Done"
        FAILED = "failed", "Nothing was restored"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_restores")
    content = models.BinaryField(blank=True)  # the backup's bytes until the restore ran
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.QUEUED)
    # What happened, in plain words: the summary, or why nothing was restored.
    outcome = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PendingRestoreQuerySet.as_manager()

    def __str__(self) -> str:
        return f"restore of {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.phase in {self.Phase.DONE, self.Phase.FAILED}


class StoredBackup(models.Model):
    """A nightly backup (apps/reports/backup.py) kept in the private "attachments" storage for its owner.

    Named by a random token in its URL and its file name; the last KEEP of each trader are kept."""

    KEEP = 7

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stored_backups")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"backup of {self.created_at:%Y-%m-%d %H:%M}"


def delete_backup_file(sender, instance: StoredBackup, **kwargs) -> None:
    """post_delete: the file goes once the deletion is committed, however the row went (pruning, the user)."""
    name = instance.file_name
    if name:
        transaction.on_commit(lambda: storages["attachments"].delete(name))
