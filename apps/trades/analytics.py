"""What is my edge: per-trade facts, and statistics over groups of trades.

A trade is a whole strategy position (legs opened together) or a whole chain (a roll campaign or
a wheel), never a leg: a put rolled twice is one trade with two rolls. Facts are read from the
engine's results (positions, lots, events) and worked out here in Python, so the numbers agree with
every other P&L page (FIFO, fees inside). That work happens when P&L is rebuilt: `write_trade_facts`
stores one `TradeFact` row per trade in the rebuild's transaction, and the reports read those rows
(`trade_facts`), two queries however many trades.

Signs: cash and P&L are from the account's side (a credit is positive); `max_loss` is a P&L, so
it is negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from apps.trades.bulk import insert_rows
from apps.trades.models import (
    OPTION_TYPES,
    BrokerAccount,
    ChainEdit,
    Lot,
    PnlEvent,
    Position,
    Strategy,
    Tag,
    TradeFact,
    trading_day,
)
from apps.trades.pnl import accounts_for, money_text

ZERO = Decimal(0)

# Shapes whose worst case is the widest spread between strikes on one side, less the credit.
SPREADS = frozenset({Strategy.VERTICAL, Strategy.IRON_CONDOR, Strategy.IRON_BUTTERFLY})
# Single short puts: the worst case is the stock going to zero, which is a defined amount.
SHORT_PUTS = frozenset({Strategy.SHORT_PUT, Strategy.CASH_SECURED_PUT})


class Outcome:
    OPEN = "open"
    CLOSED = "closed"
    EXPIRED = "expired"
    ASSIGNED = "assigned"
    EXERCISED = "exercised"


# How the last position ended, from its closing events: the first kind found wins.
OUTCOME_OF_EVENT = (
    (PnlEvent.Kind.ASSIGNMENT, Outcome.ASSIGNED),
    (PnlEvent.Kind.EXERCISE, Outcome.EXERCISED),
    (PnlEvent.Kind.EXPIRATION, Outcome.EXPIRED),
    (PnlEvent.Kind.CASH_SETTLEMENT, Outcome.EXPIRED),
)


@dataclass(frozen=True)
class LotFacts:
    instrument_type: str
    option_type: str
    strike: Decimal | None
    expires_on: date | None
    multiplier: Decimal | None
    quantity: Decimal
    opening_cash: Decimal


@dataclass
class PositionFacts:
    pk: int
    account_id: int
    key: str
    chain_id: int | None
    chain_key: str | None
    chain_kind: str | None
    underlying: str
    strategy: str
    opened_at: datetime
    closed_at: datetime | None
    rolled_from_key: str
    lots: list[LotFacts]
    event_kinds: set[str]
    realized_pnl: Decimal
    closing_cash: Decimal  # the cash of closing it (fees included), for a roll's net credit

    @property
    def entry_cash(self) -> Decimal:
        return sum((lot.opening_cash for lot in self.lots), ZERO)

    @property
    def option_lots(self) -> list[LotFacts]:
        return [lot for lot in self.lots if lot.instrument_type in OPTION_TYPES]

    @property
    def is_option(self) -> bool:
        return all(lot.instrument_type in OPTION_TYPES for lot in self.lots)

    @property
    def first_expiry(self) -> date | None:
        return min((lot.expires_on for lot in self.option_lots if lot.expires_on), default=None)


@dataclass(frozen=True)
class TradeFacts:
    key: str  # the key of its first position
    chain_key: str  # empty for a trade of one position
    chain_kind: str
    underlying: str
    strategy: str  # the first position's strategy
    opened_on: date  # trading days, in the user's time zone
    closed_on: date | None
    days_held: int | None
    dte_at_entry: int | None
    dte_at_exit: int | None
    entry_cash: Decimal  # credit (positive) or debit (negative) of the first position, fees included
    net_credit: Decimal  # what a roll campaign has collected through its rolls, before the final close
    max_profit: Decimal | None
    max_loss: Decimal | None  # negative
    realized_pnl: Decimal
    rolls: int
    outcome: str
    tags: tuple[str, ...] = ()  # the user's tags on its positions and its chain, sorted

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None

    @property
    def is_credit(self) -> bool:
        return self.entry_cash > 0

    @cached_property  # read by every breakdown: worked out once per trade
    def captured(self) -> Decimal | None:
        """Realized P&L as a fraction of the max profit (0.5 is a winner managed at 50%)."""
        if not self.is_closed or not self.max_profit:
            return None
        return self.realized_pnl / self.max_profit


def trade_facts(*, accounts: QuerySet[BrokerAccount]) -> list[TradeFacts]:
    """Every trade of the accounts, open ones included, oldest first, as the last rebuild stored them."""
    rows = TradeFact.objects.filter(account__in=accounts).order_by("opened_on", "key")
    return _read_facts(rows, accounts)


def trades_closed_between(
    *, accounts: QuerySet[BrokerAccount], first: date | None, last: date | None
) -> list[TradeFacts]:
    """The trades closed on a trading day in [first, last] (either end may be open), oldest first."""
    rows = TradeFact.objects.filter(account__in=accounts, closed_on__isnull=False)
    if first is not None:
        rows = rows.filter(closed_on__gte=first)
    if last is not None:
        rows = rows.filter(closed_on__lte=last)
    return _read_facts(rows.order_by("opened_on", "key"), accounts)


FACT_FIELDS = (
    "key", "chain_key", "chain_kind", "underlying_symbol", "strategy", "opened_on", "closed_on", "days_held",
    "dte_at_entry", "dte_at_exit", "entry_cash", "net_credit", "max_profit", "max_loss", "realized_pnl", "rolls",
    "outcome",
)  # fmt: skip


def _read_facts(rows: QuerySet[TradeFact], accounts: QuerySet[BrokerAccount]) -> list[TradeFacts]:
    """Stored facts with the tags of their positions (two queries; the keys are read only when tags exist)."""
    tags = _tags(accounts)
    if not tags:
        return [TradeFacts(*row) for row in rows.values_list(*FACT_FIELDS)]
    facts = []
    for account_id, position_keys, *row in rows.values_list("account_id", "position_keys", *FACT_FIELDS):
        names = set().union(*(tags.get((account_id, key), ()) for key in position_keys.split()))
        facts.append(TradeFacts(*row, tags=tuple(sorted(names))))
    return facts


def write_trade_facts(*, account: BrokerAccount, position_keys: set[str] | None = None) -> None:
    """Work out and store the facts of the account's trades: all of them, or only the trades holding
    these positions (after an incremental rebuild or a strategy override).

    The rows of those trades are replaced, and any older row keyed by one of their positions (a trade that
    a new roll or covered call joined to another). A user's merge may join any two chains: then the whole
    account, as `rebuild_chains` does. Called in the rebuild's transaction after the chains, and after a
    user's edit.
    """
    if position_keys is not None and not position_keys:
        return  # an incremental run that changed no trade
    if position_keys is not None and ChainEdit.objects.filter(account=account, action=ChainEdit.Action.MERGE).exists():
        position_keys = None
    positions = Position.objects.filter(account=account)
    if position_keys is not None:
        changed = positions.filter(key__in=position_keys)
        chains = changed.filter(chain__isnull=False).values("chain")
        positions = positions.filter(Q(key__in=position_keys, chain__isnull=True) | Q(chain__in=chains))
    trades = _trades(_positions(positions))
    stale = TradeFact.objects.filter(account=account)
    if position_keys is not None:
        # A row is keyed by its trade's first position; two trades a new position joined leave one row
        # each, both keyed by a position of the joined trade.
        stale = stale.filter(key__in=[position.key for group in trades for position in group])
    stale.delete()
    tz = account.user.tz
    insert_rows(
        TradeFact,
        ("account", "position_keys", *FACT_FIELDS),
        ((account.pk, " ".join(position.key for position in group), *_fact_row(group, tz)) for group in trades),
    )


def _trades(positions: list[PositionFacts]) -> list[list[PositionFacts]]:
    """Positions grouped into trades: a chain's positions together, every other position alone."""
    trades: dict[str, list[PositionFacts]] = {}
    for position in positions:
        group = f"chain:{position.chain_id}" if position.chain_id else f"position:{position.pk}"
        trades.setdefault(group, []).append(position)
    return list(trades.values())


