"""The reports app's long work as django.tasks: restoring a backup (and rebuilding its accounts' P&L), and the
nightly backups of the traders who asked for them."""

import io
import logging

from django.tasks import task

from apps.accounts.models import User

from .backup import BackupError, read_backup, restore_backup, store_backup
from .models import PendingRestore

logger = logging.getLogger(__name__)


@task
def restore(*, pending_id: int) -> str:
    """Restore a kept backup file, all or nothing (restore_backup is one transaction), and say how it went."""
    pending = PendingRestore.objects.select_related("user").filter(pk=pending_id, phase="queued").first()
    if pending is None:
        return "gone"  # already run, or deleted with its user
    PendingRestore.objects.filter(pk=pending.pk).update(phase=PendingRestore.Phase.RESTORING)
    phase, outcome = PendingRestore.Phase.FAILED, "Something went wrong on our side; nothing was restored."
    try:
        summary = restore_backup(user=pending.user, backup=read_backup(io.BytesIO(bytes(pending.content))))
    except BackupError as exc:
        outcome = f"Nothing was restored: {exc}"
    except BaseException:  # a worker's shutdown too: the restore's transaction is rolled back either way
        logger.exception("restore %s failed; nothing was restored", pending.pk)
        raise
    else:
        count = summary.rows["transactions"]
        phase, outcome = (
            PendingRestore.Phase.DONE,
            f"Restored {summary.accounts} account(s) with {count:,} transactions.",
        )
    finally:
        PendingRestore.objects.filter(pk=pending.pk).update(phase=phase, outcome=outcome, content=b"")
    return phase


@task
def nightly_backups() -> int:
    """A backup for every trader who turned "keep a nightly backup" on; one trader's failure is logged and the
    others still get theirs. Returns how many were written."""
    written = 0
    for user in User.objects.filter(backup_nightly=True, is_active=True).order_by("pk").iterator():
        try:
            store_backup(user=user)
        except Exception:
            logger.exception("nightly backup of user %s failed", user.pk)
        else:
            written += 1
    return written
