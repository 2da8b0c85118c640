import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.trades import csv_import
from apps.trades.forms import ConfirmImportForm, CsvUploadForm
from apps.trades.models import BrokerAccount

# The uploaded bytes wait in the cache between the preview and the confirmation, keyed by a random
# token that is also remembered in the uploader's session. The cache must be shared between
# workers in production (CACHE_URL=redis://...), as for the rest of the app.
UPLOAD_TIMEOUT = 60 * 60
SESSION_KEY = "trades_csv_imports"


def _cache_key(token: str) -> str:
    return f"trades:csv-import:{token}"


def get_upload_for_user(request, token: str) -> dict:
    """The upload behind a token, for the user who made it in this session only; anything else is a 404."""
    upload = cache.get(_cache_key(token)) if token in request.session.get(SESSION_KEY, []) else None
    if upload is None or upload["user_id"] != request.user.pk:
        raise Http404("No such import")
    return upload


def _skip_bad_rows(data, default: bool) -> bool:
    form = ConfirmImportForm(data)
    return form.cleaned_data["skip_bad_rows"] if "skip_bad_rows" in data and form.is_valid() else default


@login_required
def import_csv(request):
    form = CsvUploadForm(request.POST, request.FILES) if request.method == "POST" else CsvUploadForm()
    if form.is_valid():
        token = secrets.token_urlsafe(24)
        upload = {"user_id": request.user.pk, "report": None, **form.cleaned_data}
        cache.set(_cache_key(token), upload, UPLOAD_TIMEOUT)
        request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-9:], token]
        return redirect("trades:import_preview", token=token)
    account_numbers = BrokerAccount.objects.for_user(request.user).values_list("account_number", flat=True)
    return render(request, "trades/import_upload.html", {"form": form, "account_numbers": account_numbers})


@login_required
def import_preview(request, token: str):
    upload = get_upload_for_user(request, token)
    if upload["report"] is not None:
        return redirect("trades:import_result", token=token)
    skip_bad_rows = _skip_bad_rows(request.GET, upload["skip_bad_rows"])
    report = csv_import.preview(
        user=request.user,
        account_number=upload["account_number"],
        files=upload["files"],
        skip_bad_rows=skip_bad_rows,
    )
    context = {"report": report, "token": token, "skip_bad_rows": skip_bad_rows}
    return render(request, "trades/import_preview.html", context)


@login_required
@require_POST
def import_confirm(request, token: str):
    upload = get_upload_for_user(request, token)
    running = f"{_cache_key(token)}:running"
    # A second click while the first is still importing must not import (or report) twice.
    if upload["report"] is None and cache.add(running, True, UPLOAD_TIMEOUT):
        try:
            upload["report"] = csv_import.import_csv_files(
                user=request.user,
                account_number=upload["account_number"],
                files=upload["files"],
                skip_bad_rows=_skip_bad_rows(request.POST, upload["skip_bad_rows"]),
            )
        except BaseException:
            cache.delete(running)  # let the user try again
            raise
        upload["files"] = []  # the bytes are not needed any more
        cache.set(_cache_key(token), upload, UPLOAD_TIMEOUT)
    return redirect("trades:import_result", token=token)


@login_required
@require_POST
def import_cancel(request, token: str):
    get_upload_for_user(request, token)
    cache.delete(_cache_key(token))
    messages.info(request, "Import cancelled: nothing was imported.")
    return redirect("trades:import_csv")


@login_required
def import_result(request, token: str):
    upload = get_upload_for_user(request, token)
    if upload["report"] is None:
        return redirect("trades:import_preview", token=token)
    return render(request, "trades/import_result.html", {"report": upload["report"]})
