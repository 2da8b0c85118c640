"""The Positions table's position and leg rows and the underlyings' number cells, written once per row in Python.

With 300 open legs the table has about 600 rows of 13 columns; rendered cell by cell by the template engine that
was some 16,000 variable lookups and filter calls, most of the page's time (bench/positions_300.py). These tags
write the same cells with the same display filters (`|money`, `|signed`, `|pct`, `|price`, `|quantity`, `|greek`,
`|pnl_tone`), so the page shows exactly what the cell-by-cell template showed. The filters write digits, signs,
"$", "%" and "—" only, so their output goes in as it is; names and symbols are escaped. An underlying's rows (its
header with the payoff button, then its positions and their legs) are one tag, `underlying_rows`, so the template
loops over 100 underlyings rather than over 600 rows.
"""

from functools import lru_cache
from html import escape  # Django's escape, without its check for lazy strings: names here are plain str
from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe

from apps.core.templatetags.money import money, pct, price, quantity, signed

from .ledger import greek, pnl_tone

register = template.Library()

DASH = "\u2014"
GREEK_CELLS = (
    '<td class="num" data-delta>{}</td>'
    '<td class="num d-none d-md-table-cell">{}</td>'
    '<td class="num d-none d-xl-table-cell">{}</td>'
    '<td class="num d-none d-xl-table-cell">{}</td>'
    '<td class="num d-none d-md-table-cell" data-beta-weighted-delta>{}</td>'
)
POSITION_ROW = (
    '<tr class="position-row" data-position="{slug}">\n'
    '        <th scope="row" class="fw-normal">\n'
    '          <button type="button" class="btn btn-link btn-sm p-0 text-decoration-none fold" aria-expanded="false"'
    ' aria-controls="legs-{slug}" data-fold="{slug}"><span class="fold-mark" aria-hidden="true">\u25b8</span>'
    '<span class="visually-hidden">Legs of this position</span></button>\n'
    "          {name}\n"
    '          <span class="small text-body-secondary text-nowrap">{legs}</span>{payoff}\n'
    "        </th>\n"
    '        <td></td><td class="d-none d-md-table-cell"></td><td class="d-none d-sm-table-cell"></td>'
    '<td class="num d-none d-lg-table-cell">{market_value}</td>'
    '<td class="num {tone}">{unrealized}</td>'
    '<td class="num d-none d-lg-table-cell">{share}</td>'
    '<td class="num">{days}</td>{greeks}\n'
    "      </tr>\n"
)
UNDERLYING_HEADER = (
    '<tbody data-underlying="{name}">\n'
    '      <tr class="table-light">\n'
    '        <th scope="rowgroup" class="text-nowrap">\n'
    "          {name}\n"
    '          <span class="fw-normal text-body-secondary small">{legs}</span>\n'
    '          <button type="button" class="btn btn-link btn-sm p-0 ms-1 align-baseline small fw-normal"'
    ' aria-expanded="false" data-payoff-toggle data-payoff-data="{data_url}" data-payoff-page="{page_url}">'
    'Payoff<span class="visually-hidden"> of {name}</span></button>\n'
    "          {metrics}\n"
    "        </th>\n"
    "        {cells}\n"
    "      </tr>\n"
)
UNDERLYING_CELLS = (
    '<td></td><td class="d-none d-md-table-cell"></td>'
    '<td class="num d-none d-sm-table-cell" title="The underlying\'s mark">{}</td>'
    '<td class="num d-none d-lg-table-cell">{}</td>'
    '<td class="num fw-semibold {}">{}{}</td>'
    '<td class="d-none d-lg-table-cell"></td>'
    '<td class="num">{}</td>{}'
)
LEG_ROW = (
    '<tr class="leg-row d-none" data-leg-of="{slug}"{id}>'
    '<td class="ps-4">{name}</td>'
    '<td class="num">{quantity}</td>'
    '<td class="num d-none d-md-table-cell">{average_open}</td>'
    '<td class="num d-none d-sm-table-cell">{mark}</td>'
    '<td class="num d-none d-lg-table-cell">{market_value}</td>'
    '<td class="num {tone}">{unrealized}</td>'
    '<td class="d-none d-lg-table-cell"></td>'
    '<td class="num">{days}</td>{greeks}</tr>\n'
)


def _days(value: int | None) -> str:
    """`|default_if_none:"—"` as the template wrote days to expiry (a whole number, no thousands separator)."""
    return DASH if value is None else str(value)


def _greek_cells(figures) -> str:
    greeks = figures.greeks
    if greeks is None:
        return GREEK_CELLS.format(DASH, DASH, DASH, DASH, greek(figures.beta_weighted_delta))
    return GREEK_CELLS.format(
        greek(greeks.delta),
        greek(greeks.theta),
        greek(greeks.gamma, 3),
        greek(greeks.vega),
        greek(figures.beta_weighted_delta),
    )


@register.simple_tag
def greek_cells(figures) -> SafeString:
    """Delta, theta, gamma, vega and beta-weighted delta of a leg, a position, an underlying or the portfolio."""
    return mark_safe(_greek_cells(figures))  # noqa: S308 - filter output only, see the module's docstring  # nosec B308 B703


@register.simple_tag
def underlying_rows(
    underlying, *, payoff_url: str, payoff_data_url: str, account_query: str, accounts: bool
) -> SafeString:
    """An underlying's `<tbody>`: its header row (name, number of legs, the button opening its payoff panel,
    static/js/positions.js, IV rank and beta, then its figures), and each strategy position's row and legs.
    `account_query` is "&account=<pk>" when one account is shown."""
    urls = {"payoff_url": payoff_url, "data_url": payoff_data_url, "account_query": account_query}
    rows = [_underlying_header(underlying, **urls)]
    for position in underlying.positions:
        rows.append(position_row(position, payoff_url=payoff_url, account_query=account_query))
        rows.append(leg_rows(position, accounts=accounts))
    rows.append("    </tbody>\n")
    return mark_safe("".join(rows))  # noqa: S308 - names escaped, the rest filter output  # nosec B308 B703


