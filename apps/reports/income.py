"""Income that is not trading: dividends and interest, by symbol, month and year, and the ex-dividend dates
coming up for stock held.

What counts is decided where the P&L readers decide it (apps.trades.pnl: DIVIDEND_SUB_TYPES and
INTEREST_SUB_TYPES, on Money Movement rows); the sync and the CSV import already turned interest and fund
dividends that TastyTrade booked as deposits or withdrawals into those sub-types
(apps.trades.models.money_movement_sub_type). Amounts are the rows' net value, signed from the account's
point of view. "Received" is money in; "paid" is money out: dividends charged on stock held short (and tax
withheld, which TastyTrade also books as a negative dividend) and debit (margin) interest. Received plus paid
is the net, and every net here is a plain sum of ledger rows, so it matches the broker to the cent.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Count, DateField, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Trunc

from apps.core.money import ZERO
from apps.trades.models import PositionSnapshot, Transaction, UnderlyingMetrics
from apps.trades.pnl import DIVIDEND_SUB_TYPES, INTEREST_SUB_TYPES
from apps.trades.scope import Scope

from .metrics import PERIOD_LABELS, ledger_amount

Grouping = Literal["month", "year"]

MONEY = Q(transaction_type=Transaction.Type.MONEY_MOVEMENT)
DIVIDENDS = MONEY & Q(transaction_sub_type__in=DIVIDEND_SUB_TYPES)
INTEREST = MONEY & Q(transaction_sub_type__in=INTEREST_SUB_TYPES)
IN, OUT = Q(net_value__gt=0), Q(net_value__lt=0)
# The four columns every income table has, as filtered sums of net_value.
COLUMNS = {
    "dividends_received": DIVIDENDS & IN,
    "dividends_paid": DIVIDENDS & OUT,
    "interest_received": INTEREST & IN,
    "interest_paid": INTEREST & OUT,
}


def income_rows(scope: Scope) -> QuerySet[Transaction]:
    """The selected accounts' dividend and interest rows on the selected trading days."""
    return scope.transactions().filter(DIVIDENDS | INTEREST)


@dataclass(frozen=True)
class IncomeLine:
    """Dividends and interest of one period (or of the whole range)."""

    dividends_received: Decimal
    dividends_paid: Decimal  # negative: charged on short stock, or withheld
    interest_received: Decimal
    interest_paid: Decimal  # negative: debit (margin) interest
    period: date | None = None

    @property
    def dividends(self) -> Decimal:
        return self.dividends_received + self.dividends_paid

    @property
    def interest(self) -> Decimal:
        return self.interest_received + self.interest_paid

    @property
    def net(self) -> Decimal:
        return self.dividends + self.interest


def _sums() -> dict[str, Sum]:
    return {name: Sum("net_value", filter=condition) for name, condition in COLUMNS.items()}


def _line(row: dict[str, Any], period: date | None = None) -> IncomeLine:
    return IncomeLine(**{name: ledger_amount(row[name] or ZERO) for name in COLUMNS}, period=period)


def income_total(scope: Scope) -> IncomeLine:
    return _line(income_rows(scope).aggregate(**_sums()))


def income_by_period(scope: Scope, grouping: Grouping) -> list[IncomeLine]:
    """One line per month or year (of the user's time zone) with any dividend or interest, oldest first."""
    period = Trunc("executed_at", grouping, output_field=DateField(), tzinfo=scope.tz)
    rows = income_rows(scope).annotate(period=period).values("period").annotate(**_sums()).order_by("period")
    return [_line(row, row["period"]) for row in rows]


@dataclass(frozen=True)
class SymbolDividends:
    symbol: str
    received: Decimal
    paid: Decimal
    payments: int
    last_paid_on: date  # the trading day of the latest row

    @property
    def net(self) -> Decimal:
        return self.received + self.paid


