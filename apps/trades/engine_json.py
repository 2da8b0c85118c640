"""The engine's state to and from JSON (PnlState.state): Decimals as strings, datetimes as ISO text.

An incremental rebuild loads what the previous run saved and carries on from there.
"""

from __future__ import annotations

from collections import deque
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from apps.trades.engine import Engine
from apps.trades.engine_state import Event, OpenLot, Portion, Settlement, TrackedPosition
from apps.trades.models import OPTION_TYPES


def dump_engine(engine: Engine) -> dict:
    return {
        "cash": str(engine.cash),
        "lots": [_dump_lot(lot) for lots in engine.lots.values() for lot in lots],
        "positions": [_dump_position(position) for position in engine.positions.values()],
        "orders": {str(order_id): key for order_id, key in engine.order_positions.items()},
        "last_trade_close": {u: [key, at.isoformat()] for u, (key, at) in engine.last_trade_close.items()},
        "settlements": {
            symbol: {
                "day": s.day.isoformat(),
                "events": [_dump_event(event) for event in s.events],
                "awaiting_removal": str(s.awaiting_removal),
                "cash_applied": s.cash_applied,
            }
            for symbol, s in engine.settlements.items()
        },
    }


def load_engine(data: dict, *, tz: ZoneInfo) -> Engine:
    engine = Engine(tz=tz)
    engine.cash = Decimal(data.get("cash", "0"))
    for item in data.get("positions", []):
        position = _load_position(item)
        engine.positions[position.key] = position
        engine.known_positions[position.key] = position
    for item in data.get("lots", []):
        lot = _load_lot(item)
        engine.lots.setdefault(lot.symbol, deque()).append(lot)
        engine.put_reserve += lot.put_obligation
        if lot.instrument_type in OPTION_TYPES:
            engine.options_on[lot.underlying].add(lot.symbol)
    engine.order_positions = {int(order_id): key for order_id, key in data.get("orders", {}).items()}
    engine.last_trade_close = {
        u: (key, datetime.fromisoformat(at)) for u, (key, at) in data.get("last_trade_close", {}).items()
    }
    for symbol, item in data.get("settlements", {}).items():
        engine.settlements[symbol] = Settlement(
            day=date.fromisoformat(item["day"]),
            events=[_load_event(event) for event in item["events"]],
            awaiting_removal=Decimal(item["awaiting_removal"]),
            cash_applied=item["cash_applied"],
        )
    return engine


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dump_lot(lot: OpenLot) -> dict:
    return {
        "key": lot.key,
        "pk": lot.pk,
        "position": lot.position,
        "transaction_id": lot.transaction_id,
        "symbol": lot.symbol,
        "underlying": lot.underlying,
        "instrument_type": lot.instrument_type,
        "option_type": lot.option_type,
        "strike": _str(lot.strike),
        "expires_on": _iso(lot.expires_on),
        "multiplier": _str(lot.multiplier),
        "opened_at": lot.opened_at.isoformat(),
        "quantity": str(lot.quantity),
        "opening_price": _str(lot.opening_price),
        "opening_cash": str(lot.opening_cash),
        "remaining": str(lot.remaining),
        "cost": [
            str(lot.cost.quantity),
            str(lot.cost.cash),
            [str(fee) for fee in lot.cost.fees],
            str(lot.cost.variation),
        ],
        "moved_from": lot.moved_from,
    }


def _load_lot(item: dict) -> OpenLot:
    quantity, cash, fees, variation = item["cost"]
    return OpenLot(
        key=item["key"],
        pk=item["pk"],
        position=item["position"],
        transaction_id=item["transaction_id"],
        symbol=item["symbol"],
        underlying=item["underlying"],
        instrument_type=item["instrument_type"],
        option_type=item["option_type"],
        strike=_dec(item["strike"]),
        expires_on=date.fromisoformat(item["expires_on"]) if item["expires_on"] else None,
        multiplier=_dec(item["multiplier"]),
        opened_at=datetime.fromisoformat(item["opened_at"]),
        quantity=Decimal(item["quantity"]),
        opening_price=_dec(item["opening_price"]),
        opening_cash=Decimal(item["opening_cash"]),
        remaining=Decimal(item["remaining"]),
        cost=Portion(Decimal(quantity), Decimal(cash), tuple(Decimal(fee) for fee in fees), Decimal(variation)),
        moved_from=item["moved_from"],
    )


def _dump_position(position: TrackedPosition) -> dict:
    return {
        "key": position.key,
        "pk": position.pk,
        "underlying": position.underlying,
        "opened_at": position.opened_at.isoformat(),
        "order_id": position.order_id,
        "detected": position.detected,
        "rolled_from": position.rolled_from,
        "assigned_from": position.assigned_from,
        "covers": position.covers,
        "covers_candidate": position.covers_candidate,
        "shares_held": str(position.shares_held),
        "cash_available": _str(position.cash_available),
        "legs": {
            symbol: [kind, option_type, _str(strike), _iso(expires), _str(multiplier), str(quantity)]
            for symbol, (kind, option_type, strike, expires, multiplier, quantity) in position.legs.items()
        },
        "open_lots": position.open_lots,
    }


def _load_position(item: dict) -> TrackedPosition:
    return TrackedPosition(
        key=item["key"],
        pk=item["pk"],
        underlying=item["underlying"],
        opened_at=datetime.fromisoformat(item["opened_at"]),
        order_id=item["order_id"],
        detected=item["detected"],
        rolled_from=item["rolled_from"],
        assigned_from=item["assigned_from"],
        covers=item["covers"],
        covers_candidate=item["covers_candidate"],
        shares_held=Decimal(item["shares_held"]),
        cash_available=_dec(item["cash_available"]),
        legs={
            symbol: [
                kind,
                option_type,
                _dec(strike),
                date.fromisoformat(expires) if expires else None,
                _dec(multiplier),
                Decimal(quantity),
            ]
            for symbol, (kind, option_type, strike, expires, multiplier, quantity) in item["legs"].items()
        },
        open_lots=item["open_lots"],
    )


def _dump_event(event: Event) -> dict:
    return {
        "key": event.key,
        "pk": event.pk,
        "kind": event.kind,
        "lot": event.lot,
        "position": event.position,
        "transaction_id": event.transaction_id,
        "executed_at": event.executed_at.isoformat(),
        "trading_day": event.trading_day.isoformat(),
        "opened_at": _iso(event.opened_at),
        "symbol": event.symbol,
        "underlying": event.underlying,
        "instrument_type": event.instrument_type,
        "quantity": str(event.quantity),
        "opening_cash": str(event.opening_cash),
        "variation": str(event.variation),
        "closing_cash": str(event.closing_cash),
        "fees": [str(fee) for fee in event.fees],
    }


def _load_event(item: dict) -> Event:
    return Event(
        key=item["key"],
        pk=item["pk"],
        kind=item["kind"],
        lot=item["lot"],
        position=item["position"],
        transaction_id=item["transaction_id"],
        executed_at=datetime.fromisoformat(item["executed_at"]),
        trading_day=date.fromisoformat(item["trading_day"]),
        opened_at=datetime.fromisoformat(item["opened_at"]) if item["opened_at"] else None,
        symbol=item["symbol"],
        underlying=item["underlying"],
        instrument_type=item["instrument_type"],
        quantity=Decimal(item["quantity"]),
        opening_cash=Decimal(item["opening_cash"]),
        variation=Decimal(item["variation"]),
        closing_cash=Decimal(item["closing_cash"]),
        fees=tuple(Decimal(fee) for fee in item["fees"]),
    )
