from datetime import date, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import FilteredRelation, OuterRef, Q, Subquery
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.journal.days import day_journal
from apps.reports import metrics, performance, risk
from apps.reports.forms import TransactionFilterForm
from apps.tastytrade_sync import market_data
from apps.tastytrade_sync.client import TastytradeError
from apps.tastytrade_sync.models import Connection, SyncRun
from apps.trades import pnl
from apps.trades.scope import get_scope

from . import calendar, layout
from .forms import LayoutForm
from .models import DashboardLayout

TRANSACTIONS_PER_PAGE = 50


@login_not_required
def landing(request):
    """The public front page; signed-in traders go straight to their dashboard."""
    if request.user.is_authenticated:
        return redirect("dashboard:home")
    return render(request, "dashboard/landing.html")


@require_GET
def home(request):
    period_form, scope = get_scope(request, default_days=365)
    connections, active_runs = sync_status(request.user)
    saved = DashboardLayout.objects.filter(user=request.user).values_list("widgets", flat=True).first()
    widgets = layout.arrange(saved)
    context = {
        "scope": scope,
        "period_form": period_form,
        "connections": connections,
        "active_runs": active_runs,
        "first_step": first_step(scope, connections),
        "layout": widgets,
        "shown_widgets": [item.name for item in widgets if item.shown],
        "layout_open": request.GET.get("edit") == "layout",
    }
    if not context["first_step"]:
        context |= dashboard_figures(scope, with_calendar="calendar" in context["shown_widgets"])
    return render(request, "dashboard/home.html", context)


def first_step(scope, connections: list[Connection]) -> str:
    """What a trader with nothing to show yet does first: "connect" (or import a CSV) when they have neither a
    connection nor an account, "sync" when their connection has not brought in an account yet ("reconnect" when
    TastyTrade refused every connection they have), else ""."""
    if scope.accounts:
        return ""
    if not connections:
        return "connect"
    active = any(connection.status == Connection.Status.ACTIVE for connection in connections)
    return "sync" if active else "reconnect"


def dashboard_figures(scope, *, with_calendar: bool) -> dict:
    """The widgets' figures and chart series; the P&L ones are None until the P&L engine has run.
    This month's calendar costs a query, so it is read only when its widget is shown."""
    figures = calendar_month = None
    if scope.pnl_computed:
        open_now = pnl.open_positions(accounts=scope.account_queryset())
        figures = performance.dashboard_pnl(scope, open_now)
    if scope.pnl_computed and with_calendar:
        first = calendar.month_start(scope.today)
        days = pnl.realized_by_day(scope, first=first, last=calendar.month_end(first))
        calendar_month = calendar.month_grid(first, calendar.by_day(days))
    return {
        "balances": metrics.current_balances(scope),
        # Our books once the P&L engine has run (the Positions tab compares them with the broker's).
        "open_positions": metrics.open_instruments(open_now) if figures else metrics.open_position_counts(scope),
        "fees_this_year": metrics.fees_in_year(scope, scope.today.year),
        "net_liq": metrics.chart_series(metrics.net_liq_history(scope)),
        "pnl": figures and figures.summary,
        "monthly_pnl": figures and figures.monthly,
        "cumulative_pnl": figures and figures.cumulative,
        "calendar_month": calendar_month,
    }


@require_POST
def edit_layout(request):
    """Save which widgets show and, when a move button was pressed, move one; or go back to the default."""
    form = LayoutForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That layout change was not understood; nothing was saved.")
    elif form.cleaned_data["reset"]:
        DashboardLayout.objects.filter(user=request.user).delete()
        messages.success(request, "Dashboard layout reset to the default.")
    else:
        saved = DashboardLayout.objects.filter(user=request.user).values_list("widgets", flat=True).first()
        widgets = layout.with_shown(layout.arrange(saved), set(form.cleaned_data["shown"]))
        if form.cleaned_data["move"]:
            widgets = layout.moved(widgets, *form.cleaned_data["move"])
        DashboardLayout.objects.update_or_create(user=request.user, defaults={"widgets": layout.to_json(widgets)})
        messages.success(request, "Dashboard layout saved.")
    return redirect(f"{reverse('dashboard:home')}?edit=layout#edit-layout")


