import json
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from apps.core.middleware import body_limit
from apps.journal.forms import AttachmentForm
from apps.journal.models import Attachment
from apps.trades import chains, csv_import, journal, strategies
from apps.trades.forms import (
    MAX_PENDING_SIZE,
    MAX_PENDING_UPLOADS,
    MAX_UPLOAD_BODY,
    ConfirmImportForm,
    CsvUploadForm,
    NoteForm,
    StrategyForm,
    TagForm,
    TradeFilterForm,
)
from apps.trades.models import BrokerAccount, Chain, Note, PendingFile, PendingUpload, Position, Tag, Target
from apps.trades.scope import get_scope
from apps.trades.tasks import apply_import, preview_upload

# The uploaded files wait in the database (PendingUpload) between the preview and the confirmation, named by a
# random token that is also remembered in the uploader's session.
SESSION_KEY = "trades_csv_imports"


def get_upload_for_user(request, token: str) -> PendingUpload:
    """The upload behind a token, for the user who made it in this session only; anything else is a 404."""
    if token not in request.session.get(SESSION_KEY, []):
        raise Http404("No such import")
    uploads = PendingUpload.objects.for_user(request.user).current(now=timezone.now())
    return get_object_or_404(uploads, token=token)


def keep_upload(*, user, cleaned_data: dict) -> PendingUpload:
    """Store an upload for its preview; drop the trader's oldest waiting uploads beyond the per-user caps."""
    files = cleaned_data["files"]
    with transaction.atomic():
        upload = PendingUpload.objects.create(
            user=user,
            token=secrets.token_urlsafe(24),
            account_number=cleaned_data["account_number"],
            skip_bad_rows=cleaned_data["skip_bad_rows"],
            size=sum(f.size for f in files),
        )
        for f in files:  # one at a time: a request holds one compressed file, never the whole upload
            PendingFile.objects.create(
                upload=upload, name=f.name.replace("\x00", ""), content=csv_import.compress(f.chunks())
            )
        kept, total = 0, 0
        for pk, size in (
            PendingUpload.objects.for_user(user).waiting().order_by("-created_at", "-pk").values_list("pk", "size")
        ):
            kept, total = kept + 1, total + size
            if kept > MAX_PENDING_UPLOADS or total > MAX_PENDING_SIZE:
                PendingUpload.objects.filter(pk=pk).delete()
    return upload


def queue_preview(upload: PendingUpload, *, skip_bad_rows: bool) -> None:
    """Have every row of the upload read and checked: by a worker, or (the Immediate backend) right here."""
    PendingUpload.objects.filter(pk=upload.pk).update(preview="", previewed_skipping=skip_bad_rows)
    preview_upload.enqueue(upload_id=upload.pk, skip_bad_rows=skip_bad_rows)
    upload.refresh_from_db()


def uploaded_files(upload: PendingUpload) -> list[csv_import.CsvFile]:
    # PostgreSQL hands a bytea back as a memoryview.
    return [csv_import.stored_file(f.name, bytes(f.content)) for f in upload.files.all()]


def report_from_json(data: dict) -> csv_import.ImportReport:
    """The import's report, as stored on its PendingUpload (dataclasses.asdict as JSON)."""
    return csv_import.ImportReport(**data | {"files": [csv_import.file_report(file) for file in data["files"]]})


def _skip_bad_rows(data, default: bool) -> bool:
    form = ConfirmImportForm(data)
    return form.cleaned_data["skip_bad_rows"] if "skip_bad_rows" in data and form.is_valid() else default


@body_limit(MAX_UPLOAD_BODY)
@csrf_exempt  # only so the upload handlers can change before the body is read: upload_csv checks the token
@login_required
def import_csv(request):
    # Every uploaded file goes to a temporary file as it arrives, instead of memory (Django keeps files up to
    # FILE_UPLOAD_MAX_MEMORY_SIZE in memory, and an upload is up to 90 files). Django's recipe for changing
    # the handlers of one view: https://docs.djangoproject.com/en/6.0/topics/http/file-uploads/
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    return upload_csv(request)


