"""Security headers on every page: the Content-Security-Policy, HSTS under the production settings,
nosniff, Referrer-Policy, and no caching of signed-in pages."""

import json
import os
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils.csp import CSP

from apps.reports.tests.factories import BrokerAccountFactory, make_trading_history
from apps.tastytrade_sync.tests.factories import ConnectionFactory, SyncRunFactory
from apps.trades.models import Position
from apps.trades.tests.factories import (
    BalanceNowFactory,
    NetLiqPointFactory,
    SoldPutFillFactory,
    SoldPutPositionFactory,
)

ROOT = Path(__file__).resolve().parents[2]

PUBLIC_PAGES = ["dashboard:landing", "account_login", "account_signup"]
SIGNED_IN_PAGES = [
    "dashboard:home",
    "dashboard:positions",
    "dashboard:transactions",
    "tastytrade_sync:page",
    "tastytrade_sync:connect",
    "reports:home",
    "reports:income",
    "reports:transfers",
    "accounts:profile",
    "trades:import_csv",
    "trades:list",
]
YEAR = 365 * 24 * 60 * 60


@pytest.fixture
def ledger(user):
    """Enough data that every part of the pages renders: an account, trades, positions, balances, a sync."""
    connection = ConnectionFactory(user=user)
    SyncRunFactory(connection=connection)
    account = BrokerAccountFactory(user=user, connection=connection)
    now = datetime.now(UTC)
    for days in (3, 2, 1):
        SoldPutFillFactory(account=account, executed_at=now - timedelta(days=days))
    SoldPutPositionFactory(account=account, as_of=now)
    BalanceNowFactory(account=account, snapshot_date=now.date())
    NetLiqPointFactory(account=account, time=now - timedelta(days=1))
    return account


