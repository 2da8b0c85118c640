"""The ledger: broker accounts and what TastyTrade (API or CSV export) says happened in them.

Amounts are stored signed from the account's point of view (cash in is positive), already
turned from TastyTrade's magnitude + `*-effect` pairs. Cash amounts keep four decimal places
because the broker reports fee components with three (a 0.042 regulatory fee); totals are
rounded to cents only for display.
"""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.core.models import TimestampedModel

MONEY = {"max_digits": 18, "decimal_places": 4}
QUANTITY = {"max_digits": 24, "decimal_places": 8}
PRICE = {"max_digits": 24, "decimal_places": 8}


class InstrumentType(models.TextChoices):
    """TastyTrade's `instrument-type` values (the API's enum, docs/tastytrade-api.md), stored as sent.

    Index options (SPX, XSP...) come as Equity Option. Blank on cash rows.
    """

    BOND = "Bond"
    CRYPTOCURRENCY = "Cryptocurrency"
    CURRENCY_PAIR = "Currency Pair"
    EQUITY = "Equity"
    EQUITY_OFFERING = "Equity Offering"
    EQUITY_OPTION = "Equity Option"
    EVENT_CONTRACT = "Event Contract"
    FIXED_INCOME_SECURITY = "Fixed Income Security"
    FUTURE = "Future"
    FUTURE_OPTION = "Future Option"
    INDEX = "Index"
    LIQUIDITY_POOL = "Liquidity Pool"
    UNKNOWN = "Unknown"
    WARRANT = "Warrant"


# The one answer to "is this an option?" (and "is this a futures product?") for every module.
OPTION_TYPES = frozenset({InstrumentType.EQUITY_OPTION.value, InstrumentType.FUTURE_OPTION.value})
FUTURES_TYPES = frozenset({InstrumentType.FUTURE.value, InstrumentType.FUTURE_OPTION.value})


class BrokerAccountQuerySet(models.QuerySet):
    def for_user(self, user) -> "BrokerAccountQuerySet":
        return self.filter(user=user)

    def included(self) -> "BrokerAccountQuerySet":
        return self.filter(is_included=True)


class BrokerAccount(TimestampedModel):
    """A TastyTrade account (e.g. 5WT00001). CSV-only accounts have no connection."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="broker_accounts")
    # The one place trades points at tastytrade_sync (docs/architecture.md, "Dependencies"): a lazy
    # string reference, so no trades module imports the sync app. Removing it would need a migration
    # moving the column to the sync side for no reader's gain.
    connection = models.ForeignKey(
        "tastytrade_sync.Connection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accounts",
    )
    account_number = models.CharField(max_length=32)
    nickname = models.CharField(max_length=100, blank=True)
    account_type_name = models.CharField(max_length=64, blank=True)
    margin_or_cash = models.CharField(max_length=16, blank=True)
    authority_level = models.CharField(max_length=32, blank=True)
    is_closed = models.BooleanField(default=False)
    opened_at = models.DateTimeField(null=True, blank=True)
    # The user can leave an account out of syncs and reports without deleting it.
    is_included = models.BooleanField("include in syncs and reports", default=True)

    objects = BrokerAccountQuerySet.as_manager()

    class Meta:
        ordering = ["account_number"]
        constraints = [
            models.UniqueConstraint(fields=["user", "account_number"], name="broker_account_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.account_number} ({self.nickname})" if self.nickname else self.account_number


class TransactionQuerySet(models.QuerySet):
    def for_user(self, user) -> "TransactionQuerySet":
        return self.filter(account__user=user)

    def in_period(self, start: datetime, end: datetime) -> "TransactionQuerySet":
        """Executed in [start, end): both aware datetimes."""
        return self.filter(executed_at__gte=start, executed_at__lt=end)

    def charged(self) -> "TransactionQuerySet":
        """Rows that carry a commission or any fee."""
        return self.exclude(models.Q(commission=0) & models.Q(**{name: 0 for name in FEE_FIELDS}))

    def trades(self) -> "TransactionQuerySet":
        return self.filter(transaction_type=Transaction.Type.TRADE)

    def by_match_key(self, start: datetime, end: datetime) -> dict[tuple, list["LedgerMatch"]]:
        """The rows executed in the minutes from `start` to `end` (both included), by `match_key`,
        each key's rows in the order the broker executed them."""
        first = _minute(start)
        rows = (
            self.filter(executed_at__gte=first, executed_at__lt=_minute(end) + timedelta(minutes=1))
            .order_by("executed_at", "tastytrade_id", "id")
            .values_list("id", "import_key", "source", "raw__csv_format", *MATCHED_FIELDS, *CHARGE_FIELDS)
        )
        found: dict[tuple, list[LedgerMatch]] = {}
        for pk, import_key, source, csv_format, *fields in rows:
            executed_at, transaction_type, symbol, action, quantity, value, *charges = fields
            key = match_key(
                executed_at=executed_at,
                transaction_type=transaction_type,
                symbol=symbol,
                action=action,
                quantity=quantity,
                value=value,
            )
            found.setdefault(key, []).append(
                LedgerMatch(pk, import_key, source, csv_format or "", sum(charges, Decimal(0)))
            )
        return found