@csrf_protect
def upload_csv(request):
    form = CsvUploadForm()
    if request.method == "POST":
        PendingUpload.objects.expired(now=timezone.now()).delete()
        form = CsvUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = keep_upload(user=request.user, cleaned_data=form.cleaned_data)
        request.session[SESSION_KEY] = [
            *request.session.get(SESSION_KEY, [])[-(MAX_PENDING_UPLOADS - 1) :],
            upload.token,
        ]
        # Queued now, not when the preview page is first asked for: a worker starts reading while the browser
        # follows the redirect (a worker polls every half second), which the 2 s from upload to preview needs.
        queue_preview(upload, skip_bad_rows=upload.skip_bad_rows)
        return redirect("trades:import_preview", token=upload.token)
    account_numbers = BrokerAccount.objects.for_user(request.user).values_list("account_number", flat=True)
    return render(request, "trades/import_upload.html", {"form": form, "account_numbers": account_numbers})


@login_required
def import_preview(request, token: str):
    upload = get_upload_for_user(request, token)
    if upload.report or upload.is_importing:
        return redirect("trades:import_result", token=token)
    skip_bad_rows = _skip_bad_rows(request.GET, upload.skip_bad_rows)
    if upload.previewed_skipping != skip_bad_rows:  # the other kind of preview (or an upload from before)
        queue_preview(upload, skip_bad_rows=skip_bad_rows)
    if not upload.preview:
        return render(request, "trades/import_progress.html", {"upload": upload, "progress": import_progress(upload)})
    report = report_from_json(json.loads(upload.preview))
    context = {"report": report, "token": token, "skip_bad_rows": skip_bad_rows}
    return render(request, "trades/import_preview.html", context)


@login_required
@require_POST
def import_confirm(request, token: str):
    upload = get_upload_for_user(request, token)
    # The row lock makes a second click wait for the first and then find the import queued: nothing lands twice.
    # The task is queued in the same transaction, so a confirmed upload always has its task (or its report).
    with transaction.atomic():
        upload = PendingUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.report or upload.is_importing:
            return redirect("trades:import_result", token=token)
        if PendingUpload.objects.for_user(request.user).importing(now=timezone.now()).exists():
            messages.error(request, "Another import of yours is still running: confirm this one when it has finished.")
            return redirect("trades:import_preview", token=token)
        upload.skip_bad_rows = _skip_bad_rows(request.POST, upload.skip_bad_rows)
        upload.phase = PendingUpload.Phase.QUEUED
        upload.save(update_fields=["skip_bad_rows", "phase"])
        # A worker imports it; without one (the Immediate backend) it runs here, inside this transaction.
        apply_import.enqueue(upload_id=upload.pk)
    return redirect("trades:import_result", token=token)


@login_required
@require_POST
def import_cancel(request, token: str):
    get_upload_for_user(request, token).delete()
    messages.info(request, "Import cancelled: nothing was imported.")
    return redirect("trades:import_csv")


@login_required
def import_result(request, token: str):
    upload = get_upload_for_user(request, token)
    if upload.report:
        return render(request, "trades/import_result.html", {"report": report_from_json(json.loads(upload.report))})
    if upload.phase == PendingUpload.Phase.WAITING:
        return redirect("trades:import_preview", token=token)  # not confirmed yet
    return render(request, "trades/import_progress.html", {"upload": upload, "progress": import_progress(upload)})


@login_required
@require_GET
def import_status(request, token: str):
    """Polled by the progress page while the import runs."""
    return JsonResponse(import_progress(get_upload_for_user(request, token)))


def rows_previewed(upload: PendingUpload) -> str:
    """What the preview counted, in words: "1,234 rows (1,200 new)", or the upload's size without a preview."""
    if not upload.preview:
        return f"{upload.size:,} bytes of CSV"
    files = json.loads(upload.preview)["files"]
    rows, new = sum(f["rows"] for f in files), sum(f["new"] for f in files)
    return f"{rows:,} rows ({new:,} new)"


