"""client.py at the HTTP boundary: error mapping, retries and headers (the simulator covers the rest)."""

import json
import time
from datetime import date

import httpx2
import pytest

from apps.tastytrade_sync import client as tt

TOKEN = {"access_token": "access-1", "token_type": "Bearer", "expires_in": 900}
EMPTY_PAGE = {
    "data": {"items": []},
    "context": "/accounts/5WT00001/transactions",
    "pagination": {"per-page": 10, "page-offset": 0, "item-offset": 0, "total-items": 0, "total-pages": 0},
}


class Script:
    """A fake TastyTrade: answers each request with the next scripted response for its path."""

    def __init__(self, **answers):
        self.answers = {path.replace("__", "/"): list(items) for path, items in answers.items()}
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        key = "/oauth/token" if request.url.path == "/oauth/token" else "api"
        status, body = self.answers[key].pop(0) if len(self.answers[key]) > 1 else self.answers[key][0]
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx2.Response(status, content=content)


def make_client(script: Script, sleeps: list | None = None) -> tt.Client:
    return tt.Client(
        client_secret="secret",
        refresh_token="refresh",
        base_url="http://tastytrade.invalid",
        transport=httpx2.MockTransport(script),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
    )


def read_page(script: Script, sleeps: list | None = None) -> tt.TransactionPage:
    with make_client(script, sleeps) as client:
        return client.transactions_page(
            "5WT00001", start=date(2026, 1, 1), end=date(2026, 1, 31), page_offset=0, per_page=10
        )


def test_every_request_carries_our_product_version_user_agent():
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(200, EMPTY_PAGE)]})
    read_page(script)
    assert {r.headers["User-Agent"] for r in script.requests} == {tt.USER_AGENT}


def test_the_token_call_sends_no_authorization_header():
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(200, EMPTY_PAGE)]})
    read_page(script)
    assert "Authorization" not in script.requests[0].headers


def test_transactions_are_asked_oldest_first_in_a_date_window():
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(200, EMPTY_PAGE)]})
    read_page(script)
    params = script.requests[1].url.params
    assert (params["sort"], params["start-date"], params["end-date"]) == ("Asc", "2026-01-01", "2026-01-31")


def test_a_429_is_retried_with_backoff_and_then_succeeds():
    sleeps: list[float] = []
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(429, b""), (429, b""), (200, EMPTY_PAGE)]})
    page = read_page(script, sleeps)
    assert (page.total_items, len(sleeps)) == (0, 2)


def test_a_persistent_502_ends_as_unavailable_after_bounded_attempts(settings):
    settings.TASTYTRADE_RETRY_ATTEMPTS = 3
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(502, b"<html>bad gateway</html>")]})
    with pytest.raises(tt.Unavailable):
        read_page(script)
    assert len(script.requests) == 1 + 3


def test_a_bad_request_is_not_retried():
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(400, {"error": {"code": "validation_error"}})]})
    with pytest.raises(tt.BadResponse):
        read_page(script)
    assert len(script.requests) == 2


def test_a_refused_refresh_token_is_an_auth_error_meaning_reconnect():
    script = Script(**{"/oauth/token": [(400, {"error_code": "invalid_grant", "error_description": "Invalid JWT"})]})
    with pytest.raises(tt.AuthError) as caught:
        read_page(script)
    assert "reconnect" in caught.value.user_message


def test_a_401_on_a_read_refreshes_the_token_once_and_retries():
    script = Script(
        **{"/oauth/token": [(200, TOKEN)], "api": [(401, {"error": {"code": "unauthorized"}}), (200, EMPTY_PAGE)]}
    )
    read_page(script)
    assert [r.url.path for r in script.requests].count("/oauth/token") == 2


def test_a_second_401_after_a_fresh_token_is_an_auth_error():
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(401, {"error": {"code": "unauthorized"}})]})
    with pytest.raises(tt.AuthError):
        read_page(script)


def test_malformed_json_is_a_bad_response_after_retries():
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(200, b"{not json")]})
    with pytest.raises(tt.BadResponse):
        read_page(script)


def test_a_page_without_pagination_is_read_as_the_only_page():
    body = {"data": {"items": []}, "context": "/accounts/5WT00001/transactions"}
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(200, body)]})
    assert read_page(script).total_pages is None


def test_the_raw_items_come_back_even_when_the_sdk_cannot_parse_a_new_value():
    item = {
        "id": 3100000001,
        "transaction-type": "Trade",
        "transaction-sub-type": "Brand New Thing",
        "action": "Teleport",
        "account-number": "5WT00001",
        "description": "",
        "executed-at": "2026-01-02T15:00:00.000+00:00",
        "transaction-date": "2026-01-02",
        "value": "0.0",
        "value-effect": "None",
        "net-value": "0.0",
        "net-value-effect": "None",
        "is-estimated-fee": True,
        "instrument-type": "Quantum Future",
    }
    body = {**EMPTY_PAGE, "data": {"items": [item]}}
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(200, body)]})
    assert read_page(script).items == [item]


def page_of(offset: int, pages: int) -> dict:
    item = {"id": 3100000000 + offset, "transaction-date": "2026-01-02", "executed-at": "2026-01-02T15:00:00Z"}
    pagination = {"per-page": 1, "page-offset": offset, "total-items": pages, "total-pages": pages}
    return {"data": {"items": [item]}, "pagination": pagination}


