"""The simulated TastyTrade API: a stdlib-only WSGI application over a generated history.

`Simulator` holds the customers, OAuth clients, grants and tokens, the generated `History` and
the fault plan, and answers requests with `handle()` (used by the loopback server and the
in-process transport) or as a WSGI callable. What it copies from the real API (docs/tastytrade-api.md#the-simulator):

- every route a read-only tracker uses, with the `data` / `data.items` / `context` envelope,
  kebab-case keys, decimals as strings, `*-effect` fields, ids above 2^31, UTC timestamps with
  milliseconds and `+00:00`, and `pagination` with its nine keys on transactions and snapshots;
- header checks in the API's order: a `product/version` User-Agent (else 401, the token call
  included), then the bearer token (401 when missing or expired), then `Accept-Version` (406),
  then the account (404 unknown, 403 another customer's);
- `POST /oauth/token` with JSON or form bodies, the refresh-token and authorization-code grants,
  and TastyTrade's own `{"error_code", "error_description"}` shape for a bad grant;
- `/auth.html` (also `/oauth/authorize`), the consent page of the code flow, which redirects
  back with `code` and `state`.

Where the real behaviour is uncertain the constructor has a switch: the access-token lifetime,
the minimum `Accept-Version`, from which version `/balances` answers a list, whether `end-date`
is inclusive, and sandbox mode (no `Accept-Version` accepted, no net-liq history).
"""

from __future__ import annotations

import html
import json
import math
import re
import secrets
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from . import market as mk
from .faults import FaultPlan, Rule
from .ledger import AccountTruth, Ledger
from .scenario import AccountInfo, History, Scenario
from .transactions import ZERO, Transaction, decimal_text, effect, timestamp_text

DEFAULT_CLIENT_ID = "tastytrade-tracker-sim"
# Well-known credentials of the simulator's OAuth client and grants (not secrets: nothing real uses them).
DEFAULT_CLIENT_SECRET = "sim-client-secret"  # noqa: S105
DEFAULT_REFRESH_TOKEN = "sim-refresh-token-1"  # noqa: S105
OTHER_REFRESH_TOKEN = "sim-refresh-token-other"  # noqa: S105
USER_AGENT = re.compile(r"^[^/\s]+/[^/\s]+")
MAX_PER_PAGE = 2000
TIME_BACK_DAYS = {"1d": 1, "1w": 7, "1m": 30, "3m": 91, "6m": 182, "1y": 365, "all": None}


@dataclass
class SimRequest:
    method: str
    path: str
    query_string: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    fired: dict[str, Rule] = field(default_factory=dict)  # fault kind -> the rule that fired

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self.headers = {name.lower(): value for name, value in self.headers.items()}
        self.query = parse_qs(self.query_string, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def params(self, name: str) -> list[str]:
        return self.query.get(name, [])


@dataclass
class SimResponse:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=lambda: [("Content-Type", "application/json")])
    delay: float = 0.0  # seconds to wait before answering (the slow fault)
    reset: bool = False  # drop the connection instead of answering (the reset fault)


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query_string: str
    status: int
    had_authorization: bool


@dataclass
class Customer:
    id: str
    email: str
    first_name: str
    last_name: str
    account_numbers: list[str]


@dataclass
class Grant:
    refresh_token: str
    customer_id: str
    client_id: str
    scope: str = "read"
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    customer_id: str
    expires_at: float


@dataclass
class AuthorizationCode:
    code: str
    customer_id: str
    client_id: str
    redirect_uri: str
    scope: str
    expires_at: float


