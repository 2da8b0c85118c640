"""Sign in with Google, against the loopback fake Google over real HTTP (the browser part is in
tests/browser/test_sign_in.py)."""

import http.client
from urllib.parse import parse_qs, urlencode, urlsplit

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from apps.accounts.models import User

from .fake_google import FakeGoogle


def start_sign_in(client) -> str:
    """Press "Sign in with Google"; returns the authorize URL the app sends the browser to."""
    response = client.post(reverse("google_login"))
    assert response.status_code == 302
    return response["Location"]


def consent(authorize_url: str, decision: str = "allow") -> str:
    """Press "Continue as ..." on the fake consent page; returns where Google sends the browser back to."""
    url = urlsplit(authorize_url)
    form = {k: v[0] for k, v in parse_qs(url.query).items()} | {"decision": decision}
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    connection.request(
        "POST", "/o/oauth2/v2/auth/consent", urlencode(form), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    response = connection.getresponse()
    assert response.status == 302
    return response.getheader("Location")


def callback_path(callback_url: str) -> str:
    url = urlsplit(callback_url)
    return f"{url.path}?{url.query}"


def signed_in_email(client) -> str | None:
    return client.session.get("_auth_user_id") and User.objects.get(pk=client.session["_auth_user_id"]).email


def test_sign_in_asks_google_with_a_pkce_challenge(client, db, fake_google: FakeGoogle):
    query = parse_qs(urlsplit(start_sign_in(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43


def test_consent_signs_in_a_new_trader_with_a_verified_address(client, db, fake_google: FakeGoogle):
    response = client.get(callback_path(consent(start_sign_in(client))))

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    assert signed_in_email(client) == "grace@gmail.example"
    assert EmailAddress.objects.get(email="grace@gmail.example").verified
    assert SocialAccount.objects.get(provider="google").uid == fake_google.user.sub


def test_the_code_is_traded_with_the_pkce_verifier(client, db, fake_google: FakeGoogle):
    client.get(callback_path(consent(start_sign_in(client))))

    [token_request] = fake_google.token_requests
    assert token_request["code_verifier"]
    assert signed_in_email(client)  # the fake refuses a verifier that does not match the challenge


def test_a_tampered_state_is_refused(client, db, fake_google: FakeGoogle):
    callback = urlsplit(consent(start_sign_in(client)))
    query = {k: v[0] for k, v in parse_qs(callback.query).items()}
    query["state"] = query["state"][:-1] + ("A" if query["state"][-1] != "A" else "B")

    response = client.get(f"{callback.path}?{urlencode(query)}")

    assert "Sign-in failed" in response.content.decode()
    assert signed_in_email(client) is None
    assert fake_google.token_requests == []  # the code was never even traded
    assert not User.objects.exists()


def test_an_id_token_from_another_issuer_is_refused(client, db, fake_google: FakeGoogle):
    fake_google.issuer = "https://accounts.google.com.evil.example"

    response = client.get(callback_path(consent(start_sign_in(client))))

    assert "Sign-in failed" in response.content.decode()
    assert signed_in_email(client) is None
    assert not User.objects.exists()


def test_an_id_token_for_another_audience_is_refused(client, db, fake_google: FakeGoogle):
    fake_google.audience = "someone-elses-app.apps.googleusercontent.com"

    response = client.get(callback_path(consent(start_sign_in(client))))

    assert "Sign-in failed" in response.content.decode()
    assert signed_in_email(client) is None
    assert not User.objects.exists()


def test_cancelling_on_googles_page_signs_nobody_in(client, db, fake_google: FakeGoogle):
    response = client.get(callback_path(consent(start_sign_in(client), decision="deny")), follow=True)

    assert "Sign-in cancelled" in response.content.decode()
    assert signed_in_email(client) is None


def test_an_unverified_google_address_does_not_take_over_an_existing_account(client, user, fake_google: FakeGoogle):
    fake_google.user.email = user.email
    fake_google.user.email_verified = False

    client.get(callback_path(consent(start_sign_in(client))))

    assert signed_in_email(client) is None
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1


def test_a_verified_google_address_does_not_silently_join_an_existing_account(client, user, fake_google: FakeGoogle):
    # allauth's safe default: the owner signs in first and connects Google from the profile.
    fake_google.user.email = user.email

    client.get(callback_path(consent(start_sign_in(client))))

    assert signed_in_email(client) is None
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1


def one_tap(client, id_token: str):
    """Google's sign-in button posts an id_token directly; allauth checks it against the certs endpoint."""
    client.cookies["g_csrf_token"] = "double-submit"
    return client.post(reverse("google_login_by_token"), {"credential": id_token, "g_csrf_token": "double-submit"})


def test_an_id_token_signed_with_googles_published_key_is_accepted(client, db, fake_google: FakeGoogle):
    one_tap(client, fake_google.id_token())

    assert signed_in_email(client) == "grace@gmail.example"


def test_an_id_token_signed_with_any_other_key_is_refused(client, db, fake_google: FakeGoogle):
    from cryptography.hazmat.primitives.asymmetric import rsa

    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    response = one_tap(client, fake_google.id_token(key=forger))

    assert "Sign-in failed" in response.content.decode()
    assert signed_in_email(client) is None
