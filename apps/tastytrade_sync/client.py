"""The only code that speaks to TastyTrade.

It wraps the `tastytrade` SDK (async, httpx2) behind plain synchronous methods on `Client`,
sends a product/version User-Agent, sets timeouts, retries what is worth retrying (429, 5xx,
timeouts, resets) with capped, jittered exponential backoff, and turns every failure into our
own small exception family. The one seam for tests and the demo is the base URL: the
simulator's URL reaches the real SDK through an httpx2 transport (the SDK's public
`**client_kwargs`), with no patching of its internals.

Every endpoint is read as raw JSON through the SDK's session (its token handling and headers),
never through its strict pydantic models: one field TastyTrade leaves out or sends as null would
make those refuse the whole answer (an account whose nickname is null refused Connect).

Transactions are read page by page (`GET /accounts/{n}/transactions`, sort=Asc, a date window)
and returned as the raw JSON items plus the pagination totals: we keep the raw row, normalise
it ourselves, and check completeness against `total-items`, none of which the SDK's parsed
models expose.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import httpx2
import pydantic
import tastytrade
from django.conf import settings
from tastytrade import Session
from tastytrade.utils import TastytradeError as SDKError

logger = logging.getLogger(__name__)

USER_AGENT = "tastytrade-tracker/1.0"  # TastyTrade answers 401 without a product/version agent
T = TypeVar("T")


class TastytradeError(Exception):
    """Something went wrong talking to TastyTrade. `user_message` is safe to show."""

    user_message = "TastyTrade could not be reached. Try again in a few minutes."
    code = "error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.user_message)


class AuthError(TastytradeError):
    user_message = "TastyTrade refused the refresh token: reconnect this connection."
    code = "auth"


class RateLimited(TastytradeError):
    user_message = "TastyTrade kept asking us to slow down, so we stopped for now; the next sync tries again."
    code = "rate_limited"

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after  # seconds, from the Retry-After header when TastyTrade sent one


class Unavailable(TastytradeError):
    user_message = "TastyTrade is not answering right now. Try again in a few minutes."
    code = "unavailable"

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Throttled(TastytradeError):
    """TastyTrade asked us (Retry-After) to wait longer than one call may: the caller pauses."""

    code = "throttled"

    def __init__(self, detail: str = "", *, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        minutes = max(1, int(-(-retry_after // 60)))
        # A fact, not a promise: whether the run then resumes depends on a worker or an open page,
        # which the sync page's message says (views.run_message).
        self.user_message = f"TastyTrade asked us to pause for {minutes} minutes; nothing is asked before then."


class ApiVersionRejected(TastytradeError):
    """406 to the SDK's Accept-Version: this app's API version is past TastyTrade's deprecation window."""

    user_message = (
        "TastyTrade no longer accepts the API version this app speaks: the app needs updating. "
        "Your connection is fine; nothing needs reconnecting."
    )
    code = "api_version"


class BadResponse(TastytradeError):
    user_message = "TastyTrade sent an answer we could not read. We will retry on the next sync."
    code = "bad_response"


class MalformedResponse(BadResponse):
    """Unreadable JSON: worth one more try, unlike a 4xx."""

    code = "malformed"


class NotPermitted(TastytradeError):
    user_message = "TastyTrade does not allow this connection to read that account."
    code = "not_permitted"


class _Unauthorized(Exception):
    """A 401 on a read: the access token may have expired early; refresh once and retry."""


@dataclass(frozen=True)
class AccountInfo:
    account_number: str
    nickname: str
    account_type_name: str
    margin_or_cash: str
    is_closed: bool
    opened_at: datetime | None
    authority_level: str


# The query names /market-data/by-type takes per instrument type (as the SDK's get_market_data_by_type sends them).
QUOTE_PARAMS = {
    "Equity": "equity",
    "Index": "index",
    "Equity Option": "equity-option",
    "Future": "future",
    "Future Option": "future-option",
    "Cryptocurrency": "cryptocurrency",
}
MARKET_DATA_BATCH = 100  # at most 100 symbols per call, across all types combined


@dataclass(frozen=True)
class Quote:
    """One instrument's quote; TastyTrade may leave out any price (a halted or illiquid contract)."""

    symbol: str
    instrument_type: str
    mark: Decimal | None
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    close: Decimal | None
    updated_at: datetime | None