def _positions(scope: QuerySet[Position]) -> list[PositionFacts]:
    fields = (
        "pk",
        "account_id",
        "key",
        "chain_id",
        "chain__key",
        "chain__kind",
        "underlying_symbol",
        "strategy",
        "opened_at",
        "closed_at",
        "rolled_from_key",
    )
    rows = scope.order_by("opened_at", "key").values_list(*fields)
    positions = {
        row[0]: PositionFacts(*row, lots=[], event_kinds=set(), realized_pnl=ZERO, closing_cash=ZERO) for row in rows
    }
    # A lot moved by a symbol change or split carries its older lot's cash: counted once, at the older lot.
    lots = Lot.objects.filter(position__in=scope, moved_from_key="").values_list(
        "position_id", "instrument_type", "option_type", "strike", "expires_on", "multiplier", "quantity",
        "opening_cash",
    )  # fmt: skip
    for position_id, *fields in lots:
        positions[position_id].lots.append(LotFacts(*fields))
    events = PnlEvent.objects.filter(position__in=scope).values_list(
        "position_id", "kind", "realized_pnl", "closing_cash", "variation"
    )
    for position_id, kind, realized, closing_cash, variation in events:
        position = positions[position_id]
        position.event_kinds.add(kind)
        position.realized_pnl += realized
        position.closing_cash += closing_cash + variation
    return list(positions.values())


