"""allauth's hooks, where our rules differ from its defaults."""

from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.http import Http404
from django.utils.crypto import get_random_string

from apps.core.mail import UnbrokenEmail


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every link in an email starts with SITE_URL, never with the Host header of the request that caused
        it: a forged Host would otherwise put an attacker's domain in a password-reset link."""
        request = allauth_context.request
        origin = request.build_absolute_uri("/").removesuffix("/") if request is not None else None
        site_url = settings.SITE_URL
        context = {
            name: site_url + value.removeprefix(origin)
            if origin and isinstance(value, str) and value.startswith(origin + "/")
            else value
            for name, value in context.items()
        }
        context.setdefault("current_site", SimpleNamespace(name=settings.SITE_NAME, domain=urlsplit(site_url).netloc))
        super().send_mail(template_prefix, email, context)

    def render_mail(self, template_prefix: str, email, context: dict, headers: dict | None = None):
        """Our emails keep their links whole (7bit, not quoted-printable): see apps/core/mail.py."""
        return UnbrokenEmail.from_message(super().render_mail(template_prefix, email, context, headers=headers))

    def send_account_already_exists_mail(self, email: str) -> None:
        # Signing up with a new address hashes its password; signing up with a taken one would skip that work
        # and answer measurably sooner, telling a prober which addresses have accounts. So hash here too.
        make_password(get_random_string(32))
        super().send_account_already_exists_mail(email)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None) -> SocialApp:
        # A provider without its settings (GOOGLE_*, APPLE_*) shows no button; its URLs still exist, and
        # allauth would answer them with a 500 (SocialApp.DoesNotExist). For a visitor it is a missing page.
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as exc:
            raise Http404("This sign-in provider is not set up here.") from exc
