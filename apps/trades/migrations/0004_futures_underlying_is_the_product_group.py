"""Futures and future options of one product group share one underlying (`/MES` for `/MESH5` and
options on `/MESZ4`); rows stored before held the API's mix of product and contract."""

from django.db import migrations

from apps.trades.symbols import underlying_of

FUTURES_TYPES = ("Future", "Future Option")


def group_futures_under_their_product(apps, schema_editor):
    for name in ("Transaction", "PositionSnapshot"):
        model = apps.get_model("trades", name)
        rows = model.objects.filter(instrument_type__in=FUTURES_TYPES).only(
            "symbol", "instrument_type", "underlying_symbol"
        )
        changed = []
        for row in rows.iterator(chunk_size=2000):
            underlying = underlying_of(row.symbol, row.instrument_type, row.underlying_symbol)
            if underlying != row.underlying_symbol:
                row.underlying_symbol = underlying
                changed.append(row)
        model.objects.bulk_update(changed, ["underlying_symbol"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("trades", "0003_covering_indexes_for_the_dashboard")]

    operations = [migrations.RunPython(group_futures_under_their_product, migrations.RunPython.noop)]