@require_GET
def positions(request):
    _, scope = get_scope(request, default_days=None)
    reconciliation = metrics.reconciliation(scope)
    groups, quotes, book = risk.open_risk(scope, reconciliation.quantity_differences)
    power = risk.buying_power(scope)
    risk.with_concentration(book, power, warn_above_percent=request.user.concentration_warning_percent)
    known = [group.unrealized for group in groups if group.unrealized is not None]
    context = {
        "scope": scope,
        "groups": groups,
        "book": book,
        "buying_power": power,
        "expirations": risk.expirations(book, today=scope.today),
        "unrealized": sum(known) if known else None,
        "missing_marks": any(group.has_missing_marks for group in groups),
        "unrealized_from_engine": scope.pnl_computed,
        "as_of": min((line.snapshot.as_of for group in groups for line in group.lines), default=None),
        "marks_as_of": min((quote.fetched_at for quote in quotes.values()), default=None),
        "reconciliation": reconciliation,
        "leg_accounts": scope.account is None and len(scope.selected) > 1,  # name each leg's account
        "account_query": f"&account={scope.account.pk}" if scope.account else "",  # for the payoff links
    }
    return render(request, "dashboard/positions.html", context)


@require_GET
def payoff(request):
    """The payoff diagram of one underlying (`?underlying=SPY`) or one strategy position (`?position=<slug>`)."""
    scope, underlying, position, legs, chart = payoff_of(request)
    context = {"scope": scope, "underlying": underlying, "position": position, "legs": legs, "chart": chart}
    return render(request, "dashboard/payoff.html", context)


@require_GET
def payoff_data(request):
    """The same diagram's data as JSON, for the panel the Positions page opens under an underlying
    (static/js/positions.js): fetched only when a trader opens it, so the page itself stays fast."""
    _, underlying, position, legs, chart = payoff_of(request)
    name = f"{position.label} · {underlying.underlying}" if position else underlying.underlying
    return JsonResponse({"name": name, "legs": len(legs), "chart": chart})


def payoff_of(request) -> tuple:
    """The scope, the underlying (and the position) a payoff request names, their legs and the chart's data
    (None without a price or a mark); a 404 for one not open in the user's accounts."""
    _, scope = get_scope(request, default_days=None)
    _, quotes, book = risk.open_risk(scope, {})
    underlying, position = risk.find(book, underlying=request.GET.get("underlying"), slug=request.GET.get("position"))
    if underlying is None:
        raise Http404("No such open position")
    legs = position.legs if position else underlying.legs
    chart = risk.payoff_chart(legs, quotes, price=underlying.price, today=scope.today)
    return scope, underlying, position, legs, chart


@require_POST
def refresh_marks(request):
    """Ask TastyTrade for fresh marks and metrics of the shown accounts' positions, at most once a minute."""
    _, scope = get_scope(request, default_days=None)
    back = f"{reverse('dashboard:positions')}?{request.GET.urlencode()}"
    accounts = scope.account_queryset().filter(connection__isnull=False).select_related("connection")
    if not cache.add(f"refresh-marks:{request.user.pk}", 1, timeout=settings.MARKS_REFRESH_MIN_INTERVAL_SECONDS):
        messages.info(request, "Marks were refreshed moments ago; try again in a minute.")
        return redirect(back)
    try:
        count = market_data.refresh_accounts(accounts=accounts)
    except TastytradeError as exc:
        messages.error(request, exc.user_message)
        return redirect(back)
    messages.success(request, f"Marks refreshed: {count} quote{pluralize(count)} from TastyTrade.")
    return redirect(back)


@require_GET
def transactions(request):
    period_form, scope = get_scope(request, default_days=None)
    types, sub_types = metrics.transaction_kinds(scope)
    filter_form = TransactionFilterForm(request.GET, types=types, sub_types=sub_types)
    rows = filter_form.filter(scope.transactions()).select_related("account").defer("raw")
    rows = rows.order_by("-executed_at", "-id")
    context = {
        "scope": scope,
        "period_form": period_form,
        "filter_form": filter_form,
        "underlyings": metrics.underlyings(scope),
        "page": Paginator(rows, TRANSACTIONS_PER_PAGE).get_page(request.GET.get("page")),
    }
    return render(request, "dashboard/transactions.html", context)


