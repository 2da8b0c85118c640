"""Reading TastyTrade symbols: the one place an option's expiry, strike and call/put, and a
future's product, come from. CSV import, the API sync and the P&L engine all call it.

Shapes (docs/tastytrade-api.md#symbols, #csv-exports):
* Equity and index options use the 21-character OCC form (`SPY   240119P00400000`: root padded to
  six, YYMMDD, C/P, strike x 1000 on eight digits). Exports and hand-typed files may drop the
  padding (`SPY240119P00400000`) or the case; adjusted contracts get a digit (`USO1`).
* Future options: `./` + the future contract + space + the option product code with its month and
  year + space + YYMMDD + C/P + strike as written (`./ESZ9 EW4U9 190927P2975`, `./CLZ4 LOZ4
  241115C72.5`). CSV exports may squash the first space (`./MESM6EXK6  260529P5800`).
* Futures: `/` + product + month code + one or two year digits (`/MESZ4`, `/NGZ19`, `/6EM6`).

Trust the symbol, not a CSV's Expiration Date column, which follows the exporter's time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from apps.trades.models import FUTURES_TYPES

MONTH_CODES = "FGHJKMNQUVXZ"
OCC = re.compile(r"^(?P<root>[A-Z0-9./]{1,6}?)\s*(?P<ymd>\d{6})(?P<kind>[CP])(?P<strike>\d{8})$")
FUTURE_OPTION = re.compile(
    r"^\./(?P<codes>[A-Z0-9]+(?:\s+[A-Z0-9]+)?)\s+(?P<ymd>\d{6})(?P<kind>[CP])(?P<strike>\d+(?:\.\d+)?)$"
)
FUTURE = re.compile(rf"^/(?P<product>[A-Z0-9]+?)[{MONTH_CODES}]\d{{1,2}}$")
CONTRACT = re.compile(rf"^(?P<product>[A-Z0-9]+?)[{MONTH_CODES}]\d{{1,2}}$")
# Weekly and end-of-month series trade under their own root but settle on the index.
INDEX_ROOTS = {"SPXW": "SPX", "SPXQ": "SPX", "NDXP": "NDX", "RUTW": "RUT", "VIXW": "VIX", "XSPW": "XSP"}


@dataclass(frozen=True)
class OptionSymbol:
    root: str  # the OCC root ("SPXW", "USO1"), or for a future option its future contract ("/ESZ9")
    expires_on: date
    option_type: str  # "C" or "P"
    strike: Decimal
    product: str = ""  # a future option's product group ("/ES"); empty for equity and index options


def _date(ymd: str) -> date:
    return date(2000 + int(ymd[:2]), int(ymd[2:4]), int(ymd[4:6]))


# The readers below are pure functions of their strings and return immutable values, so each distinct symbol is
# read once per process: an import or a P&L rebuild asks about the same few hundred symbols on every row, and a
# Positions page about each held symbol several times (contract name, payoff, capital at risk, expirations).
SYMBOL_MEMO = 16_384


@lru_cache(maxsize=SYMBOL_MEMO)
def parse_option_symbol(symbol: str) -> OptionSymbol | None:
    """The parts of an equity, index or future option symbol; None for anything else."""
    text = (symbol or "").strip().upper()
    try:
        if text.startswith("./"):
            return _future_option(text)
        match = OCC.match(text)
        if not match:
            return None
        strike = Decimal(match["strike"]) / 1000
        return OptionSymbol(match["root"].strip(), _date(match["ymd"]), match["kind"], strike.normalize() + 0)
    except ValueError:  # an impossible date such as 241301
        return None


def _future_option(text: str) -> OptionSymbol | None:
    match = FUTURE_OPTION.match(text)
    if not match:
        return None
    contract = _contract(match["codes"])
    if contract is None:
        return None
    product = CONTRACT.match(contract)["product"]
    strike = Decimal(match["strike"]).normalize() + 0
    return OptionSymbol(f"/{contract}", _date(match["ymd"]), match["kind"], strike, product=f"/{product}")


def _contract(codes: str) -> str | None:
    """The future contract out of `ESZ9 EW4U9`, or out of the squashed `MESM6EXK6`."""
    parts = codes.split()
    if len(parts) == 2:
        return parts[0] if CONTRACT.match(parts[0]) else None
    # Squashed: the contract ends at the first month code + year digits that leaves an option code
    # (option product codes start with a letter, so `ESZ19EW4U9` is `ESZ19` + `EW4U9`).
    for end in range(2, len(codes)):
        head, tail = codes[:end], codes[end:]
        if CONTRACT.match(head) and tail[0].isalpha() and CONTRACT.match(tail):
            return head
    return None


@lru_cache(maxsize=SYMBOL_MEMO)
def canonical_symbol(symbol: str) -> str:
    """An option symbol spelled as the API spells it, so one contract is one instrument whichever file
    brought it: upper case, the OCC root padded to six, a future option's contract, product code and
    expiry + strike separated by single spaces (`./MESM6EXK6  260529P5800` -> `./MESM6 EXK6
    260529P5800`). Anything else comes back as given, without surrounding spaces."""
    text = (symbol or "").strip().upper()
    if parse_option_symbol(text) is None:
        return (symbol or "").strip()
    if text.startswith("./"):
        match = FUTURE_OPTION.match(text)
        codes = match["codes"].split()
        contract = _contract(match["codes"])
        code = codes[1] if len(codes) == 2 else match["codes"][len(contract) :]
        return f"./{contract} {code} {match['ymd']}{match['kind']}{match['strike']}"
    match = OCC.match(text)
    return f"{match['root'].strip():<6}{match['ymd']}{match['kind']}{match['strike']}"


def future_product(symbol: str) -> str | None:
    """The product group of a future (`/MESH5` -> `/MES`) or a future option (`./MESZ4 ...` -> `/MES`)."""
    text = (symbol or "").strip().upper()
    if text.startswith("./"):
        option = parse_option_symbol(text)
        return option.product if option else None
    match = FUTURE.match(text)
    return f"/{match['product']}" if match else None


@lru_cache(maxsize=SYMBOL_MEMO)
def underlying_of(symbol: str, instrument_type: str, stated: str = "") -> str:
    """The one underlying reports group by: a futures family's product for futures and their options
    (`/MES` for `/MESH5` and `./MESZ4 ...`), the index for index weeklies, else the stated underlying,
    else the option's root, else the symbol itself."""
    if instrument_type in FUTURES_TYPES or (stated or symbol).strip().startswith("/"):
        product = future_product(symbol) or future_product(stated) or _bare_product(stated)
        if product:
            return product
    name = stated.strip()
    if not name and instrument_type.endswith("Option") and (option := parse_option_symbol(symbol)):
        name = option.root
    name = name or symbol.strip()
    return INDEX_ROOTS.get(name, name)