def import_progress(upload: PendingUpload) -> dict:
    if upload.phase == PendingUpload.Phase.WAITING and not upload.report:  # before the confirmation: the preview
        ready = bool(upload.preview)
        return {
            "phase": "Preview ready" if ready else "Reading and checking every row",
            "done": ready,
            "failed": False,
            "percent": 100 if ready else 30,
            "message": "Nothing has been written yet." if ready else f"Checking {upload.size:,} bytes of CSV.",
            "reload": ready,
        }
    done = bool(upload.report) or upload.phase == PendingUpload.Phase.FAILED
    if upload.phase == PendingUpload.Phase.FAILED:
        message = "The import failed and nothing was imported. It has been logged; please upload the files again."
    elif upload.phase == PendingUpload.Phase.QUEUED:
        message = "Queued: the import starts in a moment."
    else:
        message = f"Importing {rows_previewed(upload)} and recomputing your P&L in one step."
    return {
        "phase": upload.get_phase_display() if not upload.report else "Done",
        "done": done,
        "failed": upload.phase == PendingUpload.Phase.FAILED,
        "percent": 100 if done else (50 if upload.phase == PendingUpload.Phase.IMPORTING else 5),
        "message": "Import finished." if upload.report else message,
        "reload": bool(upload.report),
    }


# -- The Trades tab: positions and chains, one trade's legs and transactions, the user's tags and notes ----

TRADES_PER_PAGE = 50


def get_position_for_user(request, account: int, key: str) -> Position:
    """The user's position, named by its account and stable key; anyone else's is a 404."""
    if "\x00" in key:
        raise Http404("No such position")  # PostgreSQL cannot even compare text holding NUL: no key has one
    positions = Position.objects.select_related("account", "chain")
    return get_object_or_404(positions, account_id=account, account__user=request.user, key=key)


def get_chain_for_user(request, account: int, key: str) -> Chain:
    if "\x00" in key:
        raise Http404("No such chain")  # as for positions: no key holds NUL, and PostgreSQL refuses to compare it
    chains = Chain.objects.select_related("account")
    return get_object_or_404(chains, account_id=account, account__user=request.user, key=key)


def get_trade_for_user(request, account: int, target: str, key: str) -> Position | Chain:
    """A position or a chain, as the tag and note forms name them."""
    if target == Target.POSITION:
        return get_position_for_user(request, account, key)
    if target == Target.CHAIN:
        return get_chain_for_user(request, account, key)
    raise Http404("No such kind of trade")


def get_note_for_user(request, trade: Position | Chain, target: str, note: int) -> Note:
    return get_object_or_404(Note, pk=note, account=trade.account, target=target, key=trade.key)


def trade_url(trade: Position | Chain) -> str:
    name = "trades:detail" if isinstance(trade, Position) else "trades:chain"
    return reverse(name, kwargs={"account": trade.account_id, "key": trade.key})


