"""One row of an account's transaction history, and how the API writes it.

Inside the simulator amounts are signed from the account's point of view (cash in is positive).
On the wire TastyTrade sends unsigned magnitudes with a separate `*-effect` (`Credit`, `Debit`,
`None`), kebab-case keys, decimals as strings and a few ids as JSON numbers (docs/tastytrade-api.md#values,
#signs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

ZERO = Decimal(0)

# Fee fields in the order the API lists them; each is a signed amount (charges are negative).
FEE_FIELDS = ("commission", "clearing_fees", "regulatory_fees", "proprietary_index_option_fees")


def decimal_text(amount: Decimal) -> str:
    """`Decimal` as the API writes it: plain notation, no trailing zeros, at least one decimal ("2.0")."""
    text = format(amount.normalize(), "f") if amount else "0"
    return text if "." in text else text + ".0"


def timestamp_text(moment: datetime) -> str:
    """UTC with milliseconds and `+00:00`, as transactions and positions carry it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


def effect(amount: Decimal) -> str:
    return "Credit" if amount > 0 else "Debit" if amount < 0 else "None"


OPTIONAL_IDENTIFIERS = (
    "order_id",
    "leg_count",
    "reverses_id",
    "exchange",
    "destination_venue",
    "exec_id",
    "ext_group_fill_id",
    "ext_exchange_order_number",
    "ext_global_order_number",
)


@dataclass(slots=True)
class Transaction:
    id: int
    account_number: str
    transaction_type: str
    transaction_sub_type: str
    description: str
    executed_at: datetime
    transaction_date: date
    value: Decimal = ZERO
    net_value: Decimal = ZERO
    symbol: str | None = None
    instrument_type: str | None = None
    underlying_symbol: str | None = None
    action: str | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    commission: Decimal | None = None
    clearing_fees: Decimal | None = None
    regulatory_fees: Decimal | None = None
    proprietary_index_option_fees: Decimal | None = None
    order_id: int | None = None
    leg_count: int | None = None
    reverses_id: int | None = None
    is_estimated_fee: bool = True
    exchange: str | None = None
    destination_venue: str | None = None
    exec_id: str | None = None
    ext_group_fill_id: str | None = None
    ext_exchange_order_number: str | None = None
    ext_global_order_number: int | None = None
    _json: str | None = field(default=None, repr=False, compare=False)

    @property
    def fees(self) -> Decimal:
        """Every charge on the row, signed (negative)."""
        return sum((getattr(self, name) or ZERO for name in FEE_FIELDS), ZERO)

    def to_api(self) -> dict:
        """The row as TastyTrade's JSON object (one element of `data.items`)."""
        row: dict = {"id": self.id, "account-number": self.account_number}
        if self.symbol is not None:
            row["symbol"] = self.symbol
            row["instrument-type"] = self.instrument_type
            row["underlying-symbol"] = self.underlying_symbol
        row["transaction-type"] = self.transaction_type
        row["transaction-sub-type"] = self.transaction_sub_type
        row["description"] = self.description
        for name, text in (("action", None), ("quantity", decimal_text), ("price", decimal_text)):
            value = getattr(self, name)
            if value is not None:
                row[name] = text(value) if text else value
        row["executed-at"] = timestamp_text(self.executed_at)
        row["transaction-date"] = self.transaction_date.isoformat()
        row["value"] = decimal_text(abs(self.value))
        row["value-effect"] = effect(self.value)
        for name in FEE_FIELDS:
            amount = getattr(self, name)
            if amount is not None:
                key = name.replace("_", "-")
                row[key] = decimal_text(abs(amount))
                row[f"{key}-effect"] = effect(amount)
        row["net-value"] = decimal_text(abs(self.net_value))
        row["net-value-effect"] = effect(self.net_value)
        row["is-estimated-fee"] = self.is_estimated_fee
        row["currency"] = "USD"
        # Order and fill identifiers appear only on the rows that have them (ids as JSON numbers).
        for name in OPTIONAL_IDENTIFIERS:
            value = getattr(self, name)
            if value is not None:
                row[name.replace("_", "-")] = value
        return row

    def to_json(self) -> str:
        """`to_api()` serialised once and cached (the `edit_in_place` fault clears it when it changes a row)."""
        if self._json is None:
            self._json = json.dumps(self.to_api(), separators=(",", ":"))
        return self._json

    @property
    def sort_key(self) -> tuple[datetime, int]:
        return (self.executed_at, self.id)