# Every fee a transaction carries besides the commission, each a signed amount (charges negative).
FEE_FIELDS = (
    "clearing_fees",
    "regulatory_fees",
    "proprietary_index_option_fees",
    "currency_conversion_fees",
    "other_charge",
)
# All it was charged: the commission, then the fees.
CHARGE_FIELDS = ("commission", *FEE_FIELDS)
# The one fee sum in SQL: every charge but the commission, per row (the rows' `fees` property).
FEES_SUM = sum((models.F(name) for name in FEE_FIELDS[1:]), models.F(FEE_FIELDS[0]))
MATCHED_FIELDS = ("executed_at", "transaction_type", "symbol", "action", "quantity", "value")
CENT = Decimal("0.01")


class LedgerMatch(NamedTuple):
    """A stored row found under a match key: which it is and where it came from."""

    pk: int
    import_key: str | None
    source: str
    csv_format: str  # for CSV rows: legacy, v2 or v3
    charges: Decimal  # commission and every fee, signed


def _minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def match_key(
    *,
    executed_at: datetime,
    transaction_type: str,
    symbol: str,
    action: str,
    quantity: Decimal,
    value: Decimal,
) -> tuple:
    """What one fill looks like in every source: the API, and each of the three CSV formats.

    The legacy export has times to the minute and no order number, the API and newer exports
    have seconds and order numbers, so rows match on the UTC minute, the symbol (spaces dropped),
    the side (buy or sell; futures rows do not always say open or close), quantity and value;
    then `pop_match` pairs rows under one key whose charges agree to the cent (legacy Fees is one
    number for commission and fees, exports round to cents what the API gives to 0.001). Identical
    fills in one minute share a key and pair one for one, so two real fills are two rows.
    """
    return (
        _minute(executed_at),
        *fill_key(transaction_type=transaction_type, symbol=symbol, action=action, quantity=quantity, value=value),
    )


def fill_key(*, transaction_type: str, symbol: str, action: str, quantity: Decimal, value: Decimal) -> tuple:
    """The match key without its minute: what many rows of one import share, so it can be read once for them."""
    return (
        transaction_type,
        _match_symbol(symbol),
        _side(action),
        Decimal(quantity).normalize(),
        Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP),
    )


# Imports and the sync ask for the match key of every row; symbols and actions repeat, so each text is read once.
@lru_cache(maxsize=16_384)
def _match_symbol(symbol: str) -> str:
    return WHITESPACE_RE.sub("", symbol).upper()


@lru_cache(maxsize=1024)
def _side(action: str) -> str:
    return action.strip().split(" ")[0].split("_")[0].casefold() if action else ""


WHITESPACE_RE = re.compile(r"\s+")


def pop_match(matches: list[LedgerMatch], charges: Decimal) -> LedgerMatch | None:
    """Take the first of `matches` (in execution order) whose charges agree with `charges` to the cent."""
    for index, match in enumerate(matches):
        if abs(match.charges - charges) <= CENT:
            return matches.pop(index)
    return None


# Margin interest booked as a withdrawal reads "FROM 03/16 THRU 04/15 @ 8 %".
INTEREST_RE = re.compile(r"INTEREST|\bFROM \d{1,2}/\d{1,2} THRU \d{1,2}/\d{1,2}\b")
DIVIDEND_RE = re.compile(r"\bDIVIDENDS?\b")


def money_movement_sub_type(
    *, transaction_type: str, sub_type: str, description: str, symbol: str, amount: Decimal
) -> tuple[str, str]:
    """What a Money Movement booked as Deposit or Withdrawal really is, and why: credit or margin
    interest and dividends sometimes arrive under those sub-types with a description that says so
    (docs/tastytrade-api.md#transaction-types). The API sync and the CSV import both ask here, so they agree.
    Returns (sub_type, reason); the reason is empty when the sub-type stands."""
    if transaction_type != Transaction.Type.MONEY_MOVEMENT or sub_type not in {"Deposit", "Withdrawal"}:
        return sub_type, ""
    text = description.upper()
    if INTEREST_RE.search(text):
        better = "Credit Interest" if amount >= 0 else "Debit Interest"
        reason = "the description says it is interest"
    elif DIVIDEND_RE.search(text):
        better, reason = "Dividend", "the description says it is a dividend"
    elif symbol and sub_type == "Deposit":
        better, reason = "Dividend", "it names a security, as fund dividends booked as deposits do"
    elif amount > 0:
        better, reason = "Deposit", "cash came in"
    elif amount < 0:
        better, reason = "Withdrawal", "cash went out"
    else:
        return sub_type, ""
    return better, (reason if better != sub_type else "")


