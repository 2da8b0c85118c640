"""Money in and out: deposits and withdrawals, the net contributions they add up to over time, and that line
against the net liquidating value, so a trader sees what the account earned beyond what was put in.

Which rows are deposits and withdrawals is decided once, in apps.reports.metrics.DEPOSITS_AND_WITHDRAWALS
(Money Movement rows of sub-type Deposit or Withdrawal; interest and dividends that TastyTrade booked under
those sub-types were already given their true sub-type by the sync and the CSV import). Amounts are net
values, signed from the account's point of view: a deposit is positive, a withdrawal negative.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from apps.core.money import ZERO
from apps.trades.models import Transaction
from apps.trades.scope import Scope

from .metrics import DEPOSITS_AND_WITHDRAWALS, Balances, ledger_amount

IN, OUT = Q(net_value__gt=0), Q(net_value__lt=0)


def transfer_rows(scope: Scope) -> QuerySet[Transaction]:
    """The selected accounts' deposits and withdrawals on the selected trading days."""
    return scope.transactions().filter(DEPOSITS_AND_WITHDRAWALS)


@dataclass(frozen=True)
class Contributions:
    deposits: Decimal  # in the range
    withdrawals: Decimal  # in the range, negative
    before_range: Decimal  # net contributions before the range's first day (zero without a start)

    @property
    def net(self) -> Decimal:
        return self.deposits + self.withdrawals

    @property
    def to_date(self) -> Decimal:
        """Everything put in less everything taken out, up to the range's last day."""
        return self.before_range + self.net


def contributions(scope: Scope) -> Contributions:
    """One query: deposits and withdrawals in the range, and the net of those before it."""
    rows = Transaction.objects.filter(account_id__in=scope.account_ids).filter(DEPOSITS_AND_WITHDRAWALS)
    if scope.end:
        rows = rows.filter(executed_at__lt=scope.day_starts(scope.end, days_later=1))
    in_range = Q(executed_at__gte=scope.day_starts(scope.start)) if scope.start else Q()
    sums = {
        "deposits": Sum("net_value", filter=in_range & IN),
        "withdrawals": Sum("net_value", filter=in_range & OUT),
    }
    if scope.start:
        sums["before_range"] = Sum("net_value", filter=~in_range)
    totals = rows.aggregate(**sums)
    return Contributions(
        deposits=ledger_amount(totals["deposits"] or ZERO),
        withdrawals=ledger_amount(totals["withdrawals"] or ZERO),
        before_range=ledger_amount(totals.get("before_range") or ZERO),
    )


@dataclass(frozen=True)
class Earnings:
    """What the accounts are worth now against what was put in: only for a range that runs up to today."""

    net_liquidating_value: Decimal
    contributed: Decimal

    @property
    def earned(self) -> Decimal:
        return self.net_liquidating_value - self.contributed


def earnings(balances: Balances, totals: Contributions, *, scope: Scope) -> Earnings | None:
    if balances.net_liquidating_value is None or (scope.end and scope.end < scope.today):
        return None
    if balances.accounts_reporting < len(scope.account_ids):
        return None  # an account without a balance would make the accounts look poorer than they are
    return Earnings(net_liquidating_value=balances.net_liquidating_value, contributed=totals.to_date)


def contributions_by_day(scope: Scope) -> list[tuple[date, Decimal]]:
    """The net of deposits and withdrawals per trading day of the range, oldest first."""
    rows = (
        transfer_rows(scope)
        .annotate(day=TruncDate("executed_at", tzinfo=scope.tz))
        .values("day")
        .annotate(net=Sum("net_value"))
        .order_by("day")
    )
    return [(row["day"], ledger_amount(row["net"])) for row in rows]


def contributions_chart(
    *, by_day: list[tuple[date, Decimal]], before_range: Decimal, net_liq: list[tuple[date, Decimal]]
) -> dict[str, list]:
    """Days of either series; net contributions to date on every day (a step line), net liq where the broker
    has a point (None elsewhere: the chart bridges the gap). For static/js/transfers.js."""
    moved = dict(by_day)
    worth = dict(net_liq)
    days = sorted(set(moved) | set(worth))
    running, contributed = before_range, []
    for day in days:
        running += moved.get(day, ZERO)
        contributed.append(float(running))
    return {
        "labels": [day.isoformat() for day in days],
        "contributions": contributed,
        "net_liq": [float(worth[day]) if day in worth else None for day in days],
    }


@dataclass(frozen=True)
class Transfer:
    account_number: str
    tastytrade_id: int | None
    executed_at: datetime
    trading_day: date
    sub_type: str
    description: str
    amount: Decimal


def transfers(scope: Scope) -> Iterator[Transfer]:
    """Every deposit and withdrawal of the range, newest first (one query, read in chunks)."""
    fields = ("account__account_number", "tastytrade_id", "executed_at", "transaction_sub_type", "description")
    rows = transfer_rows(scope).order_by("-executed_at", "-id").values_list(*fields, "net_value")
    for number, tastytrade_id, executed_at, sub_type, description, amount in rows.iterator(chunk_size=2000):
        trading_day = executed_at.astimezone(scope.tz).date()
        yield Transfer(number, tastytrade_id, executed_at, trading_day, sub_type, description, amount)


TRANSFER_CSV_COLUMNS = [
    "account_number",
    "transaction_id",
    "executed_at",
    "trading_day",
    "transaction_sub_type",
    "description",
    "amount",
]


def transfer_csv_rows(scope: Scope) -> Iterator[list[Any]]:
    for transfer in transfers(scope):
        yield [
            transfer.account_number,
            transfer.tastytrade_id,
            transfer.executed_at,
            transfer.trading_day,
            transfer.sub_type,
            transfer.description,
            transfer.amount,
        ]
