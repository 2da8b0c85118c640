"""Keeping a chart screenshot: the per-trader quota, the files in private storage, the row that names them."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from apps.accounts.models import User

from .images import CleanImage
from .models import Attachment, JournalDay, attachment_storage


class QuotaExceeded(Exception):
    """The trader's screenshots would take more than ATTACHMENT_QUOTA_MB; the message says so."""


def quota_bytes() -> int:
    return settings.ATTACHMENT_QUOTA_MB * 1024 * 1024


def attach(
    *,
    user: User,
    image: CleanImage,
    original_name: str = "",
    account_id: int | None = None,
    target: str,
    key: str = "",
    journal_day: JournalDay | None = None,
) -> Attachment:
    """Store the re-encoded image and its thumbnail, and the row naming them; refuse past the user's quota."""
    size = len(image.content) + len(image.thumbnail)
    with transaction.atomic():
        # The lock on the user's row makes two uploads at once take turns at the quota check.
        User.objects.select_for_update().filter(pk=user.pk).first()
        used = Attachment.objects.bytes_used_by(user)
        if used + size > quota_bytes():
            raise QuotaExceeded(
                f"Your screenshots use {filesizeformat(used)} of {filesizeformat(quota_bytes())}; "
                "delete some before attaching more."
            )
        attachment = Attachment(
            user=user,
            target=target,
            account_id=account_id,
            key=key,
            journal_day=journal_day,
            content_type=image.content_type,
            width=image.width,
            height=image.height,
            size=size,
            original_name=original_name,
        )
        storage = attachment_storage()
        folder = f"attachments/{user.pk}/{attachment.token.hex}"
        attachment.image_name = storage.save(f"{folder}.{image.extension}", ContentFile(image.content))
        try:
            attachment.thumbnail_name = storage.save(f"{folder}-thumb.webp", ContentFile(image.thumbnail))
            attachment.save()
        except BaseException:
            # The row never existed: its files must not outlive it.
            for name in (attachment.image_name, attachment.thumbnail_name):
                if name:
                    storage.delete(name)
            raise
    return attachment
