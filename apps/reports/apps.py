from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # As for screenshots (apps/journal/apps.py): storage hygiene only, a backup's file goes with its row.
        from django.db.models.signals import post_delete

        from .models import StoredBackup, delete_backup_file

        post_delete.connect(delete_backup_file, sender=StoredBackup, dispatch_uid="reports_stored_backup_file")
