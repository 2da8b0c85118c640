"""The bulk writer stores what the ORM would: COPY in binary on PostgreSQL, executemany on SQLite."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from apps.trades.analytics import FACT_FIELDS
from apps.trades.bulk import insert_rows
from apps.trades.lots import POSITION_FIELDS
from apps.trades.models import Position, Strategy, TradeFact
from apps.trades.tests.factories import BrokerAccountFactory

pytestmark = pytest.mark.django_db


def fact(account, key: str, amount: D) -> tuple:
    """A trade fact row (account, position_keys, *FACT_FIELDS) whose amounts are all `amount`."""
    values = {
        "key": key, "chain_key": "", "chain_kind": "", "underlying_symbol": "SPY", "strategy": Strategy.SHORT_PUT,
        "opened_on": date(2026, 3, 2), "closed_on": None, "days_held": None, "dte_at_entry": 30, "dte_at_exit": None,
        "entry_cash": amount, "net_credit": amount, "max_profit": None, "max_loss": None, "realized_pnl": amount,
        "rolls": 0, "outcome": "open",
    }  # fmt: skip
    return (account.pk, key, *(values[name] for name in FACT_FIELDS))


def test_equal_amounts_of_different_exponents_are_stored_at_the_columns_scale():
    account = BrokerAccountFactory()

    insert_rows(
        TradeFact,
        ("account", "position_keys", *FACT_FIELDS),
        [fact(account, "a", D("1.5")), fact(account, "b", D("1.50000"))],
    )

    stored = TradeFact.objects.filter(account=account).order_by("key").values_list("entry_cash", flat=True)
    assert [str(amount) for amount in stored] == ["1.5000", "1.5000"]


def test_dates_times_and_empty_values_are_stored_as_given():
    account = BrokerAccountFactory()
    opened_at = datetime(2026, 3, 2, 14, 31, 5, 250000, tzinfo=UTC)

    short_put = Strategy.SHORT_PUT
    insert_rows(
        Position,
        POSITION_FIELDS,
        [(account.pk, "tt:1", "SPY", short_put, short_put, opened_at, None, None, "", "", "")],
    )

    position = Position.objects.get(account=account)
    assert (position.opened_at, position.closed_at, position.opening_order_id) == (opened_at, None, None)
