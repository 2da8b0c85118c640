import secrets

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from apps.trades.models import BrokerAccount

from . import client as tt
from .forms import AccountsForm, DisconnectForm, OAuthStartForm, PersonalGrantForm
from .models import Connection, SyncRun
from .sync import create_connection, queue_sync, request_deep_check
from .tasks import carry_on, hand_to_worker, worker_runs_tasks


def get_connection_for_user(request, pk: int) -> Connection:
    return get_object_or_404(Connection, pk=pk, user=request.user)


def get_run_for_user(request, pk: int) -> SyncRun:
    return get_object_or_404(SyncRun.objects.select_related("connection"), pk=pk, connection__user=request.user)


def next_url(request) -> str:
    """Where a POST asked to return to: one of our own pages, or the sync page."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("tastytrade_sync:page")


def oauth_enabled() -> bool:
    return bool(
        settings.TASTYTRADE_CLIENT_ID and settings.TASTYTRADE_CLIENT_SECRET and settings.TASTYTRADE_REDIRECT_URI
    )


@require_GET
def sync_page(request):
    accounts = BrokerAccount.objects.select_related("sync_state").order_by("account_number")
    connections = (
        Connection.objects.filter(user=request.user)
        .prefetch_related(Prefetch("accounts", queryset=accounts))
        .order_by("created_at")
    )
    runs = SyncRun.objects.filter(connection__user=request.user).select_related("connection")[:25]
    context = {
        "connections": connections,
        "runs": runs,
        "active_runs": [r for r in runs if r.is_active],
        "oauth_enabled": oauth_enabled(),
        "oauth_form": OAuthStartForm(),
    }
    return render(request, "tastytrade_sync/sync.html", context)


@sensitive_post_parameters("client_secret", "refresh_token")  # masked in error reports and DEBUG pages
def connect(request):
    form = PersonalGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection = create_connection(user=request.user, **form.cleaned_data)
        except tt.AuthError:
            form.add_error(
                None, "TastyTrade refused this client secret and refresh token. Check both and the environment."
            )
        except tt.TastytradeError as exc:
            form.add_error(None, exc.user_message)
        else:
            run = hand_to_worker(queue_sync(connection=connection, trigger=SyncRun.Trigger.CONNECT))
            messages.success(
                request, f"Connected. Found {connection.accounts.count()} account(s); the first sync has started."
            )
            return redirect(f"{reverse('tastytrade_sync:page')}?run={run.pk}")
    context = {"form": form, "oauth_enabled": oauth_enabled(), "oauth_form": OAuthStartForm()}
    return render(request, "tastytrade_sync/connect.html", context)


@require_POST
def oauth_start(request):
    form = OAuthStartForm(request.POST)
    if not oauth_enabled() or not form.is_valid():
        raise Http404("Connect with TastyTrade is not configured")
    state = secrets.token_urlsafe(24)
    request.session["tastytrade_oauth"] = {"state": state, "environment": form.cleaned_data["environment"]}
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.TASTYTRADE_CLIENT_ID,
            "redirect_uri": settings.TASTYTRADE_REDIRECT_URI,
            "scope": "read",
            "state": state,
        }
    )
    return redirect(f"{tt.authorize_url(form.cleaned_data['environment'])}?{query}")


@require_GET
def oauth_callback(request):
    pending = request.session.pop("tastytrade_oauth", None)
    state = request.GET.get("state", "")
    # Bytes: compare_digest refuses str with non-ASCII characters, and the state comes from the query string.
    if (
        not pending
        or not secrets.compare_digest(state.encode(), pending["state"].encode())
        or not request.GET.get("code")
    ):
        messages.error(request, "That TastyTrade sign-in link was not started here or has expired. Please try again.")
        return redirect("tastytrade_sync:connect")
    try:
        refresh_token = tt.exchange_authorization_code(
            environment=pending["environment"], code=request.GET["code"], redirect_uri=settings.TASTYTRADE_REDIRECT_URI
        )
        connection = create_connection(
            user=request.user,
            environment=pending["environment"],
            client_secret=settings.TASTYTRADE_CLIENT_SECRET,
            refresh_token=refresh_token,
            method=Connection.Method.AUTHORIZATION_CODE,
        )
    except tt.TastytradeError as exc:
        messages.error(request, f"TastyTrade did not complete the connection: {exc.user_message}")
        return redirect("tastytrade_sync:connect")
    run = hand_to_worker(queue_sync(connection=connection, trigger=SyncRun.Trigger.CONNECT))
    messages.success(request, "Connected with TastyTrade; the first sync has started.")
    return redirect(f"{reverse('tastytrade_sync:page')}?run={run.pk}")


def connection_detail(request, pk: int):
    connection = get_connection_for_user(request, pk)
    accounts = list(connection.accounts.order_by("account_number"))
    form = AccountsForm(request.POST or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        included = form.included_ids()
        BrokerAccount.objects.filter(connection=connection, pk__in=included).update(is_included=True)
        BrokerAccount.objects.filter(connection=connection).exclude(pk__in=included).update(is_included=False)
        messages.success(request, "Saved which accounts to sync.")
        return redirect("tastytrade_sync:connection", pk=connection.pk)
    context = {
        "connection": connection,
        "form": form,
        "disconnect_form": DisconnectForm(),
        "overlap_days": settings.SYNC_OVERLAP_DAYS,
        "deep_check_days": settings.SYNC_DEEP_CHECK_DAYS,
    }
    return render(request, "tastytrade_sync/connection.html", context)


@require_POST
def deep_check(request, pk: int):
    """Compare older history with TastyTrade's now; the sync page follows the run (or the worker runs it)."""
    connection = get_connection_for_user(request, pk)
    run = hand_to_worker(request_deep_check(connection=connection))
    messages.info(request, "Checking older history against TastyTrade's counts; windows that differ are read again.")
    return redirect(f"{reverse('tastytrade_sync:page')}?run={run.pk}")