@pytest.fixture(scope="module")
def production_security_settings() -> dict:
    """The SECURE_* values config/settings/production.py really sets, read in a child process (importing
    it here would change this process's database settings)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "headers-test-" + "x" * 60,
        "FIELD_ENCRYPTION_KEYS": "aGVhZGVycy10ZXN0LW9ubHktMzItYnl0ZS1rZXktLS0=",
        "ALLOWED_HOSTS": "testserver",
    }
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps({k: getattr(settings, k) for k in dir(settings) if k.startswith('SECURE_HSTS')}))"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


class Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(response) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(response.content.decode())
    return parser.tags


def policy(response) -> dict[str, list[str]]:
    directives = (part.split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    return {words[0]: words[1:] for words in directives}


def pages(client, names):
    for name in names:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        yield name, response


# -- Content-Security-Policy ----------------------------------------------------------------------------


def test_the_policy_is_configured_with_a_nonce_for_scripts():
    assert django_settings.SECURE_CSP["script-src"] == [CSP.SELF, CSP.NONCE]


@pytest.mark.parametrize("name", PUBLIC_PAGES + SIGNED_IN_PAGES)
def test_every_page_sends_the_content_security_policy(name, client, user, ledger):
    if name in SIGNED_IN_PAGES:
        client.force_login(user)
    [(_, response)] = pages(client, [name])
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    # Scripts from us, or carrying this response's nonce: never inline, never eval.
    assert set(directives["script-src"]) - {"'self'"} <= {f"'nonce-{response.wsgi_request._csp_nonce}'"}
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("name", PUBLIC_PAGES + SIGNED_IN_PAGES)
def test_no_page_relies_on_what_the_policy_blocks(name, client, user, ledger):
    """An inline script without the nonce, an inline style or an on* handler would be blocked in the
    browser: a page with one is broken, so none has any."""
    if name in SIGNED_IN_PAGES:
        client.force_login(user)
    [(_, response)] = pages(client, [name])
    script_src = policy(response)["script-src"]
    for tag, attrs in tags_of(response):
        if tag == "script" and attrs.get("type") != "application/json":  # json_script data is never run
            assert attrs.get("src", "").startswith("/") or f"'nonce-{attrs.get('nonce')}'" in script_src, attrs
        assert tag != "style", f"{name}: inline <style>"
        assert "style" not in attrs, f"{name}: style attribute on <{tag}>"
        assert not [a for a in attrs if a.startswith("on")], f"{name}: event handler on <{tag}>"


# -- HSTS (production settings, over HTTPS) -------------------------------------------------------------


def test_production_asks_for_hsts_of_a_year_with_subdomains(production_security_settings):
    assert production_security_settings["SECURE_HSTS_SECONDS"] >= YEAR
    assert production_security_settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


@pytest.mark.parametrize("name", PUBLIC_PAGES + SIGNED_IN_PAGES)
def test_every_page_over_https_sends_hsts_under_the_production_settings(
    name, client, user, ledger, settings, production_security_settings
):
    for key, value in production_security_settings.items():
        setattr(settings, key, value)
    if name in SIGNED_IN_PAGES:
        client.force_login(user)
    response = client.get(reverse(name), secure=True)
    assert response.status_code == 200
    parts = [part.strip() for part in response["Strict-Transport-Security"].split(";")]
    assert int(parts[0].removeprefix("max-age=")) >= YEAR
    assert "includeSubDomains" in parts


def test_plain_http_gets_no_hsts(client, db, settings, production_security_settings):
    """Browsers ignore HSTS over http; sending it there would only be noise."""
    for key, value in production_security_settings.items():
        setattr(settings, key, value)
    assert "Strict-Transport-Security" not in client.get(reverse("dashboard:landing"))


# -- the other headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PUBLIC_PAGES + SIGNED_IN_PAGES)
def test_every_page_forbids_sniffing_framing_and_cross_site_referrers(name, client, user, ledger):
    if name in SIGNED_IN_PAGES:
        client.force_login(user)
    [(_, response)] = pages(client, [name])
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_pages_are_never_stored(name, user_client, ledger):
    [(_, response)] = pages(user_client, [name])
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "name",
    [
        "reports:backup",
        "reports:transactions_csv",
        "reports:positions_csv",
        "reports:cash_flow_csv",
        "reports:pnl_csv",
        "reports:pnl_events_csv",
        "reports:trades_csv",
        "reports:income_csv",
        "reports:transfers_csv",
    ],
)
def test_downloads_of_trading_data_are_never_stored(name, user_client, ledger):
    response = user_client.get(reverse(name))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_sync_progress_json_is_never_stored(user, user_client):
    run = SyncRunFactory(connection=ConnectionFactory(user=user))
    response = user_client.get(reverse("tastytrade_sync:run_status", args=[run.pk]))
    assert "no-store" in response["Cache-Control"]


def test_a_position_page_sends_the_same_headers(user_client, user):
    position = Position.objects.filter(account=make_trading_history(user)).first()
    response = user_client.get(reverse("trades:detail", kwargs={"account": position.account_id, "key": position.key}))
    assert response.status_code == 200
    assert policy(response)["script-src"][0] == "'self'" and "unsafe" not in response["Content-Security-Policy"]
    assert (response["X-Content-Type-Options"], response["Referrer-Policy"]) == ("nosniff", "same-origin")
    assert "no-store" in response["Cache-Control"]


# -- Permissions-Policy, and no Server header from gunicorn -------------------------------------------------


@pytest.mark.parametrize("name", PUBLIC_PAGES + SIGNED_IN_PAGES)
def test_every_page_denies_the_browser_features_no_page_uses(name, client, user, ledger):
    if name in SIGNED_IN_PAGES:
        client.force_login(user)
    [(_, response)] = pages(client, [name])
    features = dict(part.strip().split("=") for part in response["Permissions-Policy"].split(","))
    for feature in ["camera", "microphone", "geolocation", "payment", "usb"]:
        assert features[feature] == "()"


@pytest.mark.slow
def test_gunicorn_as_the_procfile_runs_it_sends_no_server_header(procfile_gunicorn):
    with urllib.request.urlopen(procfile_gunicorn.url + "/healthz", timeout=30) as response:
        assert response.status == 200
        assert "Server" not in response.headers
