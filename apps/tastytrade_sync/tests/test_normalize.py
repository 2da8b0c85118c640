"""What the sync stores from one raw API item: the same rules the CSV import applies."""

from decimal import Decimal

from apps.tastytrade_sync.sync import normalize_transaction, position_fields


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
