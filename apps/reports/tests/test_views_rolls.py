"""The Reports tab's Rolls report: roll chains and wheel campaigns with their rolls, net credit, result and
status, and its CSV. The ledgers are the hand-worked ones of apps/trades/tests/test_rolls.py: an IWM put rolled
twice then closed 5 May 2026 (2 rolls, net credit 257, result 217) and an XYZ wheel called away 15 May (647)."""

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.urls import reverse

from apps.reports.tests.factories import BrokerAccountFactory
from apps.trades.lots import recompute_account
from apps.trades.tests.factories import OptionTransactionFactory
from apps.trades.tests.test_rolls import put_rolled_twice, wheel

from .test_views import queries_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def first_of_june():
    with time_machine.travel(datetime(2026, 6, 1, 16, tzinfo=UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def ledger(user):
    account = BrokerAccountFactory(user=user)
    put_rolled_twice(account)
    wheel(account)
    recompute_account(account=account)
    return account


def rolls(client, **params):
    response = client.get(reverse("reports:home"), {"report": "rolls", **params})
    assert response.status_code == 200
    return response


def test_the_rolls_report_lists_each_campaign_with_its_rolls_net_credit_result_and_status(user_client, ledger):
    rows = rolls(user_client).context["campaigns"].rows
    assert [(r.underlying_symbol, r.chain_kind, r.rolls, r.net_credit, r.realized_pnl, r.status) for r in rows] == [
        ("XYZ", "wheel", 0, D("447"), D("647"), "Assigned"),  # premium 199 + 99 + 149
        ("IWM", "roll", 2, D("257"), D("217"), "Closed"),
    ]


def test_the_rolls_report_totals_the_closed_campaigns(user_client, ledger):
    campaigns = rolls(user_client).context["campaigns"]
    assert (campaigns.rolls, campaigns.result, campaigns.winners) == (2, D("864"), 2)


def test_a_campaign_closed_before_the_range_is_left_out_and_an_open_one_stays(user_client, ledger):
    OptionTransactionFactory(account=ledger, underlying_symbol="QQQ", executed_at=datetime(2026, 3, 3, 15, tzinfo=UTC))
    OptionTransactionFactory(
        account=ledger, underlying_symbol="QQQ", action="Buy to Close", order_id=9100,
        executed_at=datetime(2026, 3, 10, 15, tzinfo=UTC),
    )  # fmt: skip
    OptionTransactionFactory(
        account=ledger, underlying_symbol="QQQ", expires_on=datetime(2026, 7, 17).date(), order_id=9100,
        executed_at=datetime(2026, 3, 10, 15, tzinfo=UTC),
    )  # fmt: skip
    recompute_account(account=ledger)
    rows = rolls(user_client, start="2026-05-10", end="2026-05-31").context["campaigns"].rows
    # IWM closed 5 May, before the range; QQQ, rolled 10 Mar to July, is still open; newest first.
    assert [(row.underlying_symbol, row.status) for row in rows] == [("QQQ", "Open"), ("XYZ", "Assigned")]


def test_the_rolls_page_links_each_campaign_to_its_chain_page(user_client, ledger):
    html = rolls(user_client).content.decode()
    (iwm,) = [row for row in rolls(user_client).context["campaigns"].rows if row.underlying_symbol == "IWM"]
    assert reverse("trades:chain", kwargs={"account": ledger.pk, "key": iwm.chain_key}) in html


def test_the_rolls_csv_holds_every_campaign_with_its_figures(user_client, ledger):
    response = user_client.get(reverse("reports:rolls_csv"), {"start": ""})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:8] == [
        "underlying", "kind", "opened_on", "closed_on", "status", "rolls", "net_credit", "realized_pnl",
    ]  # fmt: skip
    assert [row[:8] for row in rows[1:]] == [
        ["XYZ", "wheel", "2026-03-02", "2026-05-15", "Assigned", "0", "447.00", "647.00"],
        ["IWM", "roll", "2026-03-02", "2026-05-05", "Closed", "2", "257.00", "217.00"],
    ]


def test_another_users_account_is_404_on_the_rolls_report_and_its_csv(user_client, other_user, ledger):
    theirs = BrokerAccountFactory(user=other_user)
    assert user_client.get(reverse("reports:home"), {"report": "rolls", "account": theirs.pk}).status_code == 404
    assert user_client.get(reverse("reports:rolls_csv"), {"account": theirs.pk}).status_code == 404


def test_the_rolls_report_leaves_out_another_users_campaigns(other_client, ledger):
    assert rolls(other_client).context["campaigns"].rows == []


def test_the_rolls_report_costs_the_same_few_queries_for_any_number_of_campaigns(
    user_client, user, django_assert_max_num_queries
):
    account = BrokerAccountFactory(user=user)
    put_rolled_twice(account)
    recompute_account(account=account)
    with django_assert_max_num_queries(12):
        few = queries_for(user_client, reverse("reports:home"), {"report": "rolls"})
    wheel(account)
    recompute_account(account=account)
    with django_assert_max_num_queries(12):
        assert queries_for(user_client, reverse("reports:home"), {"report": "rolls"}) == few


def test_on_a_phone_the_rolls_table_shows_the_underlying_result_and_status_before_the_rest(user_client, ledger):
    html = rolls(user_client).content.decode()
    caption = html.index("Roll chains and wheel campaigns, newest first")
    table = html[caption : html.index("</thead>", caption)]
    assert re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', table)[:3] == ["Underlying", "Result", "Status"]
    assert "table-key-first" in html[:caption].rsplit("<table", 1)[1]
