from django.conf import settings
from django.contrib import messages
from django.core.files.storage import storages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import User
from apps.core.middleware import body_limit
from apps.trades import journal, pnl
from apps.trades.forms import TradeFilterForm
from apps.trades.models import PnlEvent
from apps.trades.scope import get_scope

from . import edge, exports, form_1099b, income, metrics, performance, returns, risk, tax_exports, transfers
from . import tax as tax_rules
from .backup import iter_backup, read_stored_backup
from .forms import (
    EdgeExportForm,
    Form1099BForm,
    Form1099BUploadForm,
    PeriodGroupingForm,
    PnlExportForm,
    ReportForm,
    RestoreForm,
    StoredRestoreForm,
    TaxYearForm,
    TransactionFilterForm,
)
from .models import Form1099BTotals, PendingRestore, StoredBackup
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
    elif report == "returns":
        result = returns.account_returns(scope, risk_free_rate=settings.RISK_FREE_RATE)
        context |= {"returns": result, "returns_chart": returns.chart(result)}
    elif report == "rolls":
        context["campaigns"] = edge.campaigns(scope, request.GET.get("page"))
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
def rolls_csv(request):
    """The Rolls report: roll chains and wheel campaigns open now or closed in the range."""
    _, scope = get_scope(request, default_days=365)
    return exports.rolls_csv(edge.campaign_rows(scope), scope=scope)


@require_GET
def returns_csv(request):
    """The Returns report day by day: net liq, money moved, the day's and the cumulative return, the drawdown."""
    _, scope = get_scope(request, default_days=365)
    result = returns.account_returns(scope, risk_free_rate=settings.RISK_FREE_RATE)
    return exports.returns_csv(result, scope=scope)


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
    return queue_restore(request, content=form.cleaned_data["backup"].read(), back=reverse("reports:home") + "#data")


def queue_restore(request, *, content: bytes, back: str):
    """Keep the backup's bytes for the worker and queue the restore: the progress page, or `back` with the outcome."""
    PendingRestore.objects.expired(now=timezone.now()).delete()
    with transaction.atomic():
        # The lock on the user's row makes two restores posted at once take turns here: one is kept.
        User.objects.select_for_update().filter(pk=request.user.pk).first()
        if PendingRestore.objects.filter(user=request.user).running().exists():
            messages.error(request, "A restore of yours is still running: wait for it to finish first.")
            return redirect(back)
        pending = PendingRestore.objects.create(user=request.user, content=content)
        # A worker restores it; without one (the Immediate backend) it runs here, in this request.
        restore_task.enqueue(pending_id=pending.pk)
    pending.refresh_from_db()
    if not pending.is_finished:
        return redirect("reports:restore_progress", pk=pending.pk)
    done = pending.phase == PendingRestore.Phase.DONE
    (messages.success if done else messages.error)(request, pending.outcome)
    return redirect(back)


def get_stored_backup_for_user(request, token) -> StoredBackup:
    return get_object_or_404(StoredBackup, token=token, user=request.user)


