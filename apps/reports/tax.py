"""The US tax year, read from the engine's lots and events (apps.trades): a report to help a trader
check a 1099-B, never tax advice.

The engine's FIFO realized P&L already matches the broker to the cent; this module re-reads it the
way IRS Publication 550 and the Form 8949 and 6781 instructions do (TASTYTRADE.md section 14):

- Each closed piece of a lot is one tax line, from its acquisition (the engine keeps a lot's opening
  time through splits, symbol changes and contract adjustments) to the trading day it closed (an
  expiration's row is on the expiry day); long term when held more than one year. Short lots
  (written options, short stock) are short term.
- Options that end in stock: the engine realizes an assigned or exercised option's premium on the
  option. For tax it belongs to the stock (`assignment_premiums`): an assigned short put's premium
  lowers the basis of the stock bought, an exercised long call's adds to it, an assigned short
  call's adds to the amount realized on the stock sold, an exercised long put's lowers it. The
  stock's holding period starts at the assignment or exercise, when its lot opens.
- Section 1256 contracts (futures, futures options, broad-based index options: `SECTION_1256_ROOTS`)
  are 60% long / 40% short term whatever the holding period, exempt from wash sales, and marked to
  market at the year's last trading day; the mark is their basis the next year.
- Wash sales: apps.reports.wash_sales.

The whole history up to the year's end is read: a wash sale, a premium or a mark carries into later years.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import F, Q, QuerySet, Sum

from apps.reports import wash_sales
from apps.reports.tax_lots import (
    NEW_YORK,
    ZERO,
    TaxBook,
    TaxLine,
    Term,
    YearEndMark,
    cents,
    is_section_1256,
    last_trading_day,
)
from apps.trades.engine_state import Portion
from apps.trades.ledger_rows import DELIVERIES
from apps.trades.models import (
    BrokerAccount,
    InstrumentType,
    Lot,
    PnlEvent,
    PositionSnapshot,
    Transaction,
    exact,
)
from apps.trades.pnl import DIVIDEND_SUB_TYPES, INTEREST_SUB_TYPES

DISCLAIMER = (
    "A report to help you check your 1099-B, not tax advice. It reads your lots as the IRS rules for "
    "holding periods, options, Section 1256 contracts and wash sales describe them; your broker's 1099-B "
    "and a tax professional have the last word."
)


@dataclass
class Bridge:
    """From the engine's FIFO realized P&L of the year to the taxable total, line by line."""

    realized_fifo: Decimal
    wash_disallowed: Decimal
    wash_released: Decimal
    premium_moved: Decimal
    premium_released: Decimal
    marks_this_year: Decimal
    marks_last_year: Decimal
    taxable_total: Decimal

    @property
    def computed(self) -> Decimal:
        return (
            self.realized_fifo
            + self.wash_disallowed
            - self.wash_released
            - self.premium_moved
            + self.premium_released
            + self.marks_this_year
            - self.marks_last_year
        )

    @property
    def difference(self) -> Decimal:
        return self.taxable_total - self.computed

    @property
    def steps(self) -> list[tuple[str, str, Decimal]]:
        """(name, label, what it adds to the total) in the order the page reads them."""
        return [
            ("realized_fifo", "FIFO realized P&L of the year", self.realized_fifo),
            ("wash_disallowed", "Wash-sale losses disallowed this year", self.wash_disallowed),
            ("wash_released", "Disallowed losses released (replacements closed this year)", -self.wash_released),
            ("premium_moved", "Assigned or exercised option premium moved into stock", -self.premium_moved),
            ("premium_released", "That premium in stock sold this year", self.premium_released),
            ("marks_this_year", "Section 1256 year-end marks, this year", self.marks_this_year),
            ("marks_last_year", "Section 1256 year-end marks, last year (now basis)", -self.marks_last_year),
        ]


