from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "apps.journal"
    label = "journal"
    verbose_name = "Journal"

    def ready(self) -> None:
        # The second signal we accept, for storage hygiene only: an attachment's files go when its row goes,
        # however the row goes (its journal day, its broker account, the trader's account: all cascades).
        from django.db.models.signals import post_delete

        from .models import Attachment, delete_files_of

        post_delete.connect(delete_files_of, sender=Attachment, dispatch_uid="journal_attachment_files")
