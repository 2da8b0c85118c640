"""The Rolls report and a chain's page in a real browser, on a phone: the key figures stay in view and the page
never scrolls sideways (the ledgers of apps/trades/tests/test_rolls.py)."""

import pytest
from playwright.sync_api import expect

from apps.reports.tests.factories import BrokerAccountFactory
from apps.trades.lots import recompute_account
from apps.trades.models import Chain
from apps.trades.tests.test_rolls import put_rolled_twice, wheel

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def account(user):
    account = BrokerAccountFactory(user=user)
    put_rolled_twice(account)
    wheel(account)
    recompute_account(account=account)
    return account


def test_on_a_phone_the_rolls_report_shows_each_campaigns_result_without_sideways_scroll(signed_in_page, account):
    signed_in_page.set_viewport_size(PHONE)
    signed_in_page.goto("/reports/?report=rolls&start=")
    iwm = signed_in_page.get_by_role("row").filter(has_text="IWM")
    iwm.scroll_into_view_if_needed()
    expect(iwm.get_by_role("cell", name="+$217.00")).to_be_in_viewport()
    assert signed_in_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_on_a_phone_a_chains_page_shows_each_rolls_credit_and_the_net_credit(signed_in_page, account):
    chain = Chain.objects.get(account=account, underlying_symbol="IWM")
    signed_in_page.set_viewport_size(PHONE)
    signed_in_page.goto(f"/trades/{account.pk}/chain/{chain.key}/")
    last_roll = signed_in_page.get_by_role("row").filter(has_text="+$59.00")
    last_roll.scroll_into_view_if_needed()
    for figure in ("+$59.00", "+$257.00", "+$219.00"):  # roll credit, net credit, its realized P&L
        expect(last_roll.get_by_role("cell", name=figure)).to_be_in_viewport()
    assert signed_in_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