class Transaction(TimestampedModel):
    """One row of TastyTrade's transaction history, from the API or a CSV export."""

    class Source(models.TextChoices):
        API = "api", "TastyTrade API"
        CSV = "csv", "CSV import"

    class Type:
        # Known values; unknown new ones are stored as they come (never fail on a new value).
        TRADE = "Trade"
        RECEIVE_DELIVER = "Receive Deliver"
        MONEY_MOVEMENT = "Money Movement"
        ADMINISTRATIVE_TRANSFER = "Administrative Transfer"

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="transactions")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    # TastyTrade's id (above 2^31, hence 64 bits). Null for CSV rows, which carry no id.
    tastytrade_id = models.BigIntegerField(null=True, blank=True)
    # For CSV rows: a digest of the row plus its occurrence number among identical rows of the file.
    import_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - null keeps API rows out of the unique key

    transaction_type = models.CharField(max_length=40)
    transaction_sub_type = models.CharField(max_length=60, blank=True)
    action = models.CharField(max_length=20, blank=True)
    description = models.TextField(blank=True)

    symbol = models.CharField(max_length=64, blank=True)
    underlying_symbol = models.CharField(max_length=32, blank=True)
    instrument_type = models.CharField(max_length=32, choices=InstrumentType.choices, blank=True)
    # Parsed from an option's symbol (OCC or future-option), never from a CSV date column.
    expires_on = models.DateField(null=True, blank=True)
    strike = models.DecimalField(**PRICE, null=True, blank=True)
    option_type = models.CharField(max_length=1, blank=True)  # "C" or "P"
    multiplier = models.DecimalField(**PRICE, null=True, blank=True)

    quantity = models.DecimalField(**QUANTITY, default=0)  # unsigned, as the broker sends it
    price = models.DecimalField(**PRICE, null=True, blank=True)  # unsigned per-unit price
    value = models.DecimalField(**MONEY, default=0)
    net_value = models.DecimalField(**MONEY, default=0)
    commission = models.DecimalField(**MONEY, default=0)
    clearing_fees = models.DecimalField(**MONEY, default=0)
    regulatory_fees = models.DecimalField(**MONEY, default=0)
    proprietary_index_option_fees = models.DecimalField(**MONEY, default=0)
    currency_conversion_fees = models.DecimalField(**MONEY, default=0)
    other_charge = models.DecimalField(**MONEY, default=0)
    is_estimated_fee = models.BooleanField(default=False)
    currency = models.CharField(max_length=8, default="USD")

    executed_at = models.DateTimeField()
    transaction_date = models.DateField()
    order_id = models.BigIntegerField(null=True, blank=True)
    leg_count = models.PositiveIntegerField(null=True, blank=True)
    reverses_tastytrade_id = models.BigIntegerField(null=True, blank=True)  # the API's `reverses-id`
    reverses = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reversed_by")
    raw = models.JSONField(default=dict, blank=True)

    objects = TransactionQuerySet.as_manager()

    class Meta:
        ordering = ["executed_at", "tastytrade_id", "id"]
        constraints = [
            # Nulls are distinct, so CSV rows (no id) and API rows (no import key) never collide.
            models.UniqueConstraint(fields=["account", "tastytrade_id"], name="transaction_unique_tastytrade_id"),
            models.UniqueConstraint(fields=["account", "import_key"], name="transaction_unique_import_key"),
        ]
        indexes = [
            # With the charges included, "fees this year" on the dashboard reads the index alone (PostgreSQL;
            # 42 -> 9 ms on 25,000 rows): the rows themselves are wide with their raw JSON.
            models.Index(
                fields=["account", "executed_at"],
                include=[*CHARGE_FIELDS],
                name="transaction_account_time",
            ),
            models.Index(fields=["account", "underlying_symbol"]),
            models.Index(fields=["account", "order_id"]),
            # Deposits, withdrawals, interest and fees: under a tenth of the rows. The Returns report reads the
            # deposits and withdrawals through it instead of scanning every wide row (PostgreSQL, 54,000 rows:
            # 115 ms -> a few ms).
            models.Index(
                fields=["account", "executed_at"],
                condition=models.Q(transaction_type="Money Movement"),
                name="transaction_money_movements",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_date} {self.transaction_sub_type} {self.symbol}".strip()

    @property
    def fees(self):
        """Every charge except commission (clearing, regulatory, index-option, conversion, other)."""
        return (
            self.clearing_fees
            + self.regulatory_fees
            + self.proprietary_index_option_fees
            + self.currency_conversion_fees
            + self.other_charge
        )

    @property
    def is_option(self) -> bool:
        return self.instrument_type in OPTION_TYPES


class PositionSnapshot(models.Model):
    """An open position as the broker reported it at the last sync (replaced each sync)."""

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="positions")
    as_of = models.DateTimeField()
    symbol = models.CharField(max_length=64)
    instrument_type = models.CharField(max_length=32, choices=InstrumentType.choices)
    underlying_symbol = models.CharField(max_length=32, blank=True)
    quantity = models.DecimalField(**QUANTITY)  # signed: short positions are negative
    multiplier = models.DecimalField(**PRICE, default=1)
    average_open_price = models.DecimalField(**PRICE, null=True, blank=True)
    close_price = models.DecimalField(**PRICE, null=True, blank=True)
    mark = models.DecimalField(**PRICE, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["underlying_symbol", "symbol"]
        constraints = [models.UniqueConstraint(fields=["account", "symbol"], name="position_unique_symbol")]

    def __str__(self) -> str:
        return f"{self.quantity} {self.symbol}"


class Quote(models.Model):
    """TastyTrade's latest quote for a symbol an account holds, or for its underlying (replaced each fetch).

    Any price may be missing (a halted or illiquid contract): None, never zero.
    """

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="quotes")
    symbol = models.CharField(max_length=64)
    instrument_type = models.CharField(max_length=32, blank=True)
    mark = models.DecimalField(**PRICE, null=True, blank=True)
    bid = models.DecimalField(**PRICE, null=True, blank=True)
    ask = models.DecimalField(**PRICE, null=True, blank=True)
    last = models.DecimalField(**PRICE, null=True, blank=True)
    close = models.DecimalField(**PRICE, null=True, blank=True)
    quoted_at = models.DateTimeField(null=True, blank=True)  # TastyTrade's updated-at
    fetched_at = models.DateTimeField()  # when we asked: the as-of time every figure shows
    # Per unit (one share, one future point), computed from the mark when the quote is stored (apps/trades/greeks.py);
    # None when they cannot be known (no mark, no underlying price, no volatility).
    underlying_price = models.DecimalField(**PRICE, null=True, blank=True)
    implied_volatility = models.DecimalField(**PRICE, null=True, blank=True)  # a fraction; None for delta-one
    volatility_from_mark = models.BooleanField(default=True)  # False: the underlying's IV stood in
    delta = models.DecimalField(**PRICE, null=True, blank=True)
    gamma = models.DecimalField(**PRICE, null=True, blank=True)
    theta = models.DecimalField(**PRICE, null=True, blank=True)  # per calendar day
    vega = models.DecimalField(**PRICE, null=True, blank=True)  # per volatility point
    beta_weighted_delta = models.DecimalField(**PRICE, null=True, blank=True)  # in SPY shares

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "symbol"], name="quote_unique_symbol")]

    def __str__(self) -> str:
        return f"{self.symbol} {self.mark}"


