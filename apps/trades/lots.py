"""FIFO lots and realized P&L events, rebuilt from the ledger.

The P&L engine lands with its own issue; until then the sync and the CSV import call this
entry point explicitly after new transactions arrive, and it has nothing to rebuild.
"""

from apps.trades.models import BrokerAccount


def recompute_account(*, account: BrokerAccount) -> None:
    """Bring the account's lots and P&L events up to date with its transactions."""
    return None
