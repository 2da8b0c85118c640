"""What the sync stores from one raw API item: the same rules the CSV import applies."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from apps.tastytrade_sync.sync import normalize_transaction, position_fields
from apps.trades.csv_import import LEGACY, V2, V3, parse_file
from apps.trades.tests.exports import export


def api_item(**changes) -> dict:
    item = {
        "id": 3100000001,
        "transaction-type": "Trade",
        "transaction-sub-type": "Buy to Open",
        "action": "Buy to Open",
        "symbol": "./MESZ4 MESZ4 241220C6000",
        "instrument-type": "Future Option",
        "underlying-symbol": "/MESZ4",
        "description": "Bought 1 ./MESZ4 MESZ4 241220C6000 @ 20.00",
        "quantity": "1.0",
        "price": "20.0",
        "value": "100.0",
        "value-effect": "Debit",
        "net-value": "101.17",
        "net-value-effect": "Debit",
        "commission": "0.75",
        "commission-effect": "Debit",
        "clearing-fees": "0.30",
        "clearing-fees-effect": "Debit",
        "regulatory-fees": "0.12",
        "regulatory-fees-effect": "Debit",
        "executed-at": "2024-11-04T15:30:01.000+00:00",
        "transaction-date": "2024-11-04",
        "order-id": 450000001,
    }
    return {**item, **changes}


def test_a_future_option_is_stored_under_its_futures_family():
    row = normalize_transaction(api_item())
    assert (row["underlying_symbol"], row["expires_on"].isoformat(), row["strike"], row["multiplier"]) == (
        "/MES",
        "2024-12-20",
        Decimal("6000"),
        Decimal("5"),
    )


def test_an_open_future_option_position_is_grouped_under_its_futures_family():
    position = position_fields(
        {
            "symbol": "./MESZ4 MESZ4 241220C6000",
            "instrument-type": "Future Option",
            "underlying-symbol": "/MESZ4",
            "quantity": "1",
            "quantity-direction": "Long",
        }
    )
    assert position["underlying_symbol"] == "/MES"


def money_movement(sub_type: str, description: str, amount: str, effect: str, symbol: str | None = None) -> dict:
    return {
        "id": 3100000002,
        "transaction-type": "Money Movement",
        "transaction-sub-type": sub_type,
        "symbol": symbol,
        "instrument-type": "Equity" if symbol else None,
        "underlying-symbol": symbol,
        "description": description,
        "quantity": "0.0",
        "value": amount,
        "value-effect": effect,
        "net-value": amount,
        "net-value-effect": effect,
        "executed-at": "2024-11-29T23:00:00.000+00:00",
        "transaction-date": "2024-11-29",
    }


MONEY_MOVEMENTS = [
    (money_movement("Deposit", "INTEREST ON CREDIT BALANCE", "4.12", "Credit"), "Credit Interest"),
    (money_movement("Withdrawal", "FROM 10/16 THRU 11/15 @ 8 %", "12.40", "Debit"), "Debit Interest"),
    (money_movement("Deposit", "ISHARES 0-3 MONTH TREASURY BOND ETF DIVIDEND", "8.31", "Credit"), "Dividend"),
    (money_movement("Deposit", "ISHARES TRUST", "8.31", "Credit", symbol="ICSH"), "Dividend"),
    (money_movement("Deposit", "ACH DEPOSIT", "1000.00", "Credit"), "Deposit"),
]


@pytest.mark.parametrize(("item", "sub_type"), MONEY_MOVEMENTS)
def test_interest_and_dividends_booked_as_deposits_are_classified_by_their_description(item, sub_type):
    assert normalize_transaction(item)["transaction_sub_type"] == sub_type


@pytest.mark.parametrize("fmt", [LEGACY, V2, V3])
def test_the_sync_and_every_csv_format_classify_money_movements_alike(fmt):
    items = [item for item, _ in MONEY_MOVEMENTS]
    parsed = parse_file(export(items, fmt, tz="America/New_York"), tz=ZoneInfo("America/New_York"))
    from_csv = sorted((row.fields["description"], row.fields["transaction_sub_type"]) for row in parsed.rows)
    from_api = sorted((row["description"], row["transaction_sub_type"]) for row in map(normalize_transaction, items))
    assert from_csv == from_api


def test_a_cash_settled_index_option_row_keeps_the_contract_multiplier_though_its_price_is_the_strike():
    item = api_item(
        symbol="SPXW  240419P05000000",
        description="Cash settlement of 1 SPXW 04/19/24 Put 5000.00 due to assignment",
        price="5000.0",
        value="1234.0",
        **{
            "transaction-type": "Receive Deliver",
            "transaction-sub-type": "Cash Settled Assignment",
            "action": None,
            "instrument-type": "Equity Option",
            "underlying-symbol": "SPX",
            "order-id": None,
            "commission": "0.0",
            "regulatory-fees": "0.0",
            "clearing-fees": "5.0",
            "net-value": "1239.0",
        },
    )
    row = normalize_transaction(item)
    assert (row["multiplier"], row["price"], row["clearing_fees"]) == (Decimal(100), Decimal(5000), Decimal(-5))


@pytest.mark.parametrize("fmt", [V2, V3])
def test_a_cash_settlement_row_has_the_same_price_and_multiplier_from_a_csv_as_from_the_api(fmt):
    item = api_item(
        symbol="SPXW  240419P05000000",
        description="Cash settlement of 1 SPXW 04/19/24 Put 5000.00 due to assignment",
        price="5000.0",
        value="1234.0",
        **{
            "transaction-type": "Receive Deliver",
            "transaction-sub-type": "Cash Settled Assignment",
            "action": None,
            "instrument-type": "Equity Option",
            "underlying-symbol": "SPX",
            "order-id": None,
        },
    )
    [parsed] = parse_file(export([item], fmt), tz=ZoneInfo("America/New_York")).rows
    synced = normalize_transaction(item)
    assert (parsed.fields["price"], parsed.fields["multiplier"]) == (synced["price"], synced["multiplier"])