@dataclass(frozen=True)
class MarketMetrics:
    """An underlying's market metrics; IV rank and percentile are fractions (0.25 is 25%)."""

    symbol: str
    implied_volatility: Decimal | None
    iv_rank: Decimal | None
    iv_percentile: Decimal | None
    beta: Decimal | None
    earnings_on: date | None
    dividend_ex_on: date | None
    updated_at: datetime | None


@dataclass(frozen=True)
class TransactionPage:
    items: list[dict[str, Any]]
    page_offset: int
    total_items: int | None  # None when the response had no pagination object
    total_pages: int | None


@dataclass
class _Recorder:
    """What our transport saw of the last response: its decoded JSON body."""

    body: Any = None
    bodies: list[Any] = field(default_factory=list)


SANDBOX_AUTHORIZE_URL = "https://cert-my.staging-tasty.works/auth.html"


def authorize_url(environment: str) -> str:
    """The page where a user approves our OAuth app (authorization-code flow)."""
    if environment == "sandbox":
        return SANDBOX_AUTHORIZE_URL
    if environment == "simulator":
        return base_url_for(environment).rstrip("/") + "/auth.html"
    return settings.TASTYTRADE_AUTHORIZE_URL


def exchange_authorization_code(
    *, environment: str, code: str, redirect_uri: str, transport: httpx2.AsyncBaseTransport | None = None
) -> str:
    """POST /oauth/token with grant_type=authorization_code; returns the refresh token.

    The SDK dropped its code-flow helper, so this one call is made with httpx2 directly.
    """
    base = base_url_for(environment)
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": settings.TASTYTRADE_CLIENT_ID,
        "client_secret": settings.TASTYTRADE_CLIENT_SECRET,
        "redirect_uri": redirect_uri,
    }

    async def post() -> httpx2.Response:
        async with httpx2.AsyncClient(
            base_url=base,
            transport=BaseUrlTransport(None, inner=transport),
            timeout=httpx2.Timeout(settings.TASTYTRADE_TIMEOUT_SECONDS),
        ) as http:
            return await http.post("/oauth/token", json=body)

    response = asyncio.run(post())
    try:
        refresh_token = response.json()["refresh_token"]
    except (ValueError, KeyError, TypeError):
        raise BadResponse("token response without a refresh token") from None
    if not isinstance(refresh_token, str) or not refresh_token:
        raise BadResponse("token response without a refresh token")
    return refresh_token


def base_url_for(environment: str) -> str:
    if environment == "sandbox":
        return tastytrade.CERT_URL
    if environment == "simulator":
        if not settings.TASTYTRADE_SIMULATOR_URL:
            raise TastytradeError("The simulator is not configured on this server.")
        return settings.TASTYTRADE_SIMULATOR_URL
    return tastytrade.API_URL


class BaseUrlTransport(httpx2.AsyncBaseTransport):
    """Sends every request to `base_url` with our User-Agent and maps HTTP failures to our errors."""

    def __init__(
        self,
        base_url: str | None = None,
        inner: httpx2.AsyncBaseTransport | None = None,
        recorder: _Recorder | None = None,
    ) -> None:
        self.base = httpx2.URL(base_url) if base_url else None
        self.inner = inner or httpx2.AsyncHTTPTransport()
        self.recorder = recorder

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.base is not None:
            request.url = request.url.copy_with(scheme=self.base.scheme, host=self.base.host, port=self.base.port)
            request.headers["Host"] = request.url.netloc.decode()
        request.headers["User-Agent"] = USER_AGENT
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
        except httpx2.TimeoutException as exc:
            raise Unavailable(f"timed out: {request.method} {request.url.path}") from exc
        except httpx2.TransportError as exc:
            raise Unavailable(f"connection failed: {request.method} {request.url.path}") from exc
        _raise_for_status(request, response)
        if self.recorder is not None and request.url.path != "/oauth/token":
            try:
                self.recorder.body = json.loads(response.content)
            except ValueError:
                raise MalformedResponse(f"malformed JSON from {request.url.path}") from None
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _error_code(response: httpx2.Response) -> str:
    try:
        body = json.loads(response.content)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("code", ""))
    return str(body.get("error_code") or error or "")


