from django.apps import AppConfig


class TastytradeSyncConfig(AppConfig):
    name = "apps.tastytrade_sync"
    label = "tastytrade_sync"
    verbose_name = "TastyTrade sync"

    def ready(self) -> None:
        # The one signal we accept: allauth's sign-in hook, which only queues the same sync.
        from allauth.account.signals import user_logged_in

        from .sync import sync_on_login

        user_logged_in.connect(sync_on_login, dispatch_uid="tastytrade_sync_on_login")