class UnderlyingMetrics(models.Model):
    """TastyTrade's market metrics for an underlying an account holds (replaced each fetch)."""

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="underlying_metrics")
    symbol = models.CharField(max_length=32)
    implied_volatility = models.DecimalField(**PRICE, null=True, blank=True)
    iv_rank = models.DecimalField(**PRICE, null=True, blank=True)  # a fraction: 0.25 is 25%
    iv_percentile = models.DecimalField(**PRICE, null=True, blank=True)
    beta = models.DecimalField(**PRICE, null=True, blank=True)
    earnings_on = models.DateField(null=True, blank=True)
    dividend_ex_on = models.DateField(null=True, blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "underlying metrics"
        constraints = [models.UniqueConstraint(fields=["account", "symbol"], name="metrics_unique_symbol")]

    def __str__(self) -> str:
        return self.symbol


class BalanceSnapshot(models.Model):
    """Account balances: the current balance (time_of_day "NOW") and daily BOD/EOD snapshots."""

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="balances")
    snapshot_date = models.DateField()
    time_of_day = models.CharField(max_length=8, default="EOD")
    cash_balance = models.DecimalField(**MONEY, default=0)
    net_liquidating_value = models.DecimalField(**MONEY, default=0)
    long_equity_value = models.DecimalField(**MONEY, default=0)
    short_equity_value = models.DecimalField(**MONEY, default=0)
    long_derivative_value = models.DecimalField(**MONEY, default=0)
    short_derivative_value = models.DecimalField(**MONEY, default=0)
    pending_cash = models.DecimalField(**MONEY, default=0)
    raw = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["snapshot_date"]
        constraints = [
            models.UniqueConstraint(fields=["account", "snapshot_date", "time_of_day"], name="balance_unique_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.snapshot_date} {self.time_of_day}"


class NetLiqPoint(models.Model):
    """One point of the broker's net liquidating value history (the equity curve)."""

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="net_liq_history")
    time = models.DateTimeField()
    open = models.DecimalField(**MONEY, default=0)
    high = models.DecimalField(**MONEY, default=0)
    low = models.DecimalField(**MONEY, default=0)
    close = models.DecimalField(**MONEY, default=0)
    total_close = models.DecimalField(**MONEY, default=0)
    pending_cash_close = models.DecimalField(**MONEY, default=0)

    class Meta:
        ordering = ["time"]
        constraints = [models.UniqueConstraint(fields=["account", "time"], name="net_liq_unique_time")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.time:%Y-%m-%d} {self.close}"


def trading_day(moment: datetime, tz) -> date:
    """The day an execution belongs to in the user's time zone (default America/New_York)."""
    return moment.astimezone(tz).date()


def transaction_key(*, tastytrade_id: int | None, import_key: str | None, pk: int) -> str:
    """A transaction's stable key: TastyTrade's id, else the CSV import key (pk only as a last resort).

    Lots, positions and events are named after the transactions that made them, so user intent
    stored against these keys (tags, notes, overrides) survives every rebuild of the P&L tables.
    """
    if tastytrade_id is not None:
        return f"tt:{tastytrade_id}"
    if import_key:
        return f"csv:{import_key}"
    return f"pk:{pk}"


# The P&L engine's results (apps.trades.engine, written by apps.trades.lots). Everything below
# `PnlState` is rebuilt from the ledger and may be thrown away at any time; user intent lives in
# its own tables, keyed by the stable keys above, and is applied again after every rebuild.


class Strategy(models.TextChoices):
    STOCK = "stock", "Stock"
    LONG_CALL = "long_call", "Long call"
    SHORT_CALL = "short_call", "Short call"
    LONG_PUT = "long_put", "Long put"
    SHORT_PUT = "short_put", "Short put"
    COVERED_CALL = "covered_call", "Covered call"
    CASH_SECURED_PUT = "cash_secured_put", "Cash-secured put"
    VERTICAL = "vertical", "Vertical spread"
    STRANGLE = "strangle", "Strangle"
    STRADDLE = "straddle", "Straddle"
    IRON_CONDOR = "iron_condor", "Iron condor"
    IRON_BUTTERFLY = "iron_butterfly", "Iron butterfly"
    BUTTERFLY = "butterfly", "Butterfly"
    CALENDAR = "calendar", "Calendar spread"
    DIAGONAL = "diagonal", "Diagonal spread"
    JADE_LIZARD = "jade_lizard", "Jade lizard"
    FUTURE = "future", "Future"
    FUTURE_OPTION = "future_option", "Future option"
    CUSTOM = "custom", "Custom"


class Chain(models.Model):
    """Positions linked by rolls and assignments: a roll chain, or a wheel campaign once stock is assigned."""

    class Kind(models.TextChoices):
        ROLL = "roll", "Roll chain"
        WHEEL = "wheel", "Wheel campaign"
        MANUAL = "manual", "Merged by hand"

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="chains")
    key = models.CharField(max_length=100)  # the key of its first position
    underlying_symbol = models.CharField(max_length=32, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    position_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at", "key"]
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="chain_unique_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.underlying_symbol} from {self.opened_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class PositionQuerySet(models.QuerySet):
    def for_user(self, user) -> "PositionQuerySet":
        return self.filter(account__user=user)

    def open(self) -> "PositionQuerySet":
        return self.filter(closed_at__isnull=True)


class Position(models.Model):
    """Legs opened together (one order, or its partial fills), with the strategy they form."""

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="pnl_positions")
    key = models.CharField(max_length=100)  # the stable key of its first opening transaction
    underlying_symbol = models.CharField(max_length=32, blank=True)
    detected_strategy = models.CharField(max_length=20, choices=Strategy.choices)
    # What reports use: the user's override when there is one, else the detected strategy.
    strategy = models.CharField(max_length=20, choices=Strategy.choices)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    opening_order_id = models.BigIntegerField(null=True, blank=True)
    # Links to other positions by key, read when chains are built.
    rolled_from_key = models.CharField(max_length=100, blank=True)
    assigned_from_key = models.CharField(max_length=100, blank=True)
    covers_key = models.CharField(max_length=100, blank=True)  # the stock a covered call is written against
    chain = models.ForeignKey(Chain, on_delete=models.SET_NULL, null=True, blank=True, related_name="positions")

    objects = PositionQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "key"]
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="pnl_position_unique_key")]
        indexes = [models.Index(fields=["account", "underlying_symbol"])]

    def __str__(self) -> str:
        return f"{self.get_strategy_display()} {self.underlying_symbol} {self.opened_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class LotQuerySet(models.QuerySet):
    def open(self) -> "LotQuerySet":
        return self.exclude(remaining_quantity=0)


