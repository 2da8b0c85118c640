"""The simulator's HTTP rules: envelope, value types, paging, filters, auth, errors (docs/tastytrade-api.md)."""

import re
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from simulator import OTHER_REFRESH_TOKEN, Simulator

from .simulator_fixtures import SMALL, access_token, api

NINE_KEYS = {
    "per-page",
    "page-offset",
    "item-offset",
    "total-items",
    "total-pages",
    "current-item-count",
    "previous-link",
    "next-link",
    "paging-link-template",
}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


@pytest.fixture(scope="module")
def simulator() -> Simulator:
    """One simulator for the module: these tests only read (the ones that change state make their own)."""
    return Simulator(SMALL)


@pytest.fixture(scope="module")
def token(simulator) -> str:
    return access_token(simulator)


@pytest.fixture(scope="module")
def account(simulator) -> str:
    return simulator.account_numbers[0]


def transactions(simulator, account, token, **params):
    return api(simulator, "GET", f"/accounts/{account}/transactions", token=token, params=params)


# --- envelope and value types -----------------------------------------------------------------


def test_lists_come_in_data_items_with_the_request_path_as_context(simulator, account, token):
    body = transactions(simulator, account, token).json()
    assert body["context"] == f"/accounts/{account}/transactions"
    assert isinstance(body["data"]["items"], list)
    assert set(body["pagination"]) == NINE_KEYS
    assert body["pagination"]["next-link"] is None


def test_keys_are_kebab_case_and_amounts_are_strings_with_effects(simulator, account, token):
    items = transactions(simulator, account, token, **{"per-page": 2000}).json()["data"]["items"]
    for item in items:
        assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", key) for key in item)
        for key in ("value", "net-value"):
            assert isinstance(item[key], str)
            Decimal(item[key])
            assert item[f"{key}-effect"] in {"Credit", "Debit", "None"}
            assert not item[key].startswith("-")


def test_transaction_ids_are_above_two_to_the_31_and_timestamps_are_utc_with_milliseconds(simulator, account, token):
    items = transactions(simulator, account, token, **{"per-page": 2000}).json()["data"]["items"]
    assert all(item["id"] > 2**31 for item in items)
    assert all(TIMESTAMP.match(item["executed-at"]) for item in items)


def test_order_ids_and_leg_counts_are_json_numbers(simulator, account, token):
    items = transactions(simulator, account, token, type="Trade").json()["data"]["items"]
    assert all(isinstance(item["order-id"], int) and isinstance(item["leg-count"], int) for item in items)


def test_cash_rows_leave_out_the_fields_they_do_not_have(simulator, account, token):
    items = transactions(simulator, account, token, **{"sub-type[]": "Deposit"}).json()["data"]["items"]
    assert items
    assert not {"symbol", "quantity", "action", "commission", "order-id"} & set(items[0])


# --- pagination and sorting ---------------------------------------------------------------------


@pytest.mark.parametrize("per_page", ["0", "2001", "5000", "many"])
def test_a_per_page_outside_one_to_2000_is_a_400_validation_error(simulator, account, token, per_page):
    response = transactions(simulator, account, token, **{"per-page": per_page})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "validation_error",
            "message": "Request validation failed",
            "errors": [{"domain": "per-page", "reason": "does not have a valid value"}],
        }
    }


def test_per_page_2000_is_allowed(simulator, account, token):
    assert transactions(simulator, account, token, **{"per-page": 2000}).status_code == 200


