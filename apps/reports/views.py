from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import User
from apps.core.middleware import body_limit
from apps.trades import journal, pnl
from apps.trades.forms import TradeFilterForm
from apps.trades.models import PnlEvent
from apps.trades.scope import get_scope

from . import edge, exports, metrics, performance, risk
from .backup import iter_backup
from .forms import EdgeExportForm, PnlExportForm, ReportForm, RestoreForm, TransactionFilterForm
from .models import PendingRestore
from .tasks import restore as restore_task


@require_GET
def home(request):
    period_form, scope = get_scope(request, default_days=365)
    report_form = ReportForm(request.GET)
    report, grouping = report_form.selected_report(), report_form.grouping()
    context = {
        "scope": scope,
        "period_form": period_form,
        "report_form": report_form,
        "report": report,
        "grouping": grouping,
        "restore_form": RestoreForm(),
    }
    if report == "pnl":
        context |= pnl_by_period(scope, grouping)
    elif report == "breakdown":
        context |= {name: pnl.realized_by(scope, name) for name in pnl.BREAKDOWNS}
    elif report == "edge":
        context |= {"breakdowns": edge.tables(scope, request.user), "edge_headings": edge.HEADINGS}
    else:
        rows = metrics.cash_flow(scope, grouping)
        context |= {
            "rows": rows,
            "total": metrics.cash_flow_total(rows),
            "chart": metrics.cash_flow_chart(rows, grouping),
        }
    return render(request, "reports/home.html", context)


def pnl_by_period(scope, grouping: str) -> dict:
    """The P&L report: realized P&L per period, its chart, and statistics on the positions closed in the range."""
    days = pnl.realized_by_day(scope, first=scope.start, last=scope.end)
    lines = performance.by_period(days, grouping)
    statistics = pnl.statistics(accounts=scope.account_queryset(), tz=scope.tz, first=scope.start, last=scope.end)
    return {
        "lines": lines,
        "pnl_total": performance.total(lines),
        "trade_report": performance.TradeReport(statistics, performance.max_drawdown(performance.amounts(days))),
        "pnl_chart": performance.period_chart(lines, label=metrics.PERIOD_LABELS[grouping]),
    }


@require_GET
def pnl_csv(request):
    """A P&L table of the reports page: by day, month or year (?by=), or by underlying or strategy."""
    _, scope = get_scope(request, default_days=365)
    grouping = PnlExportForm(request.GET).grouping()
    if grouping in pnl.BREAKDOWNS:
        lines = pnl.realized_by(scope, grouping)
    else:
        lines = performance.by_period(pnl.realized_by_day(scope, first=scope.start, last=scope.end), grouping)
    return exports.pnl_report_csv(lines, scope=scope, grouping=grouping)


@require_GET
def edge_csv(request):
    """One table of the Edge report (?by=management, strategy, underlying, tag, dte, weekday or month)."""
    _, scope = get_scope(request, default_days=365)
    by = EdgeExportForm(request.GET).breakdown()
    return exports.edge_csv(edge.table_rows(edge.closed_trades(scope), by, request.user), scope=scope, by=by)


@require_GET
def pnl_events_csv(request):
    """The closing events of the range (by default the Reports tab's: the last 365 days)."""
    _, scope = get_scope(request, default_days=365)
    events = PnlEvent.objects.filter(account_id__in=scope.account_ids).on_days(scope.start, scope.end)
    return exports.pnl_events_csv(events, scope=scope)


@require_GET
def trades_csv(request):
    """The positions of the Trades tab, with its filters."""
    _, scope = get_scope(request, default_days=None)
    filters = TradeFilterForm(request.GET, tags=journal.tag_names(scope)).filters
    return exports.trades_csv(journal.positions(scope, filters), scope=scope)


@require_GET
def cash_flow_csv(request):
    _, scope = get_scope(request, default_days=365)
    grouping = ReportForm(request.GET).grouping()
    return exports.cash_flow_csv(metrics.cash_flow(scope, grouping), scope=scope, grouping=grouping)


@require_GET
def transactions_csv(request):
    _, scope = get_scope(request, default_days=None)
    types, sub_types = metrics.transaction_kinds(scope)
    filter_form = TransactionFilterForm(request.GET, types=types, sub_types=sub_types)
    return exports.transactions_csv(filter_form.filter(scope.transactions()), scope=scope)


@require_GET
def positions_csv(request):
    _, scope = get_scope(request, default_days=None)
    _, quotes, book = risk.open_risk(scope, {})
    return exports.positions_csv(book, quotes, scope=scope)


@require_GET
def backup_download(request):
    filename = f"tastytrade-tracker-backup-{timezone.localdate(timezone=request.user.tz)}.json"
    return StreamingHttpResponse(
        iter_backup(request.user),
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@body_limit(settings.BACKUP_RESTORE_MAX_BYTES)
@require_POST
def restore(request):
    """Keep the backup file and queue its restore; the progress page follows it."""
    form = RestoreForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a backup file and confirm that its accounts may be replaced.")
        return redirect(reverse("reports:home") + "#data")
    PendingRestore.objects.expired(now=timezone.now()).delete()
    with transaction.atomic():
        # The lock on the user's row makes two restores posted at once take turns here: one is kept.
        User.objects.select_for_update().filter(pk=request.user.pk).first()
        if PendingRestore.objects.filter(user=request.user).running().exists():
            messages.error(request, "A restore of yours is still running: wait for it to finish first.")
            return redirect(reverse("reports:home") + "#data")
        pending = PendingRestore.objects.create(user=request.user, content=form.cleaned_data["backup"].read())
        # A worker restores it; without one (the Immediate backend) it runs here, in this request.
        restore_task.enqueue(pending_id=pending.pk)
    pending.refresh_from_db()
    if not pending.is_finished:
        return redirect("reports:restore_progress", pk=pending.pk)
    done = pending.phase == PendingRestore.Phase.DONE
    (messages.success if done else messages.error)(request, pending.outcome)
    return redirect(reverse("reports:home") + "#data")


def get_restore_for_user(request, pk: int) -> PendingRestore:
    return get_object_or_404(PendingRestore, pk=pk, user=request.user)


@require_GET
def restore_progress(request, pk: int):
    pending = get_restore_for_user(request, pk)
    return render(request, "reports/restore.html", {"pending": pending, "progress": restore_status_of(pending)})


@require_GET
def restore_status(request, pk: int):
    return JsonResponse(restore_status_of(get_restore_for_user(request, pk)))


def restore_status_of(pending: PendingRestore) -> dict:
    percent = {PendingRestore.Phase.QUEUED: 5, PendingRestore.Phase.RESTORING: 50}.get(pending.phase, 100)
    waiting = {PendingRestore.Phase.QUEUED: "Queued: the restore starts in a moment."}
    message = pending.outcome or waiting.get(
        pending.phase, "Restoring every account in one step; nothing shows until it is done."
    )
    return {
        "phase": pending.get_phase_display(),
        "percent": percent,
        "done": pending.is_finished,
        "failed": pending.phase == PendingRestore.Phase.FAILED,
        "message": message,
        "reload": False,
    }