def _tags(accounts: QuerySet[BrokerAccount]) -> dict[tuple[int, str], set[str]]:
    """Tag names by (account, key): a position's tags and its chain's (a chain is tagged by a member's key)."""
    names: dict[tuple[int, str], set[str]] = {}
    for account_id, key, name in Tag.objects.filter(account__in=accounts).values_list("account_id", "key", "name"):
        names.setdefault((account_id, key), set()).add(name)
    return names


def _fact_row(members: list[PositionFacts], tz: ZoneInfo) -> tuple:
    """One trade's stored facts in FACT_FIELDS order (TradeFacts says what each one is). A tuple, not a TradeFacts:
    a rebuild writes one per trade (37,500 in a 75,000-row import) and reads none of them back."""
    first, last = members[0], max(members, key=lambda position: (position.opened_at, position.key))
    still_open = any(position.closed_at is None for position in members)
    opened_on = trading_day(first.opened_at, tz)
    closed_on = None if still_open else trading_day(max(position.closed_at for position in members), tz)
    # A roll links to a position of the same trade (one the user split off is a trade of its own).
    keys = {position.key for position in members}
    rolls = sum(1 for position in members if position.rolled_from_key in keys)
    # Option premium in through every opening, plus the cash of closing every option position but the
    # last: what the campaign had collected when it reached its final position. A wheel's shares are
    # not premium (their cost is in the campaign basis on the chain's page).
    options = [position for position in members if position.is_option]
    net_credit = sum((position.entry_cash for position in options), ZERO) + sum(
        (position.closing_cash for position in options[:-1]), ZERO
    )
    max_profit, max_loss = _campaign_limits(members, net_credit)
    first_expiry, last_expiry = first.first_expiry, last.first_expiry
    return (
        first.key,
        first.chain_key or "",
        first.chain_kind or "",
        first.underlying,
        first.strategy,
        opened_on,
        closed_on,
        (closed_on - opened_on).days if closed_on else None,  # days_held
        (first_expiry - opened_on).days if first_expiry else None,  # dte_at_entry
        max((last_expiry - closed_on).days, 0) if closed_on and last_expiry else None,  # dte_at_exit
        first.entry_cash,
        net_credit,
        max_profit,
        max_loss,
        sum((position.realized_pnl for position in members), ZERO),
        rolls,
        Outcome.OPEN if still_open else _outcome(members, last),
    )


def _outcome(members: list[PositionFacts], last: PositionFacts) -> str:
    """Assigned or exercised when any of its options was (a wheel ends on its stock, but it was
    assigned); otherwise how its last position ended."""
    kinds = set().union(*(position.event_kinds for position in members))
    for kind, outcome in OUTCOME_OF_EVENT[:2]:
        if kind in kinds:
            return outcome
    for kind, outcome in OUTCOME_OF_EVENT[2:]:
        if kind in last.event_kinds:
            return outcome
    return Outcome.CLOSED


def _campaign_limits(members: list[PositionFacts], net_credit: Decimal) -> tuple[Decimal | None, Decimal | None]:
    """One position: its shape's limits. Rolls only: the net credit collected is the most it can make,
    and the rolls changed the shape, so the loss is not bounded by the first one's. A wheel (stock in
    it) has neither."""
    if len(members) == 1:
        return _limits(members[0])
    if any(lot.instrument_type not in OPTION_TYPES for position in members for lot in position.lots):
        return None, None
    return (net_credit if net_credit > 0 else None), None


