"""Installable: a web app manifest with PNG icons, so a phone can add the site to its home screen."""

from pathlib import Path

from django.conf import settings
from django.urls import reverse
from PIL import Image


def manifest(client) -> dict:
    return client.get(reverse("web_manifest")).json()


def test_the_manifest_is_served_as_a_web_app_manifest(client, db):
    response = client.get(reverse("web_manifest"))
    assert (response.status_code, response["Content-Type"]) == (200, "application/manifest+json")


def test_every_page_links_the_manifest(client, db):
    assert f'rel="manifest" href="{reverse("web_manifest")}"' in client.get(reverse("account_login")).content.decode()


def test_the_manifest_opens_the_dashboard_standalone(client, db):
    data = manifest(client)
    assert (data["name"], data["start_url"], data["display"]) == (
        settings.SITE_NAME,
        reverse("dashboard:home"),
        "standalone",
    )


def test_the_manifests_icons_exist_at_their_stated_sizes(client, db):
    for icon in manifest(client)["icons"]:
        path = Path(settings.BASE_DIR) / "static" / icon["src"].removeprefix(settings.STATIC_URL).lstrip("/")
        width, height = (int(side) for side in icon["sizes"].split("x"))
        assert Image.open(path).size == (width, height)


def test_there_is_a_maskable_icon_and_the_two_sizes_phones_ask_for(client, db):
    icons = manifest(client)["icons"]
    assert {icon["sizes"] for icon in icons} == {"192x192", "512x512"}
    assert any(icon.get("purpose") == "maskable" for icon in icons)
