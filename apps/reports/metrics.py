"""Figures computed from the ledger (transactions, balances, positions, net-liq history).

Each function is one or two aggregate queries: the database does the summing, grouped by the
user's trading day (executed_at in the user's time zone), so a page costs the same number of
queries for a hundred transactions as for fifty thousand. Amounts stay Decimal; the charts
helpers turn them into floats only for Chart.js.

Realized and unrealized P&L, win rate and the P&L charts come from the P&L engine (apps.trades),
read in apps.reports.performance, not from here.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Trunc, TruncDate

from apps.core.money import ZERO
from apps.trades.models import (
    CHARGE_FIELDS,
    FEE_FIELDS,
    BalanceSnapshot,
    DataIssue,
    Lot,
    NetLiqPoint,
    PositionSnapshot,
    ReconciliationCheck,
    Transaction,
)
from apps.trades.pnl import STRATEGY_LABELS, OpenPosition
from apps.trades.scope import Scope
from apps.trades.symbols import contract_name, underlying_of

Grouping = Literal["day", "month", "year"]
# The ledger keeps cash to 1/100 of a cent; sums are exact at that precision. (SQLite sums through
# floats and hands back digits beyond it, so every total goes through ledger_amount.)
LEDGER_PRECISION = Decimal("0.0001")


def ledger_amount(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(LEDGER_PRECISION)


# Quantities and prices carry eight places (apps/trades/models.py QUANTITY, PRICE); SQLite's float sums are cut back.
PRICE_PRECISION = Decimal("0.00000001")


def ledger_quantity(value: Decimal) -> Decimal:
    """A summed quantity at the precision it is stored with, whole numbers without decimals (`-1`, `0.5`)."""
    exact = value.quantize(PRICE_PRECISION)
    return exact.quantize(Decimal(1)) if exact == exact.to_integral_value() else exact.normalize()


# Buying, selling, assignment and exercise deliveries: the cash that trading moved.
TRADING = Q(transaction_type__in=[Transaction.Type.TRADE, Transaction.Type.RECEIVE_DELIVER])
DEPOSITS_AND_WITHDRAWALS = Q(
    transaction_type=Transaction.Type.MONEY_MOVEMENT, transaction_sub_type__in=["Deposit", "Withdrawal"]
)


@dataclass(frozen=True)
class Balances:
    net_liquidating_value: Decimal | None
    cash_balance: Decimal | None
    accounts_reporting: int
    as_of: datetime | None  # when the stalest of the summed balances was fetched


def current_balances(scope: Scope) -> Balances:
    """The latest "NOW" balance of each selected account, summed (the sync writes one per day it runs)."""
    latest_day = (
        BalanceSnapshot.objects.filter(account=OuterRef("account"), time_of_day="NOW")
        .order_by("-snapshot_date")
        .values("snapshot_date")[:1]
    )
    totals = BalanceSnapshot.objects.filter(
        account_id__in=scope.account_ids, time_of_day="NOW", snapshot_date=Subquery(latest_day)
    ).aggregate(
        net_liquidating_value=Sum("net_liquidating_value"),
        cash_balance=Sum("cash_balance"),
        accounts_reporting=Count("account", distinct=True),
        as_of=Min("updated_at"),
    )
    return Balances(
        net_liquidating_value=ledger_amount(totals["net_liquidating_value"]),
        cash_balance=ledger_amount(totals["cash_balance"]),
        accounts_reporting=totals["accounts_reporting"],
        as_of=totals["as_of"],
    )


@dataclass(frozen=True)
class OpenCounts:
    legs: int
    underlyings: int


def open_position_counts(scope: Scope) -> OpenCounts:
    """How many positions the broker reported open at the last sync, and in how many underlyings."""
    counts = (
        PositionSnapshot.objects.filter(account_id__in=scope.account_ids)
        .exclude(quantity=0)
        .aggregate(legs=Count("id"), underlyings=Count("underlying_symbol", distinct=True))
    )
    return OpenCounts(**counts)


def open_instruments(open_positions: list) -> OpenCounts:
    """The same counts from the P&L engine's open instruments (apps.trades.pnl.open_positions): our books."""
    return OpenCounts(
        legs=len(open_positions),
        underlyings=len({position.underlying_symbol or position.symbol for position in open_positions}),
    )


