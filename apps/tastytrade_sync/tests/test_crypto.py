import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.tastytrade_sync import crypto

KEY_A = "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="
KEY_B = "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI="


def test_a_secret_round_trips(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    assert crypto.decrypt(crypto.encrypt("refresh-123", context="row:1"), context="row:1") == "refresh-123"


def test_ciphertext_does_not_contain_the_secret(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    assert "refresh-123" not in crypto.encrypt("refresh-123", context="row:1")


def test_a_ciphertext_copied_to_another_row_does_not_decrypt(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    token = crypto.encrypt("refresh-123", context="row:1")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="row:2")


def test_an_altered_ciphertext_does_not_decrypt(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    token = crypto.encrypt("refresh-123", context="row:1")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, context="row:1")


def test_an_old_key_listed_second_still_decrypts(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    token = crypto.encrypt("refresh-123", context="row:1")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    assert crypto.decrypt(token, context="row:1") == "refresh-123"


def test_new_secrets_use_the_first_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    assert crypto.is_current(crypto.encrypt("x", context="row:1"))


def test_a_removed_key_is_a_clear_decryption_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    token = crypto.encrypt("refresh-123", context="row:1")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(crypto.DecryptionError, match="no longer configured"):
        crypto.decrypt(token, context="row:1")


def test_a_malformed_key_stops_with_a_message_naming_the_setting(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["too-short"]
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
        crypto.encrypt("x", context="row:1")


def test_the_hint_shows_only_the_last_four_characters():
    assert crypto.hint("eyJhbGciOiJIUzI1NiJ9.secret-1234") == "\u2022\u2022\u2022\u20221234"
