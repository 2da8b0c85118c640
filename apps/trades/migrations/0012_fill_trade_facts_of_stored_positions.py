"""Fill the per-trade facts of the positions already stored, so the Edge report is whole at once after a
deploy instead of after each account's next sync.

The facts are the engine's results, worked out by the very code a rebuild runs (`write_trade_facts`), so it
is used here rather than a copy against historical models; a fresh database has no account and skips it.
"""

from django.db import migrations


def fill_trade_facts(apps, schema_editor):
    from apps.trades.analytics import write_trade_facts
    from apps.trades.models import BrokerAccount

    for account in BrokerAccount.objects.filter(pnl_positions__isnull=False).distinct().select_related("user"):
        write_trade_facts(account=account)


class Migration(migrations.Migration):
    dependencies = [("trades", "0011_trade_facts")]

    operations = [migrations.RunPython(fill_trade_facts, migrations.RunPython.noop)]
