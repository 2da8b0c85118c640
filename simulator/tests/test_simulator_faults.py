"""Fault injection: each failure a sync client must survive, scripted per request pattern."""

import json

import httpx2
import pytest
from tastytrade import Account

from .simulator_fixtures import access_token, api, async_client, run

TRANSACTIONS = r"/accounts/[^/]+/transactions"


def page(simulator, token, page_offset=0, per_page=50, **params):
    account = simulator.account_numbers[0]
    query = {"per-page": per_page, "page-offset": page_offset} | params
    return api(simulator, "GET", f"/accounts/{account}/transactions", token=token, params=query)


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["data"]["items"]]


def get_async(simulator, path, *, token, base_url=None, timeout=5.0) -> httpx2.Response:
    async def call():
        async with async_client(simulator, base_url=base_url, timeout=timeout) as client:
            return await client.get(path, headers={"Authorization": f"Bearer {token}"})

    return run(call())


# --- which requests a rule hits -----------------------------------------------------------------


def test_a_rule_fires_on_the_named_occurrence_only(simulator):
    token = access_token(simulator)
    rule = simulator.faults.status(429, path=TRANSACTIONS, on=2)
    statuses = [page(simulator, token).status_code for _ in range(3)]
    assert statuses == [200, 429, 200]
    assert (rule.seen, rule.fired) == (3, 1)


def test_a_rule_fires_on_the_first_matches_or_on_every_one(simulator):
    token = access_token(simulator)
    first_two = simulator.faults.status(503, path=TRANSACTIONS, times=2)
    assert [page(simulator, token).status_code for _ in range(3)] == [503, 503, 200]
    simulator.faults.clear()
    simulator.faults.status(500, method="GET", path="/customers/me/accounts", times=None)
    assert [api(simulator, "GET", "/customers/me/accounts", token=token).status_code for _ in range(3)] == [500] * 3
    assert page(simulator, token).status_code == 200
    assert first_two.fired == 2


def test_a_rule_matches_the_whole_path_and_the_method(simulator):
    token = access_token(simulator)
    simulator.faults.status(502, method="POST", path="/customers/me/accounts", times=None)
    simulator.faults.status(502, path="/customers/me", times=None)
    assert api(simulator, "GET", "/customers/me/accounts", token=token).status_code == 200


# --- answers that fail ---------------------------------------------------------------------------


def test_a_429_comes_without_any_rate_limit_headers(simulator):
    token = access_token(simulator)
    simulator.faults.status(429, path=TRANSACTIONS)
    response = page(simulator, token)
    assert response.status_code == 429
    assert not {name for name in response.headers if "retry" in name or "rate" in name}


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_answer_with_their_status(simulator, status):
    token = access_token(simulator)
    simulator.faults.status(status, path=TRANSACTIONS)
    assert page(simulator, token).status_code == status
    assert page(simulator, token).status_code == 200


def test_a_bad_gateway_answers_with_the_load_balancers_html(simulator):
    token = access_token(simulator)
    simulator.faults.status(502, path=TRANSACTIONS)
    response = page(simulator, token)
    assert response.headers["content-type"].startswith("text/html")


def test_malformed_json_is_a_200_whose_body_does_not_parse(simulator):
    token = access_token(simulator)
    simulator.faults.malformed_json(path=TRANSACTIONS)
    response = page(simulator, token)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_a_slow_answer_past_the_read_timeout_times_out_in_process(simulator):
    token = access_token(simulator)
    simulator.faults.slow(0.5, path="/customers/me/accounts")
    with pytest.raises(httpx2.ReadTimeout):
        get_async(simulator, "/customers/me/accounts", token=token, timeout=0.2)
    assert get_async(simulator, "/customers/me/accounts", token=token, timeout=0.2).status_code == 200


def test_a_slow_answer_past_the_read_timeout_times_out_over_loopback(simulator_server):
    simulator = simulator_server.simulator
    token = access_token(simulator)
    simulator.faults.slow(0.5, path="/customers/me/accounts")
    with pytest.raises(httpx2.ReadTimeout):
        get_async(simulator, "/customers/me/accounts", token=token, base_url=simulator_server.url, timeout=0.2)
    answer = get_async(simulator, "/customers/me/accounts", token=token, base_url=simulator_server.url, timeout=0.2)
    assert answer.status_code == 200


def test_a_slow_answer_within_the_timeout_arrives(simulator):
    token = access_token(simulator)
    simulator.faults.slow(0.05, path="/customers/me/accounts")
    assert get_async(simulator, "/customers/me/accounts", token=token, timeout=1.0).status_code == 200


def test_a_reset_is_a_read_error_in_process(simulator):
    token = access_token(simulator)
    simulator.faults.reset(path="/customers/me/accounts")
    with pytest.raises(httpx2.ReadError):
        get_async(simulator, "/customers/me/accounts", token=token)


def test_a_reset_over_loopback_drops_the_connection_and_the_next_one_works(simulator_server):
    simulator = simulator_server.simulator
    token = access_token(simulator)
    simulator.faults.reset(path="/customers/me/accounts")
    with pytest.raises(httpx2.TransportError):
        get_async(simulator, "/customers/me/accounts", token=token, base_url=simulator_server.url)
    answer = get_async(simulator, "/customers/me/accounts", token=token, base_url=simulator_server.url)
    assert answer.status_code == 200


# --- pages that move under the client -----------------------------------------------------------


