"""Time the P&L engine: a full rebuild of 50,000 transactions, then an incremental update after a day.

    .venv/bin/python bench/pnl_rebuild.py [--rows 50000] [--seed 1] [--source synthetic|simulator]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_pnl .venv/bin/python bench/pnl_rebuild.py

The ledger comes from bench/synthetic.py (wheels, spreads, rolls, assignments, cash-settled index
options, futures with mark to market, splits, dividends, fees), or with `--source simulator` from the
TastyTrade simulator's history (one account, two years, about 50,000 rows at activity 22) read through
the sync's normalisation. It runs in a throwaway test database (the configured one with a `test_`
prefix), which is dropped at the end. Aims: full rebuild <= 10 s, incremental update after a day of
new activity <= 1 s. This process's CPU seconds are printed beside wall times, and the load average at
the end: on a shared machine the wall time is partly waiting for a CPU (and the database's own CPU is
in the wall time only).
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.trades.lots import recompute_account  # noqa: E402
from apps.trades.models import BrokerAccount, Lot, PnlEvent, PnlState, Position, Transaction  # noqa: E402
from bench.synthetic import generate_ledger, write_ledger  # noqa: E402


def snapshot(account: BrokerAccount) -> tuple:
    """What must not depend on the path taken: realized P&L, open quantities and costs, row counts."""
    return (
        PnlEvent.objects.filter(account=account).aggregate(total=Sum("realized_pnl"))["total"],
        sorted(Lot.objects.filter(account=account).open().values_list("key", "remaining_quantity", "remaining_cost")),
        PnlEvent.objects.filter(account=account).count(),
        Lot.objects.filter(account=account).count(),
        sorted(Position.objects.filter(account=account).values_list("key", "strategy", "closed_at")),
    )


def ledger_rows(options) -> list[dict]:
    if options.source == "synthetic":
        return generate_ledger(seed=options.seed, rows=options.rows)
    from apps.tastytrade_sync.sync import normalize_transaction
    from simulator import Scenario, Simulator

    activity = max(1, round(22 * options.rows / 50_000))
    simulator = Simulator(Scenario(seed=options.seed, accounts=1, days=730, activity=activity))
    number = simulator.account_numbers[0]
    return [normalize_transaction(row.to_api()) for row in simulator.transactions(number)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--source", choices=("synthetic", "simulator"), default="synthetic")
    options = parser.parse_args()

    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        user = User.objects.create_user(email="bench@example.com")
        account = BrokerAccount.objects.create(user=user, account_number="5WT00BENCH")
        rows = ledger_rows(options)
        last_day = rows[-1]["transaction_date"]
        history = [row for row in rows if row["transaction_date"] < last_day]
        new_day = [row for row in rows if row["transaction_date"] == last_day]
        write_ledger(account=account, rows=history)
        print(f"database: {connection.vendor}; {len(history):,} transactions, then {len(new_day)} on {last_day}")

        started, cpu = time.perf_counter(), time.process_time()
        recompute_account(account=account, full=True)
        full = time.perf_counter() - started
        print(
            f"full rebuild of {len(history):,} transactions: {full:.2f} s (aim: 10 s or less), "
            f"CPU {time.process_time() - cpu:.2f} s"
        )
        print(
            f"  {Lot.objects.filter(account=account).count():,} lots, "
            f"{PnlEvent.objects.filter(account=account).count():,} P&L events, "
            f"{Position.objects.filter(account=account).count():,} positions"
        )

        write_ledger(account=account, rows=new_day)
        started, cpu = time.perf_counter(), time.process_time()
        recompute_account(account=account)
        incremental = time.perf_counter() - started
        cpu = time.process_time() - cpu
        mode = PnlState.objects.get(account=account).last_mode
        print(
            f"incremental update after a day ({len(new_day)} transactions): {incremental:.2f} s ({mode}; aim: 1 s), "
            f"CPU {cpu:.2f} s"
        )

        after_incremental = snapshot(account)
        recompute_account(account=account, full=True)
        same = snapshot(account) == after_incremental
        print(f"incremental result equals a full rebuild: {same}")
        total = Transaction.objects.filter(account=account).count()
        print(f"ledger: {total:,} transactions")
        print("load average: {:.1f}, {:.1f}, {:.1f} on {} CPUs".format(*os.getloadavg(), os.cpu_count()))
        if not same or mode != PnlState.Mode.INCREMENTAL:
            sys.exit(1)
    finally:
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()
