"""The trader's daily journal and the chart screenshots attached to a trade, a chain or a journal day.

Screenshot files live in the private "attachments" storage (config/settings/base.py: local `media/private/` or
an S3-compatible bucket), named by a random token; the row keeps their names. Nothing there has a public URL:
apps/journal/views.py serves a file to its owner only.
"""

import uuid
from datetime import date

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Sum

from apps.core.models import TimestampedModel
from apps.trades.models import BrokerAccount, Target


def attachment_storage():
    """Looked up at each use (not bound to a field at import), so settings overrides in tests apply."""
    return storages["attachments"]


class JournalDayQuerySet(models.QuerySet):
    def for_user(self, user) -> "JournalDayQuerySet":
        return self.filter(user=user)

    def in_month(self, first: date, next_first: date) -> "JournalDayQuerySet":
        return self.filter(day__gte=first, day__lt=next_first)


class Score(models.IntegerChoices):
    ONE = 1, "1 – poor"
    TWO = 2, "2"
    THREE = 3, "3"
    FOUR = 4, "4"
    FIVE = 5, "5 – excellent"


SCORE = {
    "null": True,
    "blank": True,
    "choices": Score.choices,
    "validators": [MinValueValidator(1), MaxValueValidator(5)],
}


class JournalDay(TimestampedModel):
    """What the trader wrote about one trading day: plain text (line breaks kept, never markdown or HTML)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_days")
    day = models.DateField()
    text = models.TextField(blank=True)
    mood = models.PositiveSmallIntegerField(**SCORE)
    discipline = models.PositiveSmallIntegerField(**SCORE)

    objects = JournalDayQuerySet.as_manager()

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="journal_day_unique_per_user")]

    def __str__(self) -> str:
        return f"journal of {self.day}"


class AttachmentQuerySet(models.QuerySet):
    def for_trade(self, account_id: int, target: str, key: str) -> "AttachmentQuerySet":
        return self.filter(account_id=account_id, target=target, key=key).order_by("created_at", "pk")

    def bytes_used_by(self, user) -> int:
        return self.filter(user=user).aggregate(total=Sum("size"))["total"] or 0


class Attachment(models.Model):
    """A chart screenshot, re-encoded (apps/journal/images.py), on a position, a chain or a journal day.

    A trade is named like its notes, by account and stable key, so a rebuild keeps its screenshots; a day's
    screenshot belongs to its JournalDay. `token` names the files and the URLs: ids are never guessable,
    and the views still check the owner.
    """

    class On(models.TextChoices):
        POSITION = Target.POSITION.value, "Position"
        CHAIN = Target.CHAIN.value, "Chain"
        DAY = "day", "Journal day"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attachments")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    target = models.CharField(max_length=8, choices=On.choices)
    account = models.ForeignKey(
        BrokerAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    key = models.CharField(max_length=100, blank=True)
    journal_day = models.ForeignKey(
        JournalDay, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    image_name = models.CharField(max_length=255)
    thumbnail_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="Bytes stored: the image and its thumbnail.")
    original_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["account", "target", "key"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(target="day", journal_day__isnull=False, account__isnull=True))
                | (models.Q(target__in=["position", "chain"], journal_day__isnull=True, account__isnull=False)),
                name="attachment_on_a_trade_or_a_day",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name or str(self.token)


def delete_files_of(sender, instance: Attachment, **kwargs) -> None:
    """post_delete: remove the files once the deletion is committed (a rolled-back delete keeps them)."""
    names = [instance.image_name, instance.thumbnail_name]

    def delete() -> None:
        storage = attachment_storage()
        for name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(delete)