def test_a_transaction_landing_between_pages_shifts_the_next_desc_page(simulator):
    token = access_token(simulator)
    account = simulator.account_numbers[0]
    before = simulator.truth(account)
    rule = simulator.faults.new_transaction(path=TRANSACTIONS, on=2)
    first = ids(page(simulator, token, 0))
    second = ids(page(simulator, token, 1))
    assert rule.fired == 1
    assert second[0] == first[-1]  # the row at the end of page 0 is now the first of page 1
    newest = ids(page(simulator, token, 0, per_page=1))[0]
    assert newest not in first + second
    after = simulator.truth(account)
    assert after.transaction_count == before.transaction_count + 1
    assert after.cash_balance == before.cash_balance + simulator.transactions(account)[-1].net_value


def test_a_duplicate_item_repeats_the_previous_pages_last_item(simulator):
    token = access_token(simulator)
    simulator.faults.duplicate_item(on=2)
    first = ids(page(simulator, token, 0))
    second = ids(page(simulator, token, 1))
    assert second[0] == first[-1]
    assert len(second) == 51
    assert second[1:] == ids(page(simulator, token, 1))


def test_a_shifted_window_repeats_one_item_and_misses_another(simulator):
    token = access_token(simulator)
    total = len(simulator.transactions(simulator.account_numbers[0]))
    simulator.faults.duplicate_item(mode="shift", on=2)
    seen = []
    for offset in range(-(-total // 50)):
        seen += ids(page(simulator, token, offset))
    assert len(seen) == total
    assert len(set(seen)) == total - 1


def test_a_missing_pagination_object_makes_the_sdk_read_only_that_page(simulator):
    simulator.faults.drop_pagination(times=None)
    account = simulator.account_numbers[0]

    async def read():
        async with simulator.session() as session:
            found = await Account.get(session, account)
            return await found.get_history(session, per_page=100, page_offset=None)

    assert len(run(read())) == 100
    assert "pagination" not in page(simulator, access_token(simulator)).json()


# --- tokens ---------------------------------------------------------------------------------------


def test_an_access_token_expiring_mid_sync_is_401_until_refreshed(simulator):
    token = access_token(simulator)
    simulator.faults.expire_token(path=TRANSACTIONS, on=2)
    assert page(simulator, token, 0).status_code == 200
    expired = page(simulator, token, 1)
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "unauthorized"
    assert page(simulator, token, 1).status_code == 401
    assert page(simulator, access_token(simulator), 1).status_code == 200


def test_a_revoked_refresh_token_is_refused_from_then_on(simulator):
    rule = simulator.faults.revoke_refresh_token()
    body = {
        "grant_type": "refresh_token",
        "client_secret": simulator.client_secret,
        "refresh_token": simulator.refresh_token,
    }
    for _ in range(2):
        response = api(simulator, "POST", "/oauth/token", json=body)
        assert (response.status_code, response.json()) == (
            400,
            {"error_code": "invalid_grant", "error_description": "Invalid JWT"},
        )
    assert rule.fired == 1


def test_expire_access_tokens_ends_every_issued_token(simulator):
    token = access_token(simulator)
    simulator.expire_access_tokens()
    assert api(simulator, "GET", "/customers/me", token=token).status_code == 401


# --- values the client has never seen -----------------------------------------------------------


def test_an_unknown_sub_type_and_unknown_fields_still_parse_with_the_sdk(simulator):
    simulator.faults.unknown_sub_type("Digital Asset Staking Reward", path=TRANSACTIONS, times=None)
    simulator.faults.extra_fields(path=TRANSACTIONS, times=None)
    account = simulator.account_numbers[0]

    async def read():
        async with simulator.session() as session:
            found = await Account.get(session, account)
            return await found.get_history(session, per_page=20)

    rows = run(read())
    assert rows[0].transaction_sub_type == "Digital Asset Staking Reward"
    assert len(rows) == 20
    raw = page(simulator, access_token(simulator)).json()["data"]["items"]
    assert raw[0]["settlement-currency"] == "USD"
    assert raw[0]["regulatory-details"] == {"cat-reportable": True, "codes": ["A", "B"]}


def test_the_unknown_sub_type_can_cover_every_item_and_a_single_transaction(simulator):
    token = access_token(simulator)
    account = simulator.account_numbers[0]
    row = simulator.transactions(account)[0]
    simulator.faults.unknown_sub_type("New Thing", every=True, times=None)
    assert {item["transaction-sub-type"] for item in page(simulator, token).json()["data"]["items"]} == {"New Thing"}
    single = api(simulator, "GET", f"/accounts/{account}/transactions/{row.id}", token=token).json()
    assert single["data"]["transaction-sub-type"] == "New Thing"


def test_clearing_the_plan_ends_every_fault(simulator):
    token = access_token(simulator)
    simulator.faults.status(503, times=None)
    simulator.faults.clear()
    assert page(simulator, token).status_code == 200


def test_an_unknown_fault_kind_is_refused(simulator):
    with pytest.raises(ValueError, match="unknown fault"):
        simulator.faults.add("gremlins")


def test_a_fee_edit_dated_before_the_history_began_edits_nothing(simulator):
    token = access_token(simulator)
    before = [dict(item) for item in page(simulator, token, per_page=500).json()["data"]["items"]]
    simulator.faults.edit_in_place(days_back=10_000, on=1)
    response = page(simulator, token, per_page=500)
    assert response.status_code == 200
    assert response.json()["data"]["items"] == before
