"""The ledger as the P&L engine reads it: one `Row` per Transaction, and what a row means.

`read_rows` loads an account's transactions in the engine's order. The rest interprets a row
(its action, option terms, underlying, multiplier, what kind of event it is) and groups the rows
of one instant into the batches the engine applies together. Nothing here keeps state.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum
from functools import lru_cache
from typing import NamedTuple

from django.db.models import CharField
from django.db.models.functions import Cast

from apps.trades.models import CHARGE_FIELDS, OPTION_TYPES, InstrumentType, PnlEvent, Transaction, transaction_key
from apps.trades.symbols import parse_option_symbol, underlying_of

MONEY_STEP = Decimal("0.0001")
ZERO = Decimal(0)

TRADE = Transaction.Type.TRADE
RECEIVE_DELIVER = Transaction.Type.RECEIVE_DELIVER
MONEY_MOVEMENT = Transaction.Type.MONEY_MOVEMENT
ADMINISTRATIVE_TRANSFER = Transaction.Type.ADMINISTRATIVE_TRANSFER

REMOVALS = {"Expiration": PnlEvent.Kind.EXPIRATION, "Assignment": PnlEvent.Kind.ASSIGNMENT}
REMOVALS["Exercise"] = PnlEvent.Kind.EXERCISE
SETTLED_REMOVALS = {"Futures Settlement": PnlEvent.Kind.FUTURES_SETTLEMENT, "Maturity": PnlEvent.Kind.OTHER}
CASH_SETTLEMENTS = {"Cash Settled Assignment", "Cash Settled Exercise"}
# Close/Open pairs that carry the basis across (docs/tastytrade-api.md#corporate-actions).
BASIS_MOVES = {
    "Symbol Change",
    "Stock Merger",
    "Stock Merger Removal",
    "Forward Split",
    "Reverse Split",
    "Reverse Split Removal",
}
DELIVERIES = {"Buy to Open", "Sell to Open", "Buy to Close", "Sell to Close"}
RECEIVED_SHARES = {"Dividend", "Special Dividend"}
TRANSFERS = {"Transfer", "ACAT"}
KNOWN_RECEIVE_DELIVER = (
    set(REMOVALS)
    | set(SETTLED_REMOVALS)
    | CASH_SETTLEMENTS
    | BASIS_MOVES
    | DELIVERIES
    | RECEIVED_SHARES
    | TRANSFERS
    | {"Cash Merger"}
)
KNOWN_MONEY_MOVEMENT = {
    "Deposit",
    "Withdrawal",
    "Transfer",
    "Dividend",
    "Credit Interest",
    "Debit Interest",
    "Fee",
    "Balance Adjustment",
    "Mark to Market",
    "Fully Paid Stock Lending Income",
}
ACTIONS = {
    "buy to open": (1, True),
    "sell to open": (-1, True),
    "buy to close": (1, False),
    "sell to close": (-1, False),
    "buy": (1, None),
    "sell": (-1, None),
}

ROW_FIELDS = (
    "id",
    "tastytrade_id",
    "import_key",
    "transaction_type",
    "transaction_sub_type",
    "action",
    "symbol",
    "underlying_symbol",
    "instrument_type",
    "expires_on",
    "strike",
    "option_type",
    "multiplier",
    "quantity",
    "price",
    "value",
    "net_value",
    *CHARGE_FIELDS,
    "executed_at",
    "transaction_date",
    "order_id",
)


class Row(NamedTuple):
    """The columns of a Transaction the engine reads (one bulk values_list, no model instances)."""

    id: int
    tastytrade_id: int | None
    import_key: str | None
    transaction_type: str
    transaction_sub_type: str
    action: str
    symbol: str
    underlying_symbol: str
    instrument_type: str
    expires_on: date | None
    strike: Decimal | None
    option_type: str
    multiplier: Decimal | None
    quantity: Decimal
    price: Decimal | None
    value: Decimal
    net_value: Decimal
    commission: Decimal
    clearing_fees: Decimal
    regulatory_fees: Decimal
    proprietary_index_option_fees: Decimal
    currency_conversion_fees: Decimal
    other_charge: Decimal
    executed_at: datetime
    transaction_date: date
    order_id: int | None

    @property
    def key(self) -> str:
        return transaction_key(tastytrade_id=self.tastytrade_id, import_key=self.import_key, pk=self.id)

    @property
    def charges(self) -> tuple[Decimal, ...]:
        """Every charge in CHARGE_FIELDS order, the commission first (Transaction.fees leaves it out)."""
        return (
            self.commission,
            self.clearing_fees,
            self.regulatory_fees,
            self.proprietary_index_option_fees,
            self.currency_conversion_fees,
            self.other_charge,
        )

    @property
    def sort_key(self) -> tuple:
        # NULL ids sort differently in SQLite and PostgreSQL, so the order is decided here.
        return (self.executed_at, self.tastytrade_id is None, self.tastytrade_id or 0, self.id)

    def digest(self) -> str:
        return hashlib.blake2b(repr(tuple(self)).encode(), digest_size=8).hexdigest()


class RowKind(IntEnum):
    """How the engine applies a row."""

    TRADE = 0
    REMOVAL = 1  # expiration, assignment, exercise, futures settlement, maturity
    CASH_SETTLEMENT = 2
    MOVE = 3  # symbol change, merger, split, contract adjustment: the basis moves across
    DELIVERY = 4  # any other Receive Deliver row with a quantity
    CASH = 5  # money movements and everything else


DECIMAL_FIELDS = {"strike", "multiplier", "quantity", "price", "value", "net_value", *CHARGE_FIELDS}


def read_rows(transactions) -> list[Row]:
    """The ledger rows, sorted. Decimals are read as text: SQLite's converters (float, then
    quantize) would cost more than the whole FIFO pass."""
    texts = {f"{name}_text": Cast(name, CharField()) for name in DECIMAL_FIELDS}
    columns = [f"{name}_text" if name in DECIMAL_FIELDS else name for name in ROW_FIELDS]
    decimal_at = [name in DECIMAL_FIELDS for name in ROW_FIELDS]
    parsed: dict[str, Decimal] = {}  # most amounts repeat ("0", "1.00", "-0.10"): parse each text once

    def number(text: str | None) -> Decimal | None:
        if text is None:
            return None
        value = parsed.get(text)
        if value is None:
            value = parsed[text] = Decimal(text)
        return value

    rows = [
        Row._make(
            [number(value) if is_decimal else value for is_decimal, value in zip(decimal_at, values, strict=True)]
        )
        for values in transactions.annotate(**texts).values_list(*columns)
    ]
    rows.sort(key=lambda row: row.sort_key)
    return rows


# --- What a row means ----------------------------------------------------------------------------


def option_spec(row: Row) -> tuple[str, Decimal | None, date | None]:
    if row.option_type and row.strike is not None and row.expires_on is not None:
        return row.option_type, row.strike, row.expires_on
    if row.instrument_type in OPTION_TYPES and (spec := parse_option_symbol(row.symbol)):
        return spec.option_type, spec.strike, spec.expires_on
    return row.option_type, row.strike, row.expires_on


def row_underlying(row: Row) -> str:
    # One futures family is one underlying (`/MES` for `/MESH5` and its options), whatever the row says.
    return underlying_of(row.symbol, row.instrument_type, row.underlying_symbol)


def symbol_root(symbol: str) -> str:
    spec = parse_option_symbol(symbol)
    return spec.root if spec else symbol


def row_multiplier(row: Row) -> Decimal | None:
    """The instrument's multiplier: from the row, else what its value says (never assumed 100)."""
    if row.multiplier:
        return row.multiplier
    if row.instrument_type == InstrumentType.EQUITY:
        return Decimal(1)
    if row.price and row.quantity and row.value:
        ratio = (abs(row.value) / (row.price * row.quantity)).quantize(MONEY_STEP)
        return ratio.quantize(Decimal(1)) if ratio == ratio.to_integral_value() else ratio
    return None