def _underlying_header(underlying, *, payoff_url: str, data_url: str, account_query: str) -> str:
    name = escape(underlying.underlying)
    query = f"?underlying={quote(underlying.underlying, safe='/')}{account_query}"
    count = len(underlying.legs)
    metrics = []
    if underlying.iv_rank is not None:
        metrics.append(f"IV rank {pct(underlying.iv_rank, 0)}")
    if underlying.beta is not None:
        metrics.append(f" · β {greek(underlying.beta)}")
    return UNDERLYING_HEADER.format(
        name=name,
        legs=f"{count} leg{'' if count == 1 else 's'}",
        data_url=escape(data_url + query),
        page_url=escape(payoff_url + query),
        metrics=f'<div class="small fw-normal text-body-secondary">{"".join(metrics)}</div>' if metrics else "",
        cells=_underlying_cells(underlying),
    )


def _underlying_cells(underlying) -> str:
    """An underlying's cells after its name: its mark, market value, unrealized (starred when a leg has no
    mark), the nearest DTE and the Greeks."""
    unrealized = underlying.unrealized
    return UNDERLYING_CELLS.format(
        price(underlying.price),
        money(underlying.market_value),
        pnl_tone(unrealized),
        signed(unrealized),
        '<span class="visually-hidden"> (some legs have no mark)</span>*' if underlying.missing_marks else "",
        _days(underlying.days_to_expiry),
        _greek_cells(underlying),
    )


@register.simple_tag
def position_row(position, *, payoff_url: str, account_query: str) -> SafeString:
    """A strategy position's row: the fold button for its legs, its name (linked to the trade when the engine
    holds it) with its number of legs and payoff link; then market value, unrealized, % max, DTE and its Greeks.
    `account_query` is "&account=<pk>" when one account is shown."""
    slug = escape(position.slug)
    count = len(position.legs)
    name = escape(position.label)
    payoff = ""
    if position.account_id:
        detail = trade_url(position.account_id, position.key)
        name = f'<a href="{escape(detail)}">{name}</a>'
        payoff = (
            f'\n          <a class="small ms-1" href="{payoff_url}?position={escape(quote(position.slug))}'
            f'{escape(account_query)}" data-payoff-link>Payoff</a>'
        )
    share = position.max_profit_share
    unrealized = position.unrealized
    row = POSITION_ROW.format(
        slug=slug,
        name=name,
        legs=f"{count} leg{'' if count == 1 else 's'}",
        payoff=payoff,
        market_value=money(position.market_value),
        tone=pnl_tone(unrealized),
        unrealized=signed(unrealized),
        share="" if share is None else pct(share, 0),
        days=_days(position.days_to_expiry),
        greeks=_greek_cells(position),
    )
    return mark_safe(row)  # noqa: S308 - names escaped, the rest filter output  # nosec B308 B703


KEY = "~key~"
# What Django's reverse() leaves unquoted in a URL (django.urls.resolvers, RFC 3986's sub-delimiters and "/~:@").
URL_SAFE = "!$&'()*+,;=/~:@"


def trade_url(account_id: int, key: str) -> str:
    """`reverse("trades:detail", args=[account_id, key])`, by filling in the key: reversing 200 times was a tenth
    of the table's time."""
    before, after = _trade_url_around_key(get_script_prefix(), account_id)
    return f"{before}{quote(key, safe=URL_SAFE)}{after}"


@lru_cache(maxsize=1024)
def _trade_url_around_key(script_prefix: str, account_id: int) -> tuple[str, str]:
    before, _, after = reverse("trades:detail", args=[account_id, KEY]).rpartition(KEY)
    return before, after


@register.simple_tag
def leg_rows(position, *, accounts: bool) -> SafeString:
    """A strategy position's legs, one folded row each: the contract (with its symbol when that differs, and its
    account when several are shown), quantity (and ours when our books differ), average open, mark, market value,
    unrealized, DTE and the Greeks. The first row carries the id the fold button controls."""
    slug = escape(position.slug)
    rows = [_leg_row(leg, slug=slug, first=number == 0, accounts=accounts) for number, leg in enumerate(position.legs)]
    return mark_safe("".join(rows))  # noqa: S308 - names escaped, the rest filter output  # nosec B308 B703


def _leg_row(leg, *, slug: str, first: bool, accounts: bool) -> str:
    line = leg.line
    snapshot = line.snapshot
    name = escape(leg.contract)
    if leg.contract != snapshot.symbol:
        name += (
            '<div class="small text-body-secondary font-monospace d-none d-md-block" data-symbol>'
            f"{escape(snapshot.symbol)}</div>"
        )
    if accounts:
        name += f'<div class="small text-body-secondary">{escape(snapshot.account.account_number)}</div>'
    held = quantity(leg.quantity)
    if line.difference:
        ours = escape(localize(line.difference["computed"]))
        held += f'<div><span class="badge text-bg-danger" title="Our books hold {ours}">ours: {ours}</span></div>'
    return LEG_ROW.format(
        slug=slug,
        id=f' id="legs-{slug}"' if first else "",
        name=name,
        quantity=held,
        average_open=price(leg.average_open_price),
        mark=price(snapshot.mark),
        market_value=money(leg.market_value),
        tone=pnl_tone(leg.unrealized),
        unrealized=signed(leg.unrealized),
        days=_days(leg.days_to_expiry),
        greeks=_greek_cells(leg),
    )
