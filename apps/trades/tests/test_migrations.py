"""Data migrations, run on rows stored before them."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from apps.trades.models import PositionSnapshot
from apps.trades.tests.factories import FutureTransactionFactory, OptionTransactionFactory, PositionSnapshotFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("apps.trades.migrations.0005_futures_families_and_one_spelling_per_contract")


def test_stored_futures_and_future_options_move_under_their_product_group():
    option = {"symbol": "./MESZ4 MESZ4 241220C6000", "underlying_symbol": "/MESZ4", "instrument_type": "Future Option"}
    stored_option = OptionTransactionFactory(multiplier=Decimal("5"), **option)
    stored_future = FutureTransactionFactory(symbol="/MESH5", underlying_symbol="/MES")
    stock = OptionTransactionFactory()
    PositionSnapshotFactory(quantity=Decimal("1"), **option)
    migration.group_futures_under_their_product(apps, None)
    for row in (stored_option, stored_future, stock):
        row.refresh_from_db()
    assert (stored_option.underlying_symbol, stored_future.underlying_symbol, stock.underlying_symbol) == (
        "/MES",
        "/MES",
        "SPY",
    )
    assert PositionSnapshot.objects.get().underlying_symbol == "/MES"


def test_imported_option_symbols_take_the_apis_spelling():
    squashed = OptionTransactionFactory(
        source="csv", tastytrade_id=None, import_key="k1", symbol="./MESM6EXK6  260529P5800",
        instrument_type="Future Option", underlying_symbol="/MES",
    )  # fmt: skip
    api = OptionTransactionFactory(symbol="spy   260320p00400000")  # the API's own spelling is left alone
    migration.spell_imported_options_as_the_api_does(apps, None)
    squashed.refresh_from_db()
    api.refresh_from_db()
    assert (squashed.symbol, api.symbol) == ("./MESM6 EXK6 260529P5800", "spy   260320p00400000")