def fees_in_year(scope: Scope, year: int) -> Decimal:
    """Commissions plus every other fee charged in a calendar year (signed: charges are negative)."""
    start = datetime.combine(date(year, 1, 1), time.min, tzinfo=scope.tz)
    end = datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=scope.tz)
    # A sum per column, not a sum of per-row additions: about a third less work for PostgreSQL.
    totals = (
        Transaction.objects.filter(account_id__in=scope.account_ids)
        .in_period(start, end)
        .aggregate(*(Sum(name) for name in CHARGE_FIELDS))
    )
    return ledger_amount(sum((total for total in totals.values() if total is not None), ZERO))


def net_liq_history(scope: Scope) -> list[tuple[date, Decimal]]:
    """Net liquidating value per trading day: each account's last point of the day, summed over accounts."""
    day = TruncDate("time", tzinfo=scope.tz)
    # A later point of the same day lies less than 25 hours ahead (a day with a DST change is 25 hours
    # long); the bound keeps the check to a short range of the (account, time) index.
    within_a_day = ExpressionWrapper(OuterRef("time") + timedelta(hours=25), output_field=DateTimeField())
    later_same_day = NetLiqPoint.objects.annotate(day=day).filter(
        account=OuterRef("account"), time__gt=OuterRef("time"), time__lt=within_a_day, day=OuterRef("day")
    )
    points = NetLiqPoint.objects.filter(account_id__in=scope.account_ids)
    if scope.start:
        points = points.filter(time__gte=scope.day_starts(scope.start))
    if scope.end:
        points = points.filter(time__lt=scope.day_starts(scope.end, days_later=1))
    rows = (
        points.annotate(day=day)
        .filter(~Exists(later_same_day))
        .values("day")
        .annotate(close=Sum("close"))
        .order_by("day")
    )
    return [(row["day"], ledger_amount(row["close"])) for row in rows]


@dataclass(frozen=True)
class CashFlow:
    """Cash moved in one period, by kind. The kinds add up to net_cash_flow (the broker's net values)."""

    period: date  # first day of the day, month or year
    transactions: int
    trading: Decimal  # trades, assignments and exercises, before charges
    deposits_and_withdrawals: Decimal
    other: Decimal  # dividends, interest, adjustments, ...
    commission: Decimal
    clearing_fees: Decimal
    regulatory_fees: Decimal
    proprietary_index_option_fees: Decimal
    currency_conversion_fees: Decimal
    other_charge: Decimal
    net_cash_flow: Decimal

    @property
    def fees(self) -> Decimal:
        return sum((getattr(self, name) for name in FEE_FIELDS), ZERO)

    @property
    def charges(self) -> Decimal:
        """Commission and fees together."""
        return self.commission + self.fees


def cash_flow(scope: Scope, grouping: Grouping) -> list[CashFlow]:
    """One row per day, month or year (of the user's time zone) that has transactions, oldest first."""
    period = Trunc("executed_at", grouping, output_field=DateField(), tzinfo=scope.tz)
    rows = (
        scope.transactions()
        .annotate(period=period)
        .values("period")
        .annotate(
            transactions=Count("id"),
            trading=Sum("value", filter=TRADING),
            deposits_and_withdrawals=Sum("value", filter=DEPOSITS_AND_WITHDRAWALS),
            other=Sum("value", filter=~TRADING & ~DEPOSITS_AND_WITHDRAWALS),
            commission=Sum("commission"),
            **{name: Sum(name) for name in FEE_FIELDS},
            net_cash_flow=Sum("net_value"),
        )
        .order_by("period")
    )
    return [
        CashFlow(
            **{
                key: value if key in {"period", "transactions"} else ledger_amount(value or ZERO)
                for key, value in row.items()
            }
        )
        for row in rows
    ]


def cash_flow_total(rows: list[CashFlow]) -> CashFlow | None:
    """The whole range in one row (a sum over the period rows, not over transactions)."""
    if not rows:
        return None
    totals = {
        name: sum((getattr(row, name) for row in rows), ZERO)
        for name in CashFlow.__dataclass_fields__
        if name not in {"period", "transactions"}
    }
    return CashFlow(period=rows[0].period, transactions=sum(row.transactions for row in rows), **totals)


def transaction_kinds(scope: Scope) -> tuple[list[str], list[str]]:
    """The transaction types and sub-types found in the selected accounts (for the filter choices)."""
    pairs = (
        Transaction.objects.filter(account_id__in=scope.account_ids)
        .values_list("transaction_type", "transaction_sub_type")
        .distinct()
        .order_by()
    )
    pairs = list(pairs)
    return sorted({kind for kind, _ in pairs}), sorted({sub for _, sub in pairs if sub})