def test_pages_split_the_history_and_report_totals(simulator, account, token):
    total = len(simulator.transactions(account))
    body = transactions(simulator, account, token, **{"per-page": 100, "page-offset": 2}).json()
    assert body["pagination"] == {
        "per-page": 100,
        "page-offset": 2,
        "item-offset": 200,
        "total-items": total,
        "total-pages": -(-total // 100),
        "current-item-count": 100,
        "previous-link": None,
        "next-link": None,
        "paging-link-template": None,
    }


def test_a_page_past_the_end_is_empty_with_the_real_totals(simulator, account, token):
    body = transactions(simulator, account, token, **{"per-page": 100, "page-offset": 999}).json()
    assert body["data"]["items"] == []
    assert body["pagination"]["total-items"] == len(simulator.transactions(account))


def test_the_default_sort_is_newest_first_and_asc_is_oldest_first(simulator, account, token):
    rows = simulator.transactions(account)
    newest = transactions(simulator, account, token, **{"per-page": 5}).json()["data"]["items"]
    oldest = transactions(simulator, account, token, **{"per-page": 5, "sort": "Asc"}).json()["data"]["items"]
    assert [item["id"] for item in newest] == [row.id for row in rows[::-1][:5]]
    assert [item["id"] for item in oldest] == [row.id for row in rows[:5]]


def test_an_unknown_sort_is_a_400(simulator, account, token):
    assert transactions(simulator, account, token, sort="Sideways").status_code == 400


# --- filters ------------------------------------------------------------------------------------


def ids(response) -> set[int]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["data"]["items"]}


def expected(simulator, account, keep) -> set[int]:
    return {row.id for row in simulator.transactions(account) if keep(row)}


def test_type_and_types_filter_on_transaction_type(simulator, account, token):
    one = ids(transactions(simulator, account, token, type="Receive Deliver", **{"per-page": 2000}))
    assert one == expected(simulator, account, lambda r: r.transaction_type == "Receive Deliver")
    many = transactions(simulator, account, token, **{"types[]": ["Trade", "Money Movement"], "per-page": 2000})
    assert ids(many) == expected(simulator, account, lambda r: r.transaction_type != "Receive Deliver")


