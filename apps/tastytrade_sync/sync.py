"""The sync: TastyTrade's accounts, transactions, positions and balances into our ledger.

A reader follows "Sync now" from the view straight into `sync_connection`. The rules that make
it lossless and idempotent:
- transactions are read oldest first (sort=Asc) in date windows, starting at the account's
  checkpoint minus an overlap (late fee adjustments and reversals are posted days later), or
  at the account's opening date on a first sync;
- each page is written in one database transaction, and the checkpoint only moves past days
  whose count TastyTrade confirmed: at the end of a window, or at a time budget's stop for the
  days read so far. A page can silently skip a row when TastyTrade's list shifts between two
  requests, so a crash or a kill mid-window reads that window again: nothing is lost;
- rows are upserted by (account, TastyTrade id), which a database constraint makes unique;
  new rows are inserted, changed rows updated, unchanged rows left alone;
- each window's unique ids must add up to the total TastyTrade reports, else the window is
  read once more and then the run is marked incomplete where the user sees it, and the next
  run reads those days again;
- one sync per connection at a time (an expiring lease row that works on SQLite too);
- a sync started by a request stops cleanly at its time budget and is continued later;
- one account's trouble (a page that keeps failing, a long 429) is that account's: the run goes
  on with the others, the account shows its error, and the next run starts with the account
  that has waited longest for a good sync;
- a Retry-After longer than a call may wait pauses the run until then (`resume_after`).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from apps.core.money import apply_effect, round_cents, to_decimal
from apps.trades import bulk, lots
from apps.trades.models import (
    CHARGE_FIELDS,
    BalanceSnapshot,
    BrokerAccount,
    NetLiqPoint,
    PositionSnapshot,
    Transaction,
    match_key,
    money_movement_sub_type,
    pop_match,
)
from apps.trades.symbols import parse_option_symbol, underlying_of

from . import crypto, market_data
from .client import (
    ApiVersionRejected,
    AuthError,
    BadResponse,
    Client,
    TastytradeError,
    Throttled,
    Unavailable,
    missing,
    parse_datetime,
)
from .models import AccountSync, Connection, SyncRun

logger = logging.getLogger(__name__)

LEASE_SECONDS = 120
FIRST_SYNC_FALLBACK_DAYS = 5 * 366
MONEY_FIELDS = {
    "value": "value",
    "net_value": "net-value",
    "commission": "commission",
    "clearing_fees": "clearing-fees",
    "regulatory_fees": "regulatory-fees",
    "proprietary_index_option_fees": "proprietary-index-option-fees",
    "currency_conversion_fees": "currency-conversion-fees",
    "other_charge": "other-charge",
}
COMPARED_FIELDS = [
    "transaction_type",
    "transaction_sub_type",
    "action",
    "description",
    "symbol",
    "underlying_symbol",
    "instrument_type",
    "expires_on",
    "strike",
    "option_type",
    "multiplier",
    "quantity",
    "price",
    *MONEY_FIELDS,
    "is_estimated_fee",
    "currency",
    "executed_at",
    "transaction_date",
    "order_id",
    "leg_count",
    "reverses_tastytrade_id",
    "raw",
]


# Every column a new API row fills; raw (JSON) last, as _insert_new adapts it on its own.
INSERTED_FIELDS = [name for name in COMPARED_FIELDS if name != "raw"] + ["tastytrade_id", "raw"]
RAW_ENCODER = Transaction._meta.get_field("raw").encoder
# (field, TastyTrade key, its "-effect" key) for each signed amount.
MONEY_KEYS = [(name, key, f"{key}-effect") for name, key in MONEY_FIELDS.items()]
CASH_SETTLEMENTS = {"Cash Settled Assignment", "Cash Settled Exercise"}


class Budget:
    """Wall-clock allowance for one slice of a sync (None: no limit)."""

    def __init__(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def exceeded(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline


class _LeaseLost(Exception):
    """Another process took this connection's lease: this one was too slow to renew it and must stop."""


class _BudgetExceeded(Exception):
    pass


@dataclass
class Counts:
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_accounts: set[int] = field(default_factory=set)


# -- entry points ------------------------------------------------------------------------


