"""Roll chains and wheel campaigns: positions linked by rolls, assignments and covered calls.

The engine records each position's links (`rolled_from_key`, `assigned_from_key`, `covers_key`).
Chains are the connected groups of those links, after the user's edits: a merge joins two
positions' chains, a split cuts a position from the ones before it. Edits are stored against
position keys (stable transaction ids), so they survive every rebuild and are replayed here.

The campaign view sits beside FIFO and never replaces it: the net premium collected through the
chain, each roll's credit and the running net credit (`roll_steps`), and what the premium did to the
cost of the shares a wheel took on (campaign basis, never the tax basis).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, Sum

from apps.trades.analytics import write_trade_facts
from apps.trades.bulk import update_rows
from apps.trades.models import (
    OPTION_TYPES,
    BrokerAccount,
    Chain,
    ChainEdit,
    InstrumentType,
    Lot,
    PnlEvent,
    Position,
    exact,
)

ZERO = Decimal(0)


class _Groups:
    """Union-find over position keys."""

    def __init__(self, keys) -> None:
        self.parent = {key: key for key in keys}

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def join(self, a: str, b: str) -> None:
        if a in self.parent and b in self.parent:
            self.parent[self.find(a)] = self.find(b)


def rebuild_chains(*, account: BrokerAccount, underlyings: set[str] | None = None) -> None:
    """Group the account's positions into chains and write only what changed.

    underlyings: only regroup positions on these (after an incremental update). Natural links never
    cross underlyings; a user's merge may, so an account with merges is always regrouped whole.
    """
    edits = list(ChainEdit.objects.filter(account=account).values_list("action", "position_key", "other_position_key"))
    scope = Position.objects.filter(account=account)
    chains = Chain.objects.filter(account=account)
    if underlyings is not None and not any(action == ChainEdit.Action.MERGE for action, _, _ in edits):
        scope = scope.filter(underlying_symbol__in=underlyings)
        chains = chains.filter(underlying_symbol__in=underlyings)
    positions = list(
        scope.values_list(
            "pk", "key", "underlying_symbol", "opened_at", "closed_at",
            "rolled_from_key", "assigned_from_key", "covers_key", "chain_id",
        )
    )  # fmt: skip
    merges, cut = _replay_edits(edits)
    groups, stock_links = _link(positions, merges, cut)
    wanted, chain_of = _wanted_chains(positions, groups, cut, stock_links)
    existing = _write_chains(account, chains, wanted)
    moved = []
    for pk, *_, chain_id in positions:
        target = existing[chain_of[pk]].pk if pk in chain_of else None
        if target != chain_id:
            moved.append((target, pk))
    update_rows(Position, ["chain"], moved)
    stale = [chain.pk for key, chain in existing.items() if key not in wanted]
    Chain.objects.filter(pk__in=stale).delete()


def _replay_edits(edits: list[tuple[str, str, str]]) -> tuple[list[tuple[str, str]], set[str]]:
    """The user's merges still in force and the positions cut out of their chains, in edit order."""
    merges: list[tuple[str, str]] = []
    cut: set[str] = set()
    for action, key, other in edits:
        if action == ChainEdit.Action.MERGE:
            merges.append((key, other))
        else:
            cut.add(key)
            merges = [(a, b) for a, b in merges if a != key]
    return merges, cut


def _link(positions: list[tuple], merges: list[tuple[str, str]], cut: set[str]) -> tuple[_Groups, set[str]]:
    """Join positions by their natural links and the user's merges; return the groups and the keys
    whose links involve stock (assignment or covered call)."""
    groups = _Groups(key for _, key, *_ in positions)
    stock_links: set[str] = set()
    for _, key, _, _, _, rolled_from, assigned_from, covers, _ in positions:
        if key in cut:
            continue
        for link in (rolled_from, assigned_from, covers):
            if link and link in groups.parent:
                groups.join(key, link)
                if link != rolled_from:
                    stock_links.add(key)
    for key, other in merges:
        groups.join(key, other)
    return groups, stock_links