def underlyings(scope: Scope) -> list[str]:
    rows = (
        Transaction.objects.filter(account_id__in=scope.account_ids)
        .exclude(underlying_symbol="")
        .values_list("underlying_symbol", flat=True)
        .distinct()
        .order_by("underlying_symbol")
    )
    return list(rows)


@dataclass(frozen=True)
class OpenTrade:
    """A P&L engine position that holds part of an open leg: what the Positions tab links to."""

    account_id: int
    key: str
    strategy: str
    quantity: Decimal = ZERO  # what its open lots still hold of the leg, signed
    open_cost: Decimal = ZERO  # their remaining net cost of opening, fees included (received is positive)
    opening_price: Decimal | None = None  # their average opening price, weighted by what is still open

    @property
    def strategy_label(self) -> str:
        return STRATEGY_LABELS.get(self.strategy, self.strategy)


@dataclass(frozen=True)
class PositionLine:
    snapshot: PositionSnapshot
    contract: str  # the readable name (`Dec 18 '26 22.5 P`), the symbol stays in its own column
    days_to_expiry: int | None
    market_value: Decimal | None  # mark x quantity x multiplier
    unrealized: Decimal | None  # (mark - average open price) x quantity x multiplier
    trades: tuple[OpenTrade, ...] = ()  # the engine's positions holding this leg
    difference: dict | None = None  # our quantity against the broker's, when they differ


@dataclass(frozen=True)
class UnderlyingGroup:
    underlying: str
    lines: list[PositionLine]

    @property
    def unrealized(self) -> Decimal | None:
        """The sum over the legs that have a mark (None when none has)."""
        known = [line.unrealized for line in self.lines if line.unrealized is not None]
        return sum(known, ZERO) if known else None

    @property
    def has_missing_marks(self) -> bool:
        return any(line.unrealized is None for line in self.lines)


def position_line(snapshot: PositionSnapshot, *, scope: Scope) -> PositionLine:
    expires = snapshot.expires_at.astimezone(scope.tz).date() if snapshot.expires_at else None
    size = snapshot.quantity * snapshot.multiplier
    has_mark = snapshot.mark is not None
    return PositionLine(
        snapshot=snapshot,
        contract=contract_name(snapshot.symbol, today=scope.today),
        days_to_expiry=(expires - scope.today).days if expires else None,
        market_value=ledger_amount(snapshot.mark * size) if has_mark else None,
        unrealized=ledger_amount((snapshot.mark - snapshot.average_open_price) * size)
        if has_mark and snapshot.average_open_price is not None
        else None,
    )


def positions_by_underlying(scope: Scope) -> list[UnderlyingGroup]:
    """The open positions of the last sync, grouped by underlying (a stock is its own underlying)."""
    snapshots = (
        PositionSnapshot.objects.filter(account_id__in=scope.account_ids)
        .exclude(quantity=0)
        .defer("raw")  # the broker's whole record of each leg, which no page reads
        .order_by("underlying_symbol", "symbol", "account__account_number")
    )
    # The scope's own account objects, shared: select_related would build one per leg (300 legs, 300 accounts).
    accounts = {account.pk: account for account in scope.selected}
    groups: dict[str, list[PositionLine]] = {}
    for snapshot in snapshots:
        snapshot.account = accounts[snapshot.account_id]
        # One group per underlying as reports count it: a future option (underlying `/ESH7`) sits with `/ES`.
        underlying = underlying_of(snapshot.symbol, snapshot.instrument_type, snapshot.underlying_symbol)
        groups.setdefault(underlying, []).append(position_line(snapshot, scope=scope))
    return [UnderlyingGroup(underlying, lines) for underlying, lines in sorted(groups.items())]


def open_trades(scope: Scope) -> dict[tuple[int, str], list[OpenTrade]]:
    """The engine's open positions per (account id, symbol) they hold: one query over open lots."""
    lots = (
        Lot.objects.filter(account_id__in=scope.account_ids)
        .open()
        .values("account_id", "symbol", "position__key", "position__strategy")
        .annotate(
            quantity=Sum("remaining_quantity"),
            open_cost=Sum("remaining_cost"),
            priced=Sum(F("opening_price") * F("remaining_quantity")),
        )
        .order_by("account_id", "symbol", "position__key")
    )
    trades: dict[tuple[int, str], list[OpenTrade]] = {}
    for row in lots:
        quantity = row["quantity"]
        price = row["priced"] / quantity if row["priced"] is not None and quantity else None
        trade = OpenTrade(
            row["account_id"],
            row["position__key"],
            row["position__strategy"],
            ledger_quantity(quantity),
            ledger_amount(row["open_cost"]),
            price.quantize(PRICE_PRECISION) if price is not None else None,
        )
        trades.setdefault((row["account_id"], row["symbol"]), []).append(trade)
    return trades


