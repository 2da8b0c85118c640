"""The Edge report: statistics of closed trades per strategy, underlying, tag, DTE at entry, weekday
and month, as tables, charts and CSV. The numbers come from `apps.trades.analytics`."""

from dataclasses import dataclass

from apps.trades.analytics import (
    BREAKDOWNS,
    STATS_COLUMNS,
    GroupStats,
    TradeFacts,
    breakdown,
    management_rules,
    trades_closed_between,
)
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
