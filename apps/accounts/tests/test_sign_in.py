"""Email sign-up, verification, sign-in, "remember me", rate limits and two-factor sign-in."""

import re
import time

import pytest
import time_machine
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from apps.accounts.models import User
from conftest import make_user

PASSWORD = "correct-horse-battery"
TOO_MANY = "Too many failed login attempts"


def sign_in(client, email: str, password: str = PASSWORD, *, headers: dict | None = None, **fields):
    form = {"login": email, "password": password, **fields}
    return client.post(reverse("account_login"), form, **(headers or {}))


def signed_in_email(client) -> str | None:
    return client.session.get("_auth_user_id") and User.objects.get(pk=client.session["_auth_user_id"]).email


def link_in(message) -> str:
    return re.search(r"https?://testserver(/\S+)", message.body).group(1)


def test_sign_up_sends_a_verification_email_and_its_link_signs_in(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "Carol@Example.com", "password1": "a-long-new-secret", "password2": "a-long-new-secret"},
    )
    assert response["Location"] == reverse("account_email_verification_sent")
    assert signed_in_email(client) is None
    [message] = mail.outbox
    assert message.to == ["carol@example.com"]

    confirm_page = client.get(link_in(message))
    response = client.post(confirm_page.request["PATH_INFO"])

    assert response["Location"] == reverse("dashboard:home")
    assert signed_in_email(client) == "carol@example.com"
    assert EmailAddress.objects.get(email="carol@example.com").verified


def test_a_verified_trader_signs_in_with_email_and_password(client, user):
    response = sign_in(client, "ALICE@example.com")

    assert response["Location"] == reverse("dashboard:home")
    assert signed_in_email(client) == "alice@example.com"