def sync_connection(
    *,
    connection: Connection,
    trigger: str,
    client: Client | None = None,
    budget_seconds: float | None = None,
    run: SyncRun | None = None,
) -> SyncRun:
    """Sync every included account of `connection`; continue `run` if it was paused.

    Returns the run. If another sync of this connection holds the lease, returns at once with
    an unsaved run whose status is SKIPPED ("already syncing").
    """
    if run is not None and run.resume_after and run.resume_after > timezone.now():
        return run  # TastyTrade asked us to wait (Retry-After): nothing is asked before then
    token = _acquire_lease(connection)
    if token is None:
        return SyncRun(connection=connection, trigger=trigger, status=SyncRun.Status.SKIPPED)
    if run is None:
        run = SyncRun.objects.create(connection=connection, trigger=trigger, status=SyncRun.Status.RUNNING)
    elif not SyncRun.objects.active().filter(pk=run.pk).update(status=SyncRun.Status.RUNNING):
        # The caller's copy is stale: another process finished this run meanwhile. Never revive it.
        _release_lease(connection, token)
        run.refresh_from_db()
        return run
    else:
        run.status = SyncRun.Status.RUNNING
    if run.resume_after:
        run.resume_after = None
        run.error_code = run.error_message = ""
    # We hold the lease, so any other run still marked running was left by a process that died.
    connection.runs.filter(status=SyncRun.Status.RUNNING).exclude(pk=run.pk).update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        error_code="stopped",
        error_message="Stopped before finishing (the server restarted); the next sync carried on from there.",
    )
    counts = Counts()
    budget = Budget(budget_seconds)
    lease_lost = False
    try:
        api = client or client_for(connection)
        api.budget_deadline = budget.deadline  # a Retry-After is waited out only within the slice's budget
        with api:
            _sync_accounts(connection=connection, api=api, run=run, counts=counts, budget=budget, token=token)
        incomplete = AccountSync.objects.filter(account__connection=connection, account__is_included=True).exclude(
            incomplete_detail=""
        )
        run.status = SyncRun.Status.INCOMPLETE if incomplete.exists() else SyncRun.Status.SUCCEEDED
        _note_failed_accounts(run)
        if connection.status != Connection.Status.ACTIVE:
            Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.ACTIVE, status_detail="")
            connection.status = Connection.Status.ACTIVE
    except Exception as exc:  # every failure is recorded on the run, never raised to the caller
        lease_lost = _record_failure(run, connection, exc)
    finally:
        if not lease_lost:
            run.fetched += counts.fetched
            run.inserted += counts.inserted
            run.updated += counts.updated
            run.unchanged += counts.unchanged
            if run.status != SyncRun.Status.PARTIAL:
                run.finished_at = timezone.now()
            run.save()
            _release_lease(connection, token)
    for account in BrokerAccount.objects.filter(pk__in=counts.changed_accounts):
        # Explicit, not a signal: a reader sees the P&L recompute follow the sync.
        lots.recompute_account(account=account)
    return run


def _record_failure(run: SyncRun, connection: Connection, exc: Exception) -> bool:
    """Put why a sync stopped on the run (and the connection); return whether the lease was lost."""
    if isinstance(exc, _BudgetExceeded):
        run.status = SyncRun.Status.PARTIAL
    elif isinstance(exc, Throttled):
        # Not a failure: TastyTrade said when to come back. The worker (or the open page) resumes then.
        logger.info("sync run %s paused for %.0f s at TastyTrade's request", run.pk, exc.retry_after)
        run.status = SyncRun.Status.PARTIAL
        run.resume_after = timezone.now() + timedelta(seconds=exc.retry_after)
        run.error_code = exc.code
        run.error_message = exc.user_message
    elif isinstance(exc, ApiVersionRejected):
        # The app must be updated; the user's grant is fine, so the connection stays active.
        _fail(run, exc, level=logging.ERROR)
    elif isinstance(exc, _LeaseLost):
        # The process that took over carries the run on from the checkpoints; its counts and
        # status are the run's now, so leave them alone.
        logger.warning("sync run %s stopped: connection %s was taken over", run.pk, connection.pk)
        return True
    elif isinstance(exc, (AuthError, crypto.DecryptionError)):
        if isinstance(exc, crypto.DecryptionError):
            # The key that sealed these credentials is gone: only reconnecting can help.
            exc = AuthError("stored credentials cannot be decrypted")
            exc.user_message = "Stored TastyTrade credentials can no longer be read: reconnect this connection."
        _fail(run, exc)
        Connection.objects.filter(pk=connection.pk).update(
            status=Connection.Status.NEEDS_RECONNECT, status_detail=exc.user_message
        )
        connection.status = Connection.Status.NEEDS_RECONNECT
    elif isinstance(exc, TastytradeError):
        _fail(run, exc)
    else:
        # Never a stack trace for the user: log it, show plain words, keep what was committed.
        logger.exception("sync of connection %s failed unexpectedly", connection.pk, exc_info=exc)
        run.status = SyncRun.Status.FAILED
        run.error_code = "internal"
        run.error_message = "Something went wrong on our side during the sync. It has been logged; try again later."
    return False


def create_connection(
    *,
    user,
    environment: str,
    client_secret: str,
    refresh_token: str,
    label: str = "",
    method: str = Connection.Method.PERSONAL_GRANT,
    client: Client | None = None,
) -> Connection:
    """Check the grant with a token exchange, then store it encrypted and discover the accounts.

    Raises AuthError (nothing stored) when TastyTrade refuses the grant.
    """
    api = client or Client(client_secret=client_secret, refresh_token=refresh_token, environment=environment)
    with api:
        api.check()
        with transaction.atomic():
            connection = Connection(user=user, environment=environment, method=method, label=label)
            connection.set_credentials(client_secret=client_secret, refresh_token=refresh_token)
            connection.save()
            discover_accounts(connection=connection, api=api)
    return connection


def queue_sync(*, connection: Connection, trigger: str) -> SyncRun:
    """A run a worker (or, without one, the page) will carry out; returns the active one if any.

    Only records the run: `tasks.carry_on` hands it to a worker or runs its first slice."""
    active = connection.runs.active().first()
    return active or SyncRun.objects.create(connection=connection, trigger=trigger, status=SyncRun.Status.QUEUED)


def sync_on_login(sender, request, user, **kwargs) -> None:
    """allauth's user_logged_in: queue a sync when the last good one is old and the profile allows it.

    Queuing costs a query or two per connection; a worker (or, without one, the dashboard in slices)
    carries the sync out, so signing in never waits on TastyTrade.
    """
    from .tasks import hand_to_worker  # tasks.py builds on this module

    if not user.sync_on_login:
        return
    stale_before = timezone.now() - timedelta(minutes=settings.SYNC_ON_LOGIN_AFTER_MINUTES)
    for connection in Connection.objects.filter(user=user, status=Connection.Status.ACTIVE):
        last_good = (
            connection.runs.filter(status=SyncRun.Status.SUCCEEDED).values_list("finished_at", flat=True).first()
        )
        if last_good is None or last_good < stale_before:
            hand_to_worker(queue_sync(connection=connection, trigger=SyncRun.Trigger.LOGIN))