def _limits(position: PositionFacts) -> tuple[Decimal | None, Decimal | None]:
    """Max profit and max loss (negative) of a position's shape at entry; None where it is not defined."""
    cash = position.entry_cash
    if position.strategy in SPREADS:
        width = _widest_side(position.option_lots)
        if cash > 0:
            return cash, cash - width
        return width + cash, cash
    if position.strategy in SHORT_PUTS:
        lot = position.option_lots[0]
        return cash, cash - lot.strike * lot.multiplier * abs(lot.quantity)
    if cash < 0 and position.option_lots and position.strategy in {Strategy.LONG_CALL, Strategy.LONG_PUT}:
        return None, cash  # a bought option can lose only what it cost
    if cash > 0 and position.option_lots:
        return cash, None  # short premium with undefined risk: the credit is still the most it can make
    return None, None


def _widest_side(lots: list[LotFacts]) -> Decimal:
    """The cash at risk between strikes: per side (puts, calls), the strike width times the short contracts."""
    widest = ZERO
    for side in ("P", "C"):
        legs = [lot for lot in lots if lot.option_type == side and lot.strike is not None]
        if len(legs) < 2:
            continue
        strikes = [lot.strike for lot in legs]
        shorts = sum((-lot.quantity for lot in legs if lot.quantity < 0), ZERO)
        multiplier = legs[0].multiplier or Decimal(100)
        widest = max(widest, (max(strikes) - min(strikes)) * multiplier * shorts)
    return widest


# Days to expiration at entry, as premium sellers bucket them.
DTE_BUCKETS = ((7, "0-7"), (21, "8-21"), (45, "22-45"), (60, "46-60"))
OVER_60 = "60+"
NO_EXPIRY = "No expiry"
UNTAGGED = "Untagged"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
BREAKDOWNS = ("strategy", "underlying", "tag", "dte", "weekday", "month")
STRATEGY_LABELS = dict(Strategy.choices)  # once: Strategy.values builds a new list on every call


def dte_bucket(dte: int | None) -> str:
    if dte is None:
        return NO_EXPIRY
    for most, label in DTE_BUCKETS:
        if dte <= most:
            return label
    return OVER_60


def _group_keys(trade: TradeFacts, by: str) -> tuple[str, ...]:
    """The groups a trade counts in: one, except that a trade with two tags counts under each."""
    if by == "strategy":
        return (STRATEGY_LABELS.get(trade.strategy, trade.strategy),)
    if by == "underlying":
        return (trade.underlying,)
    if by == "tag":
        return trade.tags or (UNTAGGED,)
    if by == "dte":
        return (dte_bucket(trade.dte_at_entry),)
    if by == "weekday":
        return (WEEKDAYS[trade.opened_on.weekday()],)
    if by == "month":
        return (f"{trade.closed_on:%Y-%m}",)  # the month its P&L was realized
    raise ValueError(f"No breakdown by {by!r}")


def _group_order(by: str, key: str) -> tuple:
    """Buckets and weekdays in their natural order, the rest alphabetically (months by date)."""
    if by == "dte":
        order = [label for _, label in DTE_BUCKETS] + [OVER_60, NO_EXPIRY]
        return (order.index(key), key)
    if by == "weekday":
        return (WEEKDAYS.index(key), key)
    return (0, key)


@dataclass(frozen=True)
class GroupStats:
    """Closed trades of one group: how often they won, by how much, and what a trade is worth on average."""

    key: str
    trades: int
    winners: int
    losers: int
    win_rate: Decimal | None
    average_win: Decimal | None
    average_loss: Decimal | None
    expectancy: Decimal | None  # the average P&L of a trade: win rate x average win + loss rate x average loss
    profit_factor: Decimal | None  # gross wins / gross losses
    largest_win: Decimal | None
    largest_loss: Decimal | None
    average_days_held: Decimal | None
    average_captured: Decimal | None  # of the trades with a max profit
    total_pnl: Decimal


