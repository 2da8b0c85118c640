from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from . import exports, metrics
from .backup import BackupError, iter_backup, read_backup, restore_backup
from .forms import ReportForm, RestoreForm, TransactionFilterForm
from .scope import get_scope


@require_GET
def home(request):
    period_form, scope = get_scope(request, default_days=365)
    report_form = ReportForm(request.GET)
    grouping = report_form.grouping()
    rows = metrics.cash_flow(scope, grouping)
    context = {
        "scope": scope,
        "period_form": period_form,
        "report_form": report_form,
        "grouping": grouping,
        "rows": rows,
        "total": metrics.cash_flow_total(rows),
        "chart": metrics.cash_flow_chart(rows, grouping),
        "restore_form": RestoreForm(),
    }
    return render(request, "reports/home.html", context)


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
    return exports.positions_csv(metrics.positions_by_underlying(scope), scope=scope)


@require_GET
def backup_download(request):
    filename = f"tastytrade-tracker-backup-{timezone.localdate(timezone=request.user.tz)}.json"
    return StreamingHttpResponse(
        iter_backup(request.user),
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@require_POST
def restore(request):
    form = RestoreForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a backup file and confirm that its accounts may be replaced.")
        return redirect(reverse("reports:home") + "#data")
    try:
        summary = restore_backup(user=request.user, backup=read_backup(form.cleaned_data["backup"]))
    except BackupError as exc:
        messages.error(request, f"Nothing was restored: {exc}")
    else:
        count = summary.rows["transactions"]
        messages.success(request, f"Restored {summary.accounts} account(s) with {count:,} transactions.")
    return redirect(reverse("reports:home") + "#data")
