"""CSV exports with stable column names, streamed row by row so big ledgers never sit in memory.

Columns are only ever added at the end; a name, once published, keeps its meaning. Amounts are
written exactly as stored (signed from the account's point of view, no rounding); times are UTC
in ISO 8601, and `trading_day` is the day in the user's time zone.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from .metrics import CashFlow, UnderlyingGroup
from .scope import Scope

TRANSACTION_COLUMNS = [
    "account_number",
    "transaction_id",
    "executed_at",
    "trading_day",
    "transaction_date",
    "transaction_type",
    "transaction_sub_type",
    "action",
    "symbol",
    "underlying_symbol",
    "instrument_type",
    "option_type",
    "strike",
    "expires_on",
    "multiplier",
    "quantity",
    "price",
    "value",
    "commission",
    "clearing_fees",
    "regulatory_fees",
    "proprietary_index_option_fees",
    "currency_conversion_fees",
    "other_charge",
    "net_value",
    "currency",
    "order_id",
    "source",
    "description",
]
# Column name -> Transaction field, where they differ.
TRANSACTION_FIELDS = {"account_number": "account__account_number", "transaction_id": "tastytrade_id"}

POSITION_COLUMNS = [
    "account_number",
    "symbol",
    "underlying_symbol",
    "instrument_type",
    "quantity",
    "multiplier",
    "average_open_price",
    "mark",
    "close_price",
    "market_value",
    "unrealized_from_mark",
    "expires_at",
    "days_to_expiry",
    "as_of",
]

CASH_FLOW_COLUMNS = [
    "period",
    "transactions",
    "trading",
    "deposits_and_withdrawals",
    "other",
    "commission",
    "clearing_fees",
    "regulatory_fees",
    "proprietary_index_option_fees",
    "currency_conversion_fees",
    "other_charge",
    "net_cash_flow",
]

# A spreadsheet runs a cell starting with one of these as a formula; text cells get a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, Decimal, int)):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """csv.writer wants a file; this one hands each formatted line straight back."""

    def write(self, line: str) -> str:
        return line


def csv_response(filename: str, header: list[str], rows: Iterable[list[Any]]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([cell(value) for value in row])

    return StreamingHttpResponse(
        lines(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def transaction_rows(transactions: QuerySet, *, scope: Scope) -> Iterator[list[Any]]:
    fields = [TRANSACTION_FIELDS.get(column, column) for column in TRANSACTION_COLUMNS if column != "trading_day"]
    values = transactions.order_by("executed_at", "id").values_list(*fields)
    day_index = TRANSACTION_COLUMNS.index("trading_day")
    executed_index = TRANSACTION_COLUMNS.index("executed_at")
    for row in values.iterator(chunk_size=2000):
        row = list(row)
        row.insert(day_index, row[executed_index].astimezone(scope.tz).date())
        yield row


def position_rows(groups: list[UnderlyingGroup]) -> Iterator[list[Any]]:
    for group in groups:
        for line in group.lines:
            snapshot = line.snapshot
            yield [
                snapshot.account.account_number,
                snapshot.symbol,
                snapshot.underlying_symbol,
                snapshot.instrument_type,
                snapshot.quantity,
                snapshot.multiplier,
                snapshot.average_open_price,
                snapshot.mark,
                snapshot.close_price,
                line.market_value,
                line.unrealized,
                snapshot.expires_at,
                line.days_to_expiry,
                snapshot.as_of,
            ]


def cash_flow_rows(rows: list[CashFlow]) -> Iterator[list[Any]]:
    for row in rows:
        yield [getattr(row, column) for column in CASH_FLOW_COLUMNS]


def transactions_csv(transactions: QuerySet, *, scope: Scope) -> StreamingHttpResponse:
    rows = transaction_rows(transactions, scope=scope)
    return csv_response(f"transactions-{scope.today}.csv", TRANSACTION_COLUMNS, rows)


def positions_csv(groups: list[UnderlyingGroup], *, scope: Scope) -> StreamingHttpResponse:
    return csv_response(f"positions-{scope.today}.csv", POSITION_COLUMNS, position_rows(groups))


def cash_flow_csv(rows: list[CashFlow], *, scope: Scope, grouping: str) -> StreamingHttpResponse:
    return csv_response(f"cash-flow-by-{grouping}-{scope.today}.csv", CASH_FLOW_COLUMNS, cash_flow_rows(rows))
