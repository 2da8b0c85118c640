from django.apps import AppConfig


class TastytradeSyncConfig(AppConfig):
    name = "apps.tastytrade_sync"
    label = "tastytrade_sync"
    verbose_name = "TastyTrade sync"
