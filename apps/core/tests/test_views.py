from unittest import mock

from django.db import OperationalError
from django.urls import reverse


def test_healthz_answers_200_json_when_the_database_answers(client, db):
    response = client.get(reverse("healthz"))
    assert (response.status_code, response.json()["status"]) == (200, "ok")


def test_healthz_answers_503_when_the_database_does_not(client, db):
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")):
        response = client.get(reverse("healthz"))
    assert (response.status_code, response.json()["status"]) == (503, "error")


def test_healthz_sets_no_session_cookie(client, db):
    response = client.get(reverse("healthz"))
    assert "sessionid" not in response.cookies


def test_healthz_needs_no_sign_in(client, db):
    assert client.get(reverse("healthz")).status_code == 200


def test_landing_page_is_public(client, db):
    response = client.get(reverse("dashboard:landing"))
    assert response.status_code == 200 and b"Create a free account" in response.content


def test_landing_sends_signed_in_users_to_their_dashboard(user_client):
    assert user_client.get(reverse("dashboard:landing")).url == reverse("dashboard:home")


def test_dashboard_requires_sign_in(client, db):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_every_page_carries_a_strict_content_security_policy(client, db):
    policy = client.get(reverse("dashboard:landing"))["Content-Security-Policy"]
    for directive in ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]:
        assert directive in policy
    assert "unsafe-inline" not in policy


def test_pages_load_nothing_from_another_host(client, db):
    html = client.get(reverse("dashboard:landing")).content.decode()
    assert "http://" not in html and "https://" not in html and "//cdn" not in html


def test_signed_in_pages_are_not_stored_by_browsers(user_client):
    assert user_client.get(reverse("dashboard:home"))["Cache-Control"] == "no-store"


def test_unknown_address_shows_the_friendly_404_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and b"Page not found" in response.content


def test_500_page_renders_without_a_request_context(rf):
    from apps.core.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500 and b"Something went wrong" in response.content
