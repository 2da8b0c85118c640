"""Test runs: development settings with a fast password hasher."""

import socket
import tempfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .development import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SITE_URL = "http://testserver"  # the test client's host, so links in emails open in the test client
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Screenshots and backups on disk in a throwaway folder (apps/journal/tests/conftest.py gives each test its own).
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="tracker-test-media-")},
    },
}
# Retries happen without real sleeping; the tests count attempts instead.
TASTYTRADE_RETRY_BASE_DELAY = 0.0
TASTYTRADE_RETRY_MAX_DELAY = 0.0
TASTYTRADE_TIMEOUT_SECONDS = 2.0

# Sign-in providers configured the way a deployment configures them, but pointed at loopback stand-ins
# (apps/accounts/tests/fake_google.py and fake_apple.py); no test ever reaches Google or Apple.
# allauth reads Google's endpoints once, when its views module is imported, so the fake Google's port is
# reserved here, before any test runs, and the fake later serves on this very socket.
FAKE_GOOGLE_SOCKET = socket.create_server(("127.0.0.1", 0))
FAKE_GOOGLE_URL = f"http://127.0.0.1:{FAKE_GOOGLE_SOCKET.getsockname()[1]}"
SOCIALACCOUNT_PROVIDERS = sign_in_providers(  # noqa: F405
    google_client_id="tracker-test.apps.googleusercontent.com",
    google_client_secret="fake-google-secret",  # noqa: S106 - only the fake Google knows it
    apple_client_id="com.example.tracker.signin",
    apple_team_id="TEAM123456",
    apple_key_id="KEY1234567",
    # A fresh ES256 key per run, like the .p8 key Apple issues; the fake Apple checks our client secret with it.
    apple_private_key=ec.generate_private_key(ec.SECP256R1())
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode(),
)
SOCIALACCOUNT_PROVIDERS["google"] |= {
    "AUTHORIZE_URL": f"{FAKE_GOOGLE_URL}/o/oauth2/v2/auth",
    "ACCESS_TOKEN_URL": f"{FAKE_GOOGLE_URL}/token",
    "IDENTITY_URL": f"{FAKE_GOOGLE_URL}/oauth2/v2/userinfo",
    "CERTS_URL": f"{FAKE_GOOGLE_URL}/oauth2/v1/certs",
    "ID_TOKEN_ISSUER": FAKE_GOOGLE_URL,
}
