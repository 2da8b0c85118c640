"""Scriptable failures, per request pattern, for testing a sync client against what TastyTrade does.

    rule = simulator.faults.status(429, path=r"/accounts/\\w+/transactions", on=2)
    ...sync...
    assert rule.fired == 1

A rule matches requests by method and by path (a regular expression matched against the whole
path, without the query string). It counts the requests it matches; `on` names which of them
fire (1-based: `on=2`, `on=[1, 3]`, `on=range(2, 5)`), otherwise the first `times` matches fire
(`times=None`: every match). Rules are checked in the order they were added, and several can
fire on one request (e.g. a slow response that also loses its `pagination`).

What each kind does:

- `status(code, retry_after=None)`: answer 429, 500, 502 or 503 without touching the data. 429
  carries no rate-limit headers (docs/tastytrade-api.md#errors-and-rate-limits) unless
  `retry_after` is given (seconds, or an HTTP date as text), which 429 and 503 then send as
  `Retry-After`; 502/503 answer with the load balancer's HTML page.
- `slow(seconds)`: answer normally, but only after `seconds` (past a client's read timeout).
  In-process, a delay longer than the request's read timeout raises `httpx2.ReadTimeout`.
- `reset()`: no answer; the real server resets the connection (RST), in-process the transport
  raises `httpx2.ReadError`.
- `malformed_json()`: 200 with a JSON body cut in half.
- `new_transaction(count=1)`: before answering, `count` new rows land in the account at the end
  of the history (a regulatory fee adjustment dated now). They are real: the ground truth
  includes them. Between two page requests this shifts every later `Desc` page by `count`.
- `duplicate_item()`: the page also carries the last item of the page before it (`mode="extra"`),
  or the whole page window slides back by one, so one item is missing from this pass
  (`mode="shift"`).
- `drop_pagination()`: the response has no `pagination` object.
- `expire_token()`: the access token presented expires now; this request and later ones with it
  get 401.
- `revoke_refresh_token()`: the refresh token presented to `POST /oauth/token` is revoked
  (as when the user deletes the grant); the call answers 400 `invalid_grant`.
- `unknown_sub_type(sub_type)`: the first item of the page (or every item with `every=True`)
  carries a `transaction-sub-type` the client has never seen.
- `extra_fields(fields)`: every item (and the envelope) carries fields the client does not know.
- `missing_field(name, null=False)`: every item (or the `data` object) lacks `name`, or carries it
  as null; in the account list the field of the nested `account` object. Independent clients'
  recordings show accounts with a null `nickname`, balances without newer fields, positions
  without `close-price`.
- `reject_version()`: the `Accept-Version` the client sends is past its deprecation window: 406.
- `late_correction(days_back=40, amount=Decimal("-0.05"))`: before answering, a "Fee Correction"
  Balance Adjustment lands dated `days_back` days ago (beyond a client's overlap window), as
  TastyTrade posts fee corrections as separate rows (docs/tastytrade-api.md#late-rows). It is real: the ground
  truth includes it.
- `edit_in_place(days_back=40, amount=Decimal("-0.05"))`: before answering, the last row executed
  `days_back` days ago or earlier is changed in place (same id, same count): `amount` is added to its
  regulatory fee (to its value when it has no fees) and to its net value. Its balances follow: every
  end-of-day cash balance from that day on moves by `amount`. TastyTrade was not seen to do this
  (docs/tastytrade-api.md#late-rows); the deep check's totals catch it should it happen.
- `short_lived_tokens(seconds=30)`: `POST /oauth/token` issues access tokens with that
  `expires_in` (the API documents about 900; a server may send less).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

TRANSACTIONS = r"/accounts/[^/]+/transactions"
PAGED = r"/accounts/[^/]+/(transactions|balance-snapshots)"

KINDS = frozenset(
    {
        "status",
        "slow",
        "reset",
        "malformed_json",
        "new_transaction",
        "duplicate_item",
        "drop_pagination",
        "expire_token",
        "revoke_refresh_token",
        "unknown_sub_type",
        "extra_fields",
        "missing_field",
        "reject_version",
        "short_lived_tokens",
        "late_correction",
        "edit_in_place",
    }
)


@dataclass
class Rule:
    kind: str
    method: str
    path: re.Pattern
    on: frozenset[int] | None
    times: int | None
    options: dict = field(default_factory=dict)
    seen: int = 0  # matching requests so far
    fired: int = 0  # of which the fault hit

    def check(self, method: str, path: str) -> bool:
        if self.method != "*" and method.upper() != self.method:
            return False
        if not self.path.fullmatch(path):
            return False
        self.seen += 1
        hit = self.seen in self.on if self.on is not None else self.times is None or self.fired < self.times
        if hit:
            self.fired += 1
        return hit


class FaultPlan:
    """The rules in force; the simulator asks it which fire for each request."""

    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self._lock = threading.Lock()

    def add(
        self,
        kind: str,
        *,
        method: str = "*",
        path: str = ".*",
        on: int | Iterable[int] | None = None,
        times: int | None = 1,
        **options,
    ) -> Rule:
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(KINDS)}")
        occurrences = None if on is None else frozenset([on] if isinstance(on, int) else on)
        rule = Rule(kind, method.upper(), re.compile(path), occurrences, times, options)
        with self._lock:
            self.rules.append(rule)
        return rule

    def fire(self, method: str, path: str) -> list[Rule]:
        with self._lock:
            return [rule for rule in self.rules if rule.check(method, path)]

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    # --- one helper per kind ------------------------------------------------------------------

    def status(self, code: int, retry_after: float | str | None = None, **where) -> Rule:
        if code not in {429, 500, 502, 503}:
            raise ValueError("status faults are 429, 500, 502 or 503")
        if retry_after is not None and code not in {429, 503}:
            raise ValueError("only 429 and 503 carry Retry-After")
        return self.add("status", code=code, retry_after=retry_after, **where)

    def slow(self, seconds: float = 0.5, **where) -> Rule:
        return self.add("slow", seconds=seconds, **where)

    def reset(self, **where) -> Rule:
        return self.add("reset", **where)

    def malformed_json(self, **where) -> Rule:
        return self.add("malformed_json", **where)

    def new_transaction(self, count: int = 1, **where) -> Rule:
        where.setdefault("path", TRANSACTIONS)
        return self.add("new_transaction", count=count, **where)

    def duplicate_item(self, mode: str = "extra", **where) -> Rule:
        if mode not in {"extra", "shift"}:
            raise ValueError("mode is 'extra' or 'shift'")
        where.setdefault("path", TRANSACTIONS)
        return self.add("duplicate_item", mode=mode, **where)

    def drop_pagination(self, **where) -> Rule:
        where.setdefault("path", PAGED)
        return self.add("drop_pagination", **where)

    def expire_token(self, **where) -> Rule:
        return self.add("expire_token", **where)

    def revoke_refresh_token(self, **where) -> Rule:
        where.setdefault("method", "POST")
        where.setdefault("path", "/oauth/token")
        return self.add("revoke_refresh_token", **where)

    def unknown_sub_type(self, sub_type: str = "Stock Loan Rebate Adjustment", every: bool = False, **where) -> Rule:
        where.setdefault("path", TRANSACTIONS + r"(/\d+)?")
        return self.add("unknown_sub_type", sub_type=sub_type, every=every, **where)

    def extra_fields(self, fields: dict | None = None, **where) -> Rule:
        fields = fields or {
            "enhanced-fraud-safeguards-enabled-at": "2026-05-01T12:00:00.000+00:00",
            "settlement-currency": "USD",
            "regulatory-details": {"cat-reportable": True, "codes": ["A", "B"]},
        }
        return self.add("extra_fields", fields=fields, **where)

    def missing_field(self, name: str, null: bool = False, **where) -> Rule:
        return self.add("missing_field", name=name, null=null, **where)

    def reject_version(self, **where) -> Rule:
        return self.add("reject_version", **where)

    def late_correction(self, days_back: int = 40, amount: Decimal = Decimal("-0.05"), **where) -> Rule:
        where.setdefault("path", TRANSACTIONS)
        return self.add("late_correction", days_back=days_back, amount=amount, **where)

    def edit_in_place(self, days_back: int = 40, amount: Decimal = Decimal("-0.05"), **where) -> Rule:
        where.setdefault("path", TRANSACTIONS)
        return self.add("edit_in_place", days_back=days_back, amount=amount, **where)

    def short_lived_tokens(self, seconds: int = 30, **where) -> Rule:
        where.setdefault("method", "POST")
        where.setdefault("path", "/oauth/token")
        return self.add("short_lived_tokens", seconds=seconds, **where)
