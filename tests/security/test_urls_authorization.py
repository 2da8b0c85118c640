"""Nobody reaches another trader's objects, and no form posts without a CSRF token.

The walker lists every URL pattern of the project. A pattern that captures anything from the path (a pk, a
token, ...) must have an entry in OWNED_OBJECTS: a function that creates such an object for one user and
returns the URL's kwargs. The other user then gets a 404 for it, and its owner does not. A new id-taking
URL without an entry fails `test_every_url_that_takes_an_id_has_an_ownership_test`.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.journal.attachments import attach
from apps.journal.images import clean_image
from apps.journal.models import Attachment, JournalDay
from apps.journal.tests.images import png
from apps.reports.backup import store_backup
from apps.reports.models import PendingRestore
from apps.reports.tests.factories import make_trading_history
from apps.tastytrade_sync.tests.factories import BrokerAccountFactory, ConnectionFactory, SyncRunFactory
from apps.trades.lots import recompute_account
from apps.trades.models import Chain, Note, Position, Target
from apps.trades.tests.factories import OptionTransactionFactory

CSV_SAMPLE = Path(__file__).resolve().parents[2] / "apps/trades/tests/csv_samples/v3_2026.csv"

# Prefixes the walker leaves to their own tests, and why. Only third-party views may live under them
# (`test_skipped_prefixes_hold_only_their_owners_views`), so none of our views hides there.
SKIPPED_PREFIXES = {
    "admin/": (
        "Django's admin: staff only, guarded by its own permission checks, not scoped per trader",
        ("django.contrib.", "django.views.generic.base"),
    ),
    "accounts/": (
        "django-allauth's own views: they act on request.user or on signed e-mail keys (allauth's tests, "
        "apps/accounts/tests)",
        ("allauth.", "django.views.generic.base"),
    ),
}


@dataclass(frozen=True)
class Route:
    path: str  # the pattern as written, prefixes included
    name: str | None  # namespaced: "tastytrade_sync:connection"
    parameters: frozenset[str]
    callback: Callable


def walk(patterns=None, prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            # Path converters (<int:pk>, <slug:token>) and regex groups (?P<key>...) alike.
            parameters = frozenset(pattern.pattern.converters) | frozenset(pattern.pattern.regex.groupindex)
            yield Route(prefix + str(pattern.pattern), name, parameters, pattern.callback)


def skipped(route: Route) -> bool:
    return route.path.startswith(tuple(SKIPPED_PREFIXES))


# -- the registry: URL name -> make(client, user) -> kwargs, an object owned by `user` -----------------


def a_connection(client, user) -> dict:
    connection = ConnectionFactory(user=user)
    BrokerAccountFactory(user=user, connection=connection)
    return {"pk": connection.pk}


def a_finished_run(client, user) -> dict:
    return {"pk": SyncRunFactory(connection=ConnectionFactory(user=user)).pk}


def a_csv_import(client, user) -> dict:
    """An upload waiting for confirmation; its token lives in the uploader's session and the cache."""
    upload = SimpleUploadedFile(CSV_SAMPLE.name, CSV_SAMPLE.read_bytes(), content_type="text/csv")
    response = client.post(reverse("trades:import_csv"), {"files": [upload], "account_number": "5WT00001"})
    return {"token": re.search(r"/trades/import/([\w-]+)/", response.url)[1]}


def a_restore(client, user) -> dict:
    """A finished backup restore, as its progress page follows it."""
    return {"pk": PendingRestore.objects.create(user=user, phase=PendingRestore.Phase.DONE, outcome="Restored").pk}


def a_position(client, user) -> dict:
    position = Position.objects.filter(account=make_trading_history(user)).first()
    return {"account": position.account_id, "key": position.key}


def a_chain(client, user) -> dict:
    """A put sold and rolled in one order: two positions, one roll chain."""
    account = make_trading_history(user)
    put = {"underlying_symbol": "IWM", "strike": Decimal("200"), "expires_on": date(2026, 4, 17)}
    OptionTransactionFactory(account=account, executed_at=datetime(2026, 3, 3, 15, tzinfo=UTC), **put)
    rolled = datetime(2026, 3, 9, 15, tzinfo=UTC)
    OptionTransactionFactory(account=account, action="Buy to Close", order_id=77, executed_at=rolled, **put)
    OptionTransactionFactory(
        account=account,
        underlying_symbol="IWM",
        strike=Decimal("195"),
        expires_on=date(2026, 5, 15),
        order_id=77,
        executed_at=rolled,
    )
    recompute_account(account=account)
    chain = Chain.objects.get(account=account)
    return {"account": chain.account_id, "key": chain.key}


