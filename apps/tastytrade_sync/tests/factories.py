import factory

from apps.tastytrade_sync.models import Connection, SyncRun
from apps.trades.tests.factories import BrokerAccountFactory

__all__ = ["BrokerAccountFactory", "ConnectionFactory", "SyncRunFactory"]


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection
        skip_postgeneration_save = True

    label = "Main"
    environment = Connection.Environment.SIMULATOR

    @factory.post_generation
    def credentials(obj, create, extracted, **kwargs):
        secret, token = extracted or ("client-secret-0001", "refresh-token-0001")
        obj.set_credentials(client_secret=secret, refresh_token=token)
        if create:
            obj.save()


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    trigger = SyncRun.Trigger.MANUAL
    status = SyncRun.Status.SUCCEEDED
