"""A URL whose view fails while holding TastyTrade secrets, for the error-reporting tests."""

import logging

import sentry_sdk
from django.contrib.auth.decorators import login_not_required
from django.urls import path

logger = logging.getLogger("apps.tastytrade_sync.client")

CLIENT_SECRET = "tt-client-secret-SENTINEL-4f1c9a"
REFRESH_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTRU5USU5FTC1yZWZyZXNoIn0.U0VOVElORUwtc2lnbmF0dXJl"
PASSWORD = "pw-SENTINEL-correct-horse-77"
SENTINELS = (CLIENT_SECRET, REFRESH_TOKEN, PASSWORD, "SENTINEL")


@login_not_required
def refresh_and_fail(request):
    client_secret, refresh_token = CLIENT_SECRET, REFRESH_TOKEN  # as client.Client holds them
    credentials = {"client_secret": client_secret, "refresh_token": refresh_token, "password": PASSWORD}
    sentry_sdk.set_context("connection", credentials)
    logger.info("POST /oauth/token?refresh_token=%s&client_secret=%s", refresh_token, client_secret)
    logger.error("token refresh failed; header was Authorization: Bearer %s", refresh_token)
    raise RuntimeError(f"TastyTrade refused the grant {refresh_token}")


urlpatterns = [path("boom", refresh_and_fail)]