@dataclass
class TaxYear:
    year: int
    lines: list[TaxLine]  # closed in the year, and the year-end marks
    bridge: Bridge
    marks: list[YearEndMark]
    premium_events: list[int]  # option events of the year whose premium went into stock
    dividends: Decimal
    interest: Decimal
    interpretation: list[TaxLine] = field(default_factory=list)  # the stricter wash-sale view

    def total(self, term: str) -> Decimal:
        return sum((line.gain for line in self.lines if line.term == term), ZERO)

    @property
    def short_term(self) -> Decimal:
        return self.total(Term.SHORT)

    @property
    def long_term(self) -> Decimal:
        return self.total(Term.LONG)

    @property
    def section_1256(self) -> Decimal:
        return self.total(Term.SECTION_1256)

    @property
    def section_1256_long(self) -> Decimal:
        """60% of the net Section 1256 gain or loss (Form 6781 line 9); the short part takes what is left."""
        return cents(self.section_1256 * Decimal("0.6"))

    @property
    def section_1256_short(self) -> Decimal:
        return self.section_1256 - self.section_1256_long

    @property
    def wash_disallowed(self) -> Decimal:
        return sum((line.wash_disallowed for line in self.lines), ZERO)

    @property
    def interpretation_disallowed(self) -> Decimal:
        return sum((line.wash_disallowed for line in self.interpretation), ZERO)

    @property
    def interpretation_label(self) -> str:
        return wash_sales.SUBSTANTIALLY_IDENTICAL.label

    @property
    def taxable_total(self) -> Decimal:
        return self.short_term + self.long_term + self.section_1256


# Reading the engine's results ---------------------------------------------------------------------


def assignment_premiums(events: list[PnlEvent], accounts: QuerySet[BrokerAccount]) -> tuple[dict, dict, set]:
    """Where each assigned or exercised equity option's premium goes for tax.

    The stock comes in the same instant, in a Receive Deliver row of the option's underlying at the
    strike (the engine links a delivery to its option by the same rule, `Engine._position_for_delivery`).
    Returns (premium by stock lot id, premium by stock closing event id, option event ids moved).
    The premium is shared over the delivered shares by quantity, exactly.
    """
    options = [
        event
        for event in events
        if event.kind in (PnlEvent.Kind.ASSIGNMENT, PnlEvent.Kind.EXERCISE)
        and event.instrument_type == InstrumentType.EQUITY_OPTION
        and not is_section_1256(
            instrument_type=event.instrument_type, underlying=event.underlying_symbol, symbol=event.symbol
        )
    ]
    if not options:
        return {}, {}, set()
    groups: dict[tuple, list[PnlEvent]] = defaultdict(list)
    for event in options:
        groups[(event.account_id, event.executed_at, event.underlying_symbol, event.lot.strike)].append(event)
    deliveries = Transaction.objects.filter(
        account__in=accounts,
        transaction_type=Transaction.Type.RECEIVE_DELIVER,
        transaction_sub_type__in=DELIVERIES,
        instrument_type=InstrumentType.EQUITY,
        executed_at__in={key[1] for key in groups},
    ).values_list("id", "account_id", "executed_at", "symbol", "price")
    delivered: dict[tuple, list[int]] = defaultdict(list)
    for row_id, account_id, executed_at, symbol, price in deliveries:
        delivered[(account_id, executed_at, symbol, price)].append(row_id)
    row_groups = {row_id: key for key, ids in delivered.items() for row_id in ids}
    stock_lots = defaultdict(list)
    for lot in Lot.objects.filter(opening_transaction_id__in=row_groups, moved_from_key=""):
        stock_lots[row_groups[lot.opening_transaction_id]].append(("lot", lot.id, abs(lot.quantity)))
    stock_events = [e for e in events if e.closing_transaction_id in row_groups and e.instrument_type == "Equity"]
    for event in stock_events:
        stock_lots[row_groups[event.closing_transaction_id]].append(("event", event.id, abs(event.quantity)))
    by_lot, by_event, moved = {}, {}, set()
    for key, group in groups.items():
        targets = stock_lots.get((key[0], key[1], key[2], key[3]), [])
        if not targets:
            continue  # no stock came (cash in lieu, or rows missing): the premium stays on the option
        premium = sum((event.realized_pnl for event in group), ZERO)
        portion = Portion(sum((units for _, _, units in targets), ZERO), premium, ())
        for kind, target_id, units in targets:
            (by_lot if kind == "lot" else by_event)[target_id] = portion.take(units).cash
        moved.update(event.id for event in group)
    return by_lot, by_event, moved


def year_end_marks(accounts: QuerySet[BrokerAccount], years: range) -> dict[tuple[int, str, int], YearEndMark]:
    """The broker's marks stored on each year's last trading day: position snapshots (mark, else close)."""
    bounds = Q(pk__in=[])
    days = {year: last_trading_day(year) for year in years}
    for day in days.values():
        start = datetime.combine(day, time(0), tzinfo=NEW_YORK)
        bounds |= Q(as_of__gte=start, as_of__lt=start + timedelta(days=1))
    marks = {}
    for snapshot in PositionSnapshot.objects.filter(bounds, account__in=accounts).select_related("account"):
        price = snapshot.mark if snapshot.mark is not None else snapshot.close_price
        if price is None:
            continue
        day = snapshot.as_of.astimezone(NEW_YORK).date()
        marks[(snapshot.account_id, snapshot.symbol, day.year)] = YearEndMark(
            snapshot.account.account_number, snapshot.symbol, day, price, f"position snapshot of {day:%Y-%m-%d}"
        )
    return marks


