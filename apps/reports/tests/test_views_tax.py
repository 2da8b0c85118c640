"""The Tax year page, its exports, the JSON and the `tax_report` command: figures, ownership, query budget."""

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.trades.lots import recompute_account
from apps.trades.tests.factories import BrokerAccountFactory, TransactionFactory

pytestmark = pytest.mark.usefixtures("frozen_clock_on_first_fill_day")  # 2 Mar 2026: the default year is 2025


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 15, tzinfo=UTC)


def wash_sale(account, *, symbol="AAPL", offset=0):
    """Bought 10 at 100, sold at 90 (a 100.00 loss), bought 10 back at 95 within 30 days, sold at 110."""
    for action, price, when in (
        ("Buy to Open", "100", at(2025, 1, 6)),
        ("Sell to Close", "90", at(2025, 2, 3)),
        ("Buy to Open", "95", at(2025, 2, 20)),
        ("Sell to Close", "110", at(2025, 3, 20)),
    ):
        TransactionFactory(account=account, symbol=symbol, action=action, quantity=10, price=D(price), executed_at=when)
    recompute_account(account=account)


@pytest.fixture
def account(user):
    account = BrokerAccountFactory(user=user)
    wash_sale(account)
    return account


def test_the_tax_page_requires_sign_in(client, db):
    assert client.get(reverse("reports:tax")).status_code == 302


def test_the_tax_page_shows_totals_the_bridge_and_the_disclaimer(user_client, account):
    html = user_client.get(reverse("reports:tax"), {"year": 2025}).content.decode()
    assert "a report to help you check" in html.lower() and "not tax advice" in html
    # The loss is washed (0.00 after code W) and the replacement's gain is 1,100 - (950 + 100) = 50.00.
    assert 'data-total="short_term">+$50.00' in html
    assert 'data-total="wash_sales_disallowed">+$100.00' in html
    # FIFO: -100 + 150 = +50.00; +100 disallowed, -100 released: = +50.00.
    assert 'data-bridge="realized_fifo">+$50.00' in html
    assert 'data-bridge="wash_disallowed">+$100.00' in html
    assert 'data-bridge="wash_released">-$100.00' in html
    assert 'data-bridge="taxable_total">+$50.00' in html
    assert "off by" not in html


def test_the_year_defaults_to_last_year(user_client, account):
    assert user_client.get(reverse("reports:tax")).context["tax"].year == 2025


def test_the_drill_down_lists_only_the_wash_sale_lines(user_client, account):
    response = user_client.get(reverse("reports:tax"), {"year": 2025, "term": "wash"})
    lines = response.context["page"].object_list
    assert [line.wash_disallowed for line in lines] == [D("100"), D("0")]
    assert lines[1].carried_wash == D("-100")


def test_each_line_links_to_its_trade(user_client, account):
    html = user_client.get(reverse("reports:tax"), {"year": 2025}).content.decode()
    position = account.pnl_positions.order_by("opened_at").first()
    assert f'href="{reverse("trades:detail", args=[account.pk, position.key])}">10 AAPL</a>' in html


def test_another_users_lots_never_show(user_client, account, other_user):
    wash_sale(BrokerAccountFactory(user=other_user), symbol="MSFT")
    html = user_client.get(reverse("reports:tax"), {"year": 2025}).content.decode()
    assert "MSFT" not in html
    assert "AAPL" in html


def test_form_8949_rows_carry_code_w_and_box_a(user_client, account):
    response = user_client.get(reverse("reports:tax_8949_csv"), {"year": 2025})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    loss, replacement = rows
    assert (loss["box"], loss["description"], loss["proceeds"], loss["cost_basis"]) == (
        "A",
        "10 AAPL",
        "900.00",
        "1000.00",
    )
    assert (loss["adjustment_code"], loss["adjustment_amount"], loss["gain_or_loss"]) == ("W", "100.00", "0.00")
    assert (replacement["date_acquired"], replacement["cost_basis"], replacement["gain_or_loss"]) == (
        "2025-01-23",
        "1050.00",
        "50.00",
    )


def test_form_6781_splits_section_1256_sixty_forty(user_client, account):
    response = user_client.get(reverse("reports:tax_6781_csv"), {"year": 2025})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[0] for row in rows[1:]] == ["1", "1", "7", "8", "9"]
    assert rows[-1] == ["9", "Long-term capital gain or loss (60% of line 7)", "0.00"]


def test_the_json_has_the_bridge_and_the_disclaimer(user_client, account):
    data = user_client.get(reverse("reports:tax_json"), {"year": 2025}).json()
    assert data["bridge"]["taxable_total"] == "50.00"
    assert data["bridge"]["difference"] == "0.00"
    assert data["totals"]["wash_sales_disallowed"] == "100.00"
    assert "not tax advice" in data["disclaimer"]


