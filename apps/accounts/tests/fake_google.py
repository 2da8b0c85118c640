"""A stand-in for Google's OpenID Connect endpoints, served on loopback for tests.

It answers what allauth's Google provider talks to, at the URLs test settings give it:

- the authorize page (``/o/oauth2/v2/auth``): a consent page with a "Continue as ..." button that sends the
  browser back to the app with a one-time code and the app's ``state``;
- the token endpoint (``/token``): checks the client secret, the redirect URI and the PKCE verifier, then
  returns an RS256-signed id_token;
- the certificate endpoint (``/oauth2/v1/certs``): the signing key as ``{kid: PEM certificate}``, the shape
  of Google's v1 certs;
- userinfo (``/oauth2/v2/userinfo``).

Tests change ``issuer``, ``audience`` or ``user`` to make it misbehave, or read ``token_requests``.
"""

import base64
import datetime
import functools
import hashlib
import html
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings


@dataclass
class GoogleUser:
    sub: str = "110248495921238986420"
    email: str = "grace@gmail.example"
    email_verified: bool = True
    given_name: str = "Grace"
    family_name: str = "Hopper"


@dataclass
class Grant:
    """What the consent page handed out, waiting for the token request."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    scope: str


@dataclass
class FakeGoogle:
    url: str
    client_id: str
    client_secret: str
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = "fake-google-signing-key-1"

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.issuer = self.url
        self.audience = self.client_id
        self.user = GoogleUser()
        self.grants: dict[str, Grant] = {}
        self.access_tokens: dict[str, GoogleUser] = {}
        self.token_requests: list[dict[str, str]] = []

    def id_token(self, *, key: rsa.RSAPrivateKey | None = None, **claims) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "azp": self.client_id,
            "sub": self.user.sub,
            "email": self.user.email,
            "email_verified": self.user.email_verified,
            "name": f"{self.user.given_name} {self.user.family_name}",
            "given_name": self.user.given_name,
            "family_name": self.user.family_name,
            "iat": now,
            "exp": now + 3600,
            **claims,
        }
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def certificate_pem(self) -> str:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-google")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.PEM).decode()

    # The handler calls these three with the parsed request and returns (status, headers, body).

    def consent(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        redirect_uri = form["redirect_uri"]
        if form.get("decision") != "allow":
            return redirect(redirect_uri, {"error": "access_denied", "state": form.get("state", "")})
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(
            client_id=form["client_id"],
            redirect_uri=redirect_uri,
            code_challenge=form.get("code_challenge", ""),
            code_challenge_method=form.get("code_challenge_method", ""),
            scope=form.get("scope", ""),
        )
        return redirect(redirect_uri, {"code": code, "state": form.get("state", "")})

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.token_requests.append(form)
        grant = self.grants.pop(form.get("code", ""), None)  # a code works once
        if (
            form.get("grant_type") != "authorization_code"
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
            or grant is None
            or grant.client_id != self.client_id
            or grant.redirect_uri != form.get("redirect_uri")
            or not pkce_matches(grant, form.get("code_verifier", ""))
        ):
            return as_json({"error": "invalid_grant"}, status=400)
        access_token = secrets.token_urlsafe(24)
        self.access_tokens[access_token] = self.user
        return as_json(
            {
                "access_token": access_token,
                "expires_in": 3599,
                "token_type": "Bearer",
                "scope": grant.scope,
                "id_token": self.id_token(),
            }
        )

    def userinfo(self, authorization: str) -> tuple[int, dict[str, str], bytes]:
        user = self.access_tokens.get(authorization.removeprefix("Bearer "))
        if user is None:
            return as_json({"error": "invalid_token"}, status=401)
        return as_json(
            {
                "id": user.sub,
                "email": user.email,
                "verified_email": user.email_verified,
                "given_name": user.given_name,
                "family_name": user.family_name,
            }
        )


def pkce_matches(grant: Grant, verifier: str) -> bool:
    if grant.code_challenge_method != "S256" or not verifier:
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii") == grant.code_challenge


def redirect(url: str, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    separator = "&" if urlsplit(url).query else "?"
    return 302, {"Location": f"{url}{separator}{urlencode(params)}"}, b""


def as_json(data: dict, status: int = 200) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()


CONSENT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in with Google (test stand-in)</title></head>
<body>
<h1>Choose an account</h1>
<p>to continue to the app with client ID <code>{client_id}</code></p>
<form method="post" action="/o/oauth2/v2/auth/consent">
{hidden}
<button type="submit" name="decision" value="allow">Continue as {email}</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form>
</body></html>
"""


class Handler(BaseHTTPRequestHandler):
    server: "FakeGoogleServer"

    def do_GET(self) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/o/oauth2/v2/auth":
            self.authorize_page(query)
        elif url.path == "/oauth2/v1/certs":
            self.respond(*as_json({fake.kid: fake.certificate_pem()}))
        elif url.path == "/oauth2/v2/userinfo":
            self.respond(*fake.userinfo(self.headers.get("Authorization", "")))
        else:
            self.respond(404, {}, b"not found")

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self.path == "/o/oauth2/v2/auth/consent":
            self.respond(*fake.consent(form))
        elif self.path == "/token":
            self.respond(*fake.token(form))
        else:
            self.respond(404, {}, b"not found")

    def authorize_page(self, query: dict[str, str]) -> None:
        fake = self.server.fake
        if query.get("client_id") != fake.client_id or query.get("response_type") != "code":
            self.respond(400, {"Content-Type": "text/plain"}, b"Error 400: invalid_request")
            return
        hidden = "\n".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in query.items()
        )
        page = CONSENT_PAGE.format(client_id=html.escape(fake.client_id), hidden=hidden, email=fake.user.email)
        self.respond(200, {"Content-Type": "text/html; charset=utf-8"}, page.encode())

    def respond(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        pass


class FakeGoogleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sock: socket.socket, fake: FakeGoogle) -> None:
        # The socket is already bound and listening (test settings reserved it), so skip bind and listen.
        super().__init__(sock.getsockname(), Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_name, self.server_port = sock.getsockname()[:2]
        self.fake = fake


@functools.cache
def running_fake_google() -> FakeGoogle:
    """The one fake Google of this test run, started on first use.

    A module-level singleton rather than a session fixture: conftests in two directories import the
    fixture, which would make two session fixtures, and so two servers taking turns on one socket.
    """
    google = settings.SOCIALACCOUNT_PROVIDERS["google"]["APPS"][0]
    fake = FakeGoogle(url=settings.FAKE_GOOGLE_URL, client_id=google["client_id"], client_secret=google["secret"])
    server = FakeGoogleServer(settings.FAKE_GOOGLE_SOCKET, fake)
    threading.Thread(target=server.serve_forever, name="fake-google", daemon=True).start()
    return fake


@pytest.fixture
def fake_google() -> FakeGoogle:
    """The fake Google, back to a well-behaved provider with a fresh user for each test."""
    fake = running_fake_google()
    fake.reset()
    return fake