# The year -----------------------------------------------------------------------------------------


def tax_year(*, user, year: int, accounts: QuerySet[BrokerAccount] | None = None) -> TaxYear:
    """The tax year of `user`'s included accounts (or `accounts`), from the engine's lots and events."""
    accounts = accounts if accounts is not None else BrokerAccount.objects.for_user(user).included()
    tz = user.tz
    last_day = date(year, 12, 31)
    events = list(
        PnlEvent.objects.filter(account__in=accounts, trading_day__lte=last_day)
        .select_related("lot", "account")
        .order_by("executed_at", "id")
    )
    # Lots bought up to 30 days into next year can still replace a loss of this year.
    horizon = _day_end(last_day + wash_sales.WINDOW, tz)
    lots = list(
        Lot.objects.filter(account__in=accounts, opened_at__lt=horizon)
        .select_related("account", "position")
        .annotate(order_id=F("opening_transaction__order_id"))
    )
    premiums = assignment_premiums(events, accounts)
    first_year = min((lot.opened_at.astimezone(tz).year for lot in lots), default=year)
    marks = year_end_marks(accounts, range(first_year, year + 1))
    book = TaxBook(lots=lots, premiums=premiums, marks=marks, tz=tz)
    book.run(events, first_year=first_year, through=year)
    strict = TaxBook(lots=lots, premiums=premiums, marks=marks, tz=tz, rule=wash_sales.SUBSTANTIALLY_IDENTICAL)
    strict.run(events, first_year=first_year, through=year)
    lines = [line for line in book.lines if line.sold.year == year]
    realized = sum((event.realized_pnl for event in events if event.trading_day.year == year), ZERO)
    moved = sum((e.realized_pnl for e in events if e.id in premiums[2] and e.trading_day.year == year), ZERO)
    bridge = Bridge(
        realized_fifo=realized,
        wash_disallowed=sum((line.wash_disallowed for line in lines), ZERO),
        wash_released=-sum((line.carried_wash for line in lines), ZERO),
        premium_moved=moved,
        premium_released=sum((line.carried_premium for line in lines), ZERO),
        marks_this_year=book.cumulative_marks.get(year, ZERO),
        marks_last_year=book.cumulative_marks.get(year - 1, ZERO),
        taxable_total=sum((line.gain for line in lines), ZERO),
    )
    dividends, interest = _income(accounts, year)
    return TaxYear(
        year=year,
        lines=lines,
        bridge=bridge,
        # One row per contract, however many lots of it were open.
        marks=list({(m.account_number, m.symbol): m for m in book.marks_used if m.day.year == year}.values()),
        premium_events=sorted(e.id for e in events if e.id in premiums[2] and e.trading_day.year == year),
        dividends=dividends,
        interest=interest,
        interpretation=[line for line in strict.lines if line.sold.year == year],
    )


def _day_end(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def _income(accounts: QuerySet[BrokerAccount], year: int) -> tuple[Decimal, Decimal]:
    money = Q(transaction_type=Transaction.Type.MONEY_MOVEMENT, transaction_date__year=year)
    totals = Transaction.objects.filter(account__in=accounts).aggregate(
        dividends=Sum("net_value", filter=money & Q(transaction_sub_type__in=DIVIDEND_SUB_TYPES)),
        interest=Sum("net_value", filter=money & Q(transaction_sub_type__in=INTEREST_SUB_TYPES)),
    )
    return exact(totals["dividends"]), exact(totals["interest"])


def years_with_activity(user) -> list[int]:
    """The years in which the user's included accounts closed anything, most recent first."""
    days = PnlEvent.objects.filter(account__in=BrokerAccount.objects.for_user(user).included()).dates(
        "trading_day", "year", order="DESC"
    )
    return [day.year for day in days]


def default_year(years: list[int], today: date) -> int:
    """Last year when it had activity (the one a 1099-B is about), else the latest year with any."""
    return today.year - 1 if today.year - 1 in years or not years else years[0]


def lines_for(tax: TaxYear, term: str) -> list[TaxLine]:
    """The drill-down: every line, or one term's, or the wash sales."""
    if term == "wash":
        return [line for line in tax.lines if line.wash_disallowed or line.carried_wash]
    return [line for line in tax.lines if not term or line.term == term]