def _bare_product(stated: str) -> str | None:
    # The API's underlying of a future is the product itself (`/CL`), which has no month code.
    text = stated.strip().upper()
    return text if re.fullmatch(r"/[A-Z0-9]+", text) else None


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def contract_name(symbol: str, *, today: date | None = None) -> str:
    """The contract as a trader reads it, the one name every page and CSV shows beside the symbol:
    an option `Dec 18 '26 22.5 P` (its underlying is shown next to it), a future `/ES Mar 26`, a future
    option `Mar 20 '26 5800 P on /ES Mar 26`; a stock or anything unread comes back as given.

    ``today`` decides the decade of a future's one-digit year (`/ESZ4`): the nearest year from last year on,
    as a contract that expired long ago is no longer held. A future option's own expiry decides its future's.
    """
    text = (symbol or "").strip()
    option = parse_option_symbol(text)
    if option is not None:
        terms = f"{_option_date(option.expires_on)} {option.strike:f} {option.option_type}"
        # The future settles with or after its option, so the option's expiry places a one-digit year.
        return f"{terms} on {_future_name(option.root, option.expires_on)}" if option.product else terms
    if FUTURE.match(text.upper()):
        return _future_name(text.upper(), today)
    return text


def _option_date(day: date) -> str:
    return f"{MONTH_NAMES[day.month - 1]} {day.day} '{day.year % 100:02d}"


def _future_name(contract: str, today: date | None) -> str:
    """`/ESH6` -> `/ES Mar 26`; `/NGZ19` -> `/NG Dec 19`."""
    match = re.fullmatch(rf"/(?P<product>[A-Z0-9]+?)(?P<month>[{MONTH_CODES}])(?P<year>\d{{1,2}})", contract)
    if match is None:
        return contract
    year = int(match["year"])
    if len(match["year"]) == 1:
        floor = (today or datetime.now(UTC).date()).year - 1
        year = floor - floor % 10 + year
        year += 10 if year < floor else 0
    month = MONTH_NAMES[MONTH_CODES.index(match["month"])]
    return f"/{match['product']} {month} {year % 100:02d}"
