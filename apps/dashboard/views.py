from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import FilteredRelation, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.reports import metrics, performance, risk
from apps.reports.forms import TransactionFilterForm
from apps.tastytrade_sync import market_data
from apps.tastytrade_sync.client import TastytradeError
from apps.tastytrade_sync.models import Connection, SyncRun
from apps.trades import pnl
from apps.trades.scope import get_scope

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
    figures = None
    if scope.pnl_computed:
        open_now = pnl.open_positions(accounts=scope.account_queryset())
        figures = performance.dashboard_pnl(scope, open_now)
    context = {
        "scope": scope,
        "period_form": period_form,
        "balances": metrics.current_balances(scope),
        # Our books once the P&L engine has run (the Positions tab compares them with the broker's).
        "open_positions": metrics.open_instruments(open_now) if figures else metrics.open_position_counts(scope),
        "fees_this_year": metrics.fees_in_year(scope, scope.today.year),
        "net_liq": metrics.chart_series(metrics.net_liq_history(scope)),
        "connections": connections,
        "active_runs": active_runs,
        # None until the P&L engine has run for a selected account: the page shows "—".
        "pnl": figures and figures.summary,
        "monthly_pnl": figures and figures.monthly,
        "cumulative_pnl": figures and figures.cumulative,
        "pnl_calendar": figures and figures.calendar,
    }
    return render(request, "dashboard/home.html", context)


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
    }
    return render(request, "dashboard/positions.html", context)


@require_GET
def payoff(request):
    """The payoff diagram of one underlying (`?underlying=SPY`) or one strategy position (`?position=<slug>`)."""
    _, scope = get_scope(request, default_days=None)
    _, quotes, book = risk.open_risk(scope, {})
    underlying, position = risk.find(book, underlying=request.GET.get("underlying"), slug=request.GET.get("position"))
    if underlying is None:
        raise Http404("No such open position")
    legs = position.legs if position else underlying.legs
    chart = risk.payoff_chart(legs, quotes, price=underlying.price, today=scope.today)
    context = {"scope": scope, "underlying": underlying, "position": position, "legs": legs, "chart": chart}
    return render(request, "dashboard/payoff.html", context)


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
