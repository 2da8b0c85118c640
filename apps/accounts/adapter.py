"""allauth's hooks, where our rules differ from its defaults."""

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.http import Http404


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None) -> SocialApp:
        # A provider without its settings (GOOGLE_*, APPLE_*) shows no button; its URLs still exist, and
        # allauth would answer them with a 500 (SocialApp.DoesNotExist). For a visitor it is a missing page.
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as exc:
            raise Http404("This sign-in provider is not set up here.") from exc
