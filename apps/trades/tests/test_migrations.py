"""Data migrations, run on rows stored before them."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from apps.trades.models import PositionSnapshot
from apps.trades.tests.factories import FutureTransactionFactory, OptionTransactionFactory, PositionSnapshotFactory

pytestmark = pytest.mark.django_db

futures_families = importlib.import_module("apps.trades.migrations.0004_futures_underlying_is_the_product_group")


def test_stored_futures_and_future_options_move_under_their_product_group():
    option = {"symbol": "./MESZ4 MESZ4 241220C6000", "underlying_symbol": "/MESZ4", "instrument_type": "Future Option"}
    stored_option = OptionTransactionFactory(multiplier=Decimal("5"), **option)
    stored_future = FutureTransactionFactory(symbol="/MESH5", underlying_symbol="/MES")
    stock = OptionTransactionFactory()
    PositionSnapshotFactory(quantity=Decimal("1"), **option)
    futures_families.group_futures_under_their_product(apps, None)
    for row in (stored_option, stored_future, stock):
        row.refresh_from_db()
    assert (stored_option.underlying_symbol, stored_future.underlying_symbol, stock.underlying_symbol) == (
        "/MES",
        "/MES",
        "SPY",
    )
    assert PositionSnapshot.objects.get().underlying_symbol == "/MES"
