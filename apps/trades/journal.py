"""The trade journal: the P&L engine's positions and chains as the Trades tab shows them.

A position is the legs opened together (apps.trades.engine); a chain links positions by rolls and
assignments (apps.trades.chains). Both are rebuilt by every recompute, so pages name them by their
stable keys (the TastyTrade id of the first opening transaction), never by database id, and what the
user said about them (tags, notes, a strategy override) lives in tables keyed the same way.

Each function is one query, whatever the number of rows; per-row figures (realized P&L, whether there
are notes) are subqueries of the listing query, and tags and legs are fetched for one page at a time.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from apps.core.money import ZERO
from apps.trades.models import MONEY, Chain, Lot, Note, PnlEvent, Position, Tag, Target, Transaction
from apps.trades.scope import Scope
from apps.trades.strategies import Leg


def _realized(outer: str) -> Coalesce:
    """The realized P&L of the closing events whose `outer` is the listed row."""
    events = (
        PnlEvent.objects.filter(**{outer: OuterRef("pk")})
        .order_by()
        .values(outer)
        .annotate(total=Sum("realized_pnl"))
        .values("total")
    )
    return Coalesce(Subquery(events), ZERO, output_field=DecimalField(**MONEY))


def _has_notes(target: str, key_field: str) -> Exists:
    return Exists(Note.objects.filter(account=OuterRef("account"), target=target, key=OuterRef(key_field)))


def _tagged(target: str, name: str) -> Exists:
    return Exists(Tag.objects.filter(account=OuterRef("account"), target=target, key=OuterRef("key"), name=name))


def _open_in_range(rows: QuerySet, scope: Scope) -> QuerySet:
    """Rows that were open on at least one day of the scope's range."""
    if scope.end:
        rows = rows.filter(opened_at__lt=scope.day_starts(scope.end, days_later=1))
    if scope.start:
        rows = rows.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=scope.day_starts(scope.start)))
    return rows


def _by_status(rows: QuerySet, status: str | None) -> QuerySet:
    if status == "open":
        return rows.filter(closed_at__isnull=True)
    if status == "closed":
        return rows.filter(closed_at__isnull=False)
    return rows


def positions(scope: Scope, filters: dict) -> QuerySet[Position]:
    """The selected accounts' positions matching the Trades tab's filters, newest first."""
    rows = _by_status(Position.objects.filter(account_id__in=scope.account_ids), filters.get("status"))
    if filters.get("underlying"):
        rows = rows.filter(underlying_symbol=filters["underlying"])
    if filters.get("strategy"):
        rows = rows.filter(strategy=filters["strategy"])
    if filters.get("tag"):
        rows = rows.filter(_tagged(Target.POSITION, filters["tag"]))
    return (
        _open_in_range(rows, scope)
        .select_related("account", "chain")
        .annotate(realized_pnl=_realized("position"), has_notes=_has_notes(Target.POSITION, "key"))
        .order_by("-opened_at", "key")
    )


def chains(scope: Scope, filters: dict) -> QuerySet[Chain]:
    """The selected accounts' chains matching the filters (a chain matches a strategy any position of it has)."""
    rows = _by_status(Chain.objects.filter(account_id__in=scope.account_ids), filters.get("status"))
    if filters.get("underlying"):
        rows = rows.filter(underlying_symbol=filters["underlying"])
    if filters.get("strategy"):
        rows = rows.filter(Exists(Position.objects.filter(chain=OuterRef("pk"), strategy=filters["strategy"])))
    if filters.get("tag"):
        rows = rows.filter(_tagged(Target.CHAIN, filters["tag"]))
    return (
        _open_in_range(rows, scope)
        .select_related("account")
        .annotate(realized_pnl=_realized("position__chain"), has_notes=_has_notes(Target.CHAIN, "key"))
        .order_by("-opened_at", "key")
    )


def attach_tags(rows: list, target: str) -> None:
    """Set `.tags` (names, sorted) on each position or chain of a page: one query."""
    keys = {row.key for row in rows}
    account_ids = {row.account_id for row in rows}
    names = defaultdict(list)
    for account_id, key, name in Tag.objects.filter(
        account_id__in=account_ids, target=target, key__in=keys
    ).values_list("account_id", "key", "name"):
        names[(account_id, key)].append(name)
    for row in rows:
        row.tags = sorted(names[(row.account_id, row.key)])


def attach_legs(positions: list[Position]) -> None:
    """Set `.legs` on each position of a page, one Leg per instrument it opened: one query."""
    legs: dict[int, dict[str, list]] = defaultdict(dict)
    lots = (
        Lot.objects.filter(position__in=[position.pk for position in positions], moved_from_key="")
        .order_by("expires_on", "strike", "symbol")
        .values_list("position_id", "symbol", "instrument_type", "option_type", "strike", "expires_on", "quantity")
    )
    for position_id, symbol, kind, option_type, strike, expires_on, quantity in lots:
        leg = legs[position_id].setdefault(symbol, [symbol, kind, option_type, strike, expires_on, ZERO])
        leg[5] += quantity
    for position in positions:
        position.legs = [
            Leg(
                symbol=symbol,
                instrument_type=kind,
                option_type=option_type,
                strike=strike,
                expires_on=expires_on,
                quantity=quantity,
            )
            for symbol, kind, option_type, strike, expires_on, quantity in legs[position.pk].values()
        ]


def tag_names(scope: Scope) -> list[str]:
    """Every tag the user has put on a trade in the selected accounts (for the filter)."""
    rows = Tag.objects.filter(account_id__in=scope.account_ids).values_list("name", flat=True).distinct()
    return list(rows.order_by("name"))


def traded_underlyings(scope: Scope) -> list[str]:
    rows = Position.objects.filter(account_id__in=scope.account_ids).exclude(underlying_symbol="")
    return list(rows.values_list("underlying_symbol", flat=True).distinct().order_by("underlying_symbol"))


# -- One position or chain ------------------------------------------------------------------------------


def position_lots(position: Position) -> list[Lot]:
    """The position's lots (legs as opened, FIFO), each with its realized P&L and closing events so far."""
    return list(
        position.lots.annotate(
            realized_pnl=Coalesce(Sum("events__realized_pnl"), ZERO, output_field=DecimalField(**MONEY)),
            closing_events=Count("events"),
        ).order_by("opened_at", "key")
    )


def position_events(position: Position) -> list[PnlEvent]:
    return list(position.events.order_by("executed_at", "key"))


def position_transactions(position: Position) -> list[Transaction]:
    """The ledger rows that opened or closed any of the position's lots, oldest first."""
    opened = Lot.objects.filter(position=position).values("opening_transaction")
    closed = PnlEvent.objects.filter(position=position).values("closing_transaction")
    rows = Transaction.objects.filter(Q(pk__in=opened) | Q(pk__in=closed)).defer("raw")
    return list(rows.order_by("executed_at", "tastytrade_id", "id"))


def chain_positions(chain: Chain) -> list[Position]:
    return list(
        chain.positions.annotate(realized_pnl=_realized("position")).order_by("opened_at", "key"),
    )


def notes_for(account_id: int, target: str, key: str) -> list[Note]:
    return list(Note.objects.filter(account_id=account_id, target=target, key=key).order_by("created_at", "pk"))


def tags_for(account_id: int, target: str, key: str) -> list[str]:
    rows = Tag.objects.filter(account_id=account_id, target=target, key=key).values_list("name", flat=True)
    return list(rows.order_by("name"))


def total_realized(rows: Iterable) -> Decimal:
    return sum((row.realized_pnl for row in rows), ZERO)