def client_for(connection: Connection) -> Client:
    return Client(
        client_secret=connection.client_secret,
        refresh_token=connection.refresh_token,
        environment=connection.environment,
    )


def discover_accounts(*, connection: Connection, api: Client) -> list[BrokerAccount]:
    """Create or update the connection's broker accounts from GET /customers/me/accounts."""
    found = []
    for info in api.accounts():
        account, _ = BrokerAccount.objects.update_or_create(
            user=connection.user,
            account_number=info.account_number,
            defaults={
                "connection": connection,
                "nickname": info.nickname,
                "account_type_name": info.account_type_name,
                "margin_or_cash": info.margin_or_cash,
                "is_closed": info.is_closed,
                "opened_at": info.opened_at,
                "authority_level": info.authority_level,
            },
        )
        found.append(account)
    return found


# -- the work ----------------------------------------------------------------------------


# Errors that concern one account; anything else (refused token, API version, Retry-After, the
# lease, the budget) concerns the whole connection and ends or pauses the run.
ACCOUNT_ERRORS = (TastytradeError,)
CONNECTION_ERRORS = (AuthError, ApiVersionRejected, Throttled)


def _sync_accounts(
    *, connection: Connection, api: Client, run: SyncRun, counts: Counts, budget: Budget, token: str
) -> None:
    accounts = [a for a in discover_accounts(connection=connection, api=api) if a.is_included]
    run.accounts_total = len(accounts)
    done = AccountSync.objects.filter(account__in=accounts, completed_run=run).count()
    run.accounts_done = done
    run.save(update_fields=["accounts_total", "accounts_done"])
    for account, state in _longest_waiting_first(accounts):
        if state.completed_run_id == run.pk:
            continue  # synced, or failed, in an earlier slice of this run
        _renew_lease(connection.pk, token)
        try:
            _sync_transactions(
                account=account, state=state, api=api, run=run, counts=counts, budget=budget, token=token
            )
            _sync_positions_and_balances(account=account, api=api, token=token)
            _refresh_marks(account=account, api=api)
        except CONNECTION_ERRORS:
            raise
        except ACCOUNT_ERRORS as exc:
            # What was committed stays (checkpoints only pass confirmed days); the others go on.
            logger.warning("sync run %s: account %s failed: %s: %s", run.pk, account.pk, exc.code, exc)
            state.last_error_code, state.last_error_message = exc.code, exc.user_message
        else:
            state.last_success_at = timezone.now()
            state.last_error_code = state.last_error_message = ""
        state.completed_run = run
        state.save(update_fields=["completed_run", "last_success_at", "last_error_code", "last_error_message"])
        run.accounts_done += 1
        SyncRun.objects.filter(pk=run.pk).update(accounts_done=run.accounts_done)
        if budget.exceeded() and run.accounts_done < run.accounts_total:
            raise _BudgetExceeded


def _longest_waiting_first(accounts: list[BrokerAccount]) -> list[tuple[BrokerAccount, AccountSync]]:
    """Accounts never synced first, then by their last good sync, oldest first: an account that
    failed last time is read first this time, so a later account's trouble cannot starve it either."""
    states = {s.account_id: s for s in AccountSync.objects.filter(account__in=accounts)}
    for account in accounts:
        if account.pk not in states:
            states[account.pk], _ = AccountSync.objects.get_or_create(account=account)
    epoch = datetime.min.replace(tzinfo=timezone.get_current_timezone())
    ordered = sorted(accounts, key=lambda a: (states[a.pk].last_success_at or epoch, a.pk))
    return [(account, states[account.pk]) for account in ordered]


def _note_failed_accounts(run: SyncRun) -> None:
    """A run whose accounts did not all sync says which did not, in plain words; all failed: failed."""
    failed = list(
        AccountSync.objects.filter(completed_run=run)
        .exclude(last_error_code="")
        .select_related("account")
        .order_by("account__account_number")
    )
    if not failed:
        return
    first = failed[0]
    names = ", ".join(state.account.account_number for state in failed)
    synced = run.accounts_total - len(failed)
    run.status = SyncRun.Status.FAILED if synced == 0 else SyncRun.Status.INCOMPLETE
    run.error_code = first.last_error_code
    run.error_message = (
        f"Synced {synced} of {run.accounts_total} accounts; not {names}: {first.last_error_message}"
        " The next sync starts with the accounts that waited longest."
    )[:500]


def _first_day(account: BrokerAccount, state: AccountSync, today: date) -> date:
    if state.checkpoint:
        return state.checkpoint - timedelta(days=settings.SYNC_OVERLAP_DAYS)
    return _history_start(account, today)


def _history_start(account: BrokerAccount, today: date) -> date:
    if account.opened_at:
        return account.opened_at.astimezone(timezone.get_default_timezone()).date() - timedelta(days=1)
    return today - timedelta(days=FIRST_SYNC_FALLBACK_DAYS)