def test_type_together_with_types_is_a_400(simulator, account, token):
    response = transactions(simulator, account, token, type="Trade", **{"types[]": "Trade"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_sub_types_filter_on_any_of_the_given_sub_types(simulator, account, token):
    response = transactions(simulator, account, token, **{"sub-type[]": ["Expiration", "Dividend"], "per-page": 2000})
    assert ids(response) == expected(simulator, account, lambda r: r.transaction_sub_type in {"Expiration", "Dividend"})


@pytest.mark.parametrize(
    ("param", "field", "value"),
    [
        ("symbol", "symbol", "TSM"),
        ("underlying-symbol", "underlying_symbol", "SPX"),
        ("instrument-type", "instrument_type", "Future"),
        ("action", "action", "Sell to Open"),
    ],
)
def test_exact_filters_select_matching_rows(simulator, account, token, param, field, value):
    wanted = expected(simulator, account, lambda r: getattr(r, field) == value)
    assert wanted
    assert ids(transactions(simulator, account, token, **{param: value, "per-page": 2000})) == wanted


def test_start_and_end_date_are_inclusive_on_the_transaction_date(simulator, account, token):
    first, last = date(2024, 2, 5), date(2024, 2, 9)
    response = transactions(
        simulator, account, token, **{"start-date": first.isoformat(), "end-date": last.isoformat(), "per-page": 2000}
    )
    wanted = expected(simulator, account, lambda r: first <= r.transaction_date <= last)
    assert any(r.transaction_date == last for r in simulator.transactions(account) if r.id in wanted)
    assert ids(response) == wanted


def test_end_date_can_be_made_exclusive_for_testing_a_clients_window_overlap(token):
    simulator = Simulator(SMALL, end_date_inclusive=False)
    account = simulator.account_numbers[0]
    response = transactions(simulator, account, access_token(simulator), **{"end-date": "2024-02-09", "per-page": 2000})
    assert ids(response) == expected(simulator, account, lambda r: r.transaction_date < date(2024, 2, 9))


def test_start_at_and_end_at_filter_on_the_execution_time(simulator, account, token):
    rows = simulator.transactions(account)
    start, end = rows[100].executed_at, rows[200].executed_at
    response = transactions(
        simulator, account, token, **{"start-at": start.isoformat(), "end-at": end.isoformat(), "per-page": 2000}
    )
    assert ids(response) == expected(simulator, account, lambda r: start <= r.executed_at <= end)


def test_a_malformed_date_is_a_400(simulator, account, token):
    response = transactions(simulator, account, token, **{"end-date": "yesterday"})
    assert response.status_code == 400
    assert response.json()["error"]["errors"] == [{"domain": "end-date", "reason": "is invalid"}]


# --- single transaction, fees, positions, balances ------------------------------------------------


def test_one_transaction_by_id_and_an_unknown_id_is_404(simulator, account, token):
    row = simulator.transactions(account)[10]
    body = api(simulator, "GET", f"/accounts/{account}/transactions/{row.id}", token=token).json()
    assert body["data"]["id"] == row.id
    assert body["context"] == f"/accounts/{account}/transactions/{row.id}"
    assert api(simulator, "GET", f"/accounts/{account}/transactions/1", token=token).status_code == 404


def test_total_fees_sums_the_days_charges(simulator, account, token):
    day = next(r.transaction_date for r in simulator.transactions(account) if r.transaction_type == "Trade")
    body = api(simulator, "GET", f"/accounts/{account}/transactions/total-fees", token=token, params={"date": day})
    fees = sum(r.fees for r in simulator.transactions(account) if r.transaction_date == day)
    data = body.json()["data"]
    assert (Decimal(data["total-fees"]), data["total-fees-effect"]) == (-fees, "Debit")


def test_positions_have_numeric_quantities_and_a_direction(simulator, account, token):
    items = api(simulator, "GET", f"/accounts/{account}/positions", token=token).json()["data"]["items"]
    assert items
    for item in items:
        assert isinstance(item["quantity"], int | str)
        assert item["quantity-direction"] in {"Long", "Short"}
        assert isinstance(item["multiplier"], int)
    options = [item for item in items if item["instrument-type"] == "Equity Option"]
    assert all(item["multiplier"] == 100 and TIMESTAMP.match(item["expires-at"]) for item in options)


def test_positions_filter_by_underlying_and_instrument_type(simulator, account, token):
    path = f"/accounts/{account}/positions"
    every = api(simulator, "GET", path, token=token).json()["data"]["items"]
    kind = every[0]["instrument-type"]
    only = api(simulator, "GET", path, token=token, params={"instrument-type": kind}).json()["data"]["items"]
    assert only and all(item["instrument-type"] == kind for item in only)
    underlying = every[0]["underlying-symbol"]
    some = api(simulator, "GET", path, token=token, params={"underlying-symbol[]": underlying}).json()["data"]["items"]
    assert some and all(item["underlying-symbol"] == underlying for item in some)


def test_balances_per_currency_is_one_object_with_the_ledgers_cash(simulator, account, token):
    body = api(simulator, "GET", f"/accounts/{account}/balances/USD", token=token).json()
    assert body["context"] == f"/accounts/{account}/balances/USD"
    assert Decimal(body["data"]["cash-balance"]) == simulator.truth(account).cash_balance


def test_balances_is_a_list_from_api_version_20251101_and_an_object_before(simulator, account, token):
    path = f"/accounts/{account}/balances"
    old = api(simulator, "GET", path, token=token).json()["data"]
    new = api(simulator, "GET", path, token=token, headers={"Accept-Version": "20251101"}).json()["data"]
    assert "cash-balance" in old
    assert new["items"][0]["cash-balance"] == old["cash-balance"]


def test_balance_snapshots_need_an_upper_case_time_of_day(simulator, account, token):
    path = f"/accounts/{account}/balance-snapshots"
    assert api(simulator, "GET", path, token=token, params={"time-of-day": "Eod"}).status_code == 400
    body = api(simulator, "GET", path, token=token, params={"time-of-day": "EOD"}).json()
    assert len(body["data"]["items"]) == 5  # without a start date, a few recent ones
    assert set(body["pagination"]) == NINE_KEYS


def test_a_beginning_of_day_snapshot_is_the_previous_trading_days_end(simulator, account, token):
    path = f"/accounts/{account}/balance-snapshots"
    params = {"start-date": "2024-03-01", "end-date": "2024-03-08"}
    eod = api(simulator, "GET", path, token=token, params=params | {"time-of-day": "EOD"}).json()["data"]["items"]
    bod = api(simulator, "GET", path, token=token, params=params | {"time-of-day": "BOD"}).json()["data"]["items"]
    assert bod[1]["snapshot-date"] == eod[1]["snapshot-date"]
    assert bod[1]["cash-balance"] == eod[0]["cash-balance"]


def test_net_liq_history_needs_time_back_or_start_time_and_writes_times_without_iso_form(simulator, account, token):
    path = f"/accounts/{account}/net-liq/history"
    assert api(simulator, "GET", path, token=token).status_code == 400
    assert api(simulator, "GET", path, token=token, params={"time-back": "2w"}).status_code == 400
    items = api(simulator, "GET", path, token=token, params={"time-back": "1m"}).json()["data"]["items"]
    assert items and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00", items[0]["time"])
    since = api(simulator, "GET", path, token=token, params={"start-time": "2024-06-01T00:00:00Z"}).json()
    assert since["data"]["items"][0]["time"].startswith("2024-06-03")


# --- auth and access --------------------------------------------------------------------------------


def test_a_request_without_a_product_version_user_agent_is_401(simulator, account, token):
    response = api(simulator, "GET", "/customers/me/accounts", token=token, user_agent="curl")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_the_token_call_also_needs_the_user_agent(simulator):
    body = {
        "grant_type": "refresh_token",
        "client_secret": simulator.client_secret,
        "refresh_token": simulator.refresh_token,
    }
    assert api(simulator, "POST", "/oauth/token", json=body, user_agent=None).status_code == 401


def test_a_missing_bearer_token_is_401(simulator, account):
    assert api(simulator, "GET", f"/accounts/{account}/positions").status_code == 401


def test_an_expired_access_token_is_401():
    now = [1_000_000.0]
    simulator = Simulator(SMALL, access_token_lifetime=5, clock=lambda: now[0])
    token = access_token(simulator)
    assert api(simulator, "GET", "/customers/me/accounts", token=token).status_code == 200
    now[0] += 5
    response = api(simulator, "GET", "/customers/me/accounts", token=token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_an_unknown_account_is_404_and_another_customers_account_is_403(simulator, token):
    assert api(simulator, "GET", "/accounts/5WX99999/positions", token=token).status_code == 404
    response = api(simulator, "GET", f"/accounts/{simulator.stranger_account_number}/positions", token=token)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_permitted"
    mine = api(simulator, "GET", f"/customers/me/accounts/{simulator.stranger_account_number}", token=token)
    assert mine.status_code == 403


def test_the_other_customer_sees_only_their_own_account(simulator):
    token = access_token(simulator, OTHER_REFRESH_TOKEN)
    items = api(simulator, "GET", "/customers/me/accounts", token=token).json()["data"]["items"]
    assert [item["account"]["account-number"] for item in items] == [simulator.stranger_account_number]
    response = api(simulator, "GET", f"/accounts/{simulator.account_numbers[0]}/transactions", token=token)
    assert response.status_code == 403


def test_accounts_come_wrapped_with_their_authority_level_and_one_alone_comes_bare(simulator, account, token):
    items = api(simulator, "GET", "/customers/me/accounts", token=token).json()["data"]["items"]
    assert items[0]["authority-level"] == "owner"
    assert items[0]["account"]["account-number"] == account
    assert "is-test-drive" not in items[1]["account"]  # sometimes missing in real responses
    bare = api(simulator, "GET", f"/customers/me/accounts/{account}", token=token).json()["data"]
    assert bare["account-number"] == account


def test_an_accept_version_older_than_the_minimum_is_406(simulator, token):
    response = api(simulator, "GET", "/customers/me/accounts", token=token, headers={"Accept-Version": "20200101"})
    assert response.status_code == 406
    assert response.json() == {"error": {"code": 406, "message": "The requested version is not supported."}}


def test_sandbox_mode_refuses_accept_version_and_has_no_net_liq_history():
    simulator = Simulator(SMALL, environment="sandbox")
    token = access_token(simulator)
    account = simulator.account_numbers[0]
    assert (
        api(simulator, "GET", "/customers/me", token=token, headers={"Accept-Version": "20251101"}).status_code == 406
    )
    history = api(simulator, "GET", f"/accounts/{account}/net-liq/history", token=token, params={"time-back": "1y"})
    assert history.status_code == 502


def test_an_unknown_route_is_404(simulator, token):
    assert api(simulator, "GET", "/accounts/x/orders/live", token=token).status_code == 404


# --- OAuth ----------------------------------------------------------------------------------------


def test_the_refresh_grant_answers_a_plain_oauth_object_with_the_configured_lifetime():
    simulator = Simulator(SMALL, access_token_lifetime=42)
    body = {
        "grant_type": "refresh_token",
        "client_secret": simulator.client_secret,
        "refresh_token": simulator.refresh_token,
    }
    answer = api(simulator, "POST", "/oauth/token", json=body).json()
    assert set(answer) == {"access_token", "token_type", "expires_in"}
    assert (answer["token_type"], answer["expires_in"]) == ("Bearer", 42)


def test_the_token_call_accepts_a_form_encoded_body_and_openid_adds_an_id_token(simulator):
    form = {
        "grant_type": "refresh_token",
        "client_secret": simulator.client_secret,
        "refresh_token": simulator.refresh_token,
        "scope": "read openid",
    }
    answer = api(simulator, "POST", "/oauth/token", data=form).json()
    assert answer["access_token"] and answer["id_token"]


def test_a_bad_refresh_token_gets_tastytrades_own_error_shape(simulator):
    body = {"grant_type": "refresh_token", "client_secret": simulator.client_secret, "refresh_token": "nope"}
    response = api(simulator, "POST", "/oauth/token", json=body)
    assert response.status_code == 400
    assert response.json() == {"error_code": "invalid_grant", "error_description": "Invalid JWT"}


def test_a_revoked_refresh_token_is_an_invalid_grant():
    simulator = Simulator(SMALL)
    simulator.revoke_refresh_token()
    body = {
        "grant_type": "refresh_token",
        "client_secret": simulator.client_secret,
        "refresh_token": simulator.refresh_token,
    }
    assert api(simulator, "POST", "/oauth/token", json=body).json()["error_code"] == "invalid_grant"


def test_a_wrong_client_secret_is_an_invalid_client(simulator):
    body = {"grant_type": "refresh_token", "client_secret": "wrong", "refresh_token": simulator.refresh_token}
    response = api(simulator, "POST", "/oauth/token", json=body)
    assert (response.status_code, response.json()["error_code"]) == (401, "invalid_client")


def authorize(simulator, decision="approve", customer="me-1"):
    query = {
        "response_type": "code",
        "client_id": simulator.client_id,
        "redirect_uri": "http://127.0.0.1:8000/connect/callback",
        "scope": "read",
        "state": "xyz-123",
    }
    page = api(simulator, "GET", "/auth.html", params=query, user_agent="Mozilla/5.0 (X11)")
    assert page.status_code == 200 and "<form" in page.text
    response = api(
        simulator,
        "POST",
        "/auth.html",
        data=query | {"decision": decision, "customer": customer},
        user_agent="Mozilla/5.0",
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/connect/callback"
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def test_the_consent_page_redirects_back_with_a_code_and_the_state_that_exchanges_for_a_refresh_token(simulator):
    answer = authorize(simulator)
    assert answer["state"] == "xyz-123"
    body = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "client_id": simulator.client_id,
        "client_secret": simulator.client_secret,
        "redirect_uri": "http://127.0.0.1:8000/connect/callback",
    }
    tokens = api(simulator, "POST", "/oauth/token", json=body).json()
    assert tokens["refresh_token"] and tokens["access_token"]
    assert access_token(simulator, tokens["refresh_token"])
    again = api(simulator, "POST", "/oauth/token", json=body)
    assert again.json()["error_code"] == "invalid_grant"  # a code is used once


def test_a_code_is_refused_with_another_redirect_uri(simulator):
    answer = authorize(simulator)
    body = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "client_id": simulator.client_id,
        "client_secret": simulator.client_secret,
        "redirect_uri": "http://evil.example/callback",
    }
    assert api(simulator, "POST", "/oauth/token", json=body).json()["error_code"] == "invalid_grant"


def test_denying_consent_redirects_back_with_access_denied(simulator):
    assert authorize(simulator, decision="deny") == {"error": "access_denied", "state": "xyz-123"}


def test_the_consent_page_refuses_an_unregistered_redirect_uri():
    simulator = Simulator(SMALL, redirect_uris=["http://127.0.0.1:8000/connect/callback"])
    query = {"response_type": "code", "client_id": simulator.client_id, "redirect_uri": "http://evil.example/cb"}
    assert api(simulator, "GET", "/auth.html", params=query).status_code == 400
