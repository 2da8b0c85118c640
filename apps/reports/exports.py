"""CSV exports with stable column names, streamed row by row so big ledgers never sit in memory.

Columns are only ever added at the end; a name, once published, keeps its meaning. Numbers are
plain decimals with an ASCII minus (never `0E-8`, never a thousands separator). The ledger's own
amounts (transactions, P&L events) are written exactly as stored, signed from the account's point
of view; the money columns of summaries (`MONEY_COLUMNS`: totals, P&L, market values) are written to
the cent. Times are UTC in ISO 8601, and `trading_day` is the day in the user's time zone.
"""

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from apps.core.money import csv_value
from apps.trades.greeks import Greeks
from apps.trades.models import Lot, Note, Tag, Target, exact
from apps.trades.pnl import RealizedLine
from apps.trades.scope import Scope

from .edge import CAMPAIGN_COLUMNS, STATS_COLUMNS, campaign_row, stats_row
from .metrics import CashFlow, ledger_amount
from .risk import Book

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
    "contract",
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
    # The Positions page's figures: the engine's strategy position holding the leg (a leg several hold is one row
    # each, with its share of the quantity), its unrealized P&L as the dashboard counts it, and the Greeks from
    # the stored quote snapshot times quantity and multiplier (delta and gamma in shares, theta in dollars a day,
    # vega in dollars per volatility point, beta-weighted delta in SPY shares).
    "strategy",
    "position_key",
    "unrealized",
    "implied_volatility",
    "delta",
    "gamma",
    "theta",
    "vega",
    "beta_weighted_delta",
    "marks_as_of",
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

PNL_EVENT_COLUMNS = [
    "account_number",
    "event_key",
    "kind",
    "trading_day",
    "executed_at",
    "opened_at",
    "symbol",
    "underlying_symbol",
    "instrument_type",
    "quantity",
    "opening_cash",
    "closing_cash",
    "variation",
    "commission",
    "clearing_fees",
    "regulatory_fees",
    "proprietary_index_option_fees",
    "currency_conversion_fees",
    "other_charge",
    "realized_pnl",
    "position_key",
    "strategy",
    "closing_transaction_id",
]
# Column name -> PnlEvent field, where they differ.
PNL_EVENT_FIELDS = {
    "account_number": "account__account_number",
    "event_key": "key",
    "position_key": "position__key",
    "strategy": "position__strategy",
    "closing_transaction_id": "closing_transaction__tastytrade_id",
}

TRADE_COLUMNS = [
    "account_number",
    "position_key",
    "underlying_symbol",
    "strategy",
    "detected_strategy",
    "status",
    "opened_at",
    "closed_at",
    "legs",
    "realized_pnl",
    "chain_key",
    "chain_kind",
    "tags",
    "notes",
]

# The P&L tables of the reports page; the first column is named after the grouping (day, month, year,
# underlying or strategy). commissions_in_pnl and fees_in_pnl are the charges inside realized_pnl.
PNL_REPORT_COLUMNS = ["realized_pnl", "closing_events", "commissions_in_pnl", "fees_in_pnl"]

# Summary columns that are money, written to the cent (the ledger's own amounts stay exact).
MONEY_COLUMNS = frozenset(
    {
        "market_value", "unrealized_from_mark", "unrealized", "realized_pnl", "commissions_in_pnl", "fees_in_pnl",
        "trading", "deposits_and_withdrawals", "other", "net_cash_flow",
        "average_win", "average_loss", "expectancy", "largest_win", "largest_loss", "total_pnl",
    }
)  # fmt: skip
# The ledger's own amounts (transactions, P&L events): exact, with at least cents.
LEDGER_MONEY = frozenset(
    {
        "value", "commission", "clearing_fees", "regulatory_fees", "proprietary_index_option_fees",
        "currency_conversion_fees", "other_charge", "net_value", "opening_cash", "closing_cash", "variation",
        "realized_pnl",
    }
)  # fmt: skip
SUMMARY_MONEY = MONEY_COLUMNS | frozenset(
    {
        "commission", "clearing_fees", "regulatory_fees", "proprietary_index_option_fees",
        "currency_conversion_fees", "other_charge",
    }
)  # fmt: skip

# A spreadsheet runs a cell starting with one of these as a formula; text cells get a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any, *, is_money: bool = False, exact: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return csv_value(value, is_money=is_money, exact=exact)
    if isinstance(value, (date, int)):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """csv.writer wants a file; this one hands each formatted line straight back."""

    def write(self, line: str) -> str:
        return line


