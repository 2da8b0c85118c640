"""Reading TastyTrade option symbols: the one place expiration, strike and call/put come from.

Equity and index options use the 21-character OCC form (`SPY   240119P00400000`: root padded
to six, YYMMDD, C/P, strike x 1000 in eight digits). Future options end in the same
YYMMDD + C/P + strike token (`./ESZ9 EW4U9 190927P2975`; CSV exports may squash the spaces).
Trust the symbol, not a CSV's Expiration Date column, which follows the exporter's time zone.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

OCC = re.compile(r"^(?P<root>[A-Z0-9./]{1,6})\s*(?P<ymd>\d{6})(?P<kind>[CP])(?P<strike>\d{8})$")
FUTURE_OPTION = re.compile(r"(?P<ymd>\d{6})(?P<kind>[CP])(?P<strike>\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class OptionSymbol:
    root: str
    expires_on: date
    option_type: str  # "C" or "P"
    strike: Decimal


def _date(ymd: str) -> date:
    return date(2000 + int(ymd[:2]), int(ymd[2:4]), int(ymd[4:6]))


def parse_option_symbol(symbol: str) -> OptionSymbol | None:
    """The parts of an equity, index or future option symbol; None for anything else."""
    text = (symbol or "").strip().upper()
    try:
        if text.startswith("./"):
            match = FUTURE_OPTION.search(text)
            if not match:
                return None
            root = text[2:].split()[0] if " " in text[2:] else text[2 : match.start()].strip()
            return OptionSymbol(root, _date(match["ymd"]), match["kind"], Decimal(match["strike"]))
        match = OCC.match(text)
        if not match:
            return None
        strike = Decimal(match["strike"]) / 1000
        return OptionSymbol(match["root"].strip(), _date(match["ymd"]), match["kind"], strike.normalize() + 0)
    except ValueError:  # an impossible date such as 241301
        return None
