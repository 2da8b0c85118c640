"""The Trades tab: positions and chains with their filters, one trade's legs and transactions, tags, notes and
the strategy override kept through rebuilds; another trader's trades are a 404.

The ledger of make_trading_history (apps/reports/tests/factories.py): AAPL stock (closed 20 Jan 2026, +98.97),
a SPY short put (expired 20 Feb, +98.86), KO stock (closed 16 Mar, -50.00) and a QQQ short put still open.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.reports.tests.factories import BrokerAccountFactory, make_round_trips, owned_trades
from apps.trades.lots import recompute_account
from apps.trades.models import Chain, Note, Position, Strategy, Tag, Target
from apps.trades.tests.factories import OptionTransactionFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def ko(history) -> Position:
    return Position.objects.get(account=history, underlying_symbol="KO")


@pytest.fixture
def roll(history) -> Chain:
    """An IWM put sold on 3 Mar and rolled on 9 Mar (one order: buy it back, sell a lower, later put)."""
    first = dict(underlying_symbol="IWM", strike=Decimal("200"), expires_on=date(2026, 4, 17))
    OptionTransactionFactory(account=history, executed_at=datetime(2026, 3, 3, 15, tzinfo=UTC), **first)
    rolled = datetime(2026, 3, 9, 15, tzinfo=UTC)
    OptionTransactionFactory(
        account=history, action="Buy to Close", price=Decimal("0.40"), order_id=77, executed_at=rolled, **first
    )
    OptionTransactionFactory(
        account=history,
        underlying_symbol="IWM",
        strike=Decimal("195"),
        expires_on=date(2026, 5, 15),
        price=Decimal("1.10"),
        order_id=77,
        executed_at=rolled,
    )
    recompute_account(account=history)
    return Chain.objects.get(account=history)


def detail_url(position: Position) -> str:
    return reverse("trades:detail", kwargs={"account": position.account_id, "key": position.key})


def chain_url(chain: Chain) -> str:
    return reverse("trades:chain", kwargs={"account": chain.account_id, "key": chain.key})


def intent_url(name: str, trade, target: str = Target.POSITION, **kwargs) -> str:
    return reverse(name, kwargs={"account": trade.account_id, "target": target, "key": trade.key, **kwargs})


def listed(client, **params) -> list[str]:
    response = client.get(reverse("trades:list"), params)
    assert response.status_code == 200
    return [row.underlying_symbol for row in response.context["page"].object_list]


# -- The list ----------------------------------------------------------------------------------------------


def test_trades_tab_requires_sign_in(client, db):
    assert client.get(reverse("trades:list")).status_code == 302


def test_trades_tab_lists_positions_newest_first(user_client, history):
    assert listed(user_client) == ["QQQ", "KO", "SPY", "AAPL"]


def test_each_position_shows_its_legs_strategy_and_realized_pnl(user_client, history):
    html = user_client.get(reverse("trades:list")).content.decode()
    assert "-1 Apr 17 &#x27;26 500P" in html and "+5 KO" in html
    assert "Short put" in html and "-$50.00" in html and "+$98.97" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "open"}, ["QQQ"]),
        ({"status": "closed"}, ["KO", "SPY", "AAPL"]),
        ({"underlying": "spy"}, ["SPY"]),
        ({"strategy": "short_put"}, ["QQQ", "SPY"]),
        ({"start": "2026-02-01", "end": "2026-02-28"}, ["SPY"]),
        ({"start": "2026-03-12"}, ["QQQ", "KO"]),
    ],
)
def test_filters_narrow_the_positions(user_client, history, params, expected):
    assert listed(user_client, **params) == expected


def test_a_tag_filter_shows_the_positions_with_that_tag(user_client, history, ko):
    Tag.objects.create(account=history, target=Target.POSITION, key=ko.key, name="earnings")
    assert listed(user_client, tag="earnings") == ["KO"]


def test_the_tag_filter_offers_the_users_tags(user_client, history, ko):
    Tag.objects.create(account=history, target=Target.POSITION, key=ko.key, name="earnings")
    html = user_client.get(reverse("trades:list")).content.decode()
    assert '<option value="earnings">earnings</option>' in html


def test_chains_are_listed_with_their_realized_pnl(user_client, roll):
    response = user_client.get(reverse("trades:list"), {"show": "chains"})
    (chain,) = response.context["page"].object_list
    assert (chain.underlying_symbol, chain.kind, chain.position_count) == ("IWM", Chain.Kind.ROLL, 2)
    assert chain.realized_pnl == Decimal("60.0000")  # sold at 1.00, bought back at 0.40


def test_a_rolled_position_links_to_its_chain(user_client, roll):
    assert chain_url(roll) in user_client.get(reverse("trades:list")).content.decode()


def test_positions_are_paginated_fifty_to_a_page(user_client, user):
    make_round_trips(BrokerAccountFactory(user=user), 120)
    page = user_client.get(reverse("trades:list"), {"page": 2}).context["page"]
    assert (len(page.object_list), page.paginator.num_pages) == (10, 2)


def test_trades_tab_leaves_out_other_users_positions(other_client, history):
    assert listed(other_client) == []


def test_trades_tab_of_another_users_account_is_404(user_client, other_user):
    theirs = BrokerAccountFactory(user=other_user)
    assert user_client.get(reverse("trades:list"), {"account": theirs.pk}).status_code == 404


def test_trades_tab_is_marked_as_the_current_tab(user_client, history):
    html = user_client.get(reverse("trades:list")).content.decode()
    assert f'href="{reverse("trades:list")}" aria-current="page">Trades</a>' in html


def test_trades_tab_offers_a_csv_of_what_its_filters_show(user_client, history):
    html = user_client.get(reverse("trades:list"), {"status": "open", "page": 1}).content.decode()
    assert f'href="{reverse("reports:trades_csv")}?status=open"' in html


# -- One position, one chain ---------------------------------------------------------------------------------


def test_a_position_page_shows_its_legs_closing_events_and_transactions(user_client, ko):
    response = user_client.get(detail_url(ko))
    assert response.status_code == 200
    assert [lot.symbol for lot in response.context["lots"]] == ["KO"]
    assert [event.realized_pnl for event in response.context["events"]] == [Decimal("-50.0000")]
    assert [row.action for row in response.context["transactions"]] == ["Buy to Open", "Sell to Close"]
    assert response.context["realized_pnl"] == Decimal("-50.0000")


def test_a_position_page_links_back_to_its_chain(user_client, roll):
    rolled = Position.objects.get(chain=roll, rolled_from_key__gt="")
    html = user_client.get(detail_url(rolled)).content.decode()
    assert chain_url(roll) in html and detail_url(Position.objects.get(key=rolled.rolled_from_key)) in html


def test_another_users_position_is_404(other_client, ko):
    assert other_client.get(detail_url(ko)).status_code == 404


def test_a_position_key_under_another_account_of_the_user_is_404(user_client, user, ko):
    mine_too = BrokerAccountFactory(user=user)
    url = reverse("trades:detail", kwargs={"account": mine_too.pk, "key": ko.key})
    assert user_client.get(url).status_code == 404


def test_a_chain_page_shows_its_positions_and_the_campaign_view(user_client, roll):
    response = user_client.get(chain_url(roll))
    assert response.status_code == 200
    assert len(response.context["steps"]) == 2
    assert response.context["campaign"].net_premium == Decimal("170.0000")  # 100 - 40 + 110 of premium
    assert "Campaign view" in response.content.decode() and "FIFO view" in response.content.decode()


def test_another_users_chain_is_404(other_client, roll):
    assert other_client.get(chain_url(roll)).status_code == 404


# -- Tags, notes and the strategy override -------------------------------------------------------------------


def test_a_tag_is_added_in_one_spelling(user_client, history, ko):
    response = user_client.post(intent_url("trades:add_tag", ko), {"name": "  Earnings   Play "})
    assert response.status_code == 302 and response.url == detail_url(ko) + "#tags"
    assert list(Tag.objects.filter(key=ko.key).values_list("name", flat=True)) == ["earnings play"]


def test_adding_a_tag_twice_keeps_one(user_client, ko):
    for _ in range(2):
        user_client.post(intent_url("trades:add_tag", ko), {"name": "earnings"})
    assert Tag.objects.filter(key=ko.key).count() == 1


def test_a_tag_is_removed(user_client, history, ko):
    Tag.objects.create(account=history, target=Target.POSITION, key=ko.key, name="earnings")
    user_client.post(intent_url("trades:remove_tag", ko), {"name": "earnings"})
    assert not Tag.objects.filter(key=ko.key).exists()


def test_a_chain_is_tagged_by_its_key(user_client, roll):
    user_client.post(intent_url("trades:add_tag", roll, target=Target.CHAIN), {"name": "wheel"})
    assert Tag.objects.get(target=Target.CHAIN).key == roll.key
    assert "wheel" in user_client.get(chain_url(roll)).content.decode()


def test_a_note_is_added(user_client, ko):
    response = user_client.post(intent_url("trades:add_note", ko), {"text": "Stopped out."})
    assert response.url == detail_url(ko) + "#notes"
    assert list(Note.objects.filter(key=ko.key).values_list("text", flat=True)) == ["Stopped out."]


def test_a_note_is_edited_in_place(user_client, history, ko):
    note = Note.objects.create(account=history, target=Target.POSITION, key=ko.key, text="Stopped out.")
    user_client.post(intent_url("trades:edit_note", ko, note=note.pk), {"text": "Stopped out, too early."})
    note.refresh_from_db()
    assert note.text == "Stopped out, too early."


def test_a_note_is_deleted(user_client, history, ko):
    note = Note.objects.create(account=history, target=Target.POSITION, key=ko.key, text="Stopped out.")
    user_client.post(intent_url("trades:delete_note", ko, note=note.pk))
    assert not Note.objects.exists()


def test_an_empty_note_is_refused_with_a_message(user_client, ko):
    response = user_client.post(intent_url("trades:add_note", ko), {"text": "   "}, follow=True)
    assert not Note.objects.exists()
    assert "No note added" in response.content.decode()


def test_the_strategy_the_user_chooses_replaces_the_detected_one(user_client, ko):
    user_client.post(reverse("trades:set_strategy", args=[ko.account_id, ko.key]), {"strategy": "custom"})
    ko.refresh_from_db()
    assert (ko.strategy, ko.detected_strategy) == (Strategy.CUSTOM, Strategy.STOCK)


def test_choosing_as_detected_goes_back_to_the_detected_strategy(user_client, ko):
    url = reverse("trades:set_strategy", args=[ko.account_id, ko.key])
    user_client.post(url, {"strategy": "custom"})
    user_client.post(url, {"strategy": ""})
    ko.refresh_from_db()
    assert ko.strategy == Strategy.STOCK


def test_tags_notes_and_the_strategy_survive_a_full_rebuild(user_client, history, ko):
    user_client.post(intent_url("trades:add_tag", ko), {"name": "earnings"})
    user_client.post(intent_url("trades:add_note", ko), {"text": "Sold on the dip."})
    user_client.post(reverse("trades:set_strategy", args=[ko.account_id, ko.key]), {"strategy": "custom"})
    recompute_account(account=history, full=True)
    rebuilt = Position.objects.get(account=history, underlying_symbol="KO")
    assert rebuilt.pk != ko.pk and rebuilt.strategy == Strategy.CUSTOM
    html = user_client.get(detail_url(rebuilt)).content.decode()
    assert "earnings" in html and "Sold on the dip." in html


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("trades:add_tag", {"name": "mine"}),
        ("trades:remove_tag", {"name": "earnings"}),
        ("trades:add_note", {"text": "mine"}),
    ],
)
def test_another_user_cannot_change_a_positions_tags_or_notes(other_client, history, ko, name, data):
    Tag.objects.create(account=history, target=Target.POSITION, key=ko.key, name="earnings")
    assert other_client.post(intent_url(name, ko), data).status_code == 404
    assert list(Tag.objects.values_list("name", flat=True)) == ["earnings"] and not Note.objects.exists()


@pytest.mark.parametrize("name", ["trades:edit_note", "trades:delete_note"])
def test_another_user_cannot_change_a_note(other_client, history, ko, name):
    note = Note.objects.create(account=history, target=Target.POSITION, key=ko.key, text="Mine.")
    assert other_client.post(intent_url(name, ko, note=note.pk), {"text": "Theirs."}).status_code == 404
    assert Note.objects.get().text == "Mine."


def test_a_note_of_another_trade_cannot_be_changed_through_this_one(user_client, history, ko):
    spy = Position.objects.get(account=history, underlying_symbol="SPY")
    note = Note.objects.create(account=history, target=Target.POSITION, key=spy.key, text="About SPY.")
    assert user_client.post(intent_url("trades:delete_note", ko, note=note.pk)).status_code == 404


def test_another_user_cannot_choose_a_positions_strategy(other_client, ko):
    url = reverse("trades:set_strategy", args=[ko.account_id, ko.key])
    assert other_client.post(url, {"strategy": "custom"}).status_code == 404
    ko.refresh_from_db()
    assert ko.strategy == Strategy.STOCK


def test_an_unknown_kind_of_trade_is_404(user_client, ko):
    assert user_client.post(intent_url("trades:add_tag", ko, target="lot"), {"name": "x"}).status_code == 404


def test_tags_and_notes_change_only_by_post(user_client, ko):
    assert user_client.get(intent_url("trades:add_tag", ko)).status_code == 405


@pytest.mark.parametrize(
    "name",
    [
        "trades:detail",
        "trades:set_strategy",
        "trades:chain",
        "trades:add_tag",
        "trades:remove_tag",
        "trades:add_note",
        "trades:edit_note",
        "trades:delete_note",
    ],
)
def test_every_trades_url_that_takes_an_id_is_404_for_another_user(name, user, user_client, other_client):
    url = reverse(name, kwargs=owned_trades(user)[name])
    method = "get" if name in ("trades:detail", "trades:chain") else "post"
    assert getattr(other_client, method)(url).status_code == 404
    assert getattr(user_client, method)(url).status_code in (200, 302)


# -- Speed ---------------------------------------------------------------------------------------------------


def queries_for(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, params or {}).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"status": "closed", "underlying": "R3", "strategy": "stock", "tag": "x", "page": "2"}, {"show": "chains"}],
)
def test_the_trades_tab_costs_the_same_few_queries_for_100_and_2000_transactions(
    user_client, user, params, django_assert_max_num_queries
):
    account = BrokerAccountFactory(user=user)
    make_round_trips(account, 100, start=datetime(2025, 9, 1, 15, tzinfo=UTC))
    Tag.objects.create(account=account, target=Target.POSITION, key=Position.objects.first().key, name="x")
    with django_assert_max_num_queries(12):
        small = queries_for(user_client, reverse("trades:list"), params)
    make_round_trips(account, 1_900, start=datetime(2025, 12, 1, 15, tzinfo=UTC))
    with django_assert_max_num_queries(12):
        assert queries_for(user_client, reverse("trades:list"), params) == small


def test_a_position_page_costs_the_same_few_queries_however_many_legs(
    user_client, history, ko, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        small = queries_for(user_client, detail_url(ko))
    position = Position.objects.get(account=history, underlying_symbol="QQQ")
    for n in range(20):  # scaling into the same put twenty times
        OptionTransactionFactory(
            account=history, underlying_symbol="QQQ", strike=Decimal("500"), expires_on=date(2026, 4, 17),
            order_id=position.opening_order_id, executed_at=datetime(2026, 3, 10, 15, n + 1, tzinfo=UTC),
        )  # fmt: skip
    recompute_account(account=history)
    with django_assert_max_num_queries(12):
        assert queries_for(user_client, detail_url(position)) == small


def test_a_chain_page_costs_at_most_thirteen_queries(user_client, roll, django_assert_max_num_queries):
    with django_assert_max_num_queries(13):  # the chart screenshots are the thirteenth
        queries_for(user_client, chain_url(roll))