def retry_after_seconds(response: httpx2.Response, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3); None when
    absent or unreadable."""
    text = (response.headers.get("Retry-After") or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def _raise_for_status(request: httpx2.Request, response: httpx2.Response) -> None:
    status = response.status_code
    where = f"{request.method} {request.url.path}"
    if status < 400:
        return
    if request.url.path == "/oauth/token" and status in (400, 401, 403):
        # invalid_grant: a revoked or mistyped refresh token, or the wrong environment.
        raise AuthError(f"token exchange refused ({status} {_error_code(response)})")
    if status == 401:
        raise _Unauthorized(where)
    if status == 403:
        raise NotPermitted(f"{where}: 403 {_error_code(response)}")
    if status == 406:
        raise ApiVersionRejected(f"{where}: 406 to Accept-Version {request.headers.get('Accept-Version')}")
    if status == 429:
        raise RateLimited(f"{where}: 429", retry_after=retry_after_seconds(response))
    if status == 503:
        raise Unavailable(f"{where}: 503", retry_after=retry_after_seconds(response))
    if status >= 500:
        raise Unavailable(f"{where}: {status}")
    raise BadResponse(f"{where}: {status} {_error_code(response)}")


class Client:
    """A synchronous TastyTrade client for one connection, used as a context manager.

    with Client(client_secret=..., refresh_token=..., environment="production") as client:
        client.accounts()
    """

    def __init__(
        self,
        *,
        client_secret: str,
        refresh_token: str,
        environment: str = "production",
        base_url: str | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.recorder = _Recorder()
        url = base_url or (None if environment in ("production", "sandbox") else base_url_for(environment))
        self._transport = BaseUrlTransport(url, inner=transport, recorder=self.recorder)
        self._secret = client_secret
        self._refresh_token = refresh_token
        self._is_test = environment == "sandbox"
        self._sleep = sleep or time.sleep
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._session: Session | None = None
        # When our access token should be renewed (time.time()); 0: get one before the first call.
        self._token_refresh_at = 0.0
        # The caller's time budget (time.monotonic()), if any: a Retry-After past it pauses instead.
        self.budget_deadline: float | None = None
        # The next transactions page, requested while the caller writes the current one.
        self._read_ahead: tuple[tuple, asyncio.Task] | None = None

    def __enter__(self) -> Client:
        # The SDK is async; its coroutines run on a private loop in a helper thread, so callers
        # stay synchronous even when their own thread already runs an event loop.
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tastytrade-client", daemon=True)
        self._thread.start()
        self._session = Session(
            self._secret,
            self._refresh_token,
            is_test=self._is_test,
            transport=self._transport,
            timeout=httpx2.Timeout(settings.TASTYTRADE_TIMEOUT_SECONDS),
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is None:
            return
        try:
            self._drop_read_ahead()
            if self._session is not None:
                self._run(self._session._client.aclose())  # the SDK exposes no public close
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
            self._loop = self._thread = self._session = None

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    # -- plumbing ------------------------------------------------------------------------

    async def _renew_token(self) -> None:
        """POST /oauth/token, then plan the next renewal ourselves.

        The SDK renews whenever fewer than 60 s are left, so a server that issues 30 s tokens
        would cost one token request per API call. We renew at 80% of the lifetime (at most 60 s
        early) or on a 401, and tell the SDK its token never expires so it leaves it alone.
        """
        asked_at = time.time()
        await self._session.refresh(force=True)
        lifetime = max(0.0, self._session.session_expiration - asked_at)
        self._token_refresh_at = asked_at + lifetime - min(60.0, lifetime / 5)
        self._session.session_expiration = float("inf")

    async def _with_token(self, make: Callable[[], Any]) -> Any:
        if time.time() >= self._token_refresh_at:
            await self._renew_token()
        return await make()

    def _call(self, make: Callable[[], Any]) -> Any:
        """Run one SDK coroutine with retries; `make` builds a fresh coroutine per attempt.

        A Retry-After that fits in the retry allowance and the caller's budget is waited out; a longer one raises
        Throttled, so the sync pauses instead of holding a worker."""
        assert self._loop is not None and self._session is not None, "use Client as a context manager"
        self._drop_read_ahead()  # one request at a time: the recorder holds the last body
        attempts = settings.TASTYTRADE_RETRY_ATTEMPTS
        deadline = time.monotonic() + settings.TASTYTRADE_RETRY_MAX_TOTAL_SECONDS
        refreshed = False
        for attempt in range(1, attempts + 1):
            try:
                return self._run(self._with_token(make))
            except _Unauthorized:
                if refreshed:
                    raise AuthError("TastyTrade answered 401 after a fresh token") from None
                refreshed = True
                self._run(self._renew_token())
                continue
            except (RateLimited, Unavailable, MalformedResponse) as exc:
                retry_after = getattr(exc, "retry_after", None)
                may_wait = min(deadline, self.budget_deadline or deadline) - time.monotonic()
                if retry_after is not None and retry_after > may_wait:
                    raise Throttled(str(exc), retry_after=retry_after) from None
                if attempt == attempts or time.monotonic() >= deadline:
                    raise
                delay = min(
                    settings.TASTYTRADE_RETRY_MAX_DELAY,
                    settings.TASTYTRADE_RETRY_BASE_DELAY * 2 ** (attempt - 1),
                )
                logger.info("TastyTrade %s; retry %d of %d", exc.code, attempt, attempts - 1)
                # The server's own figure when it gave one; else capped, jittered exponential.
                self._sleep(retry_after if retry_after is not None else random.uniform(delay / 2, delay))
            except SDKError as exc:
                raise BadResponse(str(exc)[:200]) from None
            except pydantic.ValidationError as exc:
                raise BadResponse(f"unexpected shape: {exc.error_count()} field errors") from None
        raise Unavailable("retries exhausted")  # pragma: no cover - the loop returns or raises

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """One GET through the SDK's session; the raw JSON body (the recorder keeps it)."""
        self._call(lambda: self._session._get(path, params=params))
        return self.recorder.body

    # -- API calls -----------------------------------------------------------------------

    def check(self) -> None:
        """POST /oauth/token: exchange the refresh token now (connect form: fail before storing)."""
        self._call(_nothing)  # the first call of a client gets a token, which is the check

    def accounts(self) -> list[AccountInfo]:
        """GET /customers/me/accounts (closed accounts included; the user decides)."""
        infos = [_account_info(item) for item in _items(self._get("/customers/me/accounts"), "accounts")]
        return [info for info in infos if info is not None]

    def transactions_page(
        self, account_number: str, *, start: date, end: date, page_offset: int, per_page: int
    ) -> TransactionPage:
        """GET /accounts/{n}/transactions?sort=Asc&start-date&end-date&page-offset&per-page.

        When more pages follow, the next one is requested at once and waits here, so the caller's
        database work on this page overlaps TastyTrade's work on the next (a first sync of 50,000
        transactions spent about a third of its time waiting for pages).
        """
        query = (account_number, start, end, page_offset, per_page)
        body = self._take_read_ahead(query)
        if body is None:
            body = self._call(lambda: self._transactions_body(*query))
        page = _transaction_page(body, page_offset)
        if page.total_pages is None:
            more = len(page.items) >= per_page
        else:
            more = bool(page.items) and page_offset < page.total_pages - 1
        if more:
            following = (account_number, start, end, page_offset + 1, per_page)
            task = self._run(_start_task(self._with_token(lambda: self._transactions_body(*following))))
            self._read_ahead = (following, task)
        return page

    def transactions_count(self, account_number: str, *, start: date, end: date) -> int | None:
        """How many transactions TastyTrade holds dated `start` to `end`: the total of a one-item
        page (None when the answer has no pagination object)."""
        body = self._call(lambda: self._transactions_body(account_number, start, end, 0, 1))
        return _transaction_page(body, 0).total_items

    async def _transactions_body(
        self, account_number: str, start: date, end: date, page_offset: int, per_page: int
    ) -> Any:
        params = {"per-page": per_page, "page-offset": page_offset, "sort": "Asc", "start-date": start, "end-date": end}
        # The SDK's own pager (token refresh, checks), but with items kept as dicts: our tolerant
        # parser reads the raw body, and the SDK's strict models (about 2 s per 50,000 items) would
        # only refuse a value TastyTrade added later.
        self.recorder.body = None  # never hand back an earlier request's body
        try:
            await self._session._paginate(_as_is, f"/accounts/{account_number}/transactions", params)
        except TypeError:
            # An item that is not an object: the page arrived, our parser skips that item. Before
            # any page arrived (say, in the token refresh) it is a real failure.
            if self.recorder.body is None:
                raise
        return self.recorder.body

    def _take_read_ahead(self, query: tuple) -> Any:
        """The body read ahead for `query`, or None (none, another query, or it failed: the caller
        then asks again with retries, so a failure means the same as without reading ahead)."""
        if self._read_ahead is None:
            return None
        wanted, task = self._read_ahead
        if wanted != query:
            self._drop_read_ahead()
            return None
        try:
            body = self._run(_await_task(task))
        except Exception:  # any failure: the retrying path asks again and decides
            body = None
        self._read_ahead = None  # only now: interrupted while waiting, __exit__ must still cancel it
        return body

    def _drop_read_ahead(self) -> None:
        if self._read_ahead is not None:
            _, task = self._read_ahead
            self._read_ahead = None
            self._run(_cancel_task(task))

    def positions(self, account_number: str) -> list[dict[str, Any]]:
        """GET /accounts/{n}/positions?include-marks=true (not paginated; without the parameter
        TastyTrade leaves out `mark` and `mark-price`)."""
        body = self._get(f"/accounts/{account_number}/positions", {"include-marks": "true"})
        return _items(body, "positions")

    def balance(self, account_number: str) -> dict[str, Any]:
        """GET /accounts/{n}/balances/USD."""
        data = (self._get(f"/accounts/{account_number}/balances/USD") or {}).get("data")
        if not isinstance(data, dict):
            raise BadResponse("balances without data")
        return data

    def balance_snapshots(self, account_number: str, *, start: date, end: date) -> list[dict[str, Any]]:
        """GET /accounts/{n}/balance-snapshots?time-of-day=EOD, every page."""
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            params = {
                "per-page": 2000,
                "page-offset": page,
                "currency": "USD",
                "start-date": start.isoformat(),
                "end-date": end.isoformat(),
                "time-of-day": "EOD",
            }
            body = self._get(f"/accounts/{account_number}/balance-snapshots", params)
            rows.extend(_items(body, "balance-snapshots"))
            pagination = body.get("pagination") or {}
            if not pagination or page >= int(pagination.get("total-pages") or 0) - 1:
                return rows
            page += 1

    def net_liq_history(self, account_number: str, *, start: datetime) -> list[dict[str, Any]]:
        """GET /accounts/{n}/net-liq/history?start-time=... (production only; sandbox has none)."""
        params = {"start-time": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        return _items(self._get(f"/accounts/{account_number}/net-liq/history", params), "net-liq/history")

    def quotes(self, symbols: dict[str, list[str]]) -> list[Quote]:
        """GET /market-data/by-type?equity=SPY,AAPL&equity-option=...: quotes for `symbols` by instrument type
        (our `InstrumentType` values), asked in batches of 100 as TastyTrade allows no more per call."""
        wanted = [(kind, symbol) for kind, names in symbols.items() if kind in QUOTE_PARAMS for symbol in names]
        quotes: list[Quote] = []
        for start in range(0, len(wanted), MARKET_DATA_BATCH):
            params: dict[str, list[str]] = {}
            for kind, symbol in wanted[start : start + MARKET_DATA_BATCH]:
                params.setdefault(QUOTE_PARAMS[kind], []).append(symbol)
            body = self._get("/market-data/by-type", {name: ",".join(names) for name, names in params.items()})
            quotes.extend(quote for item in _items(body, "market-data") if (quote := _quote(item)))
        return quotes

    def market_metrics(self, symbols: list[str]) -> list[MarketMetrics]:
        """GET /market-metrics?symbols=AAPL,SPY: IV rank and percentile, beta, earnings and ex-dividend dates."""
        metrics: list[MarketMetrics] = []
        for start in range(0, len(symbols), MARKET_DATA_BATCH):
            body = self._get("/market-metrics", {"symbols": ",".join(symbols[start : start + MARKET_DATA_BATCH])})
            metrics.extend(metric for item in _items(body, "market-metrics") if (metric := _metrics(item)))
        return metrics


async def _start_task(coroutine: Any) -> asyncio.Task:
    return asyncio.ensure_future(coroutine)


async def _await_task(task: asyncio.Task) -> Any:
    return await task


async def _cancel_task(task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def _as_is(**item: Any) -> dict[str, Any]:
    return item


async def _nothing() -> None:
    return None


# -- parsing helpers ---------------------------------------------------------------------


def _items(body: Any, endpoint: str = "") -> list[dict[str, Any]]:
    try:
        items = body["data"]["items"]
    except (TypeError, KeyError):
        raise BadResponse(f"{endpoint or 'list'} response without data.items") from None
    if not isinstance(items, list):
        raise BadResponse(f"{endpoint or 'list'}: data.items is not a list")
    return [item for item in items if isinstance(item, dict)]


def missing(endpoint: str, name: str) -> None:
    """Log a field we need that TastyTrade left out (its name only: a value could be a secret)."""
    logger.warning("TastyTrade %s: an item without %s was skipped", endpoint, name)


def _transaction_page(body: Any, page_offset: int) -> TransactionPage:
    items = _items(body)
    pagination = body.get("pagination") if isinstance(body, dict) else None
    if not isinstance(pagination, dict):
        # TastyTrade sometimes leaves pagination out: treat it as the only page.
        return TransactionPage(items=items, page_offset=page_offset, total_items=None, total_pages=None)
    try:
        return TransactionPage(
            items=items,
            page_offset=page_offset,
            total_items=int(pagination["total-items"]),
            total_pages=int(pagination["total-pages"]),
        )
    except (KeyError, TypeError, ValueError):
        raise BadResponse("pagination without totals") from None


def _account_info(item: dict[str, Any]) -> AccountInfo | None:
    account = item.get("account", item)
    if not isinstance(account, dict) or not account.get("account-number"):
        missing("accounts", "account-number")
        return None
    opened = account.get("opened-at")
    try:
        opened_at = parse_datetime(str(opened)) if opened else None
    except (ValueError, BadResponse):
        logger.warning("TastyTrade accounts: unreadable opened-at; kept without it")
        opened_at = None
    return AccountInfo(
        account_number=str(account["account-number"]),
        nickname=str(account.get("nickname") or ""),
        account_type_name=str(account.get("account-type-name") or ""),
        margin_or_cash=str(account.get("margin-or-cash") or ""),
        is_closed=bool(account.get("is-closed", False)),
        opened_at=opened_at,
        authority_level=str(item.get("authority-level") or ""),
    )


def parse_datetime(text: str) -> datetime:
    """TastyTrade writes UTC as `...Z`, `...+00:00` or (net-liq) `2023-06-08 13:30:00+00`."""
    value = text.strip().replace("Z", "+00:00")
    if value.endswith(("+00", "-00")) or (len(value) > 3 and value[-3] in "+-" and value[-2:].isdigit()):
        value += ":00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise BadResponse(f"timestamp without a zone: {text!r}")
    return parsed


def _number(value: Any) -> Decimal | None:
    """A price or figure TastyTrade may leave out, send empty or as "NaN": None then, never zero."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _moment(value: Any) -> datetime | None:
    try:
        return parse_datetime(str(value)) if value else None
    except (ValueError, BadResponse):
        return None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _quote(item: dict[str, Any]) -> Quote | None:
    if not item.get("symbol"):
        missing("market-data", "symbol")
        return None
    return Quote(
        symbol=str(item["symbol"]),
        instrument_type=str(item.get("instrument-type") or ""),
        mark=_number(item.get("mark")),
        bid=_number(item.get("bid")),
        ask=_number(item.get("ask")),
        last=_number(item.get("last")),
        close=_number(item.get("close")),
        updated_at=_moment(item.get("updated-at")),
    )


def _metrics(item: dict[str, Any]) -> MarketMetrics | None:
    if not item.get("symbol"):
        missing("market-metrics", "symbol")
        return None
    earnings = item.get("earnings")
    return MarketMetrics(
        symbol=str(item["symbol"]),
        implied_volatility=_number(item.get("implied-volatility-index")),
        iv_rank=_number(item.get("implied-volatility-index-rank")),
        iv_percentile=_number(item.get("implied-volatility-percentile")),
        beta=_number(item.get("beta")),
        earnings_on=_day(earnings.get("expected-report-date")) if isinstance(earnings, dict) else None,
        dividend_ex_on=_day(item.get("dividend-ex-date")),
        updated_at=_moment(item.get("updated-at")),
    )