def parse_action(row: Row) -> tuple[int, bool | None] | None:
    """(+1 buy / -1 sell, True opening / False closing / None either) from the action or sub-type."""
    for text in (row.action, row.transaction_sub_type):
        if parsed := _action(text):
            return parsed
    return None


@lru_cache(maxsize=1024)  # a few dozen actions and sub-types, asked about on every row of a rebuild
def _action(text: str) -> tuple[int, bool | None] | None:
    return ACTIONS.get(text.strip().lower().replace("_", " "))


def row_kind(row: Row) -> RowKind:
    if row.transaction_type == TRADE:
        return RowKind.TRADE
    if row.transaction_type != RECEIVE_DELIVER:
        return RowKind.CASH
    sub_type = row.transaction_sub_type
    if sub_type in REMOVALS or sub_type in SETTLED_REMOVALS:
        return RowKind.REMOVAL
    if sub_type in CASH_SETTLEMENTS:
        return RowKind.CASH_SETTLEMENT
    if sub_type in BASIS_MOVES:
        return RowKind.MOVE
    return RowKind.DELIVERY


def contract_adjustments(rows: list[Row]) -> set[int]:
    """Ids of the rows of one instant that adjust a contract rather than trade it: a Receive Deliver
    Close/Open pair of one sub-type at the same price that is not a delivery, removal or known
    corporate action, such as a special dividend's strike or deliverable adjustment
    (docs/tastytrade-api.md#corporate-actions). Like a split, it carries the lot across and realizes nothing."""
    if len(rows) < 2:
        return set()  # a pair takes two rows (most instants hold one)
    groups: dict[tuple, list[tuple[Row, bool]]] = defaultdict(list)
    for row in rows:
        if row.transaction_type != RECEIVE_DELIVER or row_kind(row) != RowKind.DELIVERY:
            continue
        if row.transaction_sub_type in DELIVERIES or row.transaction_sub_type in TRANSFERS:
            continue
        parsed = parse_action(row)
        if parsed is not None and parsed[1] is not None:
            groups[(row.transaction_sub_type, row.price)].append((row, parsed[1]))
    adjustments: set[int] = set()
    for pair in groups.values():
        if {opening for _, opening in pair} == {True, False}:
            adjustments.update(row.id for row, _ in pair)
    return adjustments


