"""Reading P&L: the one module every page, export and command reads the engine's results through.

Realized P&L by day, period, underlying, strategy or instrument type; open positions with
unrealized P&L from the broker's marks; statistics; cash lines; the `pnl_report` shape.

Two kinds of charges, never mixed up:
- commissions_in_pnl / fees_in_pnl (RealizedLine): the charges *inside* realized P&L, the closed
  pieces' shares of their opening and closing transactions' charges;
- commissions_charged / fees_charged (PnlRow): what a group's transactions *were charged*, whether
  or not they closed anything (the cash-flow view of fees).
Both sum the same columns with models.FEES_SUM.

Everything returns Decimals; only `pnl_report` turns them into strings (two decimals, signed
from the account's point of view). A period's trading days are in the user's time zone, the
same days the engine stamped on its events.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db.models import CharField, Count, F, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, NullIf, TruncDate

from apps.core.money import round_cents
from apps.trades.models import (
    FEES_SUM,
    BrokerAccount,
    InstrumentType,
    Lot,
    PnlEvent,
    PositionSnapshot,
    Strategy,
    Transaction,
    exact,
)

ZERO = Decimal(0)
GROUPINGS = ("year", "month", "day", "underlying", "strategy", "instrument-type")
NONE_KEY = "(none)"
ACCOUNT_FEE_SUB_TYPES = ("Fee", "Balance Adjustment")
DIVIDEND_SUB_TYPES = ("Dividend",)
INTEREST_SUB_TYPES = ("Credit Interest", "Debit Interest")


if TYPE_CHECKING:
    from apps.trades.scope import Scope

DayAmounts = list[tuple[date, Decimal]]
STRATEGY_LABELS = dict(Strategy.choices)
BREAKDOWNS = {"underlying": "underlying_symbol", "strategy": "position__strategy"}


@dataclass(frozen=True)
class RealizedLine:
    """Realized P&L of the closing events of one day, month, year, underlying or strategy, with the
    commissions and fees inside it (negative). The cash-flow report has what was charged instead."""

    key: date | str  # the first day of a day, month or year; an underlying; a Strategy value
    realized_pnl: Decimal = ZERO
    closing_events: int = 0
    commissions_in_pnl: Decimal = ZERO
    fees_in_pnl: Decimal = ZERO

    def __add__(self, other: RealizedLine) -> RealizedLine:
        return RealizedLine(
            self.key,
            self.realized_pnl + other.realized_pnl,
            self.closing_events + other.closing_events,
            self.commissions_in_pnl + other.commissions_in_pnl,
            self.fees_in_pnl + other.fees_in_pnl,
        )

    @property
    def label(self) -> str:
        if isinstance(self.key, date):
            return self.key.isoformat()
        return STRATEGY_LABELS.get(self.key, self.key or NONE_KEY)


def _realized_lines(scope: Scope, field: str, first: date | None, last: date | None) -> list[RealizedLine]:
    rows = PnlEvent.objects.filter(account_id__in=scope.account_ids).on_days(first, last).realized_by(field)
    return [
        RealizedLine(
            row[field],
            exact(row["realized"]),
            row["closing_events"],
            exact(row["commissions_in_pnl"]),
            exact(row["fees_in_pnl"]),
        )
        for row in rows
    ]


def realized_by_day(scope: Scope, *, first: date | None = None, last: date | None = None) -> list[RealizedLine]:
    """Realized P&L per trading day of the selected accounts, oldest first: one query."""
    return _realized_lines(scope, "trading_day", first, last)


def realized_by(scope: Scope, breakdown: str) -> list[RealizedLine]:
    """Realized P&L of the scope's days per underlying or strategy, biggest gain first: one query."""
    lines = _realized_lines(scope, BREAKDOWNS[breakdown], scope.start, scope.end)
    return sorted(lines, key=lambda line: (-line.realized_pnl, line.label))


def realized_per_day(scope: Scope, *, first: date | None = None) -> DayAmounts:
    """Only the realized P&L per trading day, oldest first: the dashboard's one P&L query, kept to one sum."""
    rows = (
        PnlEvent.objects.filter(account_id__in=scope.account_ids)
        .on_days(first, None)
        .values("trading_day")
        .annotate(realized=Sum("realized_pnl"))
        .order_by("trading_day")
        .values_list("trading_day", "realized")
    )
    return [(day, exact(realized)) for day, realized in rows]