def a_position_to_tag(client, user) -> dict:
    return {**a_position(client, user), "target": Target.POSITION}


def a_note(client, user) -> dict:
    kwargs = a_position_to_tag(client, user)
    note = Note.objects.create(account_id=kwargs["account"], target=Target.POSITION, key=kwargs["key"], text="Mine")
    return {**kwargs, "note": note.pk}


def a_screenshot(client, user) -> dict:
    """A chart screenshot on a journal day, named by its random token."""
    day = JournalDay.objects.create(user=user, day=date(2026, 3, 16))
    screenshot = attach(user=user, image=clean_image(png()), target=Attachment.On.DAY, journal_day=day)
    return {"token": screenshot.token}


def a_stored_backup(client, user) -> dict:
    """A nightly backup in the private storage, named by its random token."""
    return {"token": store_backup(user=user).token}


OWNED_OBJECTS: dict[str, Callable[[Client, object], dict]] = {
    "tastytrade_sync:connection": a_connection,
    "tastytrade_sync:disconnect": a_connection,
    "tastytrade_sync:sync_now": a_connection,
    "tastytrade_sync:deep_check": a_connection,
    "tastytrade_sync:run_status": a_finished_run,
    "tastytrade_sync:run_continue": a_finished_run,
    "trades:import_preview": a_csv_import,
    "trades:import_confirm": a_csv_import,
    "trades:import_cancel": a_csv_import,
    "trades:import_result": a_csv_import,
    "trades:import_status": a_csv_import,
    "reports:restore_progress": a_restore,
    "reports:restore_status": a_restore,
    "trades:detail": a_position,
    "trades:set_strategy": a_position,
    "trades:chain": a_chain,
    "trades:add_tag": a_position_to_tag,
    "trades:remove_tag": a_position_to_tag,
    "trades:add_note": a_position_to_tag,
    "trades:edit_note": a_note,
    "trades:delete_note": a_note,
    "journal:add_trade_attachment": a_position_to_tag,
    "journal:attachment": a_screenshot,
    "journal:thumbnail": a_screenshot,
    "journal:delete_attachment": a_screenshot,
    "reports:stored_backup": a_stored_backup,
    "reports:restore_stored_backup": a_stored_backup,
}

# Pages that take an object id in the query string: ?account=<pk> picks one of the user's accounts.
ACCOUNT_SCOPED = [
    "dashboard:home",
    "dashboard:calendar",
    "dashboard:calendar_year",
    "dashboard:calendar_day",
    "dashboard:positions",
    "dashboard:transactions",
    "reports:home",
    "reports:cash_flow_csv",
    "reports:transactions_csv",
    "reports:positions_csv",
    "reports:pnl_csv",
    "reports:pnl_events_csv",
    "reports:trades_csv",
    "trades:list",
]

# Views that accept a POST without a CSRF token, and why. Anything else must answer 403.
CSRF_EXEMPT = {
    # Apple posts the sign-in result from its own origin (response_mode=form_post); allauth checks the
    # OAuth state it stored in the session instead.
    "apple_callback": "Apple's form_post from appleid.apple.com",
    # Google's sign-in button posts an ID token; allauth checks Google's double-submit g_csrf_token cookie.
    "google_login_by_token": "Google's button posts from accounts.google.com",
}


@pytest.fixture(autouse=True)
def no_broker(settings):
    """Sync Now as the owner must fail fast in plain words instead of calling anything."""
    settings.TASTYTRADE_SIMULATOR_URL = ""
    cache.clear()


# -- the walker ---------------------------------------------------------------------------------------------


def test_every_url_that_takes_an_id_has_an_ownership_test():
    missing = [
        f"{route.name or route.path} ({', '.join(sorted(route.parameters))})"
        for route in walk()
        if route.parameters and not skipped(route) and route.name not in OWNED_OBJECTS
    ]
    assert not missing, f"add these to OWNED_OBJECTS in {__name__}: {missing}"