def test_an_unverified_trader_cannot_sign_in_and_gets_a_new_link(client, db):
    unverified = User.objects.create_user(email="dave@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=unverified, email=unverified.email, verified=False, primary=True)

    response = sign_in(client, "dave@example.com")

    assert response["Location"] == reverse("account_email_verification_sent")
    assert signed_in_email(client) is None
    assert client.get(reverse("accounts:profile"))["Location"].startswith(reverse("account_login"))
    [message] = mail.outbox
    assert message.to == ["dave@example.com"]


def test_a_wrong_password_is_refused(client, user):
    response = sign_in(client, user.email, "not-the-password")

    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert signed_in_email(client) is None


def test_a_password_reset_link_lets_the_trader_choose_a_new_password(client, user):
    client.post(reverse("account_reset_password"), {"email": user.email})
    [message] = mail.outbox
    form_page = client.get(link_in(message), follow=True)

    client.post(form_page.request["PATH_INFO"], {"password1": "a-brand-new-secret", "password2": "a-brand-new-secret"})

    assert sign_in(client, user.email, "a-brand-new-secret")["Location"] == reverse("dashboard:home")


def test_remember_me_keeps_the_session_for_fourteen_days(client, user):
    response = sign_in(client, user.email, remember="on")

    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 14 * 24 * 60 * 60
    assert not client.session.get_expire_at_browser_close()


def test_without_remember_me_the_session_ends_with_the_browser(client, user):
    response = sign_in(client, user.email)

    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""
    assert client.session.get_expire_at_browser_close()


def test_the_session_cookie_is_http_only_and_same_site_lax(client, user):
    cookie = sign_in(client, user.email).cookies[settings.SESSION_COOKIE_NAME]

    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


@pytest.fixture
def behind_herokus_router(settings) -> None:
    """What production.py sets: one proxy, Heroku's router, appends to X-Forwarded-For."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


@pytest.mark.usefixtures("behind_herokus_router")
def test_the_client_ip_is_the_address_herokus_router_appended():
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")

    assert get_adapter().get_client_ip(request) == "203.0.113.9"


@pytest.mark.usefixtures("behind_herokus_router")
def test_the_sixth_failed_sign_in_for_one_address_within_five_minutes_is_refused(client, user):
    # Each attempt claims a new origin in front of the router's own entry; the count is per address anyway.
    for attempt in range(5):
        response = sign_in(
            client, user.email, "wrong", headers={"HTTP_X_FORWARDED_FOR": f"198.51.100.{attempt}, 203.0.113.9"}
        )
        assert TOO_MANY not in response.content.decode()

    response = sign_in(client, user.email, headers={"HTTP_X_FORWARDED_FOR": "198.51.100.99, 203.0.113.9"})

    assert TOO_MANY in response.content.decode()
    assert signed_in_email(client) is None  # even the right password waits now


@pytest.mark.usefixtures("behind_herokus_router")
def test_the_address_limit_holds_when_every_attempt_comes_through_a_different_router_address(client, user):
    for attempt in range(5):
        sign_in(client, user.email, "wrong", headers={"HTTP_X_FORWARDED_FOR": f"203.0.113.{attempt}"})

    response = sign_in(client, user.email, "wrong", headers={"HTTP_X_FORWARDED_FOR": "203.0.113.200"})

    assert TOO_MANY in response.content.decode()


def test_sign_in_works_again_five_minutes_after_the_limit_tripped(client, user):
    with time_machine.travel("2026-03-02 15:00", tick=False) as clock:
        for _ in range(6):
            sign_in(client, user.email, "wrong")
        clock.shift(5 * 60 + 1)

        response = sign_in(client, user.email)

    assert response["Location"] == reverse("dashboard:home")


@pytest.mark.usefixtures("behind_herokus_router")
def test_a_rotating_forwarded_for_does_not_escape_the_per_ip_limit(client, db):
    # Ten failures a minute per client IP, each against a different address: the spoofed part rotates,
    # the router's entry (the real client) stays the same.
    for attempt in range(10):
        sign_in(
            client,
            f"nobody{attempt}@example.com",
            "wrong",
            headers={"HTTP_X_FORWARDED_FOR": f"10.0.0.{attempt}, 203.0.113.9"},
        )

    response = sign_in(
        client, "nobody-else@example.com", "wrong", headers={"HTTP_X_FORWARDED_FOR": "10.9.9.9, 203.0.113.9"}
    )

    assert TOO_MANY in response.content.decode()


@pytest.mark.usefixtures("behind_herokus_router")
def test_one_clients_failures_do_not_lock_out_other_clients(client, user):
    for attempt in range(10):
        sign_in(client, f"nobody{attempt}@example.com", "wrong", headers={"HTTP_X_FORWARDED_FOR": "203.0.113.9"})

    sign_in(client, user.email, headers={"HTTP_X_FORWARDED_FOR": "192.0.2.44"})

    assert signed_in_email(client) == user.email


def totp_code(secret: str) -> str:
    """What the trader's authenticator app shows right now."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def totp_secret(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def test_with_an_authenticator_app_the_password_alone_does_not_sign_in(client, user, totp_secret):
    response = sign_in(client, user.email)

    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_email(client) is None


def test_with_an_authenticator_app_its_code_completes_sign_in(client, user, totp_secret):
    sign_in(client, user.email)

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret)})

    assert response["Location"] == reverse("dashboard:home")
    assert signed_in_email(client) == user.email


def test_a_wrong_authenticator_code_is_refused(client, user, totp_secret):
    sign_in(client, user.email)
    wrong = f"{(int(totp_code(totp_secret)) + 1) % 1_000_000:06d}"

    response = client.post(reverse("mfa_authenticate"), {"code": wrong})

    assert response.status_code == 200
    assert signed_in_email(client) is None


def test_make_user_fixture_matches_a_verified_sign_up(db):
    # The shared fixture stands in for sign-up elsewhere; it must produce what sign-up produces.
    alice = make_user("erin@example.com")
    assert EmailAddress.objects.get(user=alice).verified
