"""Sign-in is required everywhere except the landing page, allauth's pages and /healthz, and allauth's
pages wear the app's layout without inline scripts or styles (the CSP forbids them)."""

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config.settings.base import sign_in_providers

# The web app manifest is open: browsers fetch it without cookies, and it holds nothing of a user.
OPEN_WITHOUT_SIGN_IN = {"apps.dashboard.views.landing", "apps.core.views.healthz", "apps.core.views.web_manifest"}


def routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, object]]:
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_only_the_landing_page_allauth_and_healthz_are_open_without_sign_in():
    for route, view in routes():
        if getattr(view, "login_required", True):
            continue  # LoginRequiredMiddleware sends signed-out visitors to sign in
        name = f"{view.__module__}.{view.__name__}"
        # Django's admin guards itself with its own staff login.
        assert name in OPEN_WITHOUT_SIGN_IN or view.__module__.startswith(("allauth.", "django.contrib.admin.")), (
            f"/{route} ({name}) is open without sign-in"
        )


@pytest.mark.parametrize(
    "url_name", ["dashboard:home", "accounts:profile", "accounts:delete", "account_email", "mfa_index"]
)
def test_signed_out_visitors_are_sent_to_sign_in(client, db, url_name):
    assert client.get(reverse(url_name))["Location"].startswith(reverse("account_login"))


SIGNED_OUT_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_email_verification_sent",
    "socialaccount_login_cancelled",
    "google_login",
    "apple_login",
]
SIGNED_IN_PAGES = [
    "accounts:profile",
    "accounts:delete",
    "account_email",
    "account_change_password",
    "account_logout",
    "account_reauthenticate",
    "socialaccount_connections",
    "mfa_index",
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")


def assert_in_app_layout(html: str) -> None:
    assert 'aria-label="Main navigation"' in html  # our navbar, not allauth's bare "Menu:" list
    assert "Menu:" not in html
    assert not INLINE_SCRIPT.search(html)
    assert " style=" not in html


@pytest.mark.parametrize("url_name", SIGNED_OUT_PAGES)
def test_signed_out_pages_use_the_app_layout(client, db, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert_in_app_layout(response.content.decode())


@pytest.mark.parametrize("url_name", SIGNED_IN_PAGES)
def test_signed_in_pages_use_the_app_layout(user_client, url_name):
    response = user_client.get(reverse(url_name))

    assert response.status_code == 200
    assert_in_app_layout(response.content.decode())


def test_the_sign_in_page_offers_every_configured_provider(client, db):
    content = client.get(reverse("account_login")).content.decode()

    assert "Sign in with Google" in content
    assert "Sign in with Apple" in content


def test_a_provider_missing_a_variable_is_not_offered(client, db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = sign_in_providers(
        google_client_id="id.apps.googleusercontent.com",
        apple_client_id="com.example.tracker.signin",
        apple_team_id="TEAM123456",
        apple_key_id="KEY1234567",
    )

    content = client.get(reverse("account_login")).content.decode()

    assert "Sign in with Google" not in content
    assert "Sign in with Apple" not in content


def test_google_needs_an_id_and_a_secret_and_uses_pkce():
    assert sign_in_providers(google_client_id="id")["google"]["APPS"] == []
    google = sign_in_providers(google_client_id="id", google_client_secret="secret")["google"]
    assert google["APPS"] == [{"client_id": "id", "secret": "secret", "key": ""}]
    assert google["OAUTH_PKCE_ENABLED"]


def test_apple_needs_all_four_variables():
    four = {"apple_client_id": "svc", "apple_team_id": "TEAM", "apple_key_id": "KEY", "apple_private_key": "PEM"}
    for missing in four:
        assert sign_in_providers(**{**four, missing: ""})["apple"]["APPS"] == []
    [app] = sign_in_providers(**four)["apple"]["APPS"]
    assert (app["client_id"], app["key"], app["secret"]) == ("svc", "TEAM", "KEY")


def test_an_apple_key_pasted_on_one_line_gets_its_line_breaks_back():
    one_line = "-----BEGIN PRIVATE KEY-----\\nMIGH\\n-----END PRIVATE KEY-----"
    [app] = sign_in_providers(
        apple_client_id="svc", apple_team_id="TEAM", apple_key_id="KEY", apple_private_key=one_line
    )["apple"]["APPS"]

    assert app["settings"]["certificate_key"] == "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----"