def csv_response(
    filename: str,
    header: list[str],
    rows: Iterable[list[Any]],
    *,
    money_columns: frozenset = frozenset(),
    exact: bool = False,
) -> StreamingHttpResponse:
    """The one CSV writer; the columns named in `money_columns` are money: to the cent, or with `exact` (the
    ledger's own rows) as stored with at least cents."""
    writer = csv.writer(_Echo())
    is_money = [column in money_columns for column in header]

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            cells = zip(row, is_money, strict=True)
            yield writer.writerow([cell(value, is_money=money, exact=exact) for value, money in cells])

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


def position_rows(book: Book, quotes: dict) -> Iterator[list[Any]]:
    for underlying in book.underlyings:
        for position in underlying.positions:
            for leg in position.legs:
                snapshot = leg.line.snapshot
                quote = quotes.get((snapshot.account_id, snapshot.symbol))
                greeks = leg.greeks
                from_mark = (
                    ledger_amount((snapshot.mark - snapshot.average_open_price) * leg.quantity * snapshot.multiplier)
                    if snapshot.mark is not None and snapshot.average_open_price is not None
                    else None
                )
                yield [
                    snapshot.account.account_number,
                    leg.contract,
                    snapshot.symbol,
                    snapshot.underlying_symbol,
                    snapshot.instrument_type,
                    leg.quantity,
                    snapshot.multiplier,
                    snapshot.average_open_price,
                    snapshot.mark,
                    snapshot.close_price,
                    leg.market_value,
                    from_mark,
                    snapshot.expires_at,
                    leg.days_to_expiry,
                    snapshot.as_of,
                    position.strategy,
                    position.key if position.account_id else "",
                    ledger_amount(leg.unrealized),
                    quote.implied_volatility if quote else None,
                    *(greeks_cells(greeks) if greeks else [None] * 4),
                    leg.beta_weighted_delta.quantize(GREEK_PLACES) if leg.beta_weighted_delta is not None else None,
                    quote.fetched_at if quote else None,
                ]


GREEK_PLACES = Decimal("0.0001")


def greeks_cells(greeks: Greeks) -> list[Decimal]:
    return [value.quantize(GREEK_PLACES) for value in (greeks.delta, greeks.gamma, greeks.theta, greeks.vega)]


def cash_flow_rows(rows: list[CashFlow]) -> Iterator[list[Any]]:
    for row in rows:
        yield [getattr(row, column) for column in CASH_FLOW_COLUMNS]


def pnl_event_rows(events: QuerySet) -> Iterator[list[Any]]:
    fields = [PNL_EVENT_FIELDS.get(column, column) for column in PNL_EVENT_COLUMNS]
    yield from events.order_by("executed_at", "key").values_list(*fields).iterator(chunk_size=2000)


def trade_rows(positions: QuerySet, *, account_ids: list[int]) -> Iterator[list[Any]]:
    """One row per position, in four queries whatever their number: the positions, their lots (read alongside,
    in the same order), and the accounts' tags and notes (the user's own words: a few rows)."""
    positions = positions.order_by("-opened_at", "key", "pk")
    lots = (
        Lot.objects.filter(position__in=positions.values("pk"), moved_from_key="")
        .order_by("-position__opened_at", "position__key", "position_id", "expires_on", "strike", "symbol")
        .values_list("position_id", "symbol", "quantity")
        .iterator(chunk_size=2000)
    )
    tags, notes = defaultdict(list), defaultdict(list)
    for account_id, key, name in (
        Tag.objects.filter(account_id__in=account_ids, target=Target.POSITION)
        .order_by("name")
        .values_list("account_id", "key", "name")
    ):
        tags[(account_id, key)].append(name)
    for account_id, key, text in (
        Note.objects.filter(account_id__in=account_ids, target=Target.POSITION)
        .order_by("created_at", "pk")
        .values_list("account_id", "key", "text")
    ):
        notes[(account_id, key)].append(text)
    lot = next(lots, None)
    for position in positions.iterator(chunk_size=2000):
        legs: dict[str, Decimal] = {}
        while lot is not None and lot[0] == position.pk:
            legs[lot[1]] = legs.get(lot[1], Decimal(0)) + lot[2]
            lot = next(lots, None)
        named = (position.account_id, position.key)
        yield [
            position.account.account_number,
            position.key,
            position.underlying_symbol,
            position.strategy,
            position.detected_strategy,
            "closed" if position.closed_at else "open",
            position.opened_at,
            position.closed_at,
            "; ".join(f"{symbol} x {quantity.normalize():f}" for symbol, quantity in legs.items()),
            exact(position.realized_pnl),
            position.chain.key if position.chain else "",
            position.chain.kind if position.chain else "",
            "; ".join(tags[named]),
            "\n\n".join(notes[named]),
        ]


