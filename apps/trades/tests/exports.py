"""TastyTrade transaction-history exports written by us, from API items, in each of the three
documented header versions (docs/tastytrade-api.md#csv-exports): what a trader downloads for the same account.

Rows are listed newest first, as the exports are. v2/v3 times carry the exporting browser's UTC
offset and drop the milliseconds; legacy times are local wall-clock times to the minute, with no
offset. Legacy `Fees` is the positive sum of commission and fees; legacy option rows carry only
the root in `Symbol`. The export's Multiplier column says 1 for future options (§7.3).
"""

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from apps.core.money import apply_effect
from apps.trades.csv_import import HEADERS, LEGACY, V3, CsvFile
from apps.trades.symbols import parse_option_symbol

OTHER_FEES = ("clearing-fees", "regulatory-fees", "proprietary-index-option-fees", "currency-conversion-fees")


def export(items: list[dict], fmt: str, *, tz: str = "America/Los_Angeles", name: str = "") -> CsvFile:
    """The items as one export file of format `fmt` (LEGACY, V2 or V3), exported from time zone `tz`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADERS[fmt])
    ordered = sorted(items, key=lambda item: (_executed_at(item), item["id"]), reverse=True)
    for item in ordered:
        writer.writerow(_legacy_row(item, ZoneInfo(tz)) if fmt == LEGACY else _modern_row(item, ZoneInfo(tz), fmt))
    return CsvFile(name or f"tastytrade_transactions_history_{fmt}.csv", out.getvalue().encode())


def _executed_at(item: dict) -> datetime:
    return datetime.fromisoformat(item["executed-at"])


def _amount(item: dict, key: str) -> Decimal:
    return apply_effect(item.get(key) or "0", item.get(f"{key}-effect"))


def _text(amount: Decimal) -> str:
    return format(amount.normalize(), "f") if amount else "0.00"


def _modern_row(item: dict, tz: ZoneInfo, fmt: str) -> list[str]:
    option = parse_option_symbol(item["symbol"] or "") if "Option" in (item.get("instrument-type") or "") else None
    value = _amount(item, "value")
    quantity = Decimal(item.get("quantity") or "0")
    commission = _amount(item, "commission")
    fees = sum((_amount(item, key) for key in OTHER_FEES), Decimal(0))
    instrument_type = item.get("instrument-type") or ""
    multiplier = {"Equity Option": "100", "Future Option": "1"}.get(instrument_type, "")
    row = [
        _executed_at(item).astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S%z"),
        item["transaction-type"],
        item["transaction-sub-type"],
        (item.get("action") or "").upper().replace(" ", "_"),
        item.get("symbol") or "",
        instrument_type,
        item.get("description") or "",
        _text(value),
        _text(quantity) if quantity else "0",
        _text((value / quantity).quantize(Decimal("0.0001"))) if quantity and value else "",
        _text(commission) if commission else "--",
        _text(fees),
        multiplier,
        (item["symbol"][:6].strip() if instrument_type == "Equity Option" else item["symbol"][:12]) if option else "",
        (item.get("underlying-symbol") or "") if option else "",
        f"{option.expires_on.month}/{option.expires_on.day}/{option.expires_on:%y}" if option else "",
        _text(option.strike) if option else "",
        {"C": "CALL", "P": "PUT"}[option.option_type] if option else "",
        str(item.get("order-id") or ""),
    ]
    if fmt == V3:
        row.append(_text(_amount(item, "net-value")))
    row.append(item.get("currency") or "USD")
    return row


def _legacy_row(item: dict, tz: ZoneInfo) -> list[str]:
    instrument_type = item.get("instrument-type") or ""
    option = parse_option_symbol(item["symbol"] or "") if "Option" in instrument_type else None
    action = item.get("action") or ""
    words = action.split()
    charges = _amount(item, "commission") + sum((_amount(item, key) for key in OTHER_FEES), Decimal(0))
    symbol = item.get("symbol") or ""
    return [
        _executed_at(item).astimezone(tz).strftime("%m/%d/%Y %I:%M %p"),
        item["transaction-type"],
        item["transaction-sub-type"],
        option.root if option and instrument_type == "Equity Option" else symbol,
        words[0] if words else "",
        words[-1] if len(words) == 3 else "",
        _text(Decimal(item.get("quantity") or "0")),
        option.expires_on.strftime("%m/%d/%Y") if option else "",
        _text(option.strike) if option else "",
        option.option_type if option else "",
        item.get("price") or "",
        _text(-charges),
        _text(_amount(item, "value")),
        item.get("description") or "",
        "Individual...48",
    ]
