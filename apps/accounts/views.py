from allauth.account.decorators import reauthentication_required
from allauth.mfa.models import Authenticator
from allauth.socialaccount.providers import registry
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.reports.forms import StoredRestoreForm
from apps.reports.models import StoredBackup

from .forms import ColorModeForm, DeleteAccountForm, ProfileForm
from .models import User

# Every view here acts on request.user only and takes no id, so another user's profile has no URL at all.


def connected_providers(user: User) -> list[tuple[str, str]]:
    """(provider name, the address it knows) for each Google or Apple account connected to ``user``.

    Names come from allauth's provider registry rather than account.get_provider(), which looks up the
    provider's app once per account."""
    return [
        (getattr(registry.get_class(account.provider), "name", account.provider), account.extra_data.get("email", ""))
        for account in user.socialaccount_set.order_by("provider", "pk")
    ]


def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    context = {
        "form": form,
        "connected_providers": connected_providers(request.user),
        "has_authenticator_app": Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists(),
        "stored_backups": list(StoredBackup.objects.filter(user=request.user)),
        "stored_restore_form": StoredRestoreForm(),
    }
    return render(request, "accounts/profile.html", context)


@require_POST
def set_color_mode(request: HttpRequest) -> HttpResponse:
    """The navbar's switch: save the colour mode, then back to the page it was chosen on. The switch's script
    posts in the background and changes the page itself; without a script, this redirect shows the new mode."""
    form = ColorModeForm(request.POST, instance=request.user)
    if form.is_valid():
        form.save()
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204 if form.is_valid() else 400)
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return redirect(back if safe else "accounts:profile")


def delete_sessions_of(user: User) -> int:
    """Delete every stored session signed in as ``user`` (all devices), with whatever else it held.

    Sessions are stored signed, not indexed by user, so each unexpired one is read; a deletion is rare and a
    self-hosted site has few sessions. Expired ones are left to `clearsessions`."""
    signed_in = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=signed_in).delete()
    return len(signed_in)


# A POST needs a recent password (or authenticator code) entry; allauth replays the POST afterwards.
@reauthentication_required(allow_get=True)
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        # Every table that holds the trader's data points at the user with on_delete=CASCADE
        # (test_delete_account.py walks them all), so this one delete removes all of it, pending uploads too.
        # The sessions of their other devices hold no foreign key, so they go by hand, in the same transaction.
        with transaction.atomic():
            delete_sessions_of(user)
            user.delete()
        messages.success(request, "Your account and all its data are deleted.")
        return redirect("dashboard:landing")
    return render(request, "accounts/delete.html", {"form": form})