def _sync_transactions(
    *,
    account: BrokerAccount,
    state: AccountSync,
    api: Client,
    run: SyncRun,
    counts: Counts,
    budget: Budget,
    token: str,
) -> None:
    today = timezone.now().date() + timedelta(days=1)  # TastyTrade dates in New York; never stop short
    if state.checkpoint is None and state.deep_checked_at is None:
        # A first sync reads every day: that is a deep check too.
        state.deep_checked_at = timezone.now()
        state.save(update_fields=["deep_checked_at"])
    if state.recheck_from and state.recheck_run_id != run.pk:
        # Days an earlier run could not complete: read them again, once in this run (marked first,
        # so a slice that dies in them does not make every later slice start over).
        state.recheck_run = run
        state.save(update_fields=["recheck_run"])
        if _read_window(account, state, api, state.recheck_from, state.recheck_to, counts, budget, token, run):
            state.recheck_from = state.recheck_to = None
            state.save(update_fields=["recheck_from", "recheck_to"])
    start = _first_day(account, state, today)
    while start <= today:
        end = min(start + timedelta(days=settings.SYNC_WINDOW_DAYS - 1), today)
        if not _read_window(account, state, api, start, end, counts, budget, token, run):
            state.recheck_from = min(start, state.recheck_from or start)
            state.recheck_to = max(end, state.recheck_to or end)
            state.recheck_run = run
        # One statement: the checkpoint never passes a short window without its recheck.
        state.checkpoint = end + timedelta(days=1)
        state.save(update_fields=["checkpoint", "recheck_from", "recheck_to", "recheck_run"])
        start = end + timedelta(days=1)
        if budget.exceeded() and start <= today:
            raise _BudgetExceeded
    if _deep_check_due(state):
        _deep_check(account=account, state=state, api=api, run=run, counts=counts, budget=budget, token=token)
    state.incomplete_detail = (
        f"TastyTrade reported more transactions than it sent for {state.recheck_from:%Y-%m-%d} to "
        f"{state.recheck_to:%Y-%m-%d}; the next sync reads those days again."
        if state.recheck_from
        else ""
    )
    state.save(update_fields=["incomplete_detail"])


def _deep_check_due(state: AccountSync) -> bool:
    if state.deep_check_from is not None:
        return True  # a paused deep check carries on
    every = timedelta(days=settings.SYNC_DEEP_CHECK_DAYS)
    return state.deep_checked_at is None or state.deep_checked_at <= timezone.now() - every


def _deep_check(
    *, account: BrokerAccount, state: AccountSync, api: Client, run: SyncRun, counts: Counts, budget: Budget, token: str
) -> None:
    """The days before the overlap, which ordinary runs never read again. TastyTrade posts a late
    fee correction or a reversal as a new row (docs/tastytrade-api.md#late-rows), which changes its window's
    count: each window's count (a one-item page) is compared with the rows we hold. A value or fee
    corrected in place keeps the count, so each window's total is compared too, with the move of
    TastyTrade's end-of-day cash across it. Only the windows that differ are read again.
    Resumable: `deep_check_from` keeps its place."""
    last = state.checkpoint - timedelta(days=settings.SYNC_OVERLAP_DAYS + 1)
    start = state.deep_check_from or _history_start(account, timezone.now().date())
    eod_cash = _eod_cash(account, api, start, last, token) if start <= last else {}
    while start <= last:
        end = min(start + timedelta(days=settings.SYNC_WINDOW_DAYS - 1), last)
        _renew_lease(account.connection_id, token)
        theirs = api.transactions_count(account.account_number, start=start, end=end)
        ours = Transaction.objects.filter(
            account=account, tastytrade_id__isnull=False, transaction_date__range=(start, end)
        ).count()
        if theirs is not None and theirs != ours:
            logger.info("account %s window %s..%s: TastyTrade counts %s, we hold %s; reading it again",
                        account.pk, start, end, theirs, ours)  # fmt: skip
            complete = _read_window(account, state, api, start, end, counts, budget, token, run)
        else:
            complete = _recheck_totals(account, state, api, eod_cash, start, end, counts, budget, token, run)
        if not complete:
            state.recheck_from = min(start, state.recheck_from or start)
            state.recheck_to = max(end, state.recheck_to or end)
            state.recheck_run = run
        start = end + timedelta(days=1)
        state.deep_check_from = start
        state.save(update_fields=["deep_check_from", "recheck_from", "recheck_to", "recheck_run"])
        if budget.exceeded() and start <= last:
            raise _BudgetExceeded
    state.deep_check_from = None
    state.deep_checked_at = timezone.now()
    state.save(update_fields=["deep_check_from", "deep_checked_at"])


def _eod_cash(account: BrokerAccount, api: Client, start: date, last: date, token: str) -> dict[date, Decimal]:
    """TastyTrade's end-of-day cash balance per trading day from a week before `start` to `last`,
    read afresh: a correction in place moves every balance after it, so the stored ones are stale.
    They are stored again too, for the reports that use them."""
    _renew_lease(account.connection_id, token)
    items = api.balance_snapshots(account.account_number, start=start - timedelta(days=7), end=last)
    balances = [b for b in (balance_snapshot(account, item, "EOD") for item in items) if b is not None]
    _renew_lease(account.connection_id, token)
    BalanceSnapshot.objects.bulk_create(
        balances,
        update_conflicts=True,
        unique_fields=["account", "snapshot_date", "time_of_day"],
        update_fields=BALANCE_FIELDS,
        batch_size=500,
    )
    return {b.snapshot_date: b.cash_balance for b in balances}


