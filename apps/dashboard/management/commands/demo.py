from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand

from apps.accounts.models import User

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-trader-2026"  # noqa: S105 - a published demo login for local runs only


class Command(BaseCommand):
    help = "Create (or reset) the local demo user and print how to sign in."

    def handle(self, *args, **options) -> None:
        user, created = User.objects.get_or_create(email=DEMO_EMAIL, defaults={"display_name": "Demo Trader"})
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.update_or_create(user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True})
        verb = "Created" if created else "Reset"
        self.stdout.write(self.style.SUCCESS(f"{verb} the demo user."))
        self.stdout.write(f"  Sign in at http://127.0.0.1:8000/accounts/login/ as {DEMO_EMAIL} / {DEMO_PASSWORD}")
