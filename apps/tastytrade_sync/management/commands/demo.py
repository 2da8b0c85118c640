"""`make run`'s demo: a demo user connected to the local simulator, with its history already synced."""

import time
import urllib.request

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.tastytrade_sync.models import Connection, SyncRun
from apps.tastytrade_sync.sync import sync_connection
from apps.trades.models import BrokerAccount
from simulator.app import DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-trader-2026"  # noqa: S105 - a published demo login for local runs only


class Command(BaseCommand):
    help = "Create (or reset) the demo user, connect it to the local simulator and sync its history."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-sync", action="store_true", help="only create the user")
        parser.add_argument("--wait", type=float, default=60, help="seconds to wait for the simulator to answer")

    def handle(self, *args, **options) -> None:
        user, created = User.objects.get_or_create(email=DEMO_EMAIL, defaults={"display_name": "Demo Trader"})
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.update_or_create(user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True})
        self.stdout.write(self.style.SUCCESS(f"{'Created' if created else 'Reset'} the demo user."))
        if not options["no_sync"]:
            self.connect_and_sync(user, options["wait"])
        # SITE_URL follows `make run`'s PORT, so the address printed is the one being served.
        self.stdout.write(f"  Sign in at {settings.SITE_URL}/accounts/login/ as {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(
            f"  To connect another user to the simulator ({settings.TASTYTRADE_SIMULATOR_URL or 'not running'}), "
            f"paste on Sync > Connect: client secret {DEFAULT_CLIENT_SECRET}, refresh token {DEFAULT_REFRESH_TOKEN}"
        )

    def connect_and_sync(self, user: User, wait: float) -> None:
        url = settings.TASTYTRADE_SIMULATOR_URL
        if not url:
            raise CommandError("TASTYTRADE_SIMULATOR_URL is not set: start the simulator or use --no-sync.")
        self.wait_for(url, wait)
        # The simulator's history is generated up to today, so start the demo afresh each time.
        BrokerAccount.objects.filter(user=user).delete()
        Connection.objects.filter(user=user).delete()
        connection = Connection(user=user, environment=Connection.Environment.SIMULATOR, label="Simulator demo")
        connection.set_credentials(client_secret=DEFAULT_CLIENT_SECRET, refresh_token=DEFAULT_REFRESH_TOKEN)
        connection.save()
        started = time.monotonic()
        run = sync_connection(connection=connection, trigger=SyncRun.Trigger.CONNECT)
        if run.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"The demo sync did not finish: {run.get_status_display()} {run.error_message}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Synced {run.inserted:,} transactions in {run.accounts_total} accounts "
                f"from the simulator in {time.monotonic() - started:.0f} s."
            )
        )

    def wait_for(self, url: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                # Any HTTP answer (even 401) means the simulator is up.
                urllib.request.urlopen(url.rstrip("/") + "/customers/me", timeout=2)  # noqa: S310 - the simulator URL the operator set; demo only  # nosec B310
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise CommandError(f"The TastyTrade simulator did not answer at {url}.") from None
                time.sleep(0.5)