def _totals_gap(account: BrokerAccount, eod_cash: dict[date, Decimal], start: date, end: date) -> Decimal | None:
    """TastyTrade's cash move across the window minus the net value of the rows we hold for it
    (None: no balance to compare with). TastyTrade has no per-window sum, and does not document
    when an end-of-day snapshot is cut: we assume day D's holds every row executed before midnight
    UTC that ends D (the simulator's `_build_daily` does so; docs/tastytrade-api.md#late-rows). A wrong
    cut-off costs a window read again, never a row."""
    closing_day = max((day for day in eod_cash if start <= day <= end), default=None)
    opening_day = max((day for day in eod_cash if day < start), default=None)
    if closing_day is None:
        return None  # no trading day in the window
    if opening_day is not None:
        opening, since = eod_cash[opening_day], _after_day(opening_day)
    elif account.opened_at and start <= account.opened_at.date():
        opening, since = Decimal(0), account.opened_at - timedelta(days=1)  # nothing before it opened
    else:
        return None
    held = Transaction.objects.filter(account=account, tastytrade_id__isnull=False).in_period(
        since, _after_day(closing_day)
    )
    ours = held.aggregate(total=Sum("net_value"))["total"] or Decimal(0)
    # Cents: a balance may carry sub-cent noise (fractional-share cash) that our stored rows round away.
    return round_cents(eod_cash[closing_day] - opening - ours)


def _after_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def _recheck_totals(
    account: BrokerAccount,
    state: AccountSync,
    api: Client,
    eod_cash: dict[date, Decimal],
    start: date,
    end: date,
    counts: Counts,
    budget: Budget,
    token: str,
    run: SyncRun,
) -> bool:
    """Read a window again when its total disagrees with TastyTrade's cash; True unless that reading
    came short. A total that still disagrees after it is logged and left to the next deep check."""
    gap = _totals_gap(account, eod_cash, start, end)
    if not gap:
        return True
    logger.info("account %s window %s..%s: TastyTrade's cash moved %s more than our rows; reading it again",
                account.pk, start, end, gap)  # fmt: skip
    # Rows are read by booking date but totalled by execution: a row executed late on the day before
    # the window or booked to the next trading day after it belongs to this total too.
    complete = _read_window(
        account, state, api, start - timedelta(days=1), end + timedelta(days=4), counts, budget, token, run
    )
    gap = _totals_gap(account, eod_cash, start, end)
    if gap:
        logger.warning("account %s window %s..%s: totals still differ by %s after reading it again; "
                       "left to the next deep check", account.pk, start, end, gap)  # fmt: skip
    return complete


def request_deep_check(*, connection: Connection) -> SyncRun:
    """The connection page's "Check older history": the next run deep-checks every account."""
    AccountSync.objects.filter(account__connection=connection).update(deep_checked_at=None)
    return queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL)


def _read_window(
    account: BrokerAccount,
    state: AccountSync,
    api: Client,
    start: date,
    end: date,
    counts: Counts,
    budget: Budget,
    token: str,
    run: SyncRun,
) -> bool:
    """A window, read again once if it came short of TastyTrade's total; True when complete."""
    for reading in (1, 2):
        if _sync_window(account, state, api, start, end, counts, budget, token, run):
            return True
        if reading == 1:
            logger.warning("account %s window %s..%s incomplete; reading it again", account.pk, start, end)
    return False


def _sync_window(
    account: BrokerAccount,
    state: AccountSync,
    api: Client,
    start: date,
    end: date,
    counts: Counts,
    budget: Budget,
    token: str,
    run: SyncRun,
) -> bool:
    """Read one date window page by page; True when every id TastyTrade counted arrived."""
    seen: dict[int, date] = {}  # id: its day, for the days a budget stop may keep
    total: int | None = None
    may_stop = True
    page_offset = 0
    per_page = settings.SYNC_PAGE_SIZE
    while True:
        page = api.transactions_page(
            account.account_number, start=start, end=end, page_offset=page_offset, per_page=per_page
        )
        rows = [normalize_transaction(item) for item in page.items]
        with transaction.atomic():
            # First: it checks the lease is still ours and locks the connection row until this page is
            # committed, so a process that took the lease over cannot write the same page meanwhile.
            _renew_lease(account.connection_id, token)
            _upsert(account, rows, counts)
        seen.update((r["tastytrade_id"], r["transaction_date"]) for r in rows)
        counts.fetched += len(rows)
        SyncRun.objects.filter(pk=run.pk).update(fetched=run.fetched + counts.fetched)  # progress for the page
        if page.total_pages is not None:
            total = page.total_items
        # No pagination object: TastyTrade sometimes omits it. A full page may have more behind it.
        last = len(rows) < per_page if page.total_pages is None else page_offset >= page.total_pages - 1 or not rows
        if last:
            if total is None:  # no page said how many: ask
                total = api.transactions_count(account.account_number, start=start, end=end)
            return total is None or len(seen) >= total
        page_offset += 1
        # Stop only where that keeps progress. Nothing to keep yet: try after the next page. A count
        # that disagreed (a skipped row stays skipped) is not asked again in this reading.
        if budget.exceeded() and may_stop:
            kept = _keep_days_read(account, state, api, start, seen)
            if kept:
                raise _BudgetExceeded
            may_stop = kept is None


def _keep_days_read(account: BrokerAccount, state: AccountSync, api: Client, start: date, seen: dict) -> bool | None:
    """A time budget ran out inside a window. The days before the last one read are kept (the
    checkpoint moves to that day, True) when TastyTrade's count for them equals the ids read for
    them; a page that skipped a row leaves them to be read again (False). None: nothing to keep yet."""
    last_day = max(seen.values(), default=start)
    if last_day <= start or (state.checkpoint is not None and last_day <= state.checkpoint):
        return None  # nothing past what is kept already
    before = last_day - timedelta(days=1)
    total = api.transactions_count(account.account_number, start=start, end=before)
    if total is None or total != sum(1 for day in seen.values() if day <= before):
        return False
    _save_checkpoint(state, last_day)
    return True


def _save_checkpoint(state: AccountSync, day: date) -> None:
    state.checkpoint = day
    AccountSync.objects.filter(pk=state.pk).update(checkpoint=day)