def test_the_registry_names_only_urls_that_exist_and_take_an_id():
    taking_ids = {route.name for route in walk() if route.parameters}
    assert set(OWNED_OBJECTS) <= taking_ids


def test_skipped_prefixes_hold_only_their_owners_views():
    for route in walk():
        for prefix, (_reason, owners) in SKIPPED_PREFIXES.items():
            if route.path.startswith(prefix):
                assert route.callback.__module__.startswith(owners), f"{route.path} is ours: test it here"


def test_the_walker_sees_the_apps_urls():
    names = {route.name for route in walk()}
    assert {"dashboard:home", "tastytrade_sync:connection", "trades:import_preview", "reports:backup"} <= names


# -- two users ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OWNED_OBJECTS))
def test_another_users_object_is_404(name, user, user_client, other_client):
    url = reverse(name, kwargs=OWNED_OBJECTS[name](user_client, user))
    theirs = {method: getattr(other_client, method)(url).status_code for method in ("get", "post")}
    refused = [method for method, status in theirs.items() if status == 404]
    assert refused, f"{url}: another user got {theirs}"
    for method in ("get", "post"):
        if theirs[method] != 404:
            # The only other answer allowed: the view does not take this method at all, for anyone.
            assert theirs[method] == 405 and getattr(user_client, method)(url).status_code == 405, (name, theirs)
    # The 404 comes from the ownership check, not from a broken fixture: the owner gets through.
    for method in refused:
        assert getattr(user_client, method)(url).status_code != 404, f"{name}: the owner's {method} is 404 too"


@pytest.mark.parametrize("name", ACCOUNT_SCOPED)
def test_another_users_account_in_the_query_string_is_404(name, user, other_user, other_client):
    mine = BrokerAccountFactory(user=user)
    assert other_client.get(reverse(name), {"account": mine.pk}).status_code == 404


@pytest.mark.parametrize("name", ACCOUNT_SCOPED)
def test_the_owner_can_pick_their_account_in_the_query_string(name, user, user_client):
    mine = BrokerAccountFactory(user=user)
    assert user_client.get(reverse(name), {"account": mine.pk}).status_code == 200


def test_saving_included_accounts_cannot_touch_another_users_account(user, other_user, other_client):
    mine = BrokerAccountFactory(user=user, connection=ConnectionFactory(user=user), is_included=True)
    theirs = ConnectionFactory(user=other_user)
    BrokerAccountFactory(user=other_user, connection=theirs)
    url = reverse("tastytrade_sync:connection", args=[theirs.pk])
    other_client.post(url, {f"include_{mine.pk}": ""})  # ticks nothing, names an account that is not theirs
    mine.refresh_from_db()
    assert mine.is_included


# -- CSRF ---------------------------------------------------------------------------------------------------


# Parameters whose pattern "1" does not match.
SAMPLE_VALUES = {"app_label": "trades", "token": "00000000-0000-4000-8000-000000000000"}  # a UUID is a slug too


def url_for(route: Route) -> str | None:
    """A URL that resolves to the route; the CSRF check runs before the view, so any id does."""
    if route.name is None:
        return None
    return reverse(route.name, kwargs={name: SAMPLE_VALUES.get(name, "1") for name in route.parameters})


def routes_with_urls() -> list[Route]:
    return [route for route in walk() if url_for(route) is not None]


@pytest.mark.parametrize("route", routes_with_urls(), ids=lambda route: route.name)
def test_a_post_without_a_csrf_token_is_refused(route, user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(url_for(route), {"next": "/"})
    if route.name in CSRF_EXEMPT:
        assert getattr(route.callback, "csrf_exempt", False), f"{route.name} is no longer exempt: drop it"
        # Refused, or handed on to a step that is protected again (Apple's "finish" page).
        assert response.status_code in (302, 401, 403)
    else:
        assert response.status_code == 403 and b"CSRF" in response.content, (route.path, response.status_code)


def test_a_post_with_the_csrf_token_gets_through(user):
    """The check above refuses for the missing token, not for everything."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("accounts:profile"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("accounts:profile"),
        {"display_name": "Al", "time_zone": "UTC", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_nameless_routes_are_only_redirects_and_catch_alls():
    nameless = [route for route in walk() if route.name is None]
    assert all(route.callback.__module__.startswith(("django.", "allauth.")) for route in nameless)