def pnl_report_rows(lines: list[RealizedLine]) -> Iterator[list[Any]]:
    for line in lines:
        yield [line.label, line.realized_pnl, line.closing_events, line.commissions_in_pnl, line.fees_in_pnl]


def pnl_events_csv(events: QuerySet, *, scope: Scope) -> StreamingHttpResponse:
    rows = pnl_event_rows(events)
    return csv_response(
        f"pnl-events-{scope.today}.csv", PNL_EVENT_COLUMNS, rows, money_columns=LEDGER_MONEY, exact=True
    )


def trades_csv(positions: QuerySet, *, scope: Scope) -> StreamingHttpResponse:
    rows = trade_rows(positions, account_ids=scope.account_ids)
    return csv_response(f"trades-{scope.today}.csv", TRADE_COLUMNS, rows, money_columns=MONEY_COLUMNS)


def pnl_report_csv(lines: list[RealizedLine], *, scope: Scope, grouping: str) -> StreamingHttpResponse:
    header = [grouping, *PNL_REPORT_COLUMNS]
    rows = pnl_report_rows(lines)
    return csv_response(f"pnl-by-{grouping}-{scope.today}.csv", header, rows, money_columns=MONEY_COLUMNS)


def transactions_csv(transactions: QuerySet, *, scope: Scope) -> StreamingHttpResponse:
    rows = transaction_rows(transactions, scope=scope)
    return csv_response(
        f"transactions-{scope.today}.csv", TRANSACTION_COLUMNS, rows, money_columns=LEDGER_MONEY, exact=True
    )


def positions_csv(book: Book, quotes: dict, *, scope: Scope) -> StreamingHttpResponse:
    return csv_response(
        f"positions-{scope.today}.csv", POSITION_COLUMNS, position_rows(book, quotes), money_columns=MONEY_COLUMNS
    )


def cash_flow_csv(rows: list[CashFlow], *, scope: Scope, grouping: str) -> StreamingHttpResponse:
    filename = f"cash-flow-by-{grouping}-{scope.today}.csv"
    return csv_response(filename, CASH_FLOW_COLUMNS, cash_flow_rows(rows), money_columns=SUMMARY_MONEY)


def edge_csv(rows: list, *, scope: Scope, by: str) -> StreamingHttpResponse:
    """One table of the Edge report: statistics of the closed trades per group."""
    header = [by, *STATS_COLUMNS]
    lines = (stats_row(row) for row in rows)
    return csv_response(f"edge-by-{by}-{scope.today}.csv", header, lines, money_columns=MONEY_COLUMNS)


def rolls_csv(rows: list, *, scope: Scope) -> StreamingHttpResponse:
    """The Rolls report: every roll chain and wheel campaign open or closed in the range."""
    return csv_response(
        f"rolls-{scope.today}.csv",
        CAMPAIGN_COLUMNS,
        (campaign_row(row) for row in rows),
        money_columns=MONEY_COLUMNS | {"net_credit"},
    )


RETURN_COLUMNS = ["trading_day", "net_liq", "money_moved", "daily_return", "cumulative_return", "drawdown"]
FRACTION = Decimal("0.00000001")  # returns are fractions (0.0123 is 1.23%), written to 8 places


def returns_csv(result, *, scope: Scope) -> StreamingHttpResponse:
    """One row a trading day of the Returns report; an empty daily return is a day with no capital to earn on."""

    def fraction(value: Decimal | None) -> Decimal | None:
        return None if value is None else value.quantize(FRACTION)

    rows = (
        [day.day, day.net_liq, day.flow, fraction(day.daily), fraction(day.cumulative), fraction(day.drawdown)]
        for day in result.days
    )
    money = frozenset({"net_liq", "money_moved"})
    return csv_response(f"returns-{scope.today}.csv", RETURN_COLUMNS, rows, money_columns=money)