@dataclass
class PnlRow:
    """One group of `pnl_report`: realized P&L and closing events, and what the group's transactions
    were charged (commissions_charged, fees_charged), whether or not they closed anything."""

    key: str
    realized_pnl: Decimal = ZERO
    commissions_charged: Decimal = ZERO
    fees_charged: Decimal = ZERO
    closing_events: int = 0


def accounts_for(user, account_number: str | None = None) -> QuerySet[BrokerAccount]:
    """The user's accounts in reports: one by number, else every account left included."""
    accounts = BrokerAccount.objects.for_user(user)
    if account_number:
        return accounts.filter(account_number=account_number)
    return accounts.included()


def _day_bounds(first: date | None, last: date | None, tz: ZoneInfo) -> Q:
    bounds = Q()
    if first is not None:
        bounds &= Q(executed_at__gte=datetime.combine(first, time.min, tz))
    if last is not None:
        bounds &= Q(executed_at__lt=datetime.combine(last + timedelta(days=1), time.min, tz))
    return bounds


def _period_key(day: date, by: str) -> str:
    if by == "year":
        return f"{day:%Y}"
    if by == "month":
        return f"{day:%Y-%m}"
    return day.isoformat()


def realized_pnl_by(
    *,
    accounts: QuerySet[BrokerAccount],
    by: str,
    tz: ZoneInfo,
    first: date | None = None,
    last: date | None = None,
) -> list[PnlRow]:
    """Realized P&L, closing events and charges per group, sorted by key."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(GROUPINGS)}")
    groups: dict[str, PnlRow] = {}

    def row(key: str | None) -> PnlRow:
        key = key or NONE_KEY
        return groups.setdefault(key, PnlRow(key))

    events = PnlEvent.objects.filter(account__in=accounts).on_days(first, last)
    event_field = {
        "underlying": "underlying_symbol",
        "strategy": "position__strategy",
        "instrument-type": "instrument_type",
    }.get(by, "trading_day")
    for key, realized, closed in events.realized_by(event_field).values_list(event_field, "realized", "closing_events"):
        group = row(_period_key(key, by) if event_field == "trading_day" else key)
        group.realized_pnl += exact(realized)
        group.closing_events += closed

    charged = Transaction.objects.filter(account__in=accounts).filter(_day_bounds(first, last, tz)).charged()
    if by == "strategy":
        for key, commission, fees in _charges_by_strategy(charged, accounts):
            group = row(key)
            group.commissions_charged += commission
            group.fees_charged += fees
    else:
        if by in ("year", "month", "day"):
            charged = charged.annotate(group=TruncDate("executed_at", tzinfo=tz))
        elif by == "underlying":
            charged = charged.annotate(
                group=Coalesce(NullIf("underlying_symbol", Value("")), "symbol", output_field=CharField())
            )
        else:
            charged = charged.annotate(group=F("instrument_type"))
        for key, commission, fees in (
            charged.values("group")
            .annotate(commissions=Sum("commission"), fees=Sum(FEES_SUM))
            .values_list("group", "commissions", "fees")
        ):
            group = row(_period_key(key, by) if by in ("year", "month", "day") else key)
            group.commissions_charged += exact(commission)
            group.fees_charged += exact(fees)
    return sorted(groups.values(), key=lambda group: group.key)


def _charges_by_strategy(charged: QuerySet[Transaction], accounts) -> list[tuple[str, Decimal, Decimal]]:
    """A transaction's charges go to the strategy of the position it opened or closed."""
    strategy_of: dict[int, str] = {}
    for transaction_id, strategy in PnlEvent.objects.filter(account__in=accounts).values_list(
        "closing_transaction_id", "position__strategy"
    ):
        strategy_of.setdefault(transaction_id, strategy)
    for transaction_id, strategy in Lot.objects.filter(account__in=accounts).values_list(
        "opening_transaction_id", "position__strategy"
    ):
        strategy_of[transaction_id] = strategy
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for pk, commission, fees in charged.annotate(fees_total=FEES_SUM).values_list("pk", "commission", "fees_total"):
        total = totals[strategy_of.get(pk) or NONE_KEY]
        total[0] += commission
        total[1] += fees
    return [(key, commission, fees) for key, (commission, fees) in totals.items()]


