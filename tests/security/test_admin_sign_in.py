"""Django's admin is signed into through allauth: its own password form never signs anyone in, so the
second factor and the sign-in rate limits hold there too, and its path is a setting (empty: no admin)."""

import importlib

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.urls import clear_url_caches, reverse

from conftest import make_user

PASSWORD = "correct-horse-battery"


@pytest.fixture
def staff(db):
    cache.clear()  # allauth's rate-limit counters
    user = make_user("admin@example.com")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def signed_in_id(client):
    return client.session.get("_auth_user_id")


def test_the_admins_password_form_does_not_sign_a_staff_user_in(client, staff):
    TOTP.activate(staff, generate_totp_secret())

    client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD, "next": "/admin/"})

    assert signed_in_id(client) is None
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_admins_sign_in_page_sends_to_allauths_sign_in(client, staff):
    response = client.get(reverse("admin:login"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_guessing_the_admin_password_is_rate_limited_like_any_sign_in(client, staff):
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": staff.email, "password": "wrong"})
        client.post(reverse("account_login"), {"login": staff.email, "password": "wrong"})

    client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD})
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})

    assert signed_in_id(client) is None


@pytest.fixture
def reload_urls(settings):
    """Import config.urls again under the test's settings, and once more afterwards under the real ones."""
    import config.urls

    def reload():
        clear_url_caches()
        importlib.reload(config.urls)

    yield reload
    settings.ADMIN_URL = "admin/"
    reload()


def test_an_empty_admin_url_leaves_the_admin_without_a_url(client, staff, settings, reload_urls):
    settings.ADMIN_URL = ""
    reload_urls()
    client.force_login(staff)

    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404


def test_the_admin_answers_at_the_configured_url(client, staff, settings, reload_urls):
    settings.ADMIN_URL = "back-office-7f3a/"
    reload_urls()
    client.force_login(staff)

    assert client.get("/back-office-7f3a/").status_code == 200
    assert client.get("/admin/").status_code == 404
