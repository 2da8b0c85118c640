"""The ledger: broker accounts and what TastyTrade (API or CSV export) says happened in them.

Amounts are stored signed from the account's point of view (cash in is positive), already
turned from TastyTrade's magnitude + `*-effect` pairs. Cash amounts keep four decimal places
because the broker reports fee components with three (a 0.042 regulatory fee); totals are
rounded to cents only for display.
"""

from datetime import date, datetime

from django.conf import settings
from django.db import models

from apps.core.models import TimestampedModel

MONEY = {"max_digits": 18, "decimal_places": 4}
QUANTITY = {"max_digits": 24, "decimal_places": 8}
PRICE = {"max_digits": 24, "decimal_places": 8}


class BrokerAccountQuerySet(models.QuerySet):
    def for_user(self, user) -> "BrokerAccountQuerySet":
        return self.filter(user=user)

    def included(self) -> "BrokerAccountQuerySet":
        return self.filter(is_included=True)


class BrokerAccount(TimestampedModel):
    """A TastyTrade account (e.g. 5WT00001). CSV-only accounts have no connection."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="broker_accounts")
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

    def trades(self) -> "TransactionQuerySet":
        return self.filter(transaction_type=Transaction.Type.TRADE)


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
    instrument_type = models.CharField(max_length=32, blank=True)
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
            models.Index(fields=["account", "executed_at"]),
            models.Index(fields=["account", "underlying_symbol"]),
            models.Index(fields=["account", "order_id"]),
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
        return self.instrument_type in {"Equity Option", "Future Option"}


class PositionSnapshot(models.Model):
    """An open position as the broker reported it at the last sync (replaced each sync)."""

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="positions")
    as_of = models.DateTimeField()
    symbol = models.CharField(max_length=64)
    instrument_type = models.CharField(max_length=32)
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