def batches(rows: list[Row], kind_of: Callable[[Row], RowKind]) -> Iterable[list[Row]]:
    """The rows of one instant in order, batched: consecutive trade rows of one order together; the
    instant's corporate-action rows together (where the first of them is); cash-settlement rows last,
    after the removal rows they settle."""
    if len(rows) == 1:  # most instants hold one row, whatever its kind its own batch: skip the sorting below
        yield rows
        return
    moves = [row for row in rows if kind_of(row) == RowKind.MOVE]
    settlements = [row for row in rows if kind_of(row) == RowKind.CASH_SETTLEMENT]
    batch: list[Row] = []
    for row in rows:
        kind = kind_of(row)
        if batch and not (kind == RowKind.TRADE and row.order_id is not None and row.order_id == batch[0].order_id):
            yield batch
            batch = []
        if kind == RowKind.TRADE:
            batch.append(row)
        elif kind == RowKind.MOVE:
            if row is moves[0]:
                yield moves
        elif kind != RowKind.CASH_SETTLEMENT:
            yield [row]
    if batch:
        yield batch
    for row in settlements:
        yield [row]


def pair_moves(closes: list[Row], opens: list[Row]) -> tuple[list[tuple[Row, Row]], list[Row], list[Row]]:
    """Match Close and Open rows of one corporate action: same kind of instrument, in strike order."""
    if len(closes) == 1 and len(opens) == 1:
        return [(closes[0], opens[0])], [], []

    def bucket(row: Row) -> tuple:
        option_type, _, expires_on = option_spec(row)
        return (row.instrument_type, option_type, expires_on)

    def order(row: Row) -> tuple:
        _, strike, _ = option_spec(row)
        return (strike or ZERO, row.symbol, row.id)

    pairs, lone_closes, lone_opens = [], [], []
    open_buckets: dict[tuple, list[Row]] = defaultdict(list)
    for row in sorted(opens, key=order):
        open_buckets[bucket(row)].append(row)
    close_buckets: dict[tuple, list[Row]] = defaultdict(list)
    for row in sorted(closes, key=order):
        close_buckets[bucket(row)].append(row)
    for key, bucket_closes in close_buckets.items():
        bucket_opens = open_buckets.pop(key, [])
        if len(bucket_opens) != len(bucket_closes):
            lone_closes += bucket_closes
            lone_opens += bucket_opens
            continue
        pairs += list(zip(bucket_closes, bucket_opens, strict=True))
    for bucket_opens in open_buckets.values():
        lone_opens += bucket_opens
    return pairs, lone_closes, lone_opens
