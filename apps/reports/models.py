import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.db import models, transaction
from django.utils import timezone

from apps.core.models import TimestampedModel


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


class Form1099BTotals(TimestampedModel):
    """What the trader's 1099-B says for one box of one tax year, typed in or imported, to compare with."""

    class Box(models.TextChoices):
        A = "A", "Box A: short term, basis reported"
        B = "B", "Box B: short term, basis not reported"
        D = "D", "Box D: long term, basis reported"
        E = "E", "Box E: long term, basis not reported"
        SECTION_1256 = "1256", "Section 1256 contracts (aggregate profit or loss)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="form_1099b_totals")
    year = models.PositiveIntegerField()
    box = models.CharField(max_length=4, choices=Box.choices)
    proceeds = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    cost_basis = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    wash_sale_disallowed = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    gain_or_loss = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["year", "box"]
        constraints = [models.UniqueConstraint(fields=["user", "year", "box"], name="form_1099b_one_row_per_box")]

    def __str__(self) -> str:
        return f"1099-B {self.year} box {self.box}"


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