def test_the_command_prints_json(account, capsys):
    call_command("tax_report", user=account.user.email, year=2025)
    data = json.loads(capsys.readouterr().out)
    assert (data["year"], data["totals"]["short_term"], len(data["lines"])) == (2025, "50.00", 2)


def test_the_command_prints_every_line_as_csv(account, capsys):
    call_command("tax_report", user=account.user.email, year=2025, format="csv")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(row["term"], row["wash_sale_disallowed"]) for row in rows] == [("short", "100.0000"), ("short", "0")]


def queries_for(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_the_tax_page_costs_the_same_few_queries_for_any_number_of_lots(
    user_client, user, django_assert_max_num_queries
):
    account = BrokerAccountFactory(user=user)
    wash_sale(account)
    with django_assert_max_num_queries(14):
        small = queries_for(user_client, reverse("reports:tax"), {"year": 2025})
    for n in range(8):
        wash_sale(account, symbol=f"T{n}")
    with django_assert_max_num_queries(14):
        assert queries_for(user_client, reverse("reports:tax"), {"year": 2025}) == small


# --- Reconciliation with the 1099-B ----------------------------------------------------------------


def save_box(client, **figures):
    data = {"year": 2025, "box": "A", "proceeds": "", "cost_basis": "", "wash_sale_disallowed": ""} | figures
    return client.post(reverse("reports:tax_1099b"), data)


def test_a_typed_box_that_matches_says_so(user_client, account):
    save_box(user_client, proceeds="2000.00", cost_basis="2050.00", wash_sale_disallowed="100.00", gain_or_loss="50")
    html = user_client.get(reverse("reports:tax"), {"year": 2025}).content.decode()
    assert 'data-matches="A">Matches: gain or loss $50.00' in html


def test_a_difference_names_the_lines_most_likely_behind_it(user_client, account):
    # A 1099-B that did not carry the 100.00 wash loss into the replacement: basis 1,950, gain 150.
    response = save_box(user_client, proceeds="2000", cost_basis="1950", wash_sale_disallowed="100", gain_or_loss="150")
    assert response.url == reverse("reports:tax") + "?year=2025#reconciliation"
    [check] = user_client.get(reverse("reports:tax"), {"year": 2025}).context["checks"]
    cost, gain = check.differences
    assert (cost.field, cost.ours, cost.theirs, cost.amount) == ("cost_basis", D("2050.00"), D("1950"), D("100.00"))
    assert (gain.field, gain.amount) == ("gain_or_loss", D("-100.00"))
    reasons = [(suspect.line.sold.isoformat(), suspect.reason) for suspect in cost.suspects]
    assert reasons == [
        ("2025-02-03", "its wash sale disallowed is exactly the difference"),
        ("2025-03-20", "its wash loss carried into its basis is exactly the difference"),
    ]


def test_entering_a_box_again_replaces_its_figures(user_client, account, user):
    save_box(user_client, gain_or_loss="10")
    save_box(user_client, gain_or_loss="50")
    assert list(user.form_1099b_totals.values_list("box", "gain_or_loss")) == [("A", D("50.00"))]


def test_1099b_totals_import_from_csv(user_client, account, user):
    upload = io.BytesIO(
        b'box,proceeds,cost_basis,wash_sale_disallowed,gain_or_loss\nA,"$2,000.00",2050,100,50\n1256,,,,-12.5\n'
    )
    upload.name = "1099b.csv"
    user_client.post(reverse("reports:tax_1099b"), {"year": 2025, "file": upload})
    rows = list(user.form_1099b_totals.order_by("box").values_list("box", "proceeds", "gain_or_loss"))
    assert rows == [("1256", None, D("-12.50")), ("A", D("2000.00"), D("50.00"))]


def test_a_csv_with_an_unknown_box_saves_nothing_and_says_why(user_client, account, user):
    upload = io.BytesIO(b"box,gain_or_loss\nZ,5\n")
    upload.name = "1099b.csv"
    response = user_client.post(reverse("reports:tax_1099b"), {"year": 2025, "file": upload}, follow=True)
    assert "Line 2: box &#x27;Z&#x27; is not one of A, B, D, E, 1256." in response.content.decode()
    assert not user.form_1099b_totals.exists()


def test_another_users_1099b_figures_never_show(user_client, account, other_client):
    save_box(other_client, gain_or_loss="999")
    assert user_client.get(reverse("reports:tax"), {"year": 2025}).context["checks"] == []


def test_the_tax_page_without_a_year_shows_the_default_year_selected_and_no_field_in_error(user_client):
    response = user_client.get(reverse("reports:tax"))
    form = response.context["form"]
    assert form.errors == {}
    assert f'<option value="{response.context["tax"].year}" selected>' in response.content.decode()