def dividends_by_symbol(scope: Scope) -> list[SymbolDividends]:
    """Dividends per symbol, the biggest net first. A row without a symbol is listed as "(no symbol)"."""
    rows = (
        scope.transactions()
        .filter(DIVIDENDS)
        .values("symbol")
        .annotate(
            received=Sum("net_value", filter=IN),
            paid=Sum("net_value", filter=OUT),
            payments=Count("id"),
            last=Max("executed_at"),
        )
        .order_by("symbol")
    )
    lines = [
        SymbolDividends(
            symbol=row["symbol"] or "(no symbol)",
            received=ledger_amount(row["received"] or ZERO),
            paid=ledger_amount(row["paid"] or ZERO),
            payments=row["payments"],
            last_paid_on=row["last"].astimezone(scope.tz).date(),
        )
        for row in rows
    ]
    return sorted(lines, key=lambda line: (-line.net, line.symbol))


@dataclass(frozen=True)
class ExDividend:
    symbol: str
    ex_on: date
    quantity: Decimal  # shares held over the selected accounts; negative when short (the holder pays)
    fetched_at: datetime  # when TastyTrade's market metrics were last fetched for it (each sync)

    @property
    def is_short(self) -> bool:
        return self.quantity < 0


def upcoming_ex_dividends(scope: Scope) -> list[ExDividend]:
    """Stock held now (the broker's positions at the last sync) whose next ex-dividend date, from TastyTrade's
    market metrics, is today or later; soonest first. Two queries."""
    held = dict(
        PositionSnapshot.objects.filter(account_id__in=scope.account_ids, instrument_type="Equity")
        .values("symbol")
        .annotate(quantity=Sum("quantity"))
        .exclude(quantity=0)
        .values_list("symbol", "quantity")
    )
    if not held:
        return []
    dates = (
        UnderlyingMetrics.objects.filter(
            account_id__in=scope.account_ids, symbol__in=held, dividend_ex_on__gte=scope.today
        )
        .values("symbol")
        .annotate(ex_on=Min("dividend_ex_on"), fetched_at=Max("fetched_at"))
        .order_by("ex_on", "symbol")
    )
    return [
        ExDividend(symbol=row["symbol"], ex_on=row["ex_on"], quantity=held[row["symbol"]], fetched_at=row["fetched_at"])
        for row in dates
    ]


def income_chart(lines: list[IncomeLine], grouping: Grouping) -> dict[str, list]:
    """Per period: dividends and interest received (up) and paid (down), for static/js/income.js."""
    return {
        "labels": [line.period.strftime(PERIOD_LABELS[grouping]) for line in lines],
        **{name: [float(getattr(line, name)) for line in lines] for name in COLUMNS},
    }


INCOME_CSV_COLUMNS = [
    "account_number",
    "transaction_id",
    "executed_at",
    "trading_day",
    "kind",
    "direction",
    "symbol",
    "transaction_sub_type",
    "description",
    "amount",
    "currency",
]


def income_csv_rows(scope: Scope) -> Iterator[list[Any]]:
    """Every dividend and interest row of the range, oldest first: one line each, amount = net value."""
    rows = income_rows(scope).order_by("executed_at", "id")
    fields = (
        "account__account_number",
        "tastytrade_id",
        "executed_at",
        "transaction_sub_type",
        "symbol",
        "description",
        "net_value",
        "currency",
    )
    for row in rows.values_list(*fields).iterator(chunk_size=2000):
        number, tastytrade_id, executed_at, sub_type, symbol, description, amount, currency = row
        kind = "dividend" if sub_type in DIVIDEND_SUB_TYPES else "interest"
        direction = "received" if amount > 0 else "paid" if amount < 0 else ""
        trading_day = executed_at.astimezone(scope.tz).date()
        yield [
            number,
            tastytrade_id,
            executed_at,
            trading_day,
            kind,
            direction,
            symbol,
            sub_type,
            description,
            amount,
            currency,
        ]