def _upsert(account: BrokerAccount, rows: list[dict[str, Any]], counts: Counts) -> None:
    """Insert new rows, update changed ones, leave unchanged ones alone; collapse in-batch duplicates."""
    by_id = {row["tastytrade_id"]: row for row in rows}  # the same id twice in one batch: keep the last
    existing = {
        item["tastytrade_id"]: item
        for item in Transaction.objects.filter(account=account, tastytrade_id__in=by_id).values(
            "id", *COMPARED_FIELDS, "tastytrade_id"
        )
    }
    new, changed = [], []
    for tastytrade_id, row in by_id.items():
        current = existing.get(tastytrade_id)
        if current is None:
            new.append(row)  # plain dicts: a model instance per new row cost a first sync ~5 s per 50,000
        elif any(current[name] != row[name] for name in COMPARED_FIELDS):
            changed.append(Transaction(id=current["id"], account=account, **row))
        else:
            counts.unchanged += 1
    new, adopted = _adopt_csv_rows(account, new)
    now = timezone.now()
    if new:
        _insert_new(account, new, now)
    for row in [*changed, *adopted]:
        row.updated_at = now  # bulk_update skips auto_now; the P&L engine reads it to spot edited history
    if changed:
        Transaction.objects.bulk_update(changed, [*COMPARED_FIELDS, "updated_at"], batch_size=500)
    if adopted:
        Transaction.objects.bulk_update(
            adopted, [*COMPARED_FIELDS, "tastytrade_id", "source", "updated_at"], batch_size=500
        )
        changed.extend(adopted)
    reversing = [row for row in by_id.values() if row["reverses_tastytrade_id"]]
    if reversing:
        _link_reversals(account, reversing)
    counts.inserted += len(new)
    counts.updated += len(changed)
    if new or changed:
        counts.changed_accounts.add(account.pk)


def _insert_new(account: BrokerAccount, rows: list[dict[str, Any]], now: datetime) -> None:
    """Write new rows with the P&L engine's bulk writer (COPY on PostgreSQL): a first sync of
    50,000 rows spends most of its time here, and bulk_create builds SQL value by value."""
    adapt_json = partial(connections[Transaction.objects.db].ops.adapt_json_value, encoder=RAW_ENCODER)
    fields = ["account", "source", "created_at", "updated_at", *INSERTED_FIELDS]
    columns = itemgetter(*INSERTED_FIELDS[:-1])
    fixed = (account.pk, Transaction.Source.API, now, now)
    bulk.insert_rows(Transaction, fields, [(*fixed, *columns(row), adapt_json(row["raw"])) for row in rows])


def _csv_match_key(row: dict[str, Any]) -> tuple:
    return match_key(
        executed_at=row["executed_at"],
        transaction_type=row["transaction_type"],
        symbol=row["symbol"],
        action=row["action"],
        quantity=row["quantity"],
        value=row["value"],
    )


def _adopt_csv_rows(
    account: BrokerAccount, new: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[Transaction]]:
    """Split new API rows into (still new, adopted): rows a CSV import already brought in become
    those rows, never duplicates.

    A CSV row of any export format matches on `match_key` and charges within a cent (the rule the
    CSV importer uses the other way round); identical fills of one minute pair up in execution
    order. The CSV row keeps its import key, so importing the same file again still adds nothing.
    """
    if not new:
        return [], []
    stored = Transaction.objects.filter(account=account, tastytrade_id__isnull=True).by_match_key(
        min(row["executed_at"] for row in new), max(row["executed_at"] for row in new)
    )
    if not stored:
        return new, []
    still_new, adopted = [], []
    for row in sorted(new, key=lambda row: (row["executed_at"], row["tastytrade_id"])):
        charges = sum((row[name] for name in CHARGE_FIELDS), to_decimal("0"))
        match = pop_match(stored.get(_csv_match_key(row), []), charges)
        if match:
            adopted.append(Transaction(id=match.pk, account=account, source=Transaction.Source.API, **row))
        else:
            still_new.append(row)
    return still_new, adopted


def _link_reversals(account: BrokerAccount, rows: list[dict[str, Any]]) -> None:
    targets = dict(
        Transaction.objects.filter(
            account=account, tastytrade_id__in=[r["reverses_tastytrade_id"] for r in rows]
        ).values_list("tastytrade_id", "id")
    )
    for row in rows:
        target = targets.get(row["reverses_tastytrade_id"])
        if target:
            Transaction.objects.filter(account=account, tastytrade_id=row["tastytrade_id"]).exclude(
                reverses_id=target
            ).update(reverses_id=target)


def _refresh_marks(*, account: BrokerAccount, api: Client) -> None:
    """Marks and metrics describe the market, not the ledger: when asking for them fails the last snapshot
    stays and the account's sync still succeeds (an expired login still stops the run)."""
    try:
        market_data.refresh_market_data(account=account, client=api)
    except CONNECTION_ERRORS:
        raise
    except TastytradeError as exc:
        logger.warning("market data for account %s failed: %s: %s", account.pk, exc.code, exc)


