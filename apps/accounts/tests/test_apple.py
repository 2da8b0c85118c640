"""Sign in with Apple at the HTTP boundary: the test plays the browser and Apple's sign-in page; Apple's
token and keys endpoints are the loopback fake; our ES256 client secret is checked there."""

import json
from urllib.parse import parse_qs, urlsplit

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from apps.accounts.models import User

from .fake_apple import FakeApple


def start_sign_in(client) -> dict[str, str]:
    """Press "Sign in with Apple"; returns the query the app sends to Apple's sign-in page."""
    response = client.post(reverse("apple_login"))
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://appleid.apple.com/auth/authorize"  # never fetched
    return {k: v[0] for k, v in parse_qs(url.query).items()}


def apple_form_post(client, fake_apple: FakeApple, authorize: dict[str, str], **overrides):
    """Apple's sign-in page answers with a cross-site form POST to our callback, then we finish the flow."""
    form = {
        "code": fake_apple.issue_code(authorize["redirect_uri"]),
        "state": authorize["state"],
        "user": json.dumps({"name": {"firstName": "Ada", "lastName": "Lovelace"}, "email": fake_apple.user.email}),
    } | overrides
    response = client.post(reverse("apple_callback"), form)
    assert response.status_code == 302
    return client.get(response["Location"])


def signed_in_email(client) -> str | None:
    return client.session.get("_auth_user_id") and User.objects.get(pk=client.session["_auth_user_id"]).email


def test_apple_is_asked_to_answer_with_a_form_post(client, db, fake_apple: FakeApple):
    authorize = start_sign_in(client)

    assert authorize["response_mode"] == "form_post"
    assert authorize["client_id"] == "com.example.tracker.signin"
    assert authorize["redirect_uri"] == "http://testserver/accounts/apple/login/callback/"


def test_apples_answer_signs_in_a_new_trader(client, db, fake_apple: FakeApple):
    response = apple_form_post(client, fake_apple, start_sign_in(client))

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    assert signed_in_email(client) == "ada@icloud.example"
    assert EmailAddress.objects.get(email="ada@icloud.example").verified
    assert SocialAccount.objects.get(provider="apple").uid == fake_apple.user.sub


def test_the_client_secret_is_signed_with_our_apple_key(client, db, fake_apple: FakeApple):
    apple_form_post(client, fake_apple, start_sign_in(client))

    [claims] = fake_apple.client_secret_claims
    assert claims["iss"] == "TEAM123456"
    assert claims["sub"] == "com.example.tracker.signin"
    assert claims["exp"] - claims["iat"] <= 3600


def test_an_apple_id_token_for_another_app_is_refused(client, db, fake_apple: FakeApple):
    fake_apple.audience = "com.example.someone-else"

    response = apple_form_post(client, fake_apple, start_sign_in(client))

    assert "Sign-in failed" in response.content.decode()
    assert signed_in_email(client) is None
    assert not User.objects.exists()


def test_an_apple_answer_with_a_forged_state_is_refused(client, db, fake_apple: FakeApple):
    authorize = start_sign_in(client)

    response = apple_form_post(client, fake_apple, authorize, state="forged-state-value")

    assert "Sign-in failed" in response.content.decode()
    assert signed_in_email(client) is None