@require_POST
def disconnect(request, pk: int):
    connection = get_connection_for_user(request, pk)
    form = DisconnectForm(request.POST)
    delete_data = form.is_valid() and form.cleaned_data["delete_data"]
    if delete_data:
        BrokerAccount.objects.filter(connection=connection).delete()
    connection.delete()  # the encrypted credentials go with the row
    messages.success(request, "Disconnected" + (" and deleted its data." if delete_data else "; your history is kept."))
    return redirect("tastytrade_sync:page")


@require_POST
def sync_now(request, pk: int):
    connection = get_connection_for_user(request, pk)
    if connection.status == Connection.Status.NEEDS_RECONNECT:
        messages.error(request, "TastyTrade refused this connection's refresh token: reconnect it first.")
        return redirect("tastytrade_sync:page")
    # Rate limit per connection: add() only succeeds when no recent press is remembered.
    if not cache.add(f"sync-now:{connection.pk}", 1, timeout=settings.SYNC_NOW_MIN_INTERVAL_SECONDS):
        messages.info(request, "A sync ran moments ago; try again in a few seconds.")
        return redirect(next_url(request))
    # With a worker this only queues the run; without one, this request carries its first slice.
    run = carry_on(queue_sync(connection=connection, trigger=SyncRun.Trigger.MANUAL))
    messages.info(request, run_message(run))
    target = next_url(request)
    return redirect(f"{target}?run={run.pk}" if run.pk and run.is_active else target)


@require_POST
def run_continue(request, pk: int):
    """Polled by the page while a run is active: report progress. Without a worker, first carry the run
    one budgeted slice further; with one, queue a slice again if the worker that had it died."""
    run = get_run_for_user(request, pk)
    result = carry_on(run)
    return JsonResponse(run_progress(run if result.status == SyncRun.Status.SKIPPED else result))


@require_GET
def run_status(request, pk: int):
    return JsonResponse(run_progress(get_run_for_user(request, pk)))


def run_progress(run: SyncRun) -> dict:
    return {
        "id": run.pk,
        "status": run.status,
        "active": run.is_active,
        "accounts_done": run.accounts_done,
        "accounts_total": run.accounts_total,
        "fetched": run.fetched,
        "inserted": run.inserted,
        "message": run_message(run),
    }


def run_message(run: SyncRun) -> str:
    if run.status == SyncRun.Status.SKIPPED:
        return "Already syncing: the sync in progress will finish on its own."
    if run.status == SyncRun.Status.FAILED:
        return run.error_message
    if run.status == SyncRun.Status.QUEUED:
        return "Sync queued: it starts in a moment and this page follows it."
    if run.is_active and run.resume_after:
        # Without a worker only the open page carries the run on: say so rather than promise it.
        minutes = max(1, -(-int((run.resume_after - timezone.now()).total_seconds()) // 60))
        keeps = "" if worker_runs_tasks() else " if this page stays open (or at the next sync)"
        return f"TastyTrade asked us to pause: the sync resumes within {minutes} minutes{keeps}."
    if run.is_active:
        return (
            f"Syncing: {run.accounts_done} of {run.accounts_total or '?'} accounts done, "
            f"{run.fetched:,} transactions read so far."
        )
    if run.status == SyncRun.Status.INCOMPLETE and run.error_message:
        return run.error_message  # accounts that did not sync, by number, and why
    if run.status == SyncRun.Status.INCOMPLETE:
        return (
            "Sync finished, but TastyTrade sent fewer transactions than it counted. We will read them again next time."
        )
    return f"Sync finished: {run.inserted:,} new, {run.updated:,} updated, {run.unchanged:,} unchanged transactions."
