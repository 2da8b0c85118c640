from datetime import date

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.middleware import body_limit
from apps.trades.views import get_trade_for_user, trade_url

from . import days
from .attachments import QuotaExceeded, attach
from .forms import AttachmentForm, DayForm, JournalDayForm, MonthForm
from .models import Attachment, JournalDay, attachment_storage

# An upload's request: the file plus room for the multipart headers and the CSRF token.
MAX_UPLOAD_BODY = settings.ATTACHMENT_MAX_MB * 1024 * 1024 + 64 * 1024


def get_attachment_for_user(request, token) -> Attachment:
    """The user's screenshot; anyone else's is a 404 (the token is random, and the owner is checked too)."""
    return get_object_or_404(Attachment.objects.select_related("journal_day"), token=token, user=request.user)


def get_day(data) -> date:
    """The day a journal page is about (?day=2026-03-16 or a form field); a missing or bad one is a 404."""
    form = DayForm(data)
    if not form.is_valid():
        raise Http404("No such day")
    return form.cleaned_data["day"]


def day_url(day: date) -> str:
    return f"{reverse('journal:day')}?day={day:%Y-%m-%d}"


def attachment_url(attachment: Attachment) -> str:
    """Where the screenshot is shown: its trade's page or its journal day."""
    if attachment.journal_day_id:
        return day_url(attachment.journal_day.day) + "#screenshots"
    name = "trades:detail" if attachment.target == Attachment.On.POSITION else "trades:chain"
    return reverse(name, kwargs={"account": attachment.account_id, "key": attachment.key}) + "#screenshots"


def _store(request, form: AttachmentForm, **where) -> None:
    """Keep a valid upload (the form has re-encoded it), or say why not."""
    if not form.is_valid():
        messages.error(request, f"Not attached: {form.errors['image'][0]}")
        return
    try:
        attach(user=request.user, image=form.cleaned_data["image"], original_name=form.original_name, **where)
    except QuotaExceeded as exc:
        messages.error(request, f"Not attached: {exc}")
    else:
        messages.success(request, "Screenshot attached.")


@body_limit(MAX_UPLOAD_BODY)
@require_POST
def add_trade_attachment(request, account: int, target: str, key: str):
    trade = get_trade_for_user(request, account, target, key)
    form = AttachmentForm(request.POST, request.FILES)
    _store(request, form, account_id=trade.account_id, target=target, key=trade.key)
    return redirect(trade_url(trade) + "#screenshots")


@body_limit(MAX_UPLOAD_BODY)
@require_POST
def add_day_attachment(request):
    day = get_day(request.POST)
    form = AttachmentForm(request.POST, request.FILES)
    journal_day = JournalDay.objects.get_or_create(user=request.user, day=day)[0] if form.is_valid() else None
    _store(request, form, target=Attachment.On.DAY, journal_day=journal_day)
    return redirect(day_url(day) + "#screenshots")


def _file_response(attachment: Attachment, name: str, content_type: str) -> HttpResponse:
    response = FileResponse(attachment_storage().open(name), content_type=content_type)
    response["Content-Disposition"] = "inline"
    # Cache-Control: no-store, like every signed-in page (apps.core.middleware): a shared computer keeps no copy.
    return response


@require_GET
def attachment_file(request, token):
    attachment = get_attachment_for_user(request, token)
    return _file_response(attachment, attachment.image_name, attachment.content_type)


@require_GET
def attachment_thumbnail(request, token):
    attachment = get_attachment_for_user(request, token)
    return _file_response(attachment, attachment.thumbnail_name, "image/webp")


@require_POST
def delete_attachment(request, token):
    attachment = get_attachment_for_user(request, token)
    back = attachment_url(attachment)
    attachment.delete()  # its files go once the deletion is committed (apps/journal/apps.py)
    messages.success(request, "Screenshot deleted.")
    return redirect(back)


@require_GET
def journal_list(request):
    form = MonthForm(request.GET)
    today = timezone.localdate(timezone=request.user.tz)
    month = (form.cleaned_data["month"] if form.is_valid() else None) or today.replace(day=1)
    next_month = days.add_months(month, 1)
    context = {
        "month": month,
        "previous_month": days.add_months(month, -1),
        "next_month": next_month if next_month <= today else None,
        "journal_days": days.month_days(user=request.user, first=month, next_first=next_month),
        "today": today,
    }
    return render(request, "journal/list.html", context)


@require_http_methods(["GET", "POST"])
def journal_day(request):
    # Without ?day= it is today's page (the user's time zone is active); a bad day is still a 404.
    day = get_day(request.GET) if "day" in request.GET else timezone.localdate()
    entry = JournalDay.objects.for_user(request.user).filter(day=day).first() or JournalDay(user=request.user, day=day)
    form = JournalDayForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Journal for {day:%A %-d %B %Y} saved.")
        return redirect(day_url(day))
    context = {"form": form, "attachment_form": AttachmentForm(), **days.day_journal(user=request.user, day=day)}
    return render(request, "journal/day.html", context)


@require_POST
def delete_day(request):
    day = get_day(request.POST)
    JournalDay.objects.for_user(request.user).filter(day=day).delete()  # its screenshots and their files too
    messages.success(request, f"Journal for {day:%A %-d %B %Y} deleted, with its screenshots.")
    return redirect(f"{reverse('journal:list')}?month={day:%Y-%m}")
