"""Read a 3-account, 2-year simulated history back through the real tastytrade SDK over loopback HTTP.

    .venv/bin/python bench/simulator_read.py [--accounts 3] [--days 730] [--activity 3] [--per-page 2000]
    .venv/bin/python bench/simulator_read.py --accounts 1 --activity 22   # one account, 50,000 rows

It generates the history (at least 20,000 transactions with the defaults), serves it on a free
127.0.0.1 port, then times the whole read: the token call, the account list and `get_history`
over every page of every account, each page parsed into the SDK's pydantic models. It checks that
every row came back once and prints transactions and transactions per second. Aim: the read in 5 s
or less.
"""

import argparse
import asyncio
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from tastytrade import Account  # noqa: E402

from simulator import Scenario, Simulator  # noqa: E402


async def read_all(session, per_page: int) -> dict[str, list]:
    async with session:
        accounts = await Account.get(session)
        return {
            account.account_number: await account.get_history(session, per_page=per_page, page_offset=None)
            for account in accounts
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=3)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--activity", type=int, default=3)
    parser.add_argument("--per-page", type=int, default=2000)
    options = parser.parse_args()

    started = time.perf_counter()
    scenario = Scenario(
        seed=options.seed,
        accounts=options.accounts,
        start=date(2024, 1, 2),
        days=options.days,
        activity=options.activity,
    )
    simulator = Simulator(scenario)
    generated = sum(len(simulator.transactions(number)) for number in simulator.account_numbers)
    generation = time.perf_counter() - started
    print(
        f"generated {generated:,} transactions in {options.accounts} accounts over {options.days} days "
        f"(activity {options.activity}) in {generation:.2f} s"
    )

    with simulator.serve() as server:
        started = time.perf_counter()
        histories = asyncio.run(read_all(simulator.session(server.url), options.per_page))
        elapsed = time.perf_counter() - started
    read = sum(len(rows) for rows in histories.values())
    for number, rows in histories.items():
        expected = {row.id for row in simulator.transactions(number)}
        if {row.id for row in rows} != expected or len(rows) != len(expected):
            sys.exit(f"account {number}: read {len(rows)} rows, expected {len(expected)}")
    pages = sum(-(-len(rows) // options.per_page) for rows in histories.values())
    print(
        f"read {read:,} transactions ({pages} pages of up to {options.per_page}) through the SDK over loopback "
        f"in {elapsed:.2f} s: {read / elapsed:,.0f} transactions per second"
    )
    print("aim: the whole read in 5 s or less:", "met" if elapsed <= 5 else "NOT met")


if __name__ == "__main__":
    main()
