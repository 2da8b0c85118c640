"""The landing page shows what the product does, with a screenshot served by us."""

from pathlib import Path

from django.conf import settings
from django.urls import reverse


def test_the_landing_page_shows_a_screenshot_of_the_dashboard(client, db):
    html = client.get(reverse("dashboard:landing")).content.decode()
    assert '<img src="/static/img/landing-dashboard.webp"' in html and 'alt="The dashboard:' in html


def test_the_landing_screenshot_is_a_static_file(client, db):
    assert (Path(settings.BASE_DIR) / "static/img/landing-dashboard.webp").stat().st_size > 10_000


def test_the_landing_page_says_what_the_product_does(client, db):
    assert "What it does" in client.get(reverse("dashboard:landing")).content.decode()