class Lot(models.Model):
    """What one opening transaction put on (FIFO per instrument), and how much of it is still open."""

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="lots")
    position = models.ForeignKey(Position, on_delete=models.CASCADE, related_name="lots")
    key = models.CharField(max_length=120)  # opening transaction key + ":n"
    opening_transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="opened_lots")
    # Set when a symbol change, merger or split moved this lot's basis from an older lot.
    moved_from_key = models.CharField(max_length=120, blank=True)

    symbol = models.CharField(max_length=64)
    underlying_symbol = models.CharField(max_length=32, blank=True)
    instrument_type = models.CharField(max_length=32, choices=InstrumentType.choices, blank=True)
    option_type = models.CharField(max_length=1, blank=True)
    strike = models.DecimalField(**PRICE, null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    multiplier = models.DecimalField(**PRICE, null=True, blank=True)

    opened_at = models.DateTimeField()
    quantity = models.DecimalField(**QUANTITY)  # signed: short lots are negative
    opening_price = models.DecimalField(**PRICE, null=True, blank=True)
    opening_cash = models.DecimalField(**MONEY)  # net cash of opening the whole lot, fees included
    remaining_quantity = models.DecimalField(**QUANTITY)
    remaining_cost = models.DecimalField(**MONEY)  # the share of opening_cash still open
    # Futures: mark-to-market cash carried by what is still open, realized when it closes.
    remaining_variation = models.DecimalField(**MONEY, default=0)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = LotQuerySet.as_manager()

    class Meta:
        ordering = ["opened_at", "key"]
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="lot_unique_key")]
        indexes = [models.Index(fields=["account", "symbol"])]

    def __str__(self) -> str:
        return f"{self.quantity} {self.symbol} opened {self.opened_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.remaining_quantity != 0


