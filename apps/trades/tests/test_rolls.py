"""Rolls and campaigns against hand-worked ledgers: a put rolled twice then closed, and a wheel (a put
assigned, two covered calls, the shares called away). Times at 15:00 UTC are 10:00 or 11:00 in New York."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse

from apps.trades.analytics import trade_facts
from apps.trades.chains import campaign, roll_steps
from apps.trades.lots import recompute_account
from apps.trades.models import BrokerAccount, Chain
from apps.trades.tests.factories import (
    BrokerAccountFactory,
    MoneyMovementFactory,
    OptionTransactionFactory,
    ReceiveDeliverFactory,
)

pytestmark = pytest.mark.django_db

MARCH, APRIL, MAY = date(2026, 3, 20), date(2026, 4, 17), date(2026, 5, 15)


def at(month: int, day: int, hour: int = 15) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def put_rolled_twice(account) -> None:
    """IWM puts, a 1.00 commission on each sale to open:
    2 Mar   sold the March 200 put at 1.50                               +149
    16 Mar  roll: bought it back at 3.00 (-300), sold April 195 at 3.50 (+349)   roll credit +49
    9 Apr   roll: bought it back at 2.00 (-200), sold May 190 at 2.60 (+259)     roll credit +59
    5 May   bought the May 190 back at 0.40                              -40
    Net credit 149 + 49 + 59 = 257; final result 257 - 40 = 217 (FIFO: -151 + 149 + 219)."""
    iwm = {"account": account, "underlying_symbol": "IWM", "commission": D("-1")}
    OptionTransactionFactory(**iwm, strike=D(200), expires_on=MARCH, price=D("1.50"), executed_at=at(3, 2))
    for bought, sold, order, when in (
        ((D(200), MARCH, D("3.00")), (D(195), APRIL, D("3.50")), 8101, at(3, 16)),
        ((D(195), APRIL, D("2.00")), (D(190), MAY, D("2.60")), 8102, at(4, 9)),
    ):
        OptionTransactionFactory(
            **iwm | {"commission": D(0)}, action="Buy to Close", strike=bought[0], expires_on=bought[1],
            price=bought[2], order_id=order, executed_at=when,
        )  # fmt: skip
        OptionTransactionFactory(
            **iwm, strike=sold[0], expires_on=sold[1], price=sold[2], order_id=order, executed_at=when
        )
    OptionTransactionFactory(
        account=account, underlying_symbol="IWM", action="Buy to Close", strike=D(190), expires_on=MAY,
        price=D("0.40"), executed_at=at(5, 5),
    )  # fmt: skip


def wheel(account) -> None:
    """XYZ, a 1.00 commission on each option sold:
    2 Mar   sold the March 50 put at 2.00                                 +199
    20 Mar  assigned: bought 100 shares at 50                             -5,000
    23 Mar  sold the April 52 call at 1.00                                +99, expired 17 Apr
    20 Apr  sold the May 52 call at 1.50                                  +149, assigned 15 May:
            the shares called away at 52                                  +5,200
    Premium 199 + 99 + 149 = 447. FIFO basis 5,000 / 100 = 50.00 a share; campaign basis
    (5,000 - 447) / 100 = 45.53. Final result 447 of premium + 200 on the shares = 647,
    which is (52 - 45.53) x 100."""
    xyz = {"account": account, "underlying_symbol": "XYZ", "commission": D("-1")}
    MoneyMovementFactory(account=account, value=D("10000"), executed_at=at(3, 1))
    OptionTransactionFactory(**xyz, strike=D(50), expires_on=MARCH, price=D("2.00"), executed_at=at(3, 2))
    ReceiveDeliverFactory(
        account=account, transaction_sub_type="Assignment", underlying_symbol="XYZ", strike=D(50), expires_on=MARCH
    )
    shares = {
        "account": account, "symbol": "XYZ", "underlying_symbol": "XYZ", "instrument_type": "Equity",
        "option_type": "", "strike": None, "expires_on": None, "multiplier": None, "quantity": 100,
    }  # fmt: skip
    ReceiveDeliverFactory(
        **shares, transaction_sub_type="Buy to Open", action="Buy to Open", price=D(50), value=D("-5000"),
        executed_at=at(3, 20, 21),
    )  # fmt: skip
    calls = {**xyz, "option_type": "C", "strike": D(52)}
    OptionTransactionFactory(**calls, expires_on=APRIL, price=D("1.00"), executed_at=at(3, 23))
    ReceiveDeliverFactory(
        account=account, underlying_symbol="XYZ", option_type="C", strike=D(52), expires_on=APRIL,
        executed_at=at(4, 17, 21),
    )  # fmt: skip
    OptionTransactionFactory(**calls, expires_on=MAY, price=D("1.50"), executed_at=at(4, 20))
    ReceiveDeliverFactory(
        account=account, transaction_sub_type="Assignment", underlying_symbol="XYZ", option_type="C",
        strike=D(52), expires_on=MAY, executed_at=at(5, 15, 21),
    )  # fmt: skip
    ReceiveDeliverFactory(
        **shares, transaction_sub_type="Sell to Close", action="Sell to Close", price=D(52), value=D("5200"),
        executed_at=at(5, 15, 21),
    )  # fmt: skip


@pytest.fixture
def account():
    return BrokerAccountFactory()


def chain_of(account) -> Chain:
    recompute_account(account=account)
    return Chain.objects.get(account=account)


def test_each_roll_shows_its_credit_and_the_running_net_credit(account):
    put_rolled_twice(account)
    steps = roll_steps(chain=chain_of(account))
    assert [(step.link, step.opening_cash, step.roll_credit, step.net_credit) for step in steps] == [
        ("Opened", D("149"), None, D("149")),
        ("Rolled", D("349"), D("49"), D("198")),
        ("Rolled", D("259"), D("59"), D("257")),
    ]
    assert [(step.closing_cash, step.realized_pnl) for step in steps] == [
        (D("-300"), D("-151")),
        (D("-200"), D("149")),
        (D("-40"), D("219")),
    ]


def test_a_put_rolled_twice_then_closed_is_one_trade_with_two_rolls_and_its_final_result(account):
    put_rolled_twice(account)
    recompute_account(account=account)
    (trade,) = trade_facts(accounts=BrokerAccount.objects.filter(pk=account.pk))
    assert (trade.rolls, trade.net_credit, trade.realized_pnl, trade.outcome) == (2, D("257"), D("217"), "closed")
    assert (trade.opened_on, trade.closed_on, trade.chain_kind) == (date(2026, 3, 2), date(2026, 5, 5), "roll")


def test_a_wheels_campaign_basis_takes_every_premium_off_the_assigned_shares_cost(account):
    wheel(account)
    view = campaign(chain=chain_of(account))
    assert (view.net_premium, view.shares_acquired, view.shares_cost) == (D("447"), D("100"), D("5000"))
    assert (view.fifo_basis, view.campaign_basis) == (D("50"), D("45.53"))
    assert (view.stock_quantity, view.effective_cost_basis) == (D("0"), None)  # nothing held any more


def test_a_wheels_final_result_is_its_premium_and_what_the_shares_made(account):
    wheel(account)
    view = campaign(chain=chain_of(account))
    assert (view.realized_pnl, view.stock_realized_pnl) == (D("647"), D("200"))
    (trade,) = [t for t in trade_facts(accounts=BrokerAccount.objects.filter(pk=account.pk)) if t.underlying == "XYZ"]
    assert (trade.chain_kind, trade.outcome, trade.realized_pnl, trade.rolls) == ("wheel", "assigned", D("647"), 0)


def test_a_wheels_steps_count_only_option_premium_in_the_net_credit(account):
    wheel(account)
    steps = roll_steps(chain=chain_of(account))
    assert [(step.link, step.is_option, step.opening_cash, step.net_credit) for step in steps] == [
        ("Opened", True, D("199"), D("199")),
        ("Assigned", False, D("-5000"), D("199")),
        ("Covered call", True, D("99"), D("298")),
        ("Covered call", True, D("149"), D("447")),
    ]


def test_the_chain_page_shows_the_campaign_basis_beside_the_fifo_cost_labelled_not_a_tax_basis(user_client, user):
    account = BrokerAccountFactory(user=user)
    wheel(account)
    chain = chain_of(account)
    response = user_client.get(reverse("trades:chain", kwargs={"account": account.pk, "key": chain.key}))
    html = response.content.decode()
    assert "Campaign basis per share (not tax basis)" in html and "$45.53" in html
    assert "FIFO cost per share" in html and "$50.00" in html
    assert "Final result" in html and "+$647.00" in html


def test_the_chain_page_shows_each_rolls_credit_and_the_running_net_credit(user_client, user):
    account = BrokerAccountFactory(user=user)
    put_rolled_twice(account)
    chain = chain_of(account)
    html = user_client.get(reverse("trades:chain", kwargs={"account": account.pk, "key": chain.key})).content.decode()
    for figure in ("+$49.00", "+$59.00", "+$198.00", "+$257.00", "+$217.00"):
        assert figure in html


def test_another_users_chain_page_is_404(other_client, user):
    account = BrokerAccountFactory(user=user)
    put_rolled_twice(account)
    chain = chain_of(account)
    url = reverse("trades:chain", kwargs={"account": account.pk, "key": chain.key})
    assert other_client.get(url).status_code == 404
