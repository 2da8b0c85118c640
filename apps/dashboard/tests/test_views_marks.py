"""Refresh marks on the Positions page, against the simulator on a real loopback port."""

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from apps.dashboard.tests.test_views import queries_for
from apps.tastytrade_sync.tests.factories import ConnectionFactory
from apps.trades.models import PositionSnapshot, Quote
from apps.trades.tests.factories import BrokerAccountFactory, PositionSnapshotFactory, SoldPutPositionFactory


@pytest.fixture
def server(simulator_server, settings):
    settings.TASTYTRADE_SIMULATOR_URL = simulator_server.url
    cache.clear()  # the rate limit lives in the cache, which outlives a test
    with time_machine.travel(datetime.combine(simulator_server.simulator.today, time(22, 30), tzinfo=UTC), tick=True):
        yield simulator_server.simulator


@pytest.fixture
def held_spy(user, server):
    connection = ConnectionFactory(user=user, credentials=(server.client_secret, server.refresh_token))
    account = BrokerAccountFactory(user=user, account_number=server.account_numbers[0], connection=connection)
    return PositionSnapshotFactory(account=account, symbol="SPY", quantity=Decimal(10), mark=Decimal("1.00"))


def refresh(client, params: str = ""):
    return client.post(reverse("dashboard:refresh_marks") + params, follow=True)


def test_refresh_marks_brings_todays_mark_to_the_position(user_client, held_spy, server):
    response = refresh(user_client)
    assert b"Marks refreshed: 1 quote from TastyTrade" in response.content
    held_spy.refresh_from_db()
    assert held_spy.mark == server.market.price("SPY", server.today)


def test_refresh_marks_stores_a_timestamped_quote_the_page_shows(user_client, held_spy, server):
    response = refresh(user_client)
    quote = Quote.objects.get(symbol="SPY")
    assert quote.fetched_at == response.context["marks_as_of"]
    assert b"data-marks-as-of" in response.content


def test_refresh_marks_is_rate_limited_per_user(user_client, held_spy, server, settings):
    settings.MARKS_REFRESH_MIN_INTERVAL_SECONDS = 60
    refresh(user_client)
    PositionSnapshot.objects.update(mark=Decimal("1.00"))
    response = refresh(user_client)
    assert b"Marks were refreshed moments ago" in response.content
    assert PositionSnapshot.objects.get().mark == Decimal("1.00")


def test_refresh_marks_of_another_users_account_is_404(other_client, held_spy):
    response = other_client.post(reverse("dashboard:refresh_marks") + f"?account={held_spy.account_id}")
    assert response.status_code == 404


def test_refresh_marks_wants_a_post(user_client, held_spy):
    assert user_client.get(reverse("dashboard:refresh_marks")).status_code == 405


def test_the_positions_page_with_300_open_legs_costs_the_same_few_queries_as_with_3(
    user_client, user, django_assert_max_num_queries
):
    account = BrokerAccountFactory(user=user)
    SoldPutPositionFactory.create_batch(3, account=account)
    with django_assert_max_num_queries(12):
        few = queries_for(user_client, "dashboard:positions")
    SoldPutPositionFactory.create_batch(297, account=account)
    Quote.objects.bulk_create(
        Quote(account=account, symbol=symbol, mark=Decimal("1.25"), fetched_at=datetime(2026, 3, 2, 21, tzinfo=UTC))
        for symbol in PositionSnapshot.objects.values_list("symbol", flat=True)
    )
    with django_assert_max_num_queries(12):
        assert queries_for(user_client, "dashboard:positions") == few
