"""A sweep over real-shaped data: every held underlying's payoff, on the page and as the Positions panel's JSON.

The simulator's book holds calendars, futures, future options and shares side by side; a model that fails on one
of them (an option priced at an underlying of zero once did) shows up here as a 500."""

import pytest
from django.urls import reverse

from apps.tastytrade_sync.tests.factories import synced_from_simulator
from apps.trades.models import PositionSnapshot


@pytest.fixture
def synced(user, settings):
    return synced_from_simulator(user, settings, seed=1, accounts=2)


def held_underlyings(user) -> list[str]:
    snapshots = PositionSnapshot.objects.filter(account__user=user)
    return sorted(set(snapshots.values_list("underlying_symbol", flat=True)))


def test_every_held_underlyings_payoff_data_has_a_chart(user_client, user, synced):
    underlyings = held_underlyings(user)
    assert len(underlyings) > 5
    answers = {u: user_client.get(reverse("dashboard:payoff_data"), {"underlying": u}) for u in underlyings}
    assert {u: r.status_code for u, r in answers.items() if r.status_code != 200} == {}
    assert all(r.json()["chart"]["prices"] for r in answers.values())


def test_every_held_underlyings_payoff_page_opens(user_client, user, synced):
    statuses = {
        u: user_client.get(reverse("dashboard:payoff"), {"underlying": u}).status_code for u in held_underlyings(user)
    }
    assert {u: s for u, s in statuses.items() if s != 200} == {}