def _wanted_chains(
    positions: list[tuple], groups: _Groups, cut: set[str], stock_links: set[str]
) -> tuple[dict[str, dict], dict[int, str]]:
    """The chains as they should be (fields by chain key) and each member position's chain key."""
    members: dict[str, list[tuple]] = {}
    for row in positions:
        members.setdefault(groups.find(row[1]), []).append(row)
    wanted: dict[str, dict] = {}
    chain_of: dict[int, str] = {}
    for rows in members.values():
        if len(rows) < 2:
            continue
        first = min(rows, key=lambda row: (row[3], row[1]))
        natural = any(row[1] not in cut and (row[5] or row[6] or row[7]) for row in rows)
        if any(row[1] in stock_links for row in rows):
            kind = Chain.Kind.WHEEL
        else:
            kind = Chain.Kind.ROLL if natural else Chain.Kind.MANUAL
        still_open = any(row[4] is None for row in rows)
        wanted[first[1]] = {
            "underlying_symbol": first[2],
            "kind": kind,
            "opened_at": first[3],
            "closed_at": None if still_open else max(row[4] for row in rows),
            "position_count": len(rows),
        }
        for row in rows:
            chain_of[row[0]] = first[1]
    return wanted, chain_of


def _write_chains(account: BrokerAccount, chains, wanted: dict[str, dict]) -> dict[str, Chain]:
    """Create and update chains to match `wanted`; return every chain by key (stale ones too)."""
    existing = {chain.key: chain for chain in chains}
    changed = []
    for key, fields in wanted.items():
        chain = existing.get(key)
        if chain is None:
            existing[key] = Chain(account=account, key=key, **fields)
            continue
        if any(getattr(chain, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(chain, name, value)
            changed.append(chain)
    Chain.objects.bulk_create([chain for chain in existing.values() if chain.pk is None], batch_size=2000)
    Chain.objects.bulk_update(changed, ["underlying_symbol", "kind", "opened_at", "closed_at", "position_count"])
    return existing


def merge_chains(*, account: BrokerAccount, position_key: str, into_position_key: str) -> None:
    """The user joins a position's chain to another's; kept and replayed after every rebuild."""
    ChainEdit.objects.create(
        account=account, action=ChainEdit.Action.MERGE, position_key=position_key, other_position_key=into_position_key
    )
    rebuild_chains(account=account)
    write_trade_facts(account=account)


def split_chain(*, account: BrokerAccount, position_key: str) -> None:
    """The user starts a new chain at this position, cutting its links to the positions before it."""
    ChainEdit.objects.create(account=account, action=ChainEdit.Action.SPLIT, position_key=position_key)
    rebuild_chains(account=account)
    write_trade_facts(account=account)


@dataclass(frozen=True)
class Campaign:
    """A chain seen as one campaign (not FIFO): what the premium did to the stock's cost."""

    chain: Chain
    realized_pnl: Decimal  # FIFO realized P&L of the chain's positions, for comparison
    net_premium: Decimal  # option cash through the chain: opened, closed, expired, fees included
    stock_quantity: Decimal  # shares still held (negative when short)
    stock_open_cost: Decimal  # net cash paid (negative) or received for those shares
    stock_realized_pnl: Decimal
    effective_cost_basis: Decimal | None  # per share: the stock's cost less the premium collected
    break_even: Decimal | None  # per share: the price at which the whole campaign nets to zero
    shares_acquired: Decimal  # every share the campaign took on (assigned or bought), held or not
    shares_cost: Decimal  # what they cost, fees included (positive)

    @property
    def fifo_basis(self) -> Decimal | None:
        """Per share acquired: what the shares cost, as FIFO books them."""
        return self.shares_cost / self.shares_acquired if self.shares_acquired else None

    @property
    def campaign_basis(self) -> Decimal | None:
        """Per share acquired: their cost less every premium of the campaign's puts and calls (not a tax basis)."""
        return (self.shares_cost - self.net_premium) / self.shares_acquired if self.shares_acquired else None


def campaign(*, chain: Chain) -> Campaign:
    """The chain's campaign figures in two queries: one sum over its lots, one over its events."""
    option = Q(instrument_type__in=list(OPTION_TYPES))
    stock = Q(instrument_type=InstrumentType.EQUITY)
    # Shares a split or symbol change moved carry their older lot's cost: counted once, at the older lot.
    acquired = stock & Q(moved_from_key="", quantity__gt=0)
    lots = Lot.objects.filter(position__chain=chain).aggregate(
        option_open_cost=Sum("remaining_cost", filter=option),
        stock_quantity=Sum("remaining_quantity", filter=stock),
        stock_open_cost=Sum("remaining_cost", filter=stock),
        shares_acquired=Sum("quantity", filter=acquired),
        shares_paid=Sum("opening_cash", filter=acquired),
    )
    events = PnlEvent.objects.filter(position__chain=chain).aggregate(
        realized=Sum("realized_pnl"),
        option_realized=Sum("realized_pnl", filter=option),
        stock_realized=Sum("realized_pnl", filter=stock),
    )
    lots, events = ({name: exact(value) for name, value in sums.items()} for sums in (lots, events))
    # Closed pieces through their events, open pieces through their remaining cost: a lot moved by a
    # symbol change is counted once.
    net_premium = events["option_realized"] + lots["option_open_cost"]
    stock_quantity, stock_open_cost = lots["stock_quantity"], lots["stock_open_cost"]
    basis = break_even = None
    if stock_quantity:
        basis = -(stock_open_cost + net_premium) / stock_quantity
        break_even = -(stock_open_cost + net_premium + events["stock_realized"]) / stock_quantity
    return Campaign(
        chain=chain,
        realized_pnl=events["realized"],
        net_premium=net_premium,
        stock_quantity=stock_quantity,
        stock_open_cost=stock_open_cost,
        stock_realized_pnl=events["stock_realized"],
        effective_cost_basis=basis,
        break_even=break_even,
        shares_acquired=lots["shares_acquired"],
        shares_cost=-lots["shares_paid"],
    )


@dataclass(frozen=True)
class RollStep:
    """One position of a chain, in order, with the cash it brought and the campaign's running credit."""

    position: Position
    link: str  # how it joined the chain, in a trader's words
    is_option: bool
    opening_cash: Decimal  # credit (positive) or debit of opening it, fees included
    closing_cash: Decimal  # of closing it so far, fees included
    realized_pnl: Decimal
    roll_credit: Decimal | None  # a roll: closing the position rolled from plus opening this one
    net_credit: Decimal  # option premium the campaign has taken in by this step, rolls' buy-backs included


def roll_steps(*, chain: Chain) -> list[RollStep]:
    """The chain's positions in order, each roll's credit and the cumulative net credit (three queries).

    The net credit counts option positions only: every opening, and the closing of each option position
    once the next one is open (a roll's buy-back). After the last step it is the campaign's net credit of
    the Edge and Rolls reports; the final result is the FIFO realized P&L of all of it.
    """
    positions = list(chain.positions.order_by("opened_at", "key"))
    opening: dict[int, Decimal] = {}
    stock: set[int] = set()
    lots = Lot.objects.filter(position__chain=chain).values_list("position", "instrument_type")
    for pk, instrument_type, cash in lots.annotate(cash=Sum("opening_cash", filter=Q(moved_from_key=""))):
        opening[pk] = opening.get(pk, ZERO) + exact(cash)
        if instrument_type not in OPTION_TYPES:
            stock.add(pk)
    closing = {
        pk: (cash, realized)
        for pk, cash, realized in PnlEvent.objects.filter(position__chain=chain)
        .values_list("position")
        .annotate(cash=Sum(F("closing_cash") + F("variation")), realized=Sum("realized_pnl"))
    }
    by_key = {position.key: position for position in positions}
    steps, net_credit, previous_option = [], ZERO, None
    for index, position in enumerate(positions):
        is_option = position.pk not in stock
        opened = exact(opening.get(position.pk))
        closed, realized = (exact(value) for value in closing.get(position.pk, (None, None)))
        rolled_from = by_key.get(position.rolled_from_key)
        roll_credit = None
        if rolled_from is not None:
            roll_credit = exact(closing.get(rolled_from.pk, (None,))[0]) + opened
        if is_option:
            # The option position before this one is behind it: its closing cash (a roll's buy-back) counts now.
            if previous_option is not None:
                net_credit += exact(closing.get(previous_option, (None,))[0])
            net_credit += opened
            previous_option = position.pk
        steps.append(
            RollStep(
                position, _joined_by(position, index, by_key), is_option, opened, closed, realized, roll_credit,
                net_credit,
            )
        )  # fmt: skip
    return steps


def _joined_by(position: Position, index: int, by_key: dict[str, Position]) -> str:
    if position.rolled_from_key in by_key:
        return "Rolled"
    if position.assigned_from_key in by_key:
        return "Assigned"
    if position.covers_key in by_key:
        return "Covered call"
    return "Opened" if index == 0 else "Joined"
