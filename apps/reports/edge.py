"""The Edge report: statistics of closed trades per strategy, underlying, tag, DTE at entry, weekday
and month, as tables, charts and CSV; and the Rolls report, every roll chain and wheel campaign with its
rolls, net credit and result. The numbers come from `apps.trades.analytics` (stored `TradeFact` rows)."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Q

from apps.trades.analytics import (
    BREAKDOWNS,
    STATS_COLUMNS,
    GroupStats,
    TradeFacts,
    breakdown,
    management_rules,
    trades_closed_between,
)
from apps.trades.models import TradeFact
from apps.trades.scope import Scope

TITLES = {
    "strategy": "Strategy",
    "underlying": "Underlying",
    "tag": "Tag",
    "dte": "Days to expiration at entry",
    "weekday": "Day of the week opened",
    "month": "Month closed",
    "management": "Management rule",
}

# The page table's columns after the group's name: the result first, so it stays in view on a laptop and a
# phone; the CSV keeps the order of STATS_COLUMNS.
HEADINGS = [
    "Trades", "Total P&L", "Win rate", "Expectancy", "Average win", "Average loss", "Profit factor", "Largest win",
    "Largest loss", "Days held", "% of max captured",
]  # fmt: skip


@dataclass(frozen=True)
class Breakdown:
    name: str
    title: str
    rows: list[GroupStats]

    @property
    def data_id(self) -> str:
        return f"edge-{self.name}-data"

    @property
    def chart(self) -> dict[str, list]:
        """Total P&L and win rate per group (floats for Chart.js)."""
        return {
            "labels": [row.key for row in self.rows],
            "total_pnl": [float(row.total_pnl) for row in self.rows],
            "win_rate": [float(row.win_rate * 100) if row.win_rate is not None else None for row in self.rows],
        }


def closed_trades(scope: Scope) -> list[TradeFacts]:
    return trades_closed_between(accounts=scope.account_queryset(), first=scope.start, last=scope.end)


def table_rows(trades: list[TradeFacts], name: str, user) -> list[GroupStats]:
    """One table: a breakdown, or the management rules with the trader's thresholds from the profile."""
    if name == "management":
        return management_rules(trades, profit_target_percent=user.profit_target_percent, dte=user.management_dte)
    return breakdown(trades, name)


def tables(scope: Scope, user) -> list[Breakdown]:
    """The management rules, then every breakdown, of the trades closed in the scope's range."""
    trades = closed_trades(scope)
    return [Breakdown(name, TITLES[name], table_rows(trades, name, user)) for name in ("management", *BREAKDOWNS)]


def stats_row(row: GroupStats) -> list:
    return [row.key, *(getattr(row, column) for column in STATS_COLUMNS)]


CAMPAIGNS_PER_PAGE = 100


@dataclass(frozen=True)
class Campaigns:
    """The Rolls report: roll chains and wheels open now or closed in the range, newest first."""

    rows: list[TradeFact]
    page: Page

    @property
    def closed(self) -> list[TradeFact]:
        return [row for row in self.rows if row.closed_on is not None]

    @property
    def rolls(self) -> int:
        return sum(row.rolls for row in self.rows)

    @property
    def result(self) -> Decimal:
        """The final results of the closed ones, FIFO and net of fees."""
        return sum((row.realized_pnl for row in self.closed), Decimal(0))

    @property
    def winners(self) -> int:
        return sum(1 for row in self.closed if row.realized_pnl > 0)


def campaign_rows(scope: Scope) -> list[TradeFact]:
    """Roll chains and wheel campaigns still open, and those closed on a trading day of the range (one query)."""
    closed_in_range = Q(closed_on__isnull=False)
    if scope.start is not None:
        closed_in_range &= Q(closed_on__gte=scope.start)
    if scope.end is not None:
        closed_in_range &= Q(closed_on__lte=scope.end)
    rows = TradeFact.objects.filter(account__in=scope.account_queryset()).exclude(chain_key="")
    return list(rows.filter(Q(closed_on__isnull=True) | closed_in_range).order_by("-opened_on", "-key"))


def campaigns(scope: Scope, page: str | None) -> Campaigns:
    rows = campaign_rows(scope)
    return Campaigns(rows, Paginator(rows, CAMPAIGNS_PER_PAGE).get_page(page))


CAMPAIGN_COLUMNS = [
    "underlying", "kind", "opened_on", "closed_on", "status", "rolls", "net_credit", "realized_pnl", "account",
    "chain_key",
]  # fmt: skip


def campaign_row(row: TradeFact) -> list:
    return [
        row.underlying_symbol, row.chain_kind, row.opened_on, row.closed_on, row.status, row.rolls, row.net_credit,
        row.realized_pnl, row.account_id, row.chain_key,
    ]  # fmt: skip