class PnlEventQuerySet(models.QuerySet):
    def for_user(self, user) -> "PnlEventQuerySet":
        return self.filter(account__user=user)

    def on_days(self, first: date | None, last: date | None) -> "PnlEventQuerySet":
        """Events whose trading day falls in [first, last] (either end may be open)."""
        events = self
        if first is not None:
            events = events.filter(trading_day__gte=first)
        if last is not None:
            events = events.filter(trading_day__lte=last)
        return events

    def realized_by(self, field: str) -> "models.QuerySet":
        """Per value of `field`, ordered by it: realized P&L, closing events, and the commissions and
        fees inside that P&L (the closed pieces' shares of their transactions' charges)."""
        return (
            self.values(field)
            .annotate(
                realized=models.Sum("realized_pnl"),
                closing_events=models.Count("id"),
                commissions_in_pnl=models.Sum("commission"),
                fees_in_pnl=models.Sum(FEES_SUM),
            )
            .order_by(field)
        )


class PnlEvent(models.Model):
    """Realized P&L: one closing quantity of one lot.

    opening_cash and closing_cash are the shares of the two transactions' net values (fees
    included); variation is the futures mark-to-market cash the closed piece carried; the fee
    fields break down what the two shares were charged. realized_pnl is the sum of the three.
    """

    class Kind(models.TextChoices):
        TRADE = "trade", "Closing trade"
        EXPIRATION = "expiration", "Expiration"
        ASSIGNMENT = "assignment", "Assignment"
        EXERCISE = "exercise", "Exercise"
        CASH_SETTLEMENT = "cash_settlement", "Cash settlement"
        DELIVERY = "delivery", "Delivery from assignment or exercise"
        FUTURES_SETTLEMENT = "futures_settlement", "Futures settlement"
        OTHER = "other", "Other removal"

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="pnl_events")
    key = models.CharField(max_length=120)  # closing transaction key + ":n"
    kind = models.CharField(max_length=20, choices=Kind.choices)
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="events")
    position = models.ForeignKey(Position, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    closing_transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="pnl_events")

    executed_at = models.DateTimeField()
    trading_day = models.DateField()  # in the user's time zone
    opened_at = models.DateTimeField(null=True, blank=True)
    symbol = models.CharField(max_length=64, blank=True)
    underlying_symbol = models.CharField(max_length=32, blank=True)
    instrument_type = models.CharField(max_length=32, choices=InstrumentType.choices, blank=True)
    quantity = models.DecimalField(**QUANTITY)  # signed: positive closed a long lot, negative a short one

    opening_cash = models.DecimalField(**MONEY, default=0)
    variation = models.DecimalField(**MONEY, default=0)
    closing_cash = models.DecimalField(**MONEY, default=0)
    commission = models.DecimalField(**MONEY, default=0)
    clearing_fees = models.DecimalField(**MONEY, default=0)
    regulatory_fees = models.DecimalField(**MONEY, default=0)
    proprietary_index_option_fees = models.DecimalField(**MONEY, default=0)
    currency_conversion_fees = models.DecimalField(**MONEY, default=0)
    other_charge = models.DecimalField(**MONEY, default=0)
    realized_pnl = models.DecimalField(**MONEY, default=0)

    objects = PnlEventQuerySet.as_manager()

    class Meta:
        ordering = ["executed_at", "key"]
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="pnl_event_unique_key")]
        indexes = [
            # P&L by day (the dashboard's chart and calendar) reads the index alone on PostgreSQL.
            models.Index(fields=["account", "trading_day"], include=["realized_pnl"], name="pnlevent_account_day"),
            models.Index(fields=["account", "underlying_symbol"]),
        ]

    def __str__(self) -> str:
        return f"{self.trading_day} {self.get_kind_display()} {self.quantity} {self.symbol}: {self.realized_pnl}"

    @property
    def fees(self):
        """Every charge except commission."""
        return (
            self.clearing_fees
            + self.regulatory_fees
            + self.proprietary_index_option_fees
            + self.currency_conversion_fees
            + self.other_charge
        )