def group_stats(key: str, trades: list[TradeFacts]) -> GroupStats:
    wins, losses, captured, days = [], [], [], []
    for trade in trades:  # one pass: the Edge report runs this for every group of seven tables
        result = trade.realized_pnl
        if result > 0:
            wins.append(result)
        elif result < 0:
            losses.append(result)
        if trade.captured is not None:
            captured.append(trade.captured)
        if trade.days_held is not None:
            days.append(trade.days_held)
    count = len(trades)
    gained, lost = sum(wins, ZERO), sum(losses, ZERO)
    return GroupStats(
        key=key,
        trades=count,
        winners=len(wins),
        losers=len(losses),
        win_rate=Decimal(len(wins)) / count if count else None,
        average_win=gained / len(wins) if wins else None,
        average_loss=lost / len(losses) if losses else None,
        expectancy=(gained + lost) / count if count else None,
        profit_factor=gained / -lost if losses else None,
        largest_win=max(wins) if wins else None,
        largest_loss=min(losses) if losses else None,
        average_days_held=Decimal(sum(days)) / len(days) if days else None,
        average_captured=sum(captured, ZERO) / len(captured) if captured else None,
        total_pnl=gained + lost,
    )


def breakdown(trades: list[TradeFacts], by: str) -> list[GroupStats]:
    """Statistics of the closed trades per group (strategy, underlying, tag, dte, weekday, month)."""
    groups: dict[str, list[TradeFacts]] = {}
    for trade in trades:
        if trade.is_closed:
            for key in _group_keys(trade, by):
                groups.setdefault(key, []).append(trade)
    return [group_stats(key, groups[key]) for key in sorted(groups, key=lambda key: _group_order(by, key))]


STATS_COLUMNS = (
    "trades", "winners", "losers", "win_rate", "average_win", "average_loss", "expectancy", "profit_factor",
    "largest_win", "largest_loss", "average_days_held", "average_captured", "total_pnl",
)  # fmt: skip
COUNTS = frozenset({"trades", "winners", "losers"})
RATIOS = frozenset({"win_rate", "profit_factor", "average_captured", "average_days_held"})


def _stat_text(column: str, value) -> str | int | None:
    """Counts as numbers, ratios to four places, money to cents (as the rest of `pnl_report`); None stays."""
    if value is None or column in COUNTS:
        return value
    if column in RATIOS:
        return str(value.quantize(Decimal("0.0001")))
    return money_text(value)


def stats_json(row: GroupStats) -> dict:
    return {"key": row.key} | {column: _stat_text(column, getattr(row, column)) for column in STATS_COLUMNS}


def stats_report(*, user, by: str, account_number: str | None = None) -> dict:
    """`pnl_report --stats`: statistics of every closed trade per group, as JSON-ready values."""
    accounts = accounts_for(user, account_number)
    if account_number and not accounts.exists():
        raise BrokerAccount.DoesNotExist(f"{user} has no account {account_number}")
    rows = breakdown(trades_closed_between(accounts=accounts, first=None, last=None), by)
    return {"by": by, "timezone": user.time_zone, "rows": [stats_json(row) for row in rows]}


def management_rules(trades: list[TradeFacts], *, profit_target_percent: int, dte: int) -> list[GroupStats]:
    """Closed short premium trades (opened for a credit), and the ones that followed each rule.

    Managed: closed (not expired or assigned) at or above the profit target's share of max profit.
    Held past the DTE: opened with more days to expiration than `dte`, closed with fewer.
    Held to expiration: it expired, or was assigned or exercised. A trade can be in more than one.
    """
    target = Decimal(profit_target_percent) / 100
    short_premium = [trade for trade in trades if trade.is_closed and trade.is_credit]
    groups = [
        ("All short premium trades", short_premium),
        (
            f"Closed at {profit_target_percent}% of max profit or more",
            [
                t
                for t in short_premium
                if t.outcome == Outcome.CLOSED and t.captured is not None and t.captured >= target
            ],
        ),
        (
            f"Held past {dte} DTE",
            [
                t
                for t in short_premium
                if t.dte_at_entry is not None and t.dte_at_exit is not None and t.dte_at_entry > dte > t.dte_at_exit
            ],
        ),
        (
            "Held to expiration",
            [t for t in short_premium if t.outcome in {Outcome.EXPIRED, Outcome.ASSIGNED, Outcome.EXERCISED}],
        ),
    ]
    return [group_stats(label, members) for label, members in groups]