def total_of(rows: list[PnlRow]) -> PnlRow:
    total = PnlRow("total")
    for row in rows:
        total.realized_pnl += row.realized_pnl
        total.commissions_charged += row.commissions_charged
        total.fees_charged += row.fees_charged
        total.closing_events += row.closing_events
    return total


@dataclass
class CashLines:
    """Income and expense lines that are not trade P&L, and the cash they all add up to."""

    account_fees: Decimal
    dividends: Decimal
    interest: Decimal
    cash: Decimal


def cash_lines(*, accounts: QuerySet[BrokerAccount]) -> CashLines:
    money = Q(transaction_type=Transaction.Type.MONEY_MOVEMENT)
    totals = Transaction.objects.filter(account__in=accounts).aggregate(
        account_fees=Sum("net_value", filter=money & Q(transaction_sub_type__in=ACCOUNT_FEE_SUB_TYPES)),
        dividends=Sum("net_value", filter=money & Q(transaction_sub_type__in=DIVIDEND_SUB_TYPES)),
        interest=Sum("net_value", filter=money & Q(transaction_sub_type__in=INTEREST_SUB_TYPES)),
        cash=Sum("net_value"),
    )
    return CashLines(**{name: exact(value) for name, value in totals.items()})


@dataclass
class OpenPosition:
    """What is still open in one instrument, and what the broker's mark says it is worth."""

    account: str
    symbol: str
    underlying_symbol: str
    instrument_type: str
    quantity: Decimal  # signed
    open_cost: Decimal  # net cash paid (negative) or received (positive) to open it, fees included
    mark: Decimal | None = None
    market_value: Decimal | None = None
    unrealized_pnl: Decimal | None = None


def open_positions(
    *, accounts: QuerySet[BrokerAccount], snapshots: list[PositionSnapshot] | None = None
) -> list[OpenPosition]:
    """One row per open instrument, with unrealized P&L where the position snapshot has a mark.

    Unrealized = mark × quantity × multiplier + open cost. Futures are settled daily (mark to
    market is realized), so theirs is the move since the previous close, or since the fill for
    lots opened on the snapshot's day. A page that has already read the accounts' position
    snapshots passes them as `snapshots` (one query fewer).
    """
    lots = list(
        Lot.objects.filter(account__in=accounts)
        .open()
        .values_list(
            "account__account_number", "account_id", "symbol", "underlying_symbol", "instrument_type",
            "remaining_quantity", "remaining_cost", "opening_price", "opened_at", "multiplier",
        )
        .order_by("account__account_number", "symbol", "opened_at")
    )  # fmt: skip
    if snapshots is None:
        snapshots = list(PositionSnapshot.objects.filter(account__in=accounts))
    held = {(snapshot.account_id, snapshot.symbol): snapshot for snapshot in snapshots}
    positions: dict[tuple[str, str], OpenPosition] = {}
    futures_unrealized: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    account_ids: dict[str, int] = {}
    for number, account_id, symbol, underlying, kind, quantity, cost, price, opened_at, multiplier in lots:
        account_ids[number] = account_id
        position = positions.get((number, symbol))
        if position is None:
            position = positions[(number, symbol)] = OpenPosition(number, symbol, underlying, kind, ZERO, ZERO)
        position.quantity += quantity
        position.open_cost += cost
        snapshot = held.get((account_id, symbol))
        if kind == InstrumentType.FUTURE and snapshot and snapshot.mark is not None:
            opened_today = opened_at.date() >= snapshot.as_of.date()
            reference = price if opened_today or snapshot.close_price is None else snapshot.close_price
            if reference is not None:
                futures_unrealized[(number, symbol)] += (
                    (snapshot.mark - reference) * quantity * (snapshot.multiplier or multiplier or 1)
                )
    for (number, symbol), position in positions.items():
        snapshot = held.get((account_ids.get(number), symbol))
        if snapshot is None:
            continue
        # Only a mark counts: the sync asks for marks (include-marks=true), and a stale close price
        # shown as today's worth would disagree with the Positions page.
        mark = snapshot.mark
        if mark is None:
            continue
        position.mark = mark
        if position.instrument_type == InstrumentType.FUTURE:
            position.unrealized_pnl = futures_unrealized.get((number, symbol))
            continue
        position.market_value = mark * position.quantity * snapshot.multiplier
        position.unrealized_pnl = position.market_value + position.open_cost
    return list(positions.values())


