"""Every page shows times in the signed-in user's time zone, and says which zone once, in the footer."""

from datetime import UTC, datetime

from django.urls import reverse

from apps.tastytrade_sync.tests.factories import ConnectionFactory, SyncRunFactory


def test_the_sync_page_shows_a_runs_start_in_the_users_time_zone(user_client, user):
    user.time_zone = "America/New_York"
    user.save()
    SyncRunFactory(connection=ConnectionFactory(user=user), started_at=datetime(2026, 3, 3, 2, 30, tzinfo=UTC))
    html = user_client.get(reverse("tastytrade_sync:page")).content.decode()
    assert "2026-03-02 21:30" in html and "2026-03-03 02:30" not in html


def test_the_sync_page_follows_a_time_zone_chosen_in_the_profile(user_client, user):
    user.time_zone = "Europe/Berlin"
    user.save()
    SyncRunFactory(connection=ConnectionFactory(user=user), started_at=datetime(2026, 3, 3, 2, 30, tzinfo=UTC))
    assert "2026-03-03 03:30" in user_client.get(reverse("tastytrade_sync:page")).content.decode()


def test_the_footer_names_the_users_time_zone(user_client, user):
    user.time_zone = "Asia/Tokyo"
    user.save()
    html = user_client.get(reverse("dashboard:home")).content.decode()
    assert 'id="time-zone"' in html and "Asia/Tokyo (JST)" in html


def test_a_visitor_sees_new_york_time_named_in_the_footer(client, db):
    assert "America/New_York" in client.get(reverse("dashboard:landing")).content.decode()
