"""Our numbers against the broker's, after every recompute.

Three checks, each stored as a ReconciliationCheck (match, or the difference and the rows that
explain it):
- positions: the open quantity per symbol from our lots against the broker's PositionSnapshot;
- cash: the sum of every transaction's net value against the latest BalanceSnapshot cash balance;
- fees: each row's value plus its charges against the net value the broker booked, and, when the
  sync passes them, the daily totals of TastyTrade's `/transactions/total-fees` endpoint.
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from apps.trades.models import (
    MONEY,
    BalanceSnapshot,
    BrokerAccount,
    DataIssue,
    Lot,
    PositionSnapshot,
    ReconciliationCheck,
    Transaction,
    exact,
)

ZERO = Decimal(0)
CENT = Decimal("0.01")
QUANTITY_STEP = Decimal("0.00000001")
EXPLAINING_ROWS = 10
# Which of a day's balance snapshots to prefer: the live balance, then end of day, then start.
TIME_OF_DAY_ORDER = {"NOW": 0, "EOD": 1, "BOD": 2}

Kind = ReconciliationCheck.Kind
Status = ReconciliationCheck.Status


def reconcile_account(
    *, account: BrokerAccount, broker_fees_by_day: Mapping[date, Decimal] | None = None
) -> list[ReconciliationCheck]:
    """Compare and store the three checks (replacing the previous ones); return them.

    broker_fees_by_day: TastyTrade's total fees per transaction date, signed from the account's
    point of view (charges negative), as the sync reads them from `/transactions/total-fees`.
    """
    now = timezone.now()
    checks = [
        _positions(account),
        _cash(account),
        _fees(account, broker_fees_by_day),
    ]
    for check in checks:
        check.account = account
        check.checked_at = now
    ReconciliationCheck.objects.filter(account=account).delete()
    ReconciliationCheck.objects.bulk_create(checks)
    return checks


def _positions(account: BrokerAccount) -> ReconciliationCheck:
    computed = dict(
        Lot.objects.filter(account=account)
        .open()
        .values("symbol")
        .annotate(quantity=Sum("remaining_quantity"))
        .values_list("symbol", "quantity")
    )
    computed = {symbol: quantity.quantize(QUANTITY_STEP).normalize() for symbol, quantity in computed.items()}
    broker = dict(PositionSnapshot.objects.filter(account=account).values_list("symbol", "quantity"))
    if not broker and account.connection_id is None:
        return ReconciliationCheck(
            kind=Kind.POSITIONS, status=Status.UNAVAILABLE, details={"computed": _quantities(computed)}
        )
    differences = []
    for symbol in sorted(set(computed) | set(broker)):
        ours, theirs = computed.get(symbol, ZERO), broker.get(symbol, ZERO)
        if ours != theirs:
            differences.append({"symbol": symbol, "computed": _text(ours), "broker": _text(theirs)})
    for difference in differences[:50]:
        symbol = difference["symbol"]
        difference["difference"] = _text(computed.get(symbol, ZERO) - broker.get(symbol, ZERO))
        difference["transactions"] = _describe(
            Transaction.objects.filter(account=account, symbol=symbol).order_by("-executed_at", "-pk")
        )
        difference["issues"] = list(
            DataIssue.objects.filter(account=account, symbol=symbol).values_list("message", flat=True)[:5]
        )
    return ReconciliationCheck(
        kind=Kind.POSITIONS,
        status=Status.MISMATCH if differences else Status.MATCH,
        details={"differences": differences, "instruments": len(set(computed) | set(broker))},
    )


def _cash(account: BrokerAccount) -> ReconciliationCheck:
    recent = list(BalanceSnapshot.objects.filter(account=account).order_by("-snapshot_date")[:3])
    if not recent:
        total = _sum(Transaction.objects.filter(account=account), "net_value")
        return ReconciliationCheck(kind=Kind.CASH, status=Status.UNAVAILABLE, computed=total)
    latest_day = recent[0].snapshot_date
    snapshot = min(
        (each for each in recent if each.snapshot_date == latest_day),
        key=lambda each: TIME_OF_DAY_ORDER.get(each.time_of_day, 3),
    )
    ledger = Transaction.objects.filter(account=account)
    counted = ledger
    if snapshot.time_of_day == "EOD":
        counted = ledger.filter(transaction_date__lte=snapshot.snapshot_date)
    elif snapshot.time_of_day == "BOD":
        counted = ledger.filter(transaction_date__lt=snapshot.snapshot_date)
    computed = _sum(counted, "net_value")
    difference = computed - snapshot.cash_balance
    details = {"snapshot_date": snapshot.snapshot_date.isoformat(), "time_of_day": snapshot.time_of_day}
    matching = abs(difference) < CENT
    if not matching:
        # Rows whose net value is the whole difference, most likely the ones we have wrong or lack.
        details["transactions"] = _describe(
            counted.filter(Q(net_value=difference) | Q(net_value=-difference)).order_by("-executed_at")
        )
        details["latest_transactions"] = _describe(counted.order_by("-executed_at", "-pk"))
    return ReconciliationCheck(
        kind=Kind.CASH,
        status=Status.MATCH if matching else Status.MISMATCH,
        computed=computed,
        broker=snapshot.cash_balance,
        difference=difference,
        details=details,
    )


CHARGES = (
    F("commission")
    + F("clearing_fees")
    + F("regulatory_fees")
    + F("proprietary_index_option_fees")
    + F("currency_conversion_fees")
    + F("other_charge")
)


def _fees(account: BrokerAccount, broker_fees_by_day: Mapping[date, Decimal] | None) -> ReconciliationCheck:
    ledger = Transaction.objects.filter(account=account)
    computed = exact(ledger.aggregate(total=Sum(CHARGES))["total"])
    gap = ExpressionWrapper(F("value") + CHARGES - F("net_value"), output_field=DecimalField(**MONEY))
    unexplained = ledger.annotate(gap=gap).filter(Q(gap__gte=CENT) | Q(gap__lte=-CENT))
    details: dict = {}
    mismatch = False
    if unexplained.exists():
        mismatch = True
        details["rows_not_adding_up"] = _describe(unexplained.order_by("-executed_at"))
    broker = None
    if broker_fees_by_day is not None:
        broker = sum(broker_fees_by_day.values(), ZERO)
        ours = dict(
            ledger.filter(transaction_date__in=list(broker_fees_by_day))
            .values("transaction_date")
            .annotate(total=Sum(CHARGES))
            .values_list("transaction_date", "total")
        )
        days = []
        for day, theirs in sorted(broker_fees_by_day.items()):
            mine = exact(ours.get(day))
            if abs(mine - theirs) >= CENT:
                days.append({"date": day.isoformat(), "computed": _text(mine), "broker": _text(theirs)})
        if days:
            mismatch = True
            details["days"] = days
        computed_on_those_days = sum((exact(ours.get(day)) for day in broker_fees_by_day), ZERO)
        difference = computed_on_those_days - broker
    else:
        difference = None
    return ReconciliationCheck(
        kind=Kind.FEES,
        status=Status.MISMATCH if mismatch else Status.MATCH,
        computed=computed,
        broker=broker,
        difference=difference,
        details=details,
    )


def _sum(queryset, field: str) -> Decimal:
    return exact(queryset.aggregate(total=Sum(field))["total"])


def _text(amount: Decimal) -> str:
    return format(amount.normalize(), "f") if amount else "0"


def _quantities(quantities: dict[str, Decimal]) -> dict[str, str]:
    return {symbol: _text(quantity) for symbol, quantity in sorted(quantities.items())}


def _describe(transactions) -> list[dict]:
    return [
        {
            "id": pk,
            "tastytrade_id": tastytrade_id,
            "executed_at": executed_at.isoformat(),
            "type": f"{kind} / {sub_type}",
            "symbol": symbol,
            "quantity": _text(quantity),
            "net_value": _text(net_value),
            "description": description,
        }
        for pk, tastytrade_id, executed_at, kind, sub_type, symbol, quantity, net_value, description in (
            transactions.values_list(
                "pk", "tastytrade_id", "executed_at", "transaction_type", "transaction_sub_type",
                "symbol", "quantity", "net_value", "description",
            )[:EXPLAINING_ROWS]
        )
    ]  # fmt: skip