class ApiError(Exception):
    def __init__(self, status: int, code: str | int, message: str, errors: list | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


def _json(data, status: int = 200) -> SimResponse:
    return SimResponse(status, json.dumps(data, separators=(",", ":")).encode())


def _fault_status(rule: Rule) -> SimResponse:
    """A scripted failure status: 429 and 500 as JSON errors, a gateway's 502/503 as an HTML page."""
    code = rule.options["code"]
    retry_after = rule.options.get("retry_after")
    if code == 429:
        response = _error(429, "too_many_requests", "Too many requests. Please slow down.")
    elif code == 500:
        return _error(500, "internal_server_error", "Internal server error")
    else:
        title = "Bad Gateway" if code == 502 else "Service Temporarily Unavailable"
        page = f"<html><head><title>{code} {title}</title></head><body><h1>{code} {title}</h1></body></html>"
        response = SimResponse(code, page.encode(), [("Content-Type", "text/html")])
    if retry_after is not None:
        response.headers.append(("Retry-After", str(retry_after)))
    return response


def _error(status: int, code, message: str, errors: list | None = None) -> SimResponse:
    body = {"error": {"code": code, "message": message}}
    if errors:
        body["error"]["errors"] = errors
    return _json(body, status)


def _validation(domain: str, reason: str = "does not have a valid value") -> ApiError:
    return ApiError(400, "validation_error", "Request validation failed", [{"domain": domain, "reason": reason}])


def _money(amount: Decimal) -> str:
    return decimal_text(amount)


def _parse_date(text: str | None, name: str) -> date | None:
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise _validation(name, "is invalid") from None


def _parse_moment(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        raise _validation(name, "is invalid") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _int_param(request: SimRequest, name: str, default: int, low: int, high: int | None = None) -> int:
    text = request.param(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise _validation(name) from None
    if value < low or (high is not None and value > high):
        raise _validation(name)
    return value


class Simulator:
    """The TastyTrade API as one customer (plus a stranger) sees it, over a generated history.

    `Simulator(Scenario(seed=1, accounts=2, days=730))`; then `transport()` for in-process use,
    `serve()` for a loopback server, `faults` to script failures, `advance(days)` to move time,
    and `truth(account_number)` for the ground truth.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        access_token_lifetime: int = 900,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        refresh_token: str = DEFAULT_REFRESH_TOKEN,
        redirect_uris: Iterable[str] | None = None,
        environment: str = "production",
        min_api_version: str = "20250813",
        balances_list_from_version: str = "20251101",
        end_date_inclusive: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if environment not in {"production", "sandbox"}:
            raise ValueError("environment is 'production' or 'sandbox'")
        self.scenario = scenario or Scenario()
        self.history = History(self.scenario)
        self.market = self.history.market
        self.access_token_lifetime = access_token_lifetime
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.redirect_uris = set(redirect_uris) if redirect_uris is not None else None
        self.environment = environment
        self.min_api_version = min_api_version
        self.balances_list_from_version = balances_list_from_version
        self.end_date_inclusive = end_date_inclusive
        self.clock = clock
        self.faults = FaultPlan()
        self.requests: deque[RequestRecord] = deque(maxlen=20000)
        self._lock = threading.RLock()
        self._tokens: dict[str, AccessToken] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._caches: dict[tuple[str, str], tuple[tuple[int, int], object]] = {}
        self._edits = 0  # rows changed in place: part of the caches' version, as the row count is

        main = Customer(
            "me-1", "trader@example.com", "Alex", "Trader", [a.account_number for a in self.history.accounts]
        )
        stranger_account = AccountInfo(
            account_number=f"5W{self.history.spare_letters[0] if self.history.spare_letters else 'Z'}00042",
            customer_id="me-2",
            nickname="Someone else's",
            account_type_name="Individual",
            margin_or_cash="Cash",
            opened_at=self.history.accounts[0].opened_at,
            funding_date=self.scenario.start,
        )
        stranger = Customer("me-2", "stranger@example.com", "Sam", "Stranger", [stranger_account.account_number])
        self.customers = {main.id: main, stranger.id: stranger}
        self.accounts: dict[str, AccountInfo] = {a.account_number: a for a in self.history.accounts}
        self.accounts[stranger_account.account_number] = stranger_account
        self._stranger_rows = [
            Transaction(
                id=self.history._next_transaction_id(self.history._post_rng),
                account_number=stranger_account.account_number,
                transaction_type="Money Movement",
                transaction_sub_type="Deposit",
                description="ACH DEPOSIT",
                executed_at=mk.utc(mk.next_trading_day(self.scenario.start), 14, 0),
                transaction_date=mk.next_trading_day(self.scenario.start),
                value=Decimal(2500),
                net_value=Decimal(2500),
            )
        ]
        self.grants = {
            refresh_token: Grant(refresh_token, main.id, client_id),
            OTHER_REFRESH_TOKEN: Grant(OTHER_REFRESH_TOKEN, stranger.id, client_id),
        }

    # --- the public Python API ------------------------------------------------------------------

    @property
    def account_numbers(self) -> list[str]:
        """The main customer's accounts (the stranger's account is `stranger_account_number`)."""
        return list(self.customers["me-1"].account_numbers)

    @property
    def stranger_account_number(self) -> str:
        return self.customers["me-2"].account_numbers[0]

    @property
    def today(self) -> date:
        return self.history.today

    def transactions(self, account_number: str) -> list[Transaction]:
        """Every row of the account, oldest first (by `executed-at`, then `id`)."""
        with self._lock:
            return list(self._sorted_rows(account_number))

    def truth(self, account_number: str) -> AccountTruth:
        with self._lock:
            return self._ledger(account_number).truth()

    def truths(self) -> dict[str, AccountTruth]:
        return {number: self.truth(number) for number in self.account_numbers}

    def advance(self, days: int = 1) -> list[Transaction]:
        """Move time forward `days` days of activity; returns the rows that landed."""
        with self._lock:
            return self.history.advance(days)

    def post_transaction(
        self,
        account_number: str,
        *,
        sub_type: str = "Balance Adjustment",
        amount: Decimal = Decimal("-0.01"),
        description: str = "Regulatory fee adjustment",
        executed_at: datetime | None = None,
    ) -> Transaction:
        """Post one cash row now (or dated `executed_at`); the ground truth includes it."""
        with self._lock:
            return self.history.post(
                account_number, sub_type=sub_type, amount=amount, description=description, moment=executed_at
            )

    def edit_transaction(self, account_number: str, *, on_or_before: date, amount: Decimal) -> Transaction | None:
        """Change the last row executed on or before `on_or_before` in place (same id): `amount` is added
        to its regulatory fee (its value when it has no fees) and its net value. Balances follow. None when
        the account has no row that old (a fault dated before a short history began edits nothing)."""
        with self._lock:
            rows = [row for row in self._sorted_rows(account_number) if row.executed_at.date() <= on_or_before]
            if not rows:
                return None
            row = rows[-1]
            if row.commission is not None or row.regulatory_fees is not None:
                row.regulatory_fees = (row.regulatory_fees or Decimal(0)) + amount
            else:
                row.value += amount
            row.net_value += amount
            row._json = None
            if account_number in self.history.books:
                self.history.books[account_number].cash += amount
            self._edits += 1
            return row

    def revoke_refresh_token(self, refresh_token: str | None = None) -> None:
        with self._lock:
            self.grants[refresh_token or self.refresh_token].revoked = True

    def expire_access_tokens(self) -> None:
        with self._lock:
            now = self.clock()
            for token in self._tokens.values():
                token.expires_at = min(token.expires_at, now)

    def transport(self):
        """An `httpx2.AsyncBaseTransport` that calls this simulator in-process."""
        from .server import SimulatorTransport

        return SimulatorTransport(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False):
        """Start a loopback HTTP server in a background thread; `.url`, `.stop()`, usable as a context manager."""
        from .server import SimulatorServer

        return SimulatorServer(self, host, port, verbose=verbose).start()

    def session(self, base_url: str | None = None, *, refresh_token: str | None = None, **client_kwargs):
        """A real `tastytrade.Session` pointed at this simulator: over HTTP to `base_url`, else in-process."""
        from tastytrade import Session

        from apps.tastytrade_sync.client import BaseUrlTransport

        inner = None if base_url else self.transport()
        transport = BaseUrlTransport(base_url or "http://simulator.invalid", inner=inner)
        return Session(self.client_secret, refresh_token or self.refresh_token, transport=transport, **client_kwargs)

    # --- WSGI -----------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        headers = {
            key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        request = SimRequest(
            environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/"), environ.get("QUERY_STRING", ""), headers, body
        )
        response = self.handle(request)
        if response.reset:
            raise ConnectionResetError("simulated connection reset")
        if response.delay:
            time.sleep(response.delay)
        start_response(f"{response.status} {HTTPStatus(response.status).phrase}", response.headers)
        return [response.body]

    # --- dispatch -------------------------------------------------------------------------------

    ROUTES: tuple[tuple[str, re.Pattern, str], ...] = (
        ("POST", re.compile(r"/oauth/token"), "_token"),
        ("GET", re.compile(r"/(auth\.html|oauth/authorize)"), "_consent_page"),
        ("POST", re.compile(r"/(auth\.html|oauth/authorize)"), "_consent"),
        ("GET", re.compile(r"/customers/me"), "_customer"),
        ("GET", re.compile(r"/customers/me/accounts"), "_account_list"),
        ("GET", re.compile(r"/customers/me/accounts/(?P<account>[^/]+)"), "_account"),
        ("GET", re.compile(r"/accounts/(?P<account>[^/]+)/transactions"), "_transactions"),
        ("GET", re.compile(r"/accounts/(?P<account>[^/]+)/transactions/total-fees"), "_total_fees"),
        ("GET", re.compile(r"/accounts/(?P<account>[^/]+)/transactions/(?P<id>[^/]+)"), "_transaction"),
        ("GET", re.compile(r"/accounts/(?P<account>[^/]+)/positions"), "_positions"),
        ("GET", re.compile(r"/accounts/(?P<account>[^/]+)/balances"), "_balances"),
        ("GET", re.compile(r"/accounts/(?P<account>[^/]+)/balances/(?P<currency>[A-Za-z]+)"), "_balance"),
        ("GET", re.compile(r"/accounts/(?P<account>[^/]+)/balance-snapshots"), "_snapshots"),
        ("GET", re.compile(r"/accounts/(?P<account>[^/]+)/net-liq/history"), "_net_liq"),
        ("GET", re.compile(r"/market-data/by-type"), "_market_data"),
        ("GET", re.compile(r"/market-metrics"), "_market_metrics"),
    )
    OPEN_ROUTES = frozenset({"_token", "_consent_page", "_consent"})

    def handle(self, request: SimRequest) -> SimResponse:
        """Answer one request (the loopback server and the in-process transport both call this)."""
        with self._lock:
            fired = self.faults.fire(request.method, request.path)
            response = self._answer(request, fired)
            self.requests.append(
                RequestRecord(
                    request.method,
                    request.path,
                    request.query_string,
                    response.status,
                    "authorization" in request.headers,
                )
            )
            return response

    def _answer(self, request: SimRequest, fired: list[Rule]) -> SimResponse:
        kinds = {rule.kind: rule for rule in fired}
        if "reset" in kinds:
            return SimResponse(0, reset=True)
        if "status" in kinds:
            return _fault_status(kinds["status"])
        self._spoil_credentials(request, kinds)
        request.fired = kinds
        try:
            response = self._route(request)
        except ApiError as error:
            response = _error(error.status, error.code, error.message, error.errors)
        if response.status == 200 and "malformed_json" in kinds:
            response.body = response.body[: max(len(response.body) // 2, 1)]
        if "slow" in kinds:
            response.delay = kinds["slow"].options["seconds"]
        return response

    def _spoil_credentials(self, request: SimRequest, kinds: dict[str, Rule]) -> None:
        """The faults that end a token early or revoke the grant act before the request is answered."""
        if "expire_token" in kinds:
            token = self._tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))
            if token:
                token.expires_at = min(token.expires_at, self.clock())
        if "revoke_refresh_token" in kinds:
            presented = self._form(request).get("refresh_token")
            grant = self.grants.get(presented or self.refresh_token)
            if grant:
                grant.revoked = True

    def _route(self, request: SimRequest) -> SimResponse:
        path_matched = False
        for method, pattern, name in self.ROUTES:
            match = pattern.fullmatch(request.path)
            if not match:
                continue
            path_matched = True
            if method != request.method:
                continue
            self._check_user_agent(request)
            if name in self.OPEN_ROUTES:
                return getattr(self, name)(request, **match.groupdict())
            customer = self._authenticate(request)
            self._check_version(request)
            arguments = match.groupdict()
            if "account" in arguments:
                arguments["account"] = self._owned_account(customer, arguments["account"])
            return getattr(self, name)(request, customer=customer, **arguments)
        if path_matched:
            raise ApiError(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}")
        raise ApiError(404, "not_found", f"No route for {request.path}")

    # --- checks ---------------------------------------------------------------------------------

    def _check_user_agent(self, request: SimRequest) -> None:
        if not USER_AGENT.match(request.headers.get("user-agent", "")):
            raise ApiError(401, "unauthorized", "A User-Agent header of the form product/version is required")

    def _authenticate(self, request: SimRequest) -> Customer:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            raise ApiError(401, "unauthorized", "Authorization header with a Bearer token is required")
        token = self._tokens.get(header.removeprefix("Bearer "))
        if token is None:
            raise ApiError(401, "unauthorized", "Invalid access token")
        if self.clock() >= token.expires_at:
            raise ApiError(401, "unauthorized", "Access token has expired")
        return self.customers[token.customer_id]

    def _check_version(self, request: SimRequest) -> None:
        version = request.headers.get("accept-version")
        if version is not None and "reject_version" in request.fired:
            raise ApiError(406, 406, "The requested version is not supported.")
        if version is None:
            return
        if self.environment == "sandbox" or not re.fullmatch(r"\d{8}", version) or version < self.min_api_version:
            raise ApiError(406, 406, "The requested version is not supported.")

    def _owned_account(self, customer: Customer, account_number: str) -> AccountInfo:
        account = self.accounts.get(account_number)
        if account is None:
            raise ApiError(404, "record_not_found", f"Account {account_number} not found")
        if account.account_number not in customer.account_numbers:
            raise ApiError(403, "not_permitted", "User not permitted access")
        return account

    # --- OAuth ----------------------------------------------------------------------------------

    def _form(self, request: SimRequest) -> dict[str, str]:
        """The token call's body: JSON or form-encoded (working clients send either)."""
        text = request.body.decode("utf-8", "replace").strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                return {}
            return {key: str(value) for key, value in data.items()} if isinstance(data, dict) else {}
        return {key: values[-1] for key, values in parse_qs(text, keep_blank_values=True).items()}

    def _token(self, request: SimRequest) -> SimResponse:
        form = self._form(request)
        grant_type = form.get("grant_type")
        if form.get("client_id") and form["client_id"] != self.client_id:
            return _json({"error_code": "invalid_client", "error_description": "Unknown client"}, 401)
        if form.get("client_secret") != self.client_secret:
            return _json({"error_code": "invalid_client", "error_description": "Invalid client secret"}, 401)
        if grant_type == "refresh_token":
            grant = self.grants.get(form.get("refresh_token", ""))
            if grant is None or grant.revoked:
                return _json({"error_code": "invalid_grant", "error_description": "Invalid JWT"}, 400)
            short = request.fired.get("short_lived_tokens")
            lifetime = short.options["seconds"] if short else None
            return _json(self._issue(grant, form.get("scope") or grant.scope, lifetime))
        if grant_type == "authorization_code":
            code = self._codes.pop(form.get("code", ""), None)
            if code is None or self.clock() >= code.expires_at or code.redirect_uri != form.get("redirect_uri"):
                return _json({"error_code": "invalid_grant", "error_description": "Invalid authorization code"}, 400)
            grant = Grant(f"sim-refresh-{secrets.token_urlsafe(24)}", code.customer_id, code.client_id, code.scope)
            self.grants[grant.refresh_token] = grant
            return _json(self._issue(grant, code.scope) | {"refresh_token": grant.refresh_token})
        return _json({"error_code": "unsupported_grant_type", "error_description": "Unsupported grant type"}, 400)

    def _issue(self, grant: Grant, scope: str, lifetime: int | None = None) -> dict:
        lifetime = lifetime or self.access_token_lifetime
        token = AccessToken(f"sim-at-{secrets.token_urlsafe(32)}", grant.customer_id, self.clock() + lifetime)
        self._tokens[token.token] = token
        issued = {"access_token": token.token, "token_type": "Bearer", "expires_in": lifetime}
        if "openid" in scope.split():
            issued["id_token"] = f"sim-id-{secrets.token_urlsafe(24)}"
        return issued

    def _consent_page(self, request: SimRequest) -> SimResponse:
        problem = self._check_authorize(
            request.param("client_id"), request.param("redirect_uri"), request.param("response_type")
        )
        if problem:
            return SimResponse(400, problem.encode(), [("Content-Type", "text/html; charset=utf-8")])
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(request.param(name) or "")}">'
            for name in ("response_type", "client_id", "redirect_uri", "scope", "state")
        )
        options = "".join(f'<option value="{c.id}">{html.escape(c.email)}</option>' for c in self.customers.values())
        page = f"""<!doctype html><html><head><title>Authorize application - tastytrade (simulator)</title></head>
<body><h1>Allow {html.escape(request.param("client_id") or "")} to access your tastytrade account?</h1>
<p>Scopes: {html.escape(request.param("scope") or "read")}</p>
<form method="post" action="{request.path}">{hidden}
<label>Signed in as <select name="customer">{options}</select></label>
<button name="decision" value="approve">Allow</button> <button name="decision" value="deny">Deny</button>
</form></body></html>"""
        return SimResponse(200, page.encode(), [("Content-Type", "text/html; charset=utf-8")])

    def _check_authorize(self, client_id: str | None, redirect_uri: str | None, response_type: str | None) -> str:
        if client_id != self.client_id:
            return "<h1>Unknown client_id</h1>"
        if not redirect_uri or (self.redirect_uris is not None and redirect_uri not in self.redirect_uris):
            return "<h1>redirect_uri is not registered for this client</h1>"
        if response_type != "code":
            return "<h1>response_type must be code</h1>"
        return ""

    def _consent(self, request: SimRequest) -> SimResponse:
        form = self._form(request)
        problem = self._check_authorize(form.get("client_id"), form.get("redirect_uri"), form.get("response_type"))
        if problem:
            return SimResponse(400, problem.encode(), [("Content-Type", "text/html; charset=utf-8")])
        result = {"state": form["state"]} if form.get("state") else {}
        if form.get("decision") == "approve":
            customer = form.get("customer") if form.get("customer") in self.customers else "me-1"
            code = AuthorizationCode(
                f"sim-code-{secrets.token_urlsafe(16)}",
                customer,
                form["client_id"],
                form["redirect_uri"],
                form.get("scope") or "read",
                self.clock() + 600,
            )
            self._codes[code.code] = code
            result = {"code": code.code} | result
        else:
            result = {"error": "access_denied"} | result
        parts = urlsplit(form["redirect_uri"])
        query = "&".join(filter(None, [parts.query, urlencode(result)]))
        location = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
        return SimResponse(302, b"", [("Location", location), ("Content-Type", "text/html")])

    # --- customers and accounts -----------------------------------------------------------------

    def _account_json(self, account: AccountInfo, index: int) -> dict:
        data = {
            "account-number": account.account_number,
            "external-id": f"A{int(account.account_number[3:]) * 7919 % 10**10:010d}",
            "opened-at": timestamp_text(account.opened_at),
            "nickname": account.nickname,
            "account-type-name": account.account_type_name,
            "day-trader-status": False,
            "is-closed": False,
            "is-firm-error": False,
            "is-firm-proprietary": False,
            "is-futures-approved": account.is_futures_approved,
            "is-test-drive": False,
            "margin-or-cash": account.margin_or_cash,
            "is-foreign": False,
            "funding-date": account.funding_date.isoformat(),
            "investment-objective": "SPECULATION",
            "suitable-options-level": "No Restrictions",
            "created-at": timestamp_text(account.opened_at + timedelta(milliseconds=8)),
        }
        if index == 1:
            del data["is-test-drive"]  # sometimes missing in real responses (tastytrade-sdk-python#31)
        return data

    def _customer(self, request: SimRequest, customer: Customer) -> SimResponse:
        address = {
            "street-one": "100 Main Street",
            "city": "Chicago",
            "state-region": "IL",
            "postal-code": "60606",
            "country": "USA",
            "is-foreign": False,
            "is-domestic": True,
        }
        data = {
            "id": customer.id,
            "first-name": customer.first_name,
            "last-name": customer.last_name,
            "address": address,
            "mailing-address": address,
            "is-foreign": False,
            "usa-citizenship-type": "Citizen",
            "mobile-phone-number": "+13125550100",
            "birth-date": "1985-04-12",
            "email": customer.email,
            "tax-number-type": "SSN",
            "tax-number": "*****1234",
            "subject-to-tax-withholding": False,
            "has-industry-affiliation": False,
            "has-listed-affiliation": False,
            "has-political-affiliation": False,
            "has-delayed-quotes": False,
            "has-pending-or-approved-application": True,
            "is-professional": False,
            "permitted-account-types": [],
            "created-at": timestamp_text(self.history.accounts[0].opened_at - timedelta(days=2)),
            "agreed-to-margining": True,
            "agreed-to-terms": True,
        }
        return self._envelope(data, request)

    def _account_list(self, request: SimRequest, customer: Customer) -> SimResponse:
        items = [
            {"account": self._account_json(self.accounts[number], index), "authority-level": "owner"}
            for index, number in enumerate(customer.account_numbers)
        ]
        return self._envelope({"items": items}, request)

    def _account(self, request: SimRequest, customer: Customer, account: AccountInfo) -> SimResponse:
        index = customer.account_numbers.index(account.account_number)
        return self._envelope(self._account_json(account, index), request)

    def _envelope(self, data: dict, request: SimRequest, pagination: dict | None = None) -> SimResponse:
        body = {"data": data, "context": request.path}
        if pagination is not None and "drop_pagination" not in request.fired:
            body["pagination"] = pagination
        if "extra_fields" in request.fired:
            fields = request.fired["extra_fields"].options["fields"]
            for item in data.get("items", [data]):
                item.update(fields)
            body["api-warnings"] = []
        if "missing_field" in request.fired:
            options = request.fired["missing_field"].options
            for item in data.get("items", [data]):
                nested = item.get("account")
                target = nested if isinstance(nested, dict) and options["name"] in nested else item
                target.pop(options["name"], None)
                if options["null"]:
                    target[options["name"]] = None
        return _json(body)

    # --- market data ----------------------------------------------------------------------------

    QUOTE_TYPES = {
        "equity": "Equity",
        "index": "Index",
        "equity-option": "Equity Option",
        "future": "Future",
        "future-option": "Future Option",
        "cryptocurrency": "Cryptocurrency",
    }

    def _symbols(self, request: SimRequest, name: str) -> list[str]:
        # The SDK repeats the parameter (`equity=SPY&equity=AAPL`); the docs comma-join it: both are read.
        return [symbol for value in request.params(name) for symbol in value.split(",") if symbol]

    def _known_instrument(self, symbol: str) -> mk.Instrument | None:
        for book in self.history.books.values():
            if symbol in book.instruments:
                return book.instruments[symbol]
        return None

    def _quote_price(self, symbol: str, kind: str) -> Decimal | None:
        """Today's mark, the same the positions endpoint reports; None for a symbol the market lacks."""
        if kind in {"Equity", "Index"}:
            known = symbol in mk.EQUITIES or symbol in {"SPX", mk.SYMBOL_CHANGE[1]}
            return self.market.price(symbol, self.today) if known else None
        instrument = self._known_instrument(symbol)
        return self.market.mark(instrument, self.today) if instrument is not None else None

    def _market_data(self, request: SimRequest, customer: Customer) -> SimResponse:
        wanted = [(kind, symbol) for name, kind in self.QUOTE_TYPES.items() for symbol in self._symbols(request, name)]
        if len(wanted) > 100:
            raise _validation("symbols", "at most 100 symbols across all types")
        items = []
        moment = timestamp_text(mk.market_close_utc(self.today))
        for kind, symbol in wanted:
            price = self._quote_price(symbol, kind)
            if price is None:
                continue  # TastyTrade leaves out symbols it does not know
            spread = max(mk.CENT, (price * Decimal("0.002")).quantize(mk.CENT))
            text = decimal_text(price)
            items.append(
                {
                    "symbol": symbol,
                    "instrument-type": kind,
                    "updated-at": moment,
                    "bid": decimal_text(max(price - spread, ZERO)),
                    "ask": decimal_text(price + spread),
                    "mid": text,
                    "mark": text,
                    "last": text,
                    "close": text,
                }
            )
        return self._envelope({"items": items}, request)

    def _market_metrics(self, request: SimRequest, customer: Customer) -> SimResponse:
        items = [item for symbol in self._symbols(request, "symbols") if (item := self._metrics_item(symbol))]
        return self._envelope({"items": items}, request)

    def _metrics_item(self, symbol: str) -> dict | None:
        """Figures that follow the simulated market: IV is the volatility option prices use, beta the ratio of
        the symbol's daily move range to SPY's; rank, earnings and ex-dividend dates are fixed by the seed."""
        base = mk.SYMBOL_CHANGE[0] if symbol == mk.SYMBOL_CHANGE[1] else symbol
        index_like = symbol in {"SPX", "/ES", "/MES"}
        if not index_like and base not in mk.EQUITIES:
            return None
        spy_move = mk.EQUITIES["SPY"][1]
        move = mk.INDEX_MOVE_BP if index_like else mk.EQUITIES[base][1]
        beta = Decimal(1) if index_like else (Decimal(move) / spy_move).quantize(Decimal("0.01"))
        draw = zlib.crc32(f"{self.market.seed}:{symbol}".encode())
        item = {
            "symbol": symbol,
            "implied-volatility-index": decimal_text(self.market.volatility(symbol if index_like else base)),
            "implied-volatility-index-rank": decimal_text(Decimal(draw % 100) / 100),
            "implied-volatility-percentile": decimal_text(Decimal(draw // 100 % 100) / 100),
            "beta": decimal_text(beta),
            "updated-at": timestamp_text(mk.market_close_utc(self.today)),
        }
        if base in mk.STOCKS or base in mk.WHEEL:
            report = self.today + timedelta(days=3 + draw % 60)
            item["earnings"] = {"expected-report-date": report.isoformat()}
        if not index_like and Decimal(mk.EQUITIES[base][2]):
            item["dividend-ex-date"] = (self.today + timedelta(days=1 + draw // 7 % 80)).isoformat()
        return item

    # --- transactions ---------------------------------------------------------------------------

    def _rows(self, account_number: str) -> list[Transaction]:
        if account_number in self.history.rows:
            return self.history.rows[account_number]
        return self._stranger_rows

    def _cached(self, account_number: str, name: str, build: Callable[[], object]):
        version = (len(self._rows(account_number)), self._edits)
        cached = self._caches.get((account_number, name))
        if cached is None or cached[0] != version:
            cached = (version, build())
            self._caches[(account_number, name)] = cached
        return cached[1]

    def _sorted_rows(self, account_number: str) -> list[Transaction]:
        return self._cached(
            account_number, "sorted", lambda: sorted(self._rows(account_number), key=lambda row: row.sort_key)
        )

    def _ledger(self, account_number: str) -> Ledger:
        return self._cached(
            account_number, "ledger", lambda: Ledger(account_number).apply_all(self._sorted_rows(account_number))
        )

    def _filtered(self, request: SimRequest, account_number: str) -> list[Transaction]:
        if request.param("type") and request.params("types[]"):
            raise _validation("type", "cannot be combined with types[]")
        types = set(request.params("types[]")) or ({request.param("type")} if request.param("type") else None)
        sub_types = set(request.params("sub-type[]")) or None
        start_date = _parse_date(request.param("start-date"), "start-date")
        end_date = _parse_date(request.param("end-date"), "end-date")
        start_at = _parse_moment(request.param("start-at"), "start-at")
        end_at = _parse_moment(request.param("end-at"), "end-at")
        exact = {
            "symbol": request.param("symbol") or None,
            "underlying_symbol": request.param("underlying-symbol") or None,
            "instrument_type": request.param("instrument-type") or None,
            "action": request.param("action") or None,
        }
        futures_symbol = request.param("futures-symbol") or None
        rows = self._sorted_rows(account_number)
        if not any([types, sub_types, start_date, end_date, start_at, end_at, futures_symbol, *exact.values()]):
            return rows
        selected = []
        for row in rows:
            if types and row.transaction_type not in types:
                continue
            if sub_types and row.transaction_sub_type not in sub_types:
                continue
            if start_date and row.transaction_date < start_date:
                continue
            if end_date and (
                row.transaction_date > end_date or (not self.end_date_inclusive and row.transaction_date == end_date)
            ):
                continue
            if start_at and row.executed_at < start_at:
                continue
            if end_at and row.executed_at > end_at:
                continue
            if futures_symbol and futures_symbol not in {row.symbol, row.underlying_symbol}:
                continue
            if any(value is not None and getattr(row, name) != value for name, value in exact.items()):
                continue
            selected.append(row)
        return selected

    def _transactions(self, request: SimRequest, customer: Customer, account: AccountInfo) -> SimResponse:
        per_page = _int_param(request, "per-page", 250, 1, MAX_PER_PAGE)
        page_offset = _int_param(request, "page-offset", 0, 0)
        sort = request.param("sort") or "Desc"
        if sort not in {"Asc", "Desc"}:
            raise _validation("sort")
        number = account.account_number
        if "new_transaction" in request.fired:
            for _ in range(request.fired["new_transaction"].options["count"]):
                self.history.post(
                    number,
                    sub_type="Balance Adjustment",
                    amount=Decimal("-0.01"),
                    description="Regulatory fee adjustment",
                )
        if "late_correction" in request.fired:
            options = request.fired["late_correction"].options
            self.history.post(
                number,
                sub_type="Balance Adjustment",
                amount=options["amount"],
                description="Fee Correction",
                moment=mk.utc(self.today - timedelta(days=options["days_back"]), 15),
            )
        if "edit_in_place" in request.fired:
            options = request.fired["edit_in_place"].options
            self.edit_transaction(
                number, on_or_before=self.today - timedelta(days=options["days_back"]), amount=options["amount"]
            )
        rows = self._filtered(request, number)
        if sort == "Desc":
            rows = rows[::-1]
        start = page_offset * per_page
        page = rows[start : start + per_page]
        duplicate = request.fired.get("duplicate_item")
        if duplicate is not None and rows:
            if duplicate.options["mode"] == "shift" and start > 0:
                page = rows[start - 1 : start - 1 + per_page]
            elif start > 0 and start <= len(rows):
                page = [rows[start - 1], *page]
            elif start + per_page < len(rows):
                page = [*page, rows[start + per_page]]
        total = len(rows)
        pagination = {
            "per-page": per_page,
            "page-offset": page_offset,
            "item-offset": start,
            "total-items": total,
            "total-pages": math.ceil(total / per_page),
            "current-item-count": len(page),
            "previous-link": None,
            "next-link": None,
            "paging-link-template": None,
        }
        if {"unknown_sub_type", "extra_fields", "drop_pagination", "missing_field"} & request.fired.keys():
            items = [row.to_api() for row in page]
            self._rename_sub_types(request, items)
            response = self._envelope({"items": items}, request, pagination)
            body = json.loads(response.body)
            body["api-version"] = "v1"
            return _json(body)
        # The fast path: rows are serialised once and joined.
        body = (
            '{"api-version":"v1","context":'
            + json.dumps(request.path)
            + ',"data":{"items":['
            + ",".join(row.to_json() for row in page)
            + ']},"pagination":'
            + json.dumps(pagination, separators=(",", ":"))
            + "}"
        )
        return SimResponse(200, body.encode())

    def _rename_sub_types(self, request: SimRequest, items: list[dict]) -> None:
        rule = request.fired.get("unknown_sub_type")
        if rule is None or not items:
            return
        for item in items if rule.options["every"] else items[:1]:
            item["transaction-sub-type"] = rule.options["sub_type"]

    def _transaction(self, request: SimRequest, customer: Customer, account: AccountInfo, id: str) -> SimResponse:
        found = None
        if id.isdigit():
            found = next((row for row in self._rows(account.account_number) if row.id == int(id)), None)
        if found is None:
            raise ApiError(404, "record_not_found", f"Transaction {id} not found")
        item = found.to_api()
        self._rename_sub_types(request, [item])
        return self._envelope(item, request)

    def _total_fees(self, request: SimRequest, customer: Customer, account: AccountInfo) -> SimResponse:
        day = _parse_date(request.param("date"), "date") or self.today
        total = sum((row.fees for row in self._rows(account.account_number) if row.transaction_date == day), ZERO)
        return self._envelope({"total-fees": _money(abs(total)), "total-fees-effect": effect(total)}, request)

    # --- positions and balances -----------------------------------------------------------------

    def _instrument(self, account_number: str, symbol: str) -> mk.Instrument | None:
        book = self.history.books.get(account_number)
        return book.instruments.get(symbol) if book else None

    def _mark(self, account_number: str, symbol: str, day: date) -> tuple[Decimal, Decimal]:
        """(price per unit, multiplier) of a symbol at the close of `day`."""
        instrument = self._instrument(account_number, symbol)
        if instrument is None:
            return ZERO, Decimal(1)
        return self.market.mark(instrument, day), instrument.multiplier

    def _positions(self, request: SimRequest, customer: Customer, account: AccountInfo) -> SimResponse:
        number = account.account_number
        ledger = self._ledger(number)
        today = self.today
        underlyings = set(request.params("underlying-symbol[]")) or None
        symbol_filter = request.param("symbol") or None
        type_filter = request.param("instrument-type") or None
        product = request.param("underlying-product-code") or None
        include_closed = (request.param("include-closed-positions") or "").lower() == "true"
        closed_today: dict[str, Decimal] = {}
        last_activity: dict[str, datetime] = {}
        for piece in ledger.closed:
            last_activity[piece.symbol] = max(last_activity.get(piece.symbol, piece.closed_at), piece.closed_at)
            if piece.closed_on == today:
                closed_today[piece.symbol] = closed_today.get(piece.symbol, ZERO) + piece.realized_pnl
        groups: dict[str, list] = {}
        for lot in ledger.open_lots():
            groups.setdefault(lot.symbol, []).append(lot)
        symbols = sorted(set(groups) | (set(closed_today) if include_closed else set()))
        items = []
        for symbol in symbols:
            lots = groups.get(symbol, [])
            instrument = self._instrument(number, symbol)
            kind = lots[0].instrument_type if lots else ledger.instrument_types.get(symbol, "Equity")
            underlying = lots[0].underlying_symbol if lots else ledger.underlyings.get(symbol, symbol)
            root = instrument.root if instrument else ""
            if underlyings and underlying not in underlyings:
                continue
            if (symbol_filter and symbol != symbol_filter) or (type_filter and kind != type_filter):
                continue
            if product and root != product:
                continue
            quantity = sum((lot.quantity * lot.direction for lot in lots), ZERO)
            size = abs(quantity)
            average = sum((lot.price * lot.quantity for lot in lots), ZERO) / size if size else ZERO
            mark, multiplier = self._mark(number, symbol, today)
            realized = closed_today.get(symbol, ZERO)
            opened = min((lot.opened_at for lot in lots), default=last_activity.get(symbol))
            updated = max(
                [lot.opened_at for lot in lots] + ([last_activity[symbol]] if symbol in last_activity else [])
            )
            item = {
                "account-number": number,
                "symbol": symbol,
                "instrument-type": kind,
                "underlying-symbol": underlying,
                "quantity": int(size) if size == size.to_integral_value() else decimal_text(size),
                "quantity-direction": "Long" if quantity > 0 else "Short" if quantity < 0 else "Zero",
                "close-price": decimal_text(mark),
                "average-open-price": decimal_text(average.quantize(Decimal("0.00000001"))),
                "average-yearly-market-close-price": decimal_text(average.quantize(Decimal("0.00000001"))),
                "average-daily-market-close-price": decimal_text(mark),
                "multiplier": int(multiplier),
                "cost-effect": "Credit" if quantity > 0 else "Debit",
                "is-suppressed": False,
                "is-frozen": False,
                "restricted-quantity": 0,
                "realized-day-gain": decimal_text(abs(realized)),
                "realized-day-gain-effect": effect(realized),
                "realized-day-gain-date": today.isoformat(),
                "realized-today": decimal_text(abs(realized)),
                "realized-today-effect": effect(realized),
                "realized-today-date": today.isoformat(),
                "created-at": timestamp_text(opened),
                "updated-at": timestamp_text(updated),
            }
            if instrument is not None and instrument.expiry is not None:
                item["expires-at"] = timestamp_text(mk.market_close_utc(instrument.expiry))
            if (request.param("include-marks") or "").lower() == "true":
                item["mark"] = decimal_text(mark)
                item["mark-price"] = decimal_text(mark)
            items.append(item)
        return self._envelope({"items": items}, request)

    def _valuation(self, account_number: str, quantities: dict[str, Decimal], day: date) -> dict[str, Decimal]:
        values = dict.fromkeys(
            (
                "long-equity-value",
                "short-equity-value",
                "long-derivative-value",
                "short-derivative-value",
                "long-futures-value",
                "short-futures-value",
                "long-futures-derivative-value",
                "short-futures-derivative-value",
                "futures-margin-requirement",
            ),
            ZERO,
        )
        for symbol, quantity in quantities.items():
            instrument = self._instrument(account_number, symbol)
            if instrument is None:
                continue
            mark = self.market.mark(instrument, day)
            worth = abs(quantity) * mark * instrument.multiplier
            side = "long" if quantity > 0 else "short"
            kind = instrument.instrument_type
            if kind == "Equity":
                values[f"{side}-equity-value"] += worth
            elif kind == "Equity Option":
                values[f"{side}-derivative-value"] += worth
            elif kind == "Future":
                # Futures are marked to market daily: their notional is reported, not counted in net liq.
                values[f"{side}-futures-value"] += worth
                values["futures-margin-requirement"] += abs(quantity) * (
                    Decimal(1500) if instrument.root == "MES" else Decimal(15000)
                )
            else:
                values[f"{side}-futures-derivative-value"] += worth
        return values

    def _balance_json(self, account_number: str, cash: Decimal, values: dict[str, Decimal], day: date) -> dict:
        net_liq = (
            cash
            + values["long-equity-value"]
            - values["short-equity-value"]
            + values["long-derivative-value"]
            - values["short-derivative-value"]
            + values["long-futures-derivative-value"]
            - values["short-futures-derivative-value"]
        )
        maintenance = (
            values["long-equity-value"] * Decimal("0.25")
            + values["short-equity-value"] * Decimal("0.30")
            + values["short-derivative-value"] * Decimal("0.20")
            + values["futures-margin-requirement"]
        ).quantize(Decimal("0.01"))
        buying_power = max(net_liq - maintenance, ZERO).quantize(Decimal("0.001"))
        withdrawable = max(min(cash, net_liq - maintenance), ZERO).quantize(Decimal("0.01"))
        text = {name: _money(value.quantize(Decimal("0.0001")).normalize()) for name, value in values.items()}
        zero = "0.0"
        return {
            "account-number": account_number,
            "currency": "USD",
            "cash-balance": _money(cash),
            **{name: text[name] for name in text if name != "futures-margin-requirement"},
            "long-margineable-value": text["long-equity-value"],
            "short-margineable-value": text["short-equity-value"],
            "margin-equity": _money(net_liq.quantize(Decimal("0.0001"))),
            "equity-buying-power": _money(buying_power),
            "derivative-buying-power": _money(buying_power),
            "day-trading-buying-power": zero,
            "futures-margin-requirement": text["futures-margin-requirement"],
            "available-trading-funds": zero,
            "maintenance-requirement": _money(maintenance),
            "maintenance-call-value": zero,
            "reg-t-call-value": zero,
            "day-trading-call-value": zero,
            "day-equity-call-value": zero,
            "net-liquidating-value": _money(net_liq.quantize(Decimal("0.0001"))),
            "cash-available-to-withdraw": _money(withdrawable),
            "day-trade-excess": _money(withdrawable),
            "pending-cash": zero,
            "pending-cash-effect": "None",
            "long-cryptocurrency-value": zero,
            "short-cryptocurrency-value": zero,
            "cryptocurrency-margin-requirement": zero,
            "unsettled-cryptocurrency-fiat-amount": zero,
            "unsettled-cryptocurrency-fiat-effect": "None",
            "closed-loop-available-balance": _money(withdrawable),
            "equity-offering-margin-requirement": zero,
            "long-bond-value": zero,
            "bond-margin-requirement": zero,
            "used-derivative-buying-power": _money(values["short-derivative-value"].quantize(Decimal("0.01"))),
            "snapshot-date": day.isoformat(),
            "reg-t-margin-requirement": _money(maintenance),
            "futures-overnight-margin-requirement": text["futures-margin-requirement"],
            "futures-intraday-margin-requirement": text["futures-margin-requirement"],
            "maintenance-excess": _money(max(net_liq - maintenance, ZERO).quantize(Decimal("0.01"))),
            "pending-margin-interest": zero,
            "effective-cryptocurrency-buying-power": zero,
            "apex-starting-day-margin-equity": zero,
            "buying-power-adjustment": zero,
            "buying-power-adjustment-effect": "None",
            "updated-at": timestamp_text(mk.utc(day, 21, 30)),
        }

    def _current_balance(self, number: str) -> dict:
        ledger = self._ledger(number)
        quantities = ledger.open_quantities()
        return self._balance_json(number, ledger.cash, self._valuation(number, quantities, self.today), self.today)

    def _balance(self, request: SimRequest, customer: Customer, account: AccountInfo, currency: str) -> SimResponse:
        if currency.upper() != "USD":
            raise ApiError(404, "record_not_found", f"No {currency} balances")
        return self._envelope(self._current_balance(account.account_number), request)

    def _balances(self, request: SimRequest, customer: Customer, account: AccountInfo) -> SimResponse:
        balance = self._current_balance(account.account_number)
        version = request.headers.get("accept-version")
        if version and version >= self.balances_list_from_version:
            return self._envelope({"items": [balance]}, request)
        return self._envelope(balance, request)

    def warm(self) -> None:
        """Build each account's ledger and daily balances now, not on the first request: TastyTrade
        has them stored, so a first sync against the served simulator should not wait for them."""
        for number in self.account_numbers:
            with self._lock:
                self._ledger(number)
            self.daily_balances(number)

    def daily_balances(self, account_number: str) -> list[tuple[date, dict]]:
        """End-of-day balances for every trading day from the first row to today (cached)."""
        with self._lock:
            return self._cached(account_number, "daily", lambda: self._build_daily(account_number))

    def _build_daily(self, number: str) -> list[tuple[date, dict]]:
        rows = self._sorted_rows(number)
        if not rows:
            return []
        ledger = Ledger(number)
        daily = []
        index, day = 0, rows[0].transaction_date
        while day <= self.today:
            while index < len(rows) and rows[index].executed_at.date() <= day:
                ledger.apply(rows[index])
                index += 1
            if mk.is_trading_day(day):
                values = self._valuation(number, ledger.open_quantities(), day)
                daily.append((day, self._balance_json(number, ledger.cash, values, day)))
            day += timedelta(days=1)
        return daily

    def _snapshots(self, request: SimRequest, customer: Customer, account: AccountInfo) -> SimResponse:
        time_of_day = request.param("time-of-day")
        if time_of_day not in {"BOD", "EOD"}:
            raise _validation("time-of-day")
        if (request.param("currency") or "USD").upper() != "USD":
            raise _validation("currency")
        per_page = _int_param(request, "per-page", 250, 1, MAX_PER_PAGE)
        page_offset = _int_param(request, "page-offset", 0, 0)
        snapshot_date = _parse_date(request.param("snapshot-date"), "snapshot-date")
        start_date = _parse_date(request.param("start-date"), "start-date")
        end_date = _parse_date(request.param("end-date"), "end-date") or self.today
        daily = self.daily_balances(account.account_number)
        if time_of_day == "BOD":
            # The beginning of a day is the end of the trading day before it.
            daily = [(day, balance) for (day, _), (_, balance) in zip(daily[1:], daily[:-1], strict=True)]
        if snapshot_date:
            chosen = [(day, b) for day, b in daily if day == snapshot_date]
        elif start_date:
            chosen = [(day, b) for day, b in daily if start_date <= day <= end_date]
        else:
            chosen = [(day, b) for day, b in daily if day <= end_date][-5:]  # without a start: a few recent ones
        start = page_offset * per_page
        items = [
            balance | {"snapshot-date": day.isoformat(), "time-of-day": time_of_day}
            for day, balance in chosen[start : start + per_page]
        ]
        pagination = {
            "per-page": per_page,
            "page-offset": page_offset,
            "item-offset": start,
            "total-items": len(chosen),
            "total-pages": math.ceil(len(chosen) / per_page),
            "current-item-count": len(items),
            "previous-link": None,
            "next-link": None,
            "paging-link-template": None,
        }
        return self._envelope({"items": items}, request, pagination)

    def _net_liq(self, request: SimRequest, customer: Customer, account: AccountInfo) -> SimResponse:
        if self.environment == "sandbox":
            page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            return SimResponse(502, page, [("Content-Type", "text/html")])
        time_back = request.param("time-back")
        start_time = _parse_moment(request.param("start-time"), "start-time")
        if start_time is None and time_back is None:
            raise _validation("time-back", "time-back or start-time is required")
        if start_time is None and time_back not in TIME_BACK_DAYS:
            raise _validation("time-back")
        daily = [(day, Decimal(b["net-liquidating-value"])) for day, b in self.daily_balances(account.account_number)]
        if not daily:
            return self._envelope({"items": []}, request)
        if start_time is None and time_back == "1d":
            return self._envelope({"items": self._intraday(daily)}, request)
        if start_time is not None:
            first = start_time.date()
        else:
            days = TIME_BACK_DAYS[time_back]
            first = self.today - timedelta(days=days) if days else date.min
        items, previous = [], None
        for day, close in daily:
            opening = previous if previous is not None else close
            previous = close
            if day < first:
                continue
            items.append(self._ohlc(opening, close, mk.market_close_utc(day)))
        return self._envelope({"items": items}, request)

    def _intraday(self, daily: list[tuple[date, Decimal]]) -> list[dict]:
        """Five-minute buckets through today's session, moving from yesterday's close to today's."""
        day, close = daily[-1]
        previous = daily[-2][1] if len(daily) > 1 else close
        start = mk.market_close_utc(day) - timedelta(hours=6, minutes=30)
        steps = 78
        items, last = [], previous
        for step in range(1, steps + 1):
            value = (previous + (close - previous) * step / steps).quantize(Decimal("0.0001"))
            items.append(self._ohlc(last, value, start + timedelta(minutes=5 * step)))
            last = value
        return items

    def _ohlc(self, opening: Decimal, close: Decimal, moment: datetime) -> dict:
        high, low = max(opening, close), min(opening, close)
        values = {"open": opening, "high": high, "low": low, "close": close}
        item = {name: decimal_text(value) for name, value in values.items()}
        item |= {f"pending-cash-{name}": "0.0" for name in values}
        item |= {f"total-{name}": decimal_text(value) for name, value in values.items()}
        item["time"] = moment.strftime("%Y-%m-%d %H:%M:%S+00")
        return item
