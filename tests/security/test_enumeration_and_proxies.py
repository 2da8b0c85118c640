"""Sign-up does not tell which addresses have accounts (same work, no rows), a forged X-Forwarded-For does not
escape the rate limits when nothing sits in front of the app, and links in emails start with SITE_URL whatever
Host header the request carried."""

import re

import pytest
from django.apps import apps
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

HASHED: list[str] = []
TOO_MANY = "Too many failed login attempts"


class CountingHasher(MD5PasswordHasher):
    """The test suite's fast hasher, counting how many passwords it hashed."""

    def encode(self, password, salt):
        HASHED.append(password)
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher", *settings.PASSWORD_HASHERS]
    HASHED.clear()
    cache.clear()
    return HASHED


def sign_up(client, email: str):
    password = "a-long-new-secret"
    return client.post(reverse("account_signup"), {"email": email, "password1": password, "password2": password})


def row_counts() -> dict[str, int]:
    """Rows per table, but sessions: any sign-up, new address or taken, opens one (and not opening it for a
    taken address would itself tell)."""
    return {model._meta.label: model._base_manager.count() for model in apps.get_models() if model is not Session}


def test_signing_up_with_a_taken_address_does_the_work_of_a_new_sign_up(client, user, counting_hasher):
    sign_up(client, "newcomer@example.com")
    for_a_new_address = len(counting_hasher)
    counting_hasher.clear()

    sign_up(client, user.email)

    assert for_a_new_address == len(counting_hasher) == 1


def test_signing_up_with_a_taken_address_answers_as_for_a_new_one(client, user, counting_hasher):
    new = sign_up(client, "newcomer@example.com")
    taken = sign_up(client, user.email)

    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    assert set(taken.cookies) == set(new.cookies)


def test_probing_sign_up_with_a_taken_address_creates_no_rows(client, user, counting_hasher):
    before = row_counts()

    sign_up(client, user.email)

    assert row_counts() == before


def test_without_a_proxy_a_forged_forwarded_for_does_not_escape_the_per_ip_limit(client, db):
    cache.clear()
    for attempt in range(10):
        client.post(
            reverse("account_login"),
            {"login": f"nobody{attempt}@example.com", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )

    response = client.post(
        reverse("account_login"),
        {"login": "nobody-else@example.com", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="198.51.100.250",
    )

    assert TOO_MANY in response.content.decode()


@pytest.fixture
def forged_host(settings) -> str:
    settings.SITE_URL = "https://tracker.example.com"
    settings.ALLOWED_HOSTS = ["tracker.example.com", "evil.example"]
    cache.clear()
    return "evil.example"


def links_in(message) -> list[str]:
    return re.findall(r"https?://[^/\s]+", message.body)


def test_a_password_reset_link_starts_with_the_site_url_whatever_the_host_header(client, user, forged_host):
    client.post(reverse("account_reset_password"), {"email": user.email}, HTTP_HOST=forged_host)

    [message] = mail.outbox
    assert links_in(message) and set(links_in(message)) == {"https://tracker.example.com"}
    assert forged_host not in message.body


def test_a_sign_up_confirmation_link_starts_with_the_site_url_whatever_the_host_header(client, db, forged_host):
    sign_up_response = client.post(
        reverse("account_signup"),
        {"email": "newcomer@example.com", "password1": "a-long-new-secret", "password2": "a-long-new-secret"},
        HTTP_HOST=forged_host,
    )

    assert sign_up_response.status_code == 302
    [message] = mail.outbox
    assert set(links_in(message)) == {"https://tracker.example.com"}
    assert forged_host not in message.body


def test_the_taken_address_email_starts_with_the_site_url_whatever_the_host_header(client, user, forged_host):
    client.post(
        reverse("account_signup"),
        {"email": user.email, "password1": "a-long-new-secret", "password2": "a-long-new-secret"},
        HTTP_HOST=forged_host,
    )

    [message] = mail.outbox
    assert set(links_in(message)) == {"https://tracker.example.com"}
    assert forged_host not in message.body
