from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from apps.reports import metrics
from apps.reports.forms import TransactionFilterForm
from apps.reports.scope import get_scope
from apps.tastytrade_sync.models import Connection, SyncRun

TRANSACTIONS_PER_PAGE = 50
# The statuses SyncRun.is_active calls active, for filtering in the database.
ACTIVE_STATUSES = [status for status in SyncRun.Status if SyncRun(status=status).is_active]


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
    context = {
        "scope": scope,
        "period_form": period_form,
        "balances": metrics.current_balances(scope),
        "open_positions": metrics.open_positions(scope),
        "fees_this_year": metrics.fees_in_year(scope, scope.today.year),
        "net_liq": metrics.chart_series(metrics.net_liq_history(scope)),
        "connections": connections,
        "active_runs": active_runs,
        # Filled once the P&L engine's results are wired in; the page shows "—" until then.
        "pnl": None,
        "monthly_pnl": None,
        "cumulative_pnl": None,
        "pnl_calendar": None,
    }
    return render(request, "dashboard/home.html", context)


@require_GET
def positions(request):
    _, scope = get_scope(request, default_days=None)
    groups = metrics.positions_by_underlying(scope)
    known = [group.unrealized for group in groups if group.unrealized is not None]
    context = {
        "scope": scope,
        "groups": groups,
        "unrealized": sum(known) if known else None,
        "missing_marks": any(group.has_missing_marks for group in groups),
        "as_of": min((line.snapshot.as_of for group in groups for line in group.lines), default=None),
    }
    return render(request, "dashboard/positions.html", context)


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
    """The user's connections, each with its latest run as ``last_run``, and the runs still in progress."""
    latest = SyncRun.objects.filter(connection=OuterRef("connection")).order_by("-started_at").values("pk")[:1]
    runs = list(
        SyncRun.objects.filter(connection__user=user)
        .filter(Q(pk=Subquery(latest)) | Q(status__in=ACTIVE_STATUSES))
        .select_related("connection")
        .order_by("-started_at")
    )
    connections = list(Connection.objects.filter(user=user).order_by("created_at"))
    for connection in connections:
        connection.last_run = next((run for run in runs if run.connection_id == connection.pk), None)
    return connections, [run for run in runs if run.is_active]
