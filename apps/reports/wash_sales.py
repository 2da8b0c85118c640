"""Wash sales: a loss is disallowed when a replacement is bought within 30 days before or after the sale.

`IDENTICAL` is what a 1099-B reports: the same symbol (the same stock, or the same option contract) in
the same account, opened on the same side. `SUBSTANTIALLY_IDENTICAL` is a stricter reading offered for
information and labelled as an interpretation: any of the trader's accounts, and options on the same
underlying (a stock and the calls to buy it are one side; other options match their type and side),
counted in shares (contracts x multiplier).

The disallowed loss goes into the replacement units' basis and the sold units' holding period is
tacked onto theirs; a replacement stands in for one sale only, and its own loss can wash again (a
chain). Replacements are taken in the order they were acquired. Section 1256 contracts are exempt.
The units a sale matched are the replacement lot's units still open at the sale, or bought after it;
the rest of the sold lot's own purchase (the same order) is not a replacement (Rev. Rul. 56-602).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from apps.trades.engine_state import Portion
from apps.trades.models import OPTION_TYPES, InstrumentType, Lot

if TYPE_CHECKING:
    from apps.reports.tax_lots import TaxBook, TaxLine

WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    across_accounts: bool

    def key(self, lot: Lot) -> tuple:
        side = "long" if lot.quantity > 0 else "short"
        if not self.across_accounts:
            return (lot.account_id, lot.symbol, side)
        underlying = lot.underlying_symbol or lot.symbol
        if lot.instrument_type == InstrumentType.EQUITY or (lot.option_type == "C" and side == "long"):
            return (
                underlying,
                "stock or call to buy it",
                side if lot.instrument_type == InstrumentType.EQUITY else "long",
            )
        return (underlying, lot.instrument_type, lot.option_type, side)

    def units_per(self, lot: Lot) -> Decimal:
        """What one unit of the lot counts as: one, or in the stricter view its shares."""
        if self.across_accounts and lot.instrument_type in OPTION_TYPES:
            return lot.multiplier or Decimal(100)
        return Decimal(1)


IDENTICAL = Rule("identical", "As a 1099-B reports them: the same symbol in the same account", False)
SUBSTANTIALLY_IDENTICAL = Rule(
    "interpretation",
    "Interpretation, not what the 1099-B shows: also across your accounts and options on the same underlying",
    True,
)


def replacement_index(lots: list[Lot], rule: Rule, local_day: Callable[[datetime], date]) -> dict[tuple, list[Lot]]:
    """Lots that can be a replacement, by the rule's key, in the order they were acquired.

    A lot moved by a split or symbol change is not a new purchase; Section 1256 contracts are exempt.
    """
    from apps.reports.tax_lots import lot_is_section_1256

    index: dict[tuple, list[Lot]] = defaultdict(list)
    for lot in sorted(lots, key=lambda lot: (lot.opened_at, lot.id)):
        if not lot.moved_from_key and not lot_is_section_1256(lot):
            index[rule.key(lot)].append(lot)
    return index


def same_purchase(candidate: Lot, lot: Lot) -> bool:
    """The rest of the sold lot's own purchase (one fill, or one order's fills) never replaces it."""
    if candidate.opening_transaction_id == lot.opening_transaction_id:
        return True
    order = getattr(lot, "order_id", None)
    return (
        order is not None and getattr(candidate, "order_id", None) == order and candidate.account_id == lot.account_id
    )


def wash(book: TaxBook, *, line: TaxLine, lot: Lot) -> None:
    """Disallow as much of the line's loss as replacements cover, and carry it into them."""
    rule = book.rule
    wanted = abs(line.quantity) * rule.units_per(lot)
    loss = Portion(wanted, -line.gain, ())
    first, last = line.sold - WINDOW, line.sold + WINDOW
    for candidate in book.replacements.get(rule.key(lot), ()):
        acquired = book.local_day(candidate.opened_at)
        if acquired > last or not wanted:
            break
        if acquired < first or same_purchase(candidate, lot):
            continue
        per_unit = rule.units_per(candidate)
        matched = min(book.unreplaced_units(candidate) * per_unit, wanted)
        if not matched:
            continue
        disallowed = loss.take(matched).cash
        wanted -= matched
        line.wash_disallowed += disallowed
        book.replace(candidate, units=matched / per_unit, loss=disallowed, held_days=(line.sold - line.acquired).days)
        line.note = f"wash sale: replaced by {candidate.symbol} acquired {acquired:%Y-%m-%d}"
