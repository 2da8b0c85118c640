"""Authenticated encryption for broker secrets at rest.

AES-256-GCM with the row's identity as associated data: a ciphertext copied into another row
(or another column) fails to decrypt instead of silently handing over someone else's token.
Keys come from FIELD_ENCRYPTION_KEYS: the first encrypts, every key listed can decrypt, so a
new key can be put first and `rotate_encryption_keys` re-encrypts every row with it.
"""

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = "v1"


class DecryptionError(Exception):
    """The secret cannot be read with the configured keys: the user must reconnect."""


def _load_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS: each key must be 32 bytes of url-safe base64")
    return key


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def keys() -> list[tuple[str, bytes]]:
    loaded = [_load_key(text) for text in settings.FIELD_ENCRYPTION_KEYS if text.strip()]
    if not loaded:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: broker credentials cannot be stored")
    return [(_key_id(key), key) for key in loaded]


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt with the first key; `context` names the row and field the secret belongs to."""
    key_id, key = keys()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{VERSION}:{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str) -> str:
    try:
        version, key_id, payload = token.split(":", 2)
        blob = base64.urlsafe_b64decode(payload.encode())
    except (ValueError, binascii.Error):
        raise DecryptionError("stored secret is malformed") from None
    if version != VERSION:
        raise DecryptionError("stored secret has an unknown format")
    for candidate_id, key in keys():
        if candidate_id != key_id:
            continue
        try:
            return AESGCM(key).decrypt(blob[:12], blob[12:], context.encode()).decode()
        except InvalidTag:
            raise DecryptionError("stored secret does not belong to this row or was altered") from None
    raise DecryptionError("stored secret was encrypted with a key that is no longer configured")


def is_current(token: str) -> bool:
    """True when the token is already encrypted with the first (current) key."""
    return token.split(":", 2)[1:2] == [keys()[0][0]]


def hint(secret: str) -> str:
    """What a page may show of a secret: its last four characters."""
    return "\u2022\u2022\u2022\u2022" + secret[-4:] if len(secret) >= 8 else "\u2022\u2022\u2022\u2022"
