"""Re-encrypt every stored TastyTrade secret with the first key in FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first, keep the old ones after it, run this, then drop the old keys.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.tastytrade_sync import crypto
from apps.tastytrade_sync.models import Connection


class Command(BaseCommand):
    help = "Re-encrypt every connection's client secret and refresh token with the current key."

    def handle(self, *args, **options) -> None:
        rotated = unreadable = current = 0
        with transaction.atomic():
            for connection in Connection.objects.select_for_update().exclude(encrypted_refresh_token=""):
                if crypto.is_current(connection.encrypted_refresh_token) and crypto.is_current(
                    connection.encrypted_client_secret
                ):
                    current += 1
                    continue
                try:
                    secret, token = connection.client_secret, connection.refresh_token
                except crypto.DecryptionError:
                    # A key that is gone: the user must reconnect; say so instead of failing the rest.
                    connection.status = Connection.Status.NEEDS_RECONNECT
                    connection.status_detail = "Stored credentials can no longer be read: reconnect."
                    connection.save(update_fields=["status", "status_detail"])
                    unreadable += 1
                    continue
                connection.set_credentials(client_secret=secret, refresh_token=token)
                connection.save(update_fields=["encrypted_client_secret", "encrypted_refresh_token", "secret_hint"])
                rotated += 1
        self.stdout.write(f"Re-encrypted {rotated}, already current {current}, unreadable {unreadable}.")