@require_GET
def trade_list(request):
    period_form, scope = get_scope(request, default_days=None)
    filter_form = TradeFilterForm(request.GET, tags=journal.tag_names(scope))
    shows_chains = filter_form.shows_chains
    rows = (journal.chains if shows_chains else journal.positions)(scope, filter_form.filters)
    page = Paginator(rows, TRADES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    journal.attach_tags(page.object_list, Target.CHAIN if shows_chains else Target.POSITION)
    if not shows_chains:
        journal.attach_legs(page.object_list)
    context = {
        "scope": scope,
        "period_form": period_form,
        "filter_form": filter_form,
        "shows_chains": shows_chains,
        "underlyings": journal.traded_underlyings(scope),
        "page": page,
    }
    return render(request, "trades/list.html", context)


@require_GET
def position_detail(request, account: int, key: str):
    position = get_position_for_user(request, account, key)
    lots = journal.position_lots(position)
    overridden = position.strategy if position.strategy != position.detected_strategy else ""
    context = {
        "position": position,
        "lots": lots,
        "realized_pnl": journal.total_realized(lots),
        "events": journal.position_events(position),
        "transactions": journal.position_transactions(position),
        "tags": journal.tags_for(position.account_id, Target.POSITION, position.key),
        "notes": journal.notes_for(position.account_id, Target.POSITION, position.key),
        "attachments": list(Attachment.objects.for_trade(position.account_id, Target.POSITION, position.key)),
        "attachment_form": AttachmentForm(),
        "target": Target.POSITION,
        "strategy_form": StrategyForm(initial={"strategy": overridden}, detected=position.detected_strategy),
        "tag_form": TagForm(),
        "note_form": NoteForm(),
    }
    return render(request, "trades/position.html", context)


@require_GET
def chain_detail(request, account: int, key: str):
    chain = get_chain_for_user(request, account, key)
    context = {
        "chain": chain,
        "steps": chains.roll_steps(chain=chain),
        "campaign": chains.campaign(chain=chain),
        "tags": journal.tags_for(chain.account_id, Target.CHAIN, chain.key),
        "notes": journal.notes_for(chain.account_id, Target.CHAIN, chain.key),
        "attachments": list(Attachment.objects.for_trade(chain.account_id, Target.CHAIN, chain.key)),
        "attachment_form": AttachmentForm(),
        "target": Target.CHAIN,
        "tag_form": TagForm(),
        "note_form": NoteForm(),
    }
    return render(request, "trades/chain.html", context)


@require_POST
def add_tag(request, account: int, target: str, key: str):
    trade = get_trade_for_user(request, account, target, key)
    form = TagForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["name"]
        Tag.objects.get_or_create(account=trade.account, target=target, key=trade.key, name=name)
        messages.success(request, f"Tagged “{name}”.")
    else:
        messages.error(request, f"Not tagged: {form.errors['name'][0]}")
    return redirect(trade_url(trade) + "#tags")


@require_POST
def remove_tag(request, account: int, target: str, key: str):
    trade = get_trade_for_user(request, account, target, key)
    name = request.POST.get("name", "")
    tags = Tag.objects.filter(account=trade.account, target=target, key=trade.key, name=name)
    # No tag holds NUL (the form refuses it), and PostgreSQL refuses even to compare text holding one.
    deleted, _ = (0, {}) if "\x00" in name else tags.delete()
    if deleted:
        messages.success(request, f"Removed the tag “{name}”.")
    return redirect(trade_url(trade) + "#tags")


@require_POST
def add_note(request, account: int, target: str, key: str):
    trade = get_trade_for_user(request, account, target, key)
    form = NoteForm(request.POST)
    if form.is_valid():
        Note.objects.create(account=trade.account, target=target, key=trade.key, text=form.cleaned_data["text"])
        messages.success(request, "Note added.")
    else:
        messages.error(request, f"No note added: {form.errors['text'][0]}")
    return redirect(trade_url(trade) + "#notes")


@require_POST
def edit_note(request, account: int, target: str, key: str, note: int):
    trade = get_trade_for_user(request, account, target, key)
    note = get_note_for_user(request, trade, target, note)
    form = NoteForm(request.POST)
    if form.is_valid():
        note.text = form.cleaned_data["text"]
        note.save(update_fields=["text", "updated_at"])
        messages.success(request, "Note saved.")
    else:
        messages.error(request, f"The note was not changed: {form.errors['text'][0]}")
    return redirect(trade_url(trade) + "#notes")


@require_POST
def delete_note(request, account: int, target: str, key: str, note: int):
    trade = get_trade_for_user(request, account, target, key)
    get_note_for_user(request, trade, target, note).delete()
    messages.success(request, "Note deleted.")
    return redirect(trade_url(trade) + "#notes")


@require_POST
def set_strategy(request, account: int, key: str):
    position = get_position_for_user(request, account, key)
    form = StrategyForm(request.POST, detected=position.detected_strategy)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed strategies.")
        return redirect(trade_url(position))
    chosen = form.cleaned_data["strategy"] or None
    strategies.override_strategy(account=position.account, position_key=position.key, strategy=chosen)
    messages.success(
        request, "Strategy saved; it stays after every sync." if chosen else "Back to the detected strategy."
    )
    return redirect(trade_url(position))
