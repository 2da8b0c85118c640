import factory

from apps.tastytrade_sync.models import Connection, SyncRun
from apps.trades.models import BrokerAccount


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


class BrokerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BrokerAccount

    account_number = factory.Sequence(lambda n: f"5WT{n:05d}")
    nickname = "Individual"


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    trigger = SyncRun.Trigger.MANUAL
    status = SyncRun.Status.SUCCEEDED