def _sync_positions_and_balances(*, account: BrokerAccount, api: Client, token: str) -> None:
    now = timezone.now()
    positions = [p for p in map(position_fields, api.positions(account.account_number)) if p is not None]
    _renew_lease(account.connection_id, token)  # each call may take its whole retry time
    balance = api.balance(account.account_number)
    last_snapshot = (
        BalanceSnapshot.objects.filter(account=account, time_of_day="EOD").order_by("-snapshot_date").first()
    )
    since = (
        last_snapshot.snapshot_date - timedelta(days=7)
        if last_snapshot
        else (account.opened_at.date() if account.opened_at else now.date() - timedelta(days=365))
    )
    _renew_lease(account.connection_id, token)
    snapshots = api.balance_snapshots(account.account_number, start=since, end=now.date())
    _renew_lease(account.connection_id, token)
    last_point = NetLiqPoint.objects.filter(account=account).order_by("-time").first()
    history_start = (
        last_point.time - timedelta(days=1) if last_point else (account.opened_at or now - timedelta(days=365))
    )
    try:
        history = api.net_liq_history(account.account_number, start=history_start)
    except Unavailable:
        history = []  # the sandbox serves no net-liq history (502); the sync goes on without it
    with transaction.atomic():
        _renew_lease(account.connection_id, token)
        PositionSnapshot.objects.filter(account=account).delete()
        PositionSnapshot.objects.bulk_create(
            [PositionSnapshot(account=account, as_of=now, **p) for p in _merge_positions(positions)]
        )
        balances = [balance_snapshot(account, {**balance, "snapshot-date": now.date().isoformat()}, "NOW", "balances")]
        balances += [
            balance_snapshot(account, item, str(item.get("time-of-day") or "EOD"), "balance-snapshots")
            for item in snapshots
        ]
        BalanceSnapshot.objects.bulk_create(
            [b for b in balances if b is not None],
            update_conflicts=True,
            unique_fields=["account", "snapshot_date", "time_of_day"],
            update_fields=BALANCE_FIELDS,
            batch_size=500,
        )
        points = {}
        for item in history:
            fields = net_liq_fields(item)
            if fields is None:
                continue
            point = NetLiqPoint(account=account, **fields)
            points[point.time] = point  # one per instant, as the unique constraint wants
        NetLiqPoint.objects.bulk_create(
            list(points.values()),
            update_conflicts=True,
            unique_fields=["account", "time"],
            update_fields=["open", "high", "low", "close", "total_close", "pending_cash_close"],
            batch_size=500,
        )


