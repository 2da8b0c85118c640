"""The 1099-B's totals against ours, box by box, and the lines most likely behind each difference.

The trader types (or imports as CSV) what the 1099-B shows per box; we compare proceeds, cost basis,
wash sales disallowed and the gain or loss, rounded to cents. Box A and D hold our short- and long-term
lines (TastyTrade reports basis for the lots it holds, so boxes B and E stay empty on our side), the
Section 1256 box our Form 6781 total (realized, plus this year's marks, less last year's).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from .models import Form1099BTotals
from .tax import TaxYear
from .tax_lots import TaxLine, Term, cents

Box = Form1099BTotals.Box
FIELDS = [
    ("proceeds", "Proceeds"),
    ("cost_basis", "Cost basis"),
    ("wash_sale_disallowed", "Wash sale loss disallowed"),
    ("gain_or_loss", "Gain or loss"),
]
CSV_COLUMNS = ["box", "proceeds", "cost_basis", "wash_sale_disallowed", "gain_or_loss"]
SUSPECTS_SHOWN = 5
YEAR_EDGE = timedelta(days=3)


@dataclass
class Suspect:
    line: TaxLine
    reason: str


@dataclass
class Difference:
    field: str
    label: str
    ours: Decimal
    theirs: Decimal
    suspects: list[Suspect] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return self.ours - self.theirs


@dataclass
class BoxCheck:
    box: str
    label: str
    entered: Form1099BTotals
    ours: dict[str, Decimal]
    differences: list[Difference]


def lines_in_box(tax: TaxYear, box: str) -> list[TaxLine]:
    term = {Box.A: Term.SHORT, Box.D: Term.LONG, Box.SECTION_1256: Term.SECTION_1256}.get(box)
    return [line for line in tax.lines if line.term == term]


def our_totals(tax: TaxYear, box: str) -> dict[str, Decimal]:
    lines = lines_in_box(tax, box)
    return {
        "proceeds": cents(sum((line.proceeds for line in lines), Decimal(0))),
        "cost_basis": cents(sum((line.cost_basis for line in lines), Decimal(0))),
        "wash_sale_disallowed": cents(sum((line.wash_disallowed for line in lines), Decimal(0))),
        "gain_or_loss": cents(sum((line.gain for line in lines), Decimal(0))),
    }


def compare(tax: TaxYear, entered: list[Form1099BTotals]) -> list[BoxCheck]:
    checks = []
    for row in entered:
        ours = our_totals(tax, row.box)
        differences = []
        for name, label in FIELDS:
            theirs = getattr(row, name)
            if theirs is None or cents(theirs) == ours[name]:
                continue
            difference = Difference(name, label, ours[name], theirs)
            lines = lines_in_box(tax, row.box)
            if name == "wash_sale_disallowed":
                lines = [line for line in lines if line.wash_disallowed]
            difference.suspects = suspects(lines, difference.amount, year=tax.year)
            differences.append(difference)
        checks.append(BoxCheck(row.box, row.get_box_display(), row, ours, differences))
    return checks


def suspects(lines: list[TaxLine], amount: Decimal, *, year: int) -> list[Suspect]:
    """The lines most likely behind a difference: one whose figure is the difference itself, then those
    whose figures a broker may read differently (premium moved into stock, wash sales, year-end marks,
    a close in the first or last days of the year), the biggest first."""
    size = abs(cents(amount))
    found: list[Suspect] = []
    for line in lines:
        if reason := _exact_reason(line, size):
            found.append(Suspect(line, reason))
    likely = []
    for line in lines:
        if result := _likely(line, year):
            likely.append((result[0], len(likely), line, result[1]))
    seen = {id(suspect.line) for suspect in found}
    for _, _, line, reason in sorted(likely, key=lambda item: (-item[0], item[1])):
        if id(line) not in seen:
            found.append(Suspect(line, reason))
            seen.add(id(line))
    return found[:SUSPECTS_SHOWN]


def _exact_reason(line: TaxLine, size: Decimal) -> str:
    figures = [
        ("gain or loss", line.gain),
        ("wash sale disallowed", line.wash_disallowed),
        ("option premium in its basis", line.carried_premium),
        ("wash loss carried into its basis", line.carried_wash),
        ("last year-end mark", line.prior_mark),
        ("proceeds", line.proceeds),
        ("cost basis", line.cost_basis),
    ]
    for name, value in figures:
        if value and abs(cents(value)) == size:
            return f"its {name} is exactly the difference"
    return ""


def _likely(line: TaxLine, year: int) -> tuple[Decimal, str] | None:
    if line.carried_premium:
        return abs(line.carried_premium), "option premium moved into the stock (the 1099-B may show it on the option)"
    if line.wash_disallowed or line.carried_wash:
        return abs(line.wash_disallowed) + abs(line.carried_wash), "wash sale (the broker may match it differently)"
    if line.prior_mark or line.is_mark:
        return abs(line.gain), "Section 1256 year-end mark"
    if line.sold - date(year, 1, 1) < YEAR_EDGE or date(year, 12, 31) - line.sold < YEAR_EDGE:
        return abs(line.gain), "closed at the turn of the year (trade date against settlement date)"
    return None


def parse_csv(text: str) -> list[dict]:
    """Rows of a 1099-B totals CSV (`box,proceeds,cost_basis,wash_sale_disallowed,gain_or_loss`).

    Raises ValueError with a sentence a trader can act on."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "box" not in reader.fieldnames or "gain_or_loss" not in reader.fieldnames:
        raise ValueError(f"The first line must name the columns: {', '.join(CSV_COLUMNS)}.")
    rows = []
    for number, row in enumerate(reader, start=2):
        box = (row.get("box") or "").strip().upper()
        if box not in Box.values:
            raise ValueError(f"Line {number}: box {box!r} is not one of {', '.join(Box.values)}.")
        amounts = {}
        for name in CSV_COLUMNS[1:]:
            text_value = (row.get(name) or "").replace(",", "").replace("$", "").strip()
            try:
                amounts[name] = Decimal(text_value).quantize(Decimal("0.01")) if text_value else None
            except InvalidOperation:
                raise ValueError(f"Line {number}: {name} {text_value!r} is not an amount.") from None
        if amounts["gain_or_loss"] is None:
            raise ValueError(f"Line {number}: gain_or_loss is required.")
        rows.append({"box": box, **amounts})
    if not rows:
        raise ValueError("The file has no rows.")
    return rows


def save_totals(*, user, year: int, rows: list[dict]) -> int:
    """Store what the 1099-B says, one row per box (a box entered again replaces the old figures)."""
    for row in rows:
        Form1099BTotals.objects.update_or_create(
            user=user, year=year, box=row["box"], defaults={k: v for k, v in row.items() if k != "box"}
        )
    return len(rows)