def read_every_page(script: Script, pages: int) -> list[tt.TransactionPage]:
    with make_client(script) as client:
        return [
            client.transactions_page(
                "5WT00001", start=date(2026, 1, 1), end=date(2026, 1, 31), page_offset=n, per_page=1
            )
            for n in range(pages)
        ]


def page_offsets_asked(script: Script) -> list[str]:
    return [r.url.params["page-offset"] for r in script.requests if r.url.path != "/oauth/token"]


def test_reading_pages_in_order_asks_for_each_page_once():
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(200, page_of(n, 3)) for n in range(3)]})
    pages = read_every_page(script, 3)
    assert [p.items[0]["id"] for p in pages] == [3100000000, 3100000001, 3100000002]
    assert page_offsets_asked(script) == ["0", "1", "2"]


def test_the_next_page_is_asked_for_before_the_caller_wants_it():
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(200, page_of(0, 2)), (200, page_of(1, 2))]})
    with make_client(script) as client:
        client.transactions_page("5WT00001", start=date(2026, 1, 1), end=date(2026, 1, 31), page_offset=0, per_page=1)
        for _ in range(200):  # the read-ahead runs on the client's own thread
            if len(page_offsets_asked(script)) == 2:
                break
            time.sleep(0.01)
        assert page_offsets_asked(script) == ["0", "1"]


def test_a_page_read_ahead_that_failed_is_asked_again_with_retries():
    answers = [(200, page_of(0, 2)), (503, {"error": "busy"}), (200, page_of(1, 2))]
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": answers})
    pages = read_every_page(script, 2)
    assert pages[1].items[0]["id"] == 3100000001
    assert page_offsets_asked(script) == ["0", "1", "1"]


def test_asking_for_another_page_than_the_one_read_ahead_drops_the_read_ahead():
    class ByOffset(Script):
        def __call__(self, request):
            self.requests.append(request)
            if request.url.path == "/oauth/token":
                return httpx2.Response(200, json=TOKEN)
            return httpx2.Response(200, json=page_of(int(request.url.params["page-offset"]), 3))

    script = ByOffset()
    with make_client(script) as client:
        query = {"start": date(2026, 1, 1), "end": date(2026, 1, 31), "per_page": 1}
        client.transactions_page("5WT00001", page_offset=0, **query)
        again = client.transactions_page("5WT00001", page_offset=0, **query)
    assert again.items[0]["id"] == 3100000000


def test_leaving_the_client_with_a_page_read_ahead_leaves_nothing_running():
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(200, page_of(0, 2)), (200, page_of(1, 2))]})
    with make_client(script) as client:
        client.transactions_page("5WT00001", start=date(2026, 1, 1), end=date(2026, 1, 31), page_offset=0, per_page=1)
        thread = client._thread
    assert client._read_ahead is None and not thread.is_alive()


def test_a_connection_reset_is_unavailable():
    def reset(request):
        if request.url.path == "/oauth/token":
            return httpx2.Response(200, json=TOKEN)
        raise httpx2.ReadError("connection reset by peer")

    with (
        pytest.raises(tt.Unavailable),
        tt.Client(
            client_secret="s",
            refresh_token="r",
            base_url="http://tastytrade.invalid",
            transport=httpx2.MockTransport(reset),
            sleep=lambda s: None,
        ) as client,
    ):
        client.accounts()


def test_net_liq_times_without_iso_form_are_read_as_utc():
    assert tt.parse_datetime("2023-06-08 13:30:00+00").isoformat() == "2023-06-08T13:30:00+00:00"


def test_a_failure_before_any_page_arrives_is_never_answered_with_an_earlier_page():
    # TastyTrade's token answer without a usable lifetime breaks the SDK's refresh (a TypeError)
    # before the page is asked for; the page before must not come back in its place.
    bad_token = {"access_token": "access-2", "token_type": "Bearer", "expires_in": None}
    script = Script(**{"/oauth/token": [(200, TOKEN), (200, bad_token)], "api": [(200, page_of(0, 1))]})
    with make_client(script) as client:
        query = {"start": date(2026, 1, 1), "end": date(2026, 1, 31), "page_offset": 0, "per_page": 1}
        client.transactions_page("5WT00001", **query)
        client._session.session_expiration = 0  # the token has run out: the next call refreshes
        with pytest.raises(TypeError):
            client.transactions_page("5WT00001", **query)


def test_counting_transactions_asks_for_one_item_of_the_days_and_answers_the_total():
    body = {**EMPTY_PAGE, "pagination": {**EMPTY_PAGE["pagination"], "per-page": 1, "total-items": 42}}
    script = Script(**{"/oauth/token": [(200, TOKEN)], "api": [(200, body)]})
    with make_client(script) as client:
        total = client.transactions_count("5WT00001", start=date(2026, 1, 1), end=date(2026, 1, 9))
    asked = script.requests[-1].url.params
    assert (total, asked["per-page"], asked["start-date"], asked["end-date"]) == (42, "1", "2026-01-01", "2026-01-09")
    assert len(script.requests) == 2  # the token and the count; no page read ahead