@require_GET
def stored_backup_download(request, token):
    """One of the nightly backups the profile lists, as the file "Download backup" gives."""
    backup = get_stored_backup_for_user(request, token)
    day = timezone.localdate(backup.created_at, timezone=request.user.tz)
    response = FileResponse(storages["attachments"].open(backup.file_name), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="tastytrade-tracker-backup-{day}.json"'
    return response


@require_POST
def restore_stored_backup(request, token):
    """Restore one of the nightly backups, with the same task and progress page as an uploaded file."""
    backup = get_stored_backup_for_user(request, token)
    back = reverse("accounts:profile") + "#backups"
    if not StoredRestoreForm(request.POST).is_valid():
        messages.error(request, "Confirm that the accounts in this backup may be replaced.")
        return redirect(back)
    return queue_restore(request, content=read_stored_backup(backup), back=back)


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


TAX_LINES_PER_PAGE = 100


def tax_form(request) -> TaxYearForm:
    years = tax_rules.years_with_activity(request.user)
    return TaxYearForm(request.GET, years=years, default=tax_rules.default_year(years, timezone.localdate()))


@require_GET
def tax_year(request):
    """The US tax year: totals, the bridge from FIFO realized P&L, Section 1256 marks and the lines behind them."""
    form = tax_form(request)
    year, term = form.selected()
    report = tax_rules.tax_year(user=request.user, year=year)
    context = {
        "form": form,
        "tax": report,
        "term": term,
        "page": Paginator(tax_rules.lines_for(report, term), TAX_LINES_PER_PAGE).get_page(request.GET.get("page")),
        "disclaimer": tax_rules.DISCLAIMER,
        "tz_name": request.user.time_zone,
        "checks": form_1099b.compare(report, list(Form1099BTotals.objects.filter(user=request.user, year=year))),
        "form_1099b": Form1099BForm(initial={"year": year, "box": Form1099BTotals.Box.A}),
        "upload_1099b": Form1099BUploadForm(initial={"year": year}),
    }
    return render(request, "reports/tax.html", context)


@require_GET
def tax_csv(request, kind: str):
    """Form 8949 rows, the Form 6781 Part I summary, or every tax line of the year, as CSV."""
    year, _ = tax_form(request).selected()
    report = tax_rules.tax_year(user=request.user, year=year)
    if kind == "8949":
        rows, header = tax_exports.form_8949_rows(report), tax_exports.FORM_8949_COLUMNS
    elif kind == "6781":
        rows, header = tax_exports.form_6781_rows(report), tax_exports.FORM_6781_COLUMNS
    else:
        rows, header = map(tax_exports.line_row, report.lines), tax_exports.LINE_COLUMNS
    return exports.csv_response(f"tax-{year}-{kind}.csv", header, rows, money_columns=tax_exports.MONEY_COLUMNS)


@require_GET
def tax_json(request):
    year, _ = tax_form(request).selected()
    return JsonResponse(tax_exports.tax_year_json(tax_rules.tax_year(user=request.user, year=year)))


@require_POST
def tax_1099b(request):
    """Store the 1099-B's totals for a box (typed in) or several (a CSV), then show the differences."""
    form_class = Form1099BUploadForm if request.FILES else Form1099BForm
    form = form_class(request.POST, request.FILES)
    year = form.data.get("year", "")
    if form.is_valid():
        year = form.cleaned_data["year"]
        saved = form_1099b.save_totals(user=request.user, year=year, rows=form.rows())
        messages.success(request, f"Saved the 1099-B figures of {saved} box{'es' if saved != 1 else ''}.")
    else:
        problems = "; ".join(error for errors in form.errors.values() for error in errors)
        messages.error(request, f"Nothing saved: {problems}")
    return redirect(f"{reverse('reports:tax')}?{urlencode({'year': year})}#reconciliation")


@require_GET
def income_page(request):
    """Dividends and interest, received and paid, by period and by symbol; ex-dividend dates ahead."""
    period_form, scope = get_scope(request, default_days=365)
    grouping_form = PeriodGroupingForm(request.GET)
    grouping = grouping_form.grouping()
    lines = income.income_by_period(scope, grouping)
    context = {
        "scope": scope,
        "period_form": period_form,
        "grouping_form": grouping_form,
        "grouping": grouping,
        "lines": lines,
        "total": income.income_total(scope),
        "chart": income.income_chart(lines, grouping),
        "by_symbol": income.dividends_by_symbol(scope),
        "ex_dividends": income.upcoming_ex_dividends(scope),
    }
    return render(request, "reports/income.html", context)


@require_GET
def income_csv(request):
    """Every dividend and interest row of the range (the Income page's account and dates)."""
    _, scope = get_scope(request, default_days=365)
    rows = income.income_csv_rows(scope)
    return exports.csv_response(
        f"income-{scope.today}.csv", income.INCOME_CSV_COLUMNS, rows, money_columns=frozenset({"amount"}), exact=True
    )


@require_GET
def transfers_page(request):
    """Deposits and withdrawals, and net contributions over time against net liquidating value."""
    period_form, scope = get_scope(request, default_days=None)
    totals = transfers.contributions(scope)
    chart = transfers.contributions_chart(
        by_day=transfers.contributions_by_day(scope),
        before_range=totals.before_range,
        net_liq=metrics.net_liq_history(scope),
    )
    context = {
        "scope": scope,
        "period_form": period_form,
        "totals": totals,
        "earnings": transfers.earnings(metrics.current_balances(scope), totals, scope=scope),
        "chart": chart,
        "transfers": list(transfers.transfers(scope)),
    }
    return render(request, "reports/transfers.html", context)


@require_GET
def transfers_csv(request):
    """Every deposit and withdrawal of the range (the Money in/out page's account and dates), newest first."""
    _, scope = get_scope(request, default_days=None)
    rows = transfers.transfer_csv_rows(scope)
    return exports.csv_response(
        f"deposits-withdrawals-{scope.today}.csv",
        transfers.TRANSFER_CSV_COLUMNS,
        rows,
        money_columns=frozenset({"amount"}),
        exact=True,
    )
