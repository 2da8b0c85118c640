"""Your own dashboard: which widgets the home page shows, in what order, saved per user.

A saved layout is a list of {"name": ..., "shown": ...} in the user's order (`DashboardLayout.widgets`).
Reading it is forgiving: a name we no longer have, a duplicate or a malformed entry is skipped, and a widget
added since the layout was saved appears, shown, after the saved ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Widget:
    name: str
    title: str  # as the "Edit layout" panel names it
    cols: str  # Bootstrap grid columns on the home page


WIDGETS = [
    Widget("balances", "Balances and open positions", "col-12"),
    Widget("pnl", "Profit and loss figures", "col-12"),
    Widget("net-liq", "Net liquidating value chart", "col-lg-8"),
    Widget("sync", "Sync status", "col-lg-4"),
    Widget("calendar", "P&L calendar (this month)", "col-12"),
    Widget("monthly-pnl", "Monthly realized P&L chart", "col-lg-6"),
    Widget("cumulative-pnl", "Cumulative realized P&L chart", "col-lg-6"),
]
BY_NAME = {widget.name: widget for widget in WIDGETS}
DIRECTIONS = ("up", "down")


@dataclass(frozen=True)
class Placed:
    widget: Widget
    shown: bool

    @property
    def name(self) -> str:
        return self.widget.name

    @property
    def template(self) -> str:
        """The widget's partial in the home page's template."""
        return f"dashboard/home.html#widget-{self.widget.name}"


def arrange(saved: object) -> list[Placed]:
    """The widgets in the saved order with their saved visibility, then any widget the layout does not name."""
    placed: list[Placed] = []
    seen: set[str] = set()
    for entry in saved if isinstance(saved, list) else []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if name in BY_NAME and name not in seen:
            seen.add(name)
            placed.append(Placed(BY_NAME[name], entry.get("shown") is not False))
    placed += [Placed(widget, True) for widget in WIDGETS if widget.name not in seen]
    return placed


def with_shown(placed: list[Placed], shown: set[str]) -> list[Placed]:
    return [Placed(item.widget, item.name in shown) for item in placed]


def moved(placed: list[Placed], name: str, direction: str) -> list[Placed]:
    """The layout with one widget swapped with its neighbour above or below (unchanged at either end)."""
    names = [item.name for item in placed]
    index = names.index(name)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(placed):
        return placed
    result = list(placed)
    result[index], result[other] = result[other], result[index]
    return result


def to_json(placed: list[Placed]) -> list[dict]:
    return [{"name": item.name, "shown": item.shown} for item in placed]