@dataclass
class TradeStatistics:
    """Closed positions (legs opened together), each counted once when its last lot closes."""

    closed_positions: int
    winners: int
    losers: int
    win_rate: Decimal | None
    average_win: Decimal | None
    average_loss: Decimal | None
    largest_win: Decimal | None
    largest_loss: Decimal | None
    profit_factor: Decimal | None
    realized_pnl: Decimal


def statistics(
    *, accounts: QuerySet[BrokerAccount], tz: ZoneInfo, first: date | None = None, last: date | None = None
) -> TradeStatistics:
    closed = PnlEvent.objects.filter(account__in=accounts, position__closed_at__isnull=False)
    if first is not None:
        closed = closed.filter(position__closed_at__gte=datetime.combine(first, time.min, tz))
    if last is not None:
        closed = closed.filter(position__closed_at__lt=datetime.combine(last + timedelta(days=1), time.min, tz))
    # Each closed position's total, then one row of counts and sums over them: the database hands back
    # seven numbers instead of one row per position (11,000 at 50,000 transactions).
    per_position = closed.values("position_id").annotate(total=Sum("realized_pnl"))
    winning, losing = Q(total__gt=0), Q(total__lt=0)
    row = per_position.aggregate(
        closed_positions=Count("total"),
        winners=Count("total", filter=winning),
        losers=Count("total", filter=losing),
        gained=Sum("total", filter=winning),
        lost=Sum("total", filter=losing),
        largest_win=Max("total", filter=winning),
        largest_loss=Min("total", filter=losing),
    )
    results, wins, losses = row["closed_positions"], row["winners"], row["losers"]
    gained = exact(row["gained"]) if wins else ZERO
    lost = exact(row["lost"]) if losses else ZERO
    return TradeStatistics(
        closed_positions=results,
        winners=wins,
        losers=losses,
        win_rate=Decimal(wins) / results if results else None,
        average_win=gained / wins if wins else None,
        average_loss=lost / losses if losses else None,
        largest_win=exact(row["largest_win"]) if wins else None,
        largest_loss=exact(row["largest_loss"]) if losses else None,
        profit_factor=gained / -lost if losses else None,
        realized_pnl=gained + lost,
    )


def money_text(amount: Decimal) -> str:
    """Two decimals, signed, never "-0.00"."""
    rounded = round_cents(amount)
    return f"{rounded:.2f}" if rounded else "0.00"


def quantity_text(quantity: Decimal) -> str:
    return format(quantity.normalize(), "f") if quantity else "0"


def _row_json(row: PnlRow) -> dict:
    return {
        "key": row.key,
        "realized_pnl": money_text(row.realized_pnl),
        "commissions": money_text(row.commissions_charged),
        "fees": money_text(row.fees_charged),
        "closed_events": row.closing_events,
    }


def pnl_report(*, user, by: str, account_number: str | None = None) -> dict:
    """The `pnl_report` command's JSON: realized P&L by group, cash lines and open positions."""
    accounts = accounts_for(user, account_number)
    if account_number and not accounts.exists():
        raise BrokerAccount.DoesNotExist(f"{user} has no account {account_number}")
    rows = realized_pnl_by(accounts=accounts, by=by, tz=user.tz)
    if by == "strategy":
        labels = STRATEGY_LABELS
        for row in rows:
            row.key = labels.get(row.key, row.key)
        rows.sort(key=lambda row: row.key)
    lines = cash_lines(accounts=accounts)
    return {
        "by": by,
        "timezone": user.time_zone,
        "rows": [_row_json(row) for row in rows],
        "totals": {key: value for key, value in _row_json(total_of(rows)).items() if key != "key"},
        "account_fees": money_text(lines.account_fees),
        "dividends": money_text(lines.dividends),
        "interest": money_text(lines.interest),
        "cash": money_text(lines.cash),
        "open_positions": [
            {
                "account": position.account,
                "symbol": position.symbol,
                "instrument_type": position.instrument_type,
                "quantity": quantity_text(position.quantity),
                "open_cost": money_text(position.open_cost),
            }
            for position in open_positions(accounts=accounts)
        ],
    }