@dataclass(frozen=True)
class Reconciliation:
    """The last comparison of our numbers with the broker's, per selected account, and the data issues."""

    checks: list[ReconciliationCheck]  # ordered by account and kind
    issues: list[DataIssue]  # newest first, at most DATA_ISSUES_SHOWN
    issue_count: int

    def of_kind(self, kind: str) -> list[ReconciliationCheck]:
        return [check for check in self.checks if check.kind == kind]

    @property
    def quantities(self) -> str | None:
        """ "match", "mismatch" or "unavailable" over the selected accounts; None before any check."""
        statuses = {check.status for check in self.of_kind(ReconciliationCheck.Kind.POSITIONS)}
        for status in (ReconciliationCheck.Status.MISMATCH, ReconciliationCheck.Status.MATCH):
            if status in statuses:
                return status
        return ReconciliationCheck.Status.UNAVAILABLE if statuses else None

    @property
    def quantity_differences(self) -> dict[tuple[int, str], dict]:
        return {
            (check.account_id, difference["symbol"]): difference
            for check in self.of_kind(ReconciliationCheck.Kind.POSITIONS)
            for difference in check.details.get("differences", [])
        }

    @property
    def all_matching(self) -> bool:
        return bool(self.checks) and all(check.status != ReconciliationCheck.Status.MISMATCH for check in self.checks)


DATA_ISSUES_SHOWN = 50


def reconciliation(scope: Scope) -> Reconciliation:
    """Three queries: the checks, the newest data issues and how many there are."""
    checks = ReconciliationCheck.objects.filter(account_id__in=scope.account_ids).select_related("account")
    issues = DataIssue.objects.filter(account_id__in=scope.account_ids).select_related("account")
    return Reconciliation(
        checks=list(checks.order_by("account__account_number", "kind")),
        issues=list(issues.order_by("-executed_at", "key")[:DATA_ISSUES_SHOWN]),
        issue_count=issues.count(),
    )


def with_engine_unrealized(groups: list[UnderlyingGroup], open_now: list[OpenPosition]) -> list[UnderlyingGroup]:
    """Each leg's unrealized P&L as the dashboard counts it: the engine's, from TastyTrade's mark
    against our cost of opening, fees included (futures: since the last settlement). A leg the
    engine does not hold open (a quantity difference the page flags) has none, as on the dashboard."""
    engine = {(position.account, position.symbol): position.unrealized_pnl for position in open_now}

    def counted(line: PositionLine) -> PositionLine:
        return replace(line, unrealized=engine.get((line.snapshot.account.account_number, line.snapshot.symbol)))

    return [UnderlyingGroup(group.underlying, [counted(line) for line in group.lines]) for group in groups]


def with_engine_view(
    groups: list[UnderlyingGroup],
    trades: dict[tuple[int, str], list[OpenTrade]],
    differences: dict[tuple[int, str], dict],
) -> list[UnderlyingGroup]:
    """The broker's positions with, per leg, the engine's positions holding it and any quantity difference."""
    return [
        UnderlyingGroup(
            group.underlying,
            [
                replace(
                    line,
                    trades=tuple(trades.get((line.snapshot.account_id, line.snapshot.symbol), ())),
                    difference=differences.get((line.snapshot.account_id, line.snapshot.symbol)),
                )
                for line in group.lines
            ],
        )
        for group in groups
    ]


PERIOD_LABELS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}


def cash_flow_chart(rows: list[CashFlow], grouping: Grouping) -> dict[str, list]:
    """The cash-flow table as the reports chart reads it."""
    return {
        "labels": [row.period.strftime(PERIOD_LABELS[grouping]) for row in rows],
        "net_cash_flow": [float(row.net_cash_flow) for row in rows],
        "charges": [float(row.charges) for row in rows],
    }


def chart_series(points: list[tuple[date, Decimal]], *, label: str | None = None) -> dict[str, list]:
    """Dates and amounts in the shape the page scripts read: {"labels": [...], "values": [...]}.

    Labels are ISO days ("2026-03-02") unless `label` gives another strftime format ("%Y-%m" for months).
    """
    labels = [day.strftime(label) if label else day.isoformat() for day, _ in points]
    return {"labels": labels, "values": [float(amount) for _, amount in points]}
