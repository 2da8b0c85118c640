"""Rows stored before the one symbol parser: futures and future options of one product group now
share one underlying (`/MES` for `/MESH5` and options on `/MESZ4`), where the API's mix of product
and contract was stored; and imported option symbols take the API's spelling (a squashed
`./MESM6EXK6  260529P5800` becomes `./MESM6 EXK6 260529P5800`), so one contract is one instrument."""

from django.db import migrations

from apps.trades.symbols import canonical_symbol, underlying_of

FUTURES_TYPES = ("Future", "Future Option")
OPTION_TYPES = ("Equity Option", "Future Option")


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


def spell_imported_options_as_the_api_does(apps, schema_editor):
    model = apps.get_model("trades", "Transaction")
    rows = model.objects.filter(source="csv", instrument_type__in=OPTION_TYPES).only("symbol")
    changed = []
    for row in rows.iterator(chunk_size=2000):
        symbol = canonical_symbol(row.symbol)
        if symbol != row.symbol:
            row.symbol = symbol
            changed.append(row)
    model.objects.bulk_update(changed, ["symbol"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("trades", "0004_pending_uploads")]

    operations = [
        migrations.RunPython(group_futures_under_their_product, migrations.RunPython.noop),
        migrations.RunPython(spell_imported_options_as_the_api_does, migrations.RunPython.noop),
    ]
