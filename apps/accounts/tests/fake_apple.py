"""A stand-in for Apple's two server-side sign-in endpoints, served on loopback for tests.

After Apple's form post comes back to us, allauth calls Apple twice from the server: the token endpoint,
to trade the code for tokens (proving who we are with a client secret that is a JWT signed by our ES256
key), and the keys endpoint, to check the id_token's signature. allauth hard-codes both URLs on
AppleOAuth2Adapter with no setting, so the ``fake_apple`` fixture points those two attributes here. Apple's
browser-facing part (its sign-in page and the form post back to us) is played by the test itself.
"""

import functools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt
import pytest
from allauth.socialaccount.providers.apple.views import AppleOAuth2Adapter
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

APPLE_ISSUER = "https://appleid.apple.com"


@dataclass
class AppleUser:
    sub: str = "001234.5d2f0e9c8b7a4d3e9f1a2b3c4d5e6f70.1234"
    email: str = "ada@icloud.example"
    email_verified: str = "true"  # Apple sends booleans as strings


@dataclass
class FakeApple:
    client_id: str
    team_id: str
    key_id: str
    client_public_key: object  # the public half of APPLE_PRIVATE_KEY, to check our client secret
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = "fake-apple-key-1"
    url: str = ""

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.audience = self.client_id
        self.user = AppleUser()
        self.codes: dict[str, str] = {}  # code -> redirect_uri it was issued for
        self.client_secret_claims: list[dict] = []

    def issue_code(self, redirect_uri: str) -> str:
        """What Apple's sign-in page does when the person agrees."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = redirect_uri
        return code

    def id_token(self) -> str:
        now = int(time.time())
        payload = {
            "iss": APPLE_ISSUER,
            "aud": self.audience,
            "sub": self.user.sub,
            "email": self.user.email,
            "email_verified": self.user.email_verified,
            "is_private_email": "false",
            "auth_time": now,
            "iat": now,
            "exp": now + 600,
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid})

    def client_secret_is_ours(self, client_secret: str) -> bool:
        """Apple's check of the ES256 client secret: our key, our key ID, our team, our service ID."""
        try:
            claims = jwt.decode(
                client_secret, self.client_public_key, algorithms=["ES256"], audience=APPLE_ISSUER, issuer=self.team_id
            )
        except jwt.PyJWTError:
            return False
        self.client_secret_claims.append(claims)
        return jwt.get_unverified_header(client_secret).get("kid") == self.key_id and claims["sub"] == self.client_id

    def token(self, form: dict[str, str]) -> tuple[int, dict]:
        redirect_uri = self.codes.pop(form.get("code", ""), None)  # a code works once
        if (
            form.get("grant_type") != "authorization_code"
            or form.get("client_id") != self.client_id
            or not self.client_secret_is_ours(form.get("client_secret", ""))
            or redirect_uri is None
            or redirect_uri != form.get("redirect_uri")
        ):
            return 400, {"error": "invalid_grant"}
        return 200, {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": secrets.token_urlsafe(24),
            "id_token": self.id_token(),
        }

    def keys(self) -> dict:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}


class Handler(BaseHTTPRequestHandler):
    server: "FakeAppleServer"

    def do_GET(self) -> None:
        if self.path == "/auth/keys":
            self.respond(200, self.server.fake.keys())
        else:
            self.respond(404, {"error": "not_found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self.path == "/auth/token":
            self.respond(*self.server.fake.token(form))
        else:
            self.respond(404, {"error": "not_found"})

    def respond(self, status: int, data: dict) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        pass


class FakeAppleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeApple) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.fake = fake


@functools.cache
def running_fake_apple() -> FakeApple:
    """The one fake Apple of this test run, started on first use (see running_fake_google for why)."""
    app = settings.SOCIALACCOUNT_PROVIDERS["apple"]["APPS"][0]
    private_key = serialization.load_pem_private_key(app["settings"]["certificate_key"].encode(), password=None)
    fake = FakeApple(
        client_id=app["client_id"], team_id=app["key"], key_id=app["secret"], client_public_key=private_key.public_key()
    )
    server = FakeAppleServer(fake)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="fake-apple", daemon=True).start()
    return fake


@pytest.fixture
def fake_apple(monkeypatch: pytest.MonkeyPatch) -> FakeApple:
    fake = running_fake_apple()
    fake.reset()
    monkeypatch.setattr(AppleOAuth2Adapter, "access_token_url", f"{fake.url}/auth/token")
    monkeypatch.setattr(AppleOAuth2Adapter, "public_key_url", f"{fake.url}/auth/keys")
    return fake