class TradeFact(models.Model):
    """One trade's facts (a whole strategy position, or a whole roll chain or wheel), stored with every
    rebuild so the Edge and Rolls reports read rows instead of working each trade out per request.

    Written by `apps.trades.analytics.write_trade_facts` from the positions, lots and events of the same
    run; days are trading days in the user's time zone, like `PnlEvent.trading_day`. Tags are not stored:
    the user edits them without a rebuild, so they are read with the facts, through `position_keys`.
    """

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="trade_facts")
    key = models.CharField(max_length=100)  # the key of its first position
    chain_key = models.CharField(max_length=100, blank=True)  # empty for a trade of one position
    chain_kind = models.CharField(max_length=8, choices=Chain.Kind.choices, blank=True)
    position_keys = models.TextField(blank=True)  # its positions' keys, space-separated, for their tags
    underlying_symbol = models.CharField(max_length=32, blank=True)
    strategy = models.CharField(max_length=20, choices=Strategy.choices)  # its first position's
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    days_held = models.IntegerField(null=True, blank=True)
    dte_at_entry = models.IntegerField(null=True, blank=True)
    dte_at_exit = models.IntegerField(null=True, blank=True)
    entry_cash = models.DecimalField(**MONEY)
    net_credit = models.DecimalField(**MONEY)
    max_profit = models.DecimalField(**MONEY, null=True, blank=True)
    max_loss = models.DecimalField(**MONEY, null=True, blank=True)
    realized_pnl = models.DecimalField(**MONEY)
    rolls = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=10)

    class Meta:
        ordering = ["opened_on", "key"]
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="trade_fact_unique_key")]
        indexes = [
            models.Index(fields=["account", "closed_on"]),
            models.Index(fields=["account", "underlying_symbol"]),
        ]

    def __str__(self) -> str:
        return f"{self.underlying_symbol} {self.strategy} from {self.opened_on}: {self.realized_pnl}"

    @property
    def status(self) -> str:
        """Open, or how it ended: Closed, Expired, Assigned, Exercised."""
        return self.outcome.capitalize()


class DataIssue(models.Model):
    """Something in the ledger the engine could not classify; shown to the user, never guessed silently."""

    class Kind(models.TextChoices):
        CLOSE_WITHOUT_OPEN = "close_without_open", "Close with no open lot"
        OPEN_AGAINST_POSITION = "open_against_position", "Opening trade closed an opposite position"
        UNKNOWN_TYPE = "unknown_type", "Unknown transaction type"
        UNKNOWN_SUB_TYPE = "unknown_sub_type", "Unknown sub-type"
        UNKNOWN_ACTION = "unknown_action", "Unknown or missing action"
        UNPAIRED_CORPORATE_ACTION = "unpaired_corporate_action", "Corporate action without its other half"
        UNMATCHED_CASH_SETTLEMENT = "unmatched_cash_settlement", "Cash settlement with no option removal"
        UNMATCHED_MARK_TO_MARKET = "unmatched_mark_to_market", "Mark to market with no open future"
        NO_COST_BASIS = "no_cost_basis", "Position received with no cost basis"

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="data_issues")
    key = models.CharField(max_length=160)  # kind + transaction key
    kind = models.CharField(max_length=32, choices=Kind.choices)
    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, null=True, blank=True, related_name="data_issues"
    )
    executed_at = models.DateTimeField(null=True, blank=True)
    symbol = models.CharField(max_length=64, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["executed_at", "key"]
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="data_issue_unique_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"


class ReconciliationCheck(models.Model):
    """One comparison of our numbers with the broker's, replaced after every recompute."""

    class Kind(models.TextChoices):
        POSITIONS = "positions", "Open quantities"
        CASH = "cash", "Cash balance"
        FEES = "fees", "Fees"

    class Status(models.TextChoices):
        MATCH = "match", "Matches"
        MISMATCH = "mismatch", "Differs"
        UNAVAILABLE = "unavailable", "Nothing from the broker to compare with"

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="reconciliation_checks")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    checked_at = models.DateTimeField()
    computed = models.DecimalField(**MONEY, null=True, blank=True)
    broker = models.DecimalField(**MONEY, null=True, blank=True)
    difference = models.DecimalField(**MONEY, null=True, blank=True)
    # The rows behind a difference: symbols with their quantities, or the transactions that explain it.
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["account", "kind"]
        constraints = [models.UniqueConstraint(fields=["account", "kind"], name="reconciliation_unique_kind")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.get_kind_display()}: {self.get_status_display()}"

    @property
    def is_matching(self) -> bool:
        return self.status == self.Status.MATCH


class PnlState(models.Model):
    """Where the engine stopped: its open lots and positions, so the next sync resumes instead of rebuilding."""

    class Mode(models.TextChoices):
        FULL = "full", "Full rebuild"
        INCREMENTAL = "incremental", "Incremental update"

    account = models.OneToOneField(BrokerAccount, on_delete=models.CASCADE, related_name="pnl_state")
    engine_version = models.PositiveIntegerField(default=0)
    time_zone = models.CharField(max_length=64, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    last_mode = models.CharField(max_length=16, choices=Mode.choices, blank=True)
    # Every transaction executed at or before the watermark has been processed.
    watermark = models.DateTimeField(null=True, blank=True)
    transaction_count = models.PositiveIntegerField(default=0)
    state = models.JSONField(default=dict, blank=True)
    # A digest per processed transaction (pk -> digest), to notice rows edited or inserted in the past.
    digests = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"P&L state of {self.account_id} at {self.watermark}"


# User intent: stored against stable keys, never touched by a rebuild.


class Target(models.TextChoices):
    POSITION = "position", "Position"
    CHAIN = "chain", "Chain"


class Tag(models.Model):
    """A user's label on a position or a chain (a chain is named by the key of one of its positions)."""

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="tags")
    target = models.CharField(max_length=8, choices=Target.choices)
    key = models.CharField(max_length=100)
    name = models.CharField(max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "target", "key", "name"], name="tag_unique_per_target"),
        ]

    def __str__(self) -> str:
        return self.name


