"""The admin lists every ledger and engine table, in a bounded number of queries."""

import pytest
from django.urls import reverse

from apps.trades.lots import recompute_account
from apps.trades.tests.factories import BrokerAccountFactory, OptionTransactionFactory, ReceiveDeliverFactory

MODELS = [
    "brokeraccount", "transaction", "positionsnapshot", "balancesnapshot", "position", "lot", "pnlevent", "chain",
    "dataissue", "reconciliationcheck", "pnlstate", "tag", "note", "strategyoverride", "chainedit",
]  # fmt: skip


@pytest.fixture
def admin_client(client, user):
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_each_changelist_renders_in_a_bounded_number_of_queries(
    admin_client, user, model, django_assert_max_num_queries
):
    account = BrokerAccountFactory(user=user)
    for _ in range(5):
        OptionTransactionFactory(account=account)
    ReceiveDeliverFactory(account=account, quantity=5)
    recompute_account(account=account)
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse(f"admin:trades_{model}_changelist"))
    assert response.status_code == 200


def test_engine_results_cannot_be_edited_by_hand(admin_client):
    assert admin_client.get(reverse("admin:trades_lot_add")).status_code == 403