def _merge_positions(positions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for position in positions:
        if position["symbol"] in merged:
            merged[position["symbol"]]["quantity"] += position["quantity"]
        else:
            merged[position["symbol"]] = position
    return list(merged.values())


BALANCE_FIELDS = [
    "cash_balance",
    "net_liquidating_value",
    "long_equity_value",
    "short_equity_value",
    "long_derivative_value",
    "short_derivative_value",
    "pending_cash",
    "raw",
]


# What a balance must carry for us to store it; any other field may be missing or null.
REQUIRED_BALANCE_KEYS = ("snapshot-date", "cash-balance", "net-liquidating-value")


def _read_item[T](endpoint: str, item: dict[str, Any], required: Iterable[str], read: Callable[[dict], T]) -> T | None:
    """`read(item)`, or None (logged by endpoint and field name, never a value) when the item lacks a field we
    store or cannot be read: one bad item is skipped, the rest of the answer is kept."""
    for key in required:
        if item.get(key) in (None, ""):
            missing(endpoint, key)
            return None
    try:
        return read(item)
    except (ValueError, TypeError, BadResponse):
        logger.warning("TastyTrade %s: an unreadable item was skipped", endpoint)
        return None


def balance_snapshot(
    account: BrokerAccount, item: dict[str, Any], time_of_day: str, endpoint: str = "balance-snapshots"
) -> BalanceSnapshot | None:
    """The balance to store, or None (logged) when it lacks what we store or it is unreadable."""
    return _read_item(endpoint, item, REQUIRED_BALANCE_KEYS, lambda item: _balance_snapshot(account, item, time_of_day))


def _balance_snapshot(account: BrokerAccount, item: dict[str, Any], time_of_day: str) -> BalanceSnapshot:
    day = item["snapshot-date"]
    return BalanceSnapshot(
        account=account,
        snapshot_date=date.fromisoformat(str(day)[:10]),
        time_of_day=time_of_day,
        cash_balance=to_decimal(item.get("cash-balance")),
        net_liquidating_value=to_decimal(item.get("net-liquidating-value")),
        long_equity_value=to_decimal(item.get("long-equity-value")),
        short_equity_value=to_decimal(item.get("short-equity-value")),
        long_derivative_value=to_decimal(item.get("long-derivative-value")),
        short_derivative_value=to_decimal(item.get("short-derivative-value")),
        pending_cash=apply_effect(item.get("pending-cash"), item.get("pending-cash-effect")),
        raw=item,
    )


# -- normalising TastyTrade rows --------------------------------------------------------


def normalize_transaction(item: dict[str, Any]) -> dict[str, Any]:
    """One raw transaction item → Transaction field values (signed Decimals, aware UTC)."""
    symbol = str(item.get("symbol") or "")
    instrument_type = str(item.get("instrument-type") or "")
    option = parse_option_symbol(symbol) if instrument_type.endswith("Option") else None
    quantity = abs(to_decimal(item.get("quantity")))
    price = to_decimal(item["price"]) if item.get("price") not in (None, "") else None
    row: dict[str, Any] = {
        "tastytrade_id": int(item["id"]),
        "transaction_type": str(item.get("transaction-type") or ""),
        "transaction_sub_type": str(item.get("transaction-sub-type") or ""),
        "action": str(item.get("action") or ""),
        "description": str(item.get("description") or ""),
        "symbol": symbol,
        "underlying_symbol": underlying_of(symbol, instrument_type, str(item.get("underlying-symbol") or "")),
        "instrument_type": instrument_type,
        "expires_on": option.expires_on if option else None,
        "strike": option.strike if option else None,
        "option_type": option.option_type if option else "",
        "multiplier": None,
        "quantity": quantity,
        "price": abs(price) if price is not None else None,
        "is_estimated_fee": bool(item.get("is-estimated-fee", False)),
        "currency": str(item.get("currency") or "USD"),
        "executed_at": parse_datetime(str(item["executed-at"])),
        "transaction_date": date.fromisoformat(str(item["transaction-date"])[:10]),
        "order_id": _int_or_none(item.get("order-id")),
        "leg_count": _int_or_none(item.get("leg-count")),
        "reverses_tastytrade_id": _int_or_none(item.get("reverses-id")),
        "raw": item,
    }
    for name, key, effect in MONEY_KEYS:
        # apply_effect(), inlined: a first sync does this about 440,000 times.
        magnitude = abs(to_decimal(item.get(key)))
        row[name] = -magnitude if item.get(effect) == "Debit" else magnitude
    # Interest and dividends sometimes come as Deposit/Withdrawal; classified as the CSV import does.
    row["transaction_sub_type"], _ = money_movement_sub_type(
        transaction_type=row["transaction_type"],
        sub_type=row["transaction_sub_type"],
        description=row["description"],
        symbol=symbol,
        amount=row["net_value"],
    )
    if option and row["transaction_sub_type"] in CASH_SETTLEMENTS:
        # The price of a cash settlement is the strike, not a premium: nothing to derive (index options pay x100).
        row["multiplier"] = to_decimal("100")
    elif option and price and quantity and row["value"]:
        # Transactions carry no multiplier; an option fill's value = price x quantity x multiplier.
        row["multiplier"] = (abs(row["value"]) / (price * quantity)).quantize(to_decimal("1"))
    return row


def position_fields(item: dict[str, Any]) -> dict[str, Any] | None:
    """A position's fields, or None (logged) when it lacks a symbol or quantity or is unreadable.
    Everything else may be missing or null (a position without close-price is still a position)."""
    return _read_item("positions", item, ("symbol", "quantity"), _position_fields)


def _decimal_or_none(value: Any) -> Decimal | None:
    return None if value in (None, "") else to_decimal(value)


def _position_fields(item: dict[str, Any]) -> dict[str, Any]:
    quantity = abs(to_decimal(item.get("quantity")))
    if str(item.get("quantity-direction", "")).lower() == "short":
        quantity = -quantity
    expires = item.get("expires-at")
    mark = item.get("mark") if item.get("mark") is not None else item.get("mark-price")
    return {
        "symbol": str(item.get("symbol") or ""),
        "instrument_type": str(item.get("instrument-type") or ""),
        "underlying_symbol": underlying_of(
            str(item.get("symbol") or ""),
            str(item.get("instrument-type") or ""),
            str(item.get("underlying-symbol") or ""),
        ),
        "quantity": quantity,
        "multiplier": to_decimal(item.get("multiplier") or 1),
        "average_open_price": _decimal_or_none(item.get("average-open-price")),
        "close_price": _decimal_or_none(item.get("close-price")),
        "mark": _decimal_or_none(mark),
        "expires_at": parse_datetime(str(expires)) if expires else None,
        "raw": item,
    }


def net_liq_fields(item: dict[str, Any]) -> dict[str, Any] | None:
    """A point's fields, or None (logged) without its time or close, or when it is unreadable."""
    return _read_item("net-liq/history", item, ("time", "close"), _net_liq_fields)


def _net_liq_fields(item: dict[str, Any]) -> dict[str, Any]:
    def pick(kebab: str, camel: str) -> Any:
        # The OpenAPI document says camelCase; production answers kebab-case. Accept both.
        return item.get(kebab, item.get(camel))

    return {
        "time": parse_datetime(str(item["time"])),
        "open": to_decimal(pick("open", "open")),
        "high": to_decimal(pick("high", "high")),
        "low": to_decimal(pick("low", "low")),
        "close": to_decimal(pick("close", "close")),
        "total_close": to_decimal(pick("total-close", "totalClose")),
        "pending_cash_close": to_decimal(pick("pending-cash-close", "pendingCashClose")),
    }


def _int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


# -- the lease ---------------------------------------------------------------------------


def _acquire_lease(connection: Connection) -> str | None:
    token = secrets.token_hex(8)
    now = timezone.now()
    try:
        taken = Connection.objects.filter(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now), pk=connection.pk
        ).update(lease_token=token, lease_expires_at=now + timedelta(seconds=LEASE_SECONDS))
    except OperationalError:
        # SQLite reports a concurrent writer as "database is locked": that writer is the other sync.
        return None
    return token if taken == 1 else None


def _renew_lease(connection_id: int | None, token: str) -> None:
    """Extend our lease, or raise _LeaseLost when it lapsed and another process took it."""
    renewed = Connection.objects.filter(pk=connection_id, lease_token=token).update(
        lease_expires_at=timezone.now() + timedelta(seconds=LEASE_SECONDS)
    )
    if not renewed:
        raise _LeaseLost


def _release_lease(connection: Connection, token: str) -> None:
    Connection.objects.filter(pk=connection.pk, lease_token=token).update(lease_token="", lease_expires_at=None)


def _fail(run: SyncRun, exc: TastytradeError, level: int = logging.WARNING) -> None:
    logger.log(level, "sync run %s failed: %s: %s", run.pk, exc.code, exc)
    run.status = SyncRun.Status.FAILED
    run.error_code = exc.code
    run.error_message = exc.user_message
    # The accounts this run did not finish show the error on the sync page until a good sync.
    AccountSync.objects.filter(account__connection=run.connection_id).exclude(completed_run=run).update(
        last_error_code=exc.code, last_error_message=exc.user_message
    )