class Note(TimestampedModel):
    """A user's note on a position or a chain."""

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="notes")
    target = models.CharField(max_length=8, choices=Target.choices)
    key = models.CharField(max_length=100)
    text = models.TextField()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["account", "target", "key"])]

    def __str__(self) -> str:
        return self.text[:50]


class StrategyOverride(TimestampedModel):
    """The user says what a position really is; applied over the detected strategy after every rebuild."""

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="strategy_overrides")
    position_key = models.CharField(max_length=100)
    strategy = models.CharField(max_length=20, choices=Strategy.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "position_key"], name="strategy_override_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position_key}: {self.strategy}"


class ChainEdit(TimestampedModel):
    """A user's merge of two chains, or split of a chain before a position; replayed in order."""

    class Action(models.TextChoices):
        MERGE = "merge", "Merge"
        SPLIT = "split", "Split"

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="chain_edits")
    action = models.CharField(max_length=8, choices=Action.choices)
    position_key = models.CharField(max_length=100)
    # For a merge: a position of the chain to join.
    other_position_key = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.position_key} {self.other_position_key}".strip()


class PendingUploadQuerySet(models.QuerySet):
    def for_user(self, user) -> "PendingUploadQuerySet":
        return self.filter(user=user)

    def expired(self, *, now: datetime) -> "PendingUploadQuerySet":
        return self.filter(created_at__lt=now - PendingUpload.LIFETIME)

    def current(self, *, now: datetime) -> "PendingUploadQuerySet":
        return self.filter(created_at__gte=now - PendingUpload.LIFETIME)

    def waiting(self) -> "PendingUploadQuerySet":
        """Uploads whose files still wait for a confirmation (an imported one keeps only its report)."""
        return self.filter(report="")

    def importing(self, *, now: datetime) -> "PendingUploadQuerySet":
        """Confirmed uploads whose import is queued or running: one per trader at a time. An upload expires
        after its LIFETIME, so one whose worker was killed mid-import stops counting then."""
        phases = [PendingUpload.Phase.QUEUED, PendingUpload.Phase.IMPORTING]
        return self.current(now=now).filter(report="", phase__in=phases)


class PendingUpload(models.Model):
    """CSV files between their preview and the trader's confirmation, then the import's report.

    Kept in the database rather than the cache: the cache evicts under memory pressure and has no per-user
    cap. Rows older than LIFETIME are deleted at the next upload (and by `clear_pending_uploads`)."""

    LIFETIME = timedelta(hours=1)

    class Phase(models.TextChoices):
        WAITING = "", "Waiting for your confirmation"
        QUEUED = "queued", "Queued"
        IMPORTING = "importing", "Importing rows and recomputing P&L"
        FAILED = "failed", "Failed: nothing was imported"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_uploads")
    token = models.CharField(max_length=64, unique=True)
    account_number = models.CharField(max_length=32)
    skip_bad_rows = models.BooleanField(default=False)
    size = models.PositiveBigIntegerField(default=0)  # bytes of all its files, for the per-user cap
    # The import's report as JSON text, once it ran. Not a JSONField: PostgreSQL's jsonb refuses the \u0000 that a
    # report quoting a cell with a NUL byte holds, while text keeps the escape as written.
    report = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Where the confirmed import stands while a task runs it (the report says the rest once it is done).
    phase = models.CharField(max_length=16, choices=Phase.choices, blank=True, default=Phase.WAITING)
    # The preview's report (JSON text, as `report`), made by a task, and whether it left bad rows out;
    # previewed_skipping is set as soon as a preview is queued (None: none asked for yet).
    preview = models.TextField(blank=True)
    previewed_skipping = models.BooleanField(null=True, blank=True)

    objects = PendingUploadQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.account_number} upload of {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_importing(self) -> bool:
        return not self.report and self.phase in {self.Phase.QUEUED, self.Phase.IMPORTING}


class PendingFile(models.Model):
    upload = models.ForeignKey(PendingUpload, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    content = models.BinaryField()  # gzip (csv_import.compress); plain bytes in uploads stored before that
    # What the preview read (csv_import.dump_parsed), so the import does not read the file again.
    parsed = models.BinaryField(null=True, default=None)

    class Meta:
        ordering = ["pk"]  # the order the trader chose them in

    def __str__(self) -> str:
        return self.name


def exact(total) -> Decimal:
    """A SQL SUM of money back to the column's precision.

    SQLite adds DECIMAL columns as floats (15 significant digits), so 0.1 + 0.2 can come back as
    0.30000000000000004; every amount has four decimals, so rounding the total to them is exact.
    PostgreSQL's numeric sums are exact already and are left unchanged by this.
    """
    return (total or Decimal(0)).quantize(Decimal("0.0001"))
