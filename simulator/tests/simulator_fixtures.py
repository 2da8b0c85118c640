"""Helpers for tests that drive the TastyTrade simulator; the fixtures themselves are in conftest.py.

def test_something(simulator):                 # in-process, fresh for each test
    token = access_token(simulator)
    response = api(simulator, "GET", "/customers/me/accounts", token=token)

def test_over_http(simulator_server):           # the same simulator on a loopback port
    session = simulator_server.simulator.session(simulator_server.url)
"""

import asyncio
from datetime import date
from decimal import Decimal

import httpx2
from tastytrade import Account

from simulator import Scenario, Simulator

SMALL = Scenario(seed=1, accounts=2, start=date(2024, 1, 2), days=180)
USER_AGENT = "simulator-tests/1.0"


def run(coroutine):
    return asyncio.run(coroutine)


def api(
    simulator: Simulator,
    method: str,
    path: str,
    *,
    token: str | None = None,
    params=None,
    headers: dict | None = None,
    json=None,
    data=None,
    user_agent: str | None = USER_AGENT,
) -> httpx2.Response:
    """One request through the simulator's WSGI interface (synchronous, no socket)."""
    sent = {"Accept": "application/json"}
    if user_agent is not None:
        sent["User-Agent"] = user_agent
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    with httpx2.Client(transport=httpx2.WSGITransport(app=simulator), base_url="http://simulator.test") as client:
        if user_agent is None:
            client.headers.pop("User-Agent", None)
        return client.request(method, path, params=params, headers=sent, json=json, data=data)


def access_token(simulator: Simulator, refresh_token: str | None = None) -> str:
    response = api(
        simulator,
        "POST",
        "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "client_secret": simulator.client_secret,
            "refresh_token": refresh_token or simulator.refresh_token,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def async_client(simulator: Simulator, *, base_url: str | None = None, timeout: float = 5.0) -> httpx2.AsyncClient:
    """An httpx2 client to the simulator: over loopback when `base_url` is given, else in-process."""
    transport = None if base_url else simulator.transport()
    return httpx2.AsyncClient(
        base_url=base_url or "http://simulator.test",
        transport=transport,
        headers={"User-Agent": USER_AGENT},
        timeout=timeout,
    )


def signed(position) -> Decimal:
    """A served position's quantity with its direction (short is negative)."""
    return position.quantity if position.quantity_direction == "Long" else -position.quantity


async def read_everything(session, *, per_page: int = 1000) -> dict:
    """Everything a tracker reads, through the real SDK: one dict per account plus the customer."""
    read = {"accounts": {}}
    async with session:
        read["customer"] = await session.get_customer()
        for account in await Account.get(session):
            history = await account.get_history(session, per_page=per_page, page_offset=None)
            read["accounts"][account.account_number] = {
                "account": await Account.get(session, account.account_number),
                "history": history,
                "transaction": await account.get_transaction(session, history[0].id),
                "total_fees": await account.get_total_fees(session, history[0].transaction_date),
                "positions": await account.get_positions(session),
                "balances": await account.get_balances(session),
                "snapshots": await account.get_balance_snapshots(
                    session, start_date=date(2000, 1, 1), per_page=500, page_offset=None
                ),
                "net_liq_all": await account.get_net_liquidating_value_history(session, time_back="all"),
                "net_liq_day": await account.get_net_liquidating_value_history(session, time_back="1d"),
            }
    return read