# Calendar pages outside these years are a 404 rather than a date error (and a month's "next" stays a date).
CALENDAR_YEARS = range(1970, 2200)


def requested_date(request, name: str, pattern: str, default: date) -> date:
    """The date a calendar page's query string names (``?day=2026-03-16``), the default when it names none,
    and a 404 for one that does not exist (31 February, month 13) or lies outside CALENDAR_YEARS."""
    value = request.GET.get(name)
    if not value:
        return default
    try:
        day = datetime.strptime(value, pattern).date()
    except ValueError:
        raise Http404("No such day") from None
    if day.year not in CALENDAR_YEARS:
        raise Http404("No such day")
    return day


@require_GET
def calendar_month(request):
    """One month (``?month=2026-03``) of realized P&L per trading day, with weekly and monthly totals."""
    _, scope = get_scope(request, default_days=None)
    first = requested_date(request, "month", "%Y-%m", calendar.month_start(scope.today))
    lines = pnl.realized_by_day(scope, first=first, last=calendar.month_end(first))
    context = {"scope": scope, "month": calendar.month_grid(first, calendar.by_day(lines))}
    return render(request, "dashboard/calendar_month.html", context)


@require_GET
def calendar_year(request):
    """Twelve small months of a year (``?year=2026``) on one colour scale."""
    _, scope = get_scope(request, default_days=None)
    first = requested_date(request, "year", "%Y", scope.today.replace(month=1, day=1))
    year = first.year
    lines = pnl.realized_by_day(scope, first=first, last=date(year, 12, 31))
    return render(
        request,
        "dashboard/calendar_year.html",
        {"scope": scope, "year": calendar.year_grid(year, calendar.by_day(lines))},
    )


@require_GET
def calendar_day(request):
    """The trades that realized P&L on one trading day (``?day=2026-03-16``) of the user's time zone."""
    _, scope = get_scope(request, default_days=None)
    trading_day = requested_date(request, "day", "%Y-%m-%d", scope.today)
    trades = calendar.closed_trades(scope.account_ids, trading_day)
    context = {
        "scope": scope,
        "day": trading_day,
        "trades": trades,
        "realized_pnl": sum((trade.realized_pnl for trade in trades), calendar.ZERO) if trades else None,
        "closing_events": sum(len(trade.events) for trade in trades),
        "previous_day": calendar.weekday_after(trading_day, -1),
        "next_day": calendar.weekday_after(trading_day, 1),
        **day_journal(user=request.user, day=trading_day),
    }
    return render(request, "dashboard/calendar_day.html", context)


def sync_status(user) -> tuple[list[Connection], list[SyncRun]]:
    """The user's connections, each with its latest run as ``last_run``, and the runs still in progress.

    One query: each connection is joined to the runs worth showing (its latest, and any still active),
    so a connection comes back once per such run, or once with no run.
    """
    latest = SyncRun.objects.filter(connection=OuterRef("pk")).order_by("-started_at").values("pk")[:1]
    active = Q(runs__status__in=SyncRun.ACTIVE_STATUSES)
    shown = FilteredRelation("runs", condition=Q(runs__pk=Subquery(latest)) | active)
    rows = (
        Connection.objects.filter(user=user)
        .annotate(shown_run=shown)
        .select_related("shown_run")
        .order_by("created_at", "pk", "-shown_run__started_at")
    )
    connections: dict[int, Connection] = {}
    runs: list[SyncRun] = []
    for row in rows:
        run = getattr(row, "shown_run", None)  # Django leaves the attribute unset when nothing joined
        connection = connections.setdefault(row.pk, row)
        if connection is row:
            connection.last_run = run  # the newest comes first
        if run is not None:
            run.connection = connection
            runs.append(run)
    active = sorted((run for run in runs if run.is_active), key=lambda run: run.started_at, reverse=True)
    return list(connections.values()), active
