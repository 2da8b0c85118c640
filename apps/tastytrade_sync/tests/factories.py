from datetime import date, timedelta

import factory

from apps.tastytrade_sync.models import Connection, SyncRun
from apps.trades.tests.factories import BrokerAccountFactory
from simulator import Scenario, Simulator

__all__ = ["BrokerAccountFactory", "ConnectionFactory", "SyncRunFactory", "synced_from_simulator"]


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


def synced_from_simulator(user, settings, *, seed: int, accounts: int = 1, days: int = 180) -> Connection:
    """`days` of simulated TastyTrade activity up to today, synced for `user` through the real SDK (and so run
    through the P&L engine) from the simulator on a loopback port."""
    from apps.tastytrade_sync.sync import sync_connection

    simulator = Simulator(
        Scenario(seed=seed, accounts=accounts, start=date.today() - timedelta(days=days - 1), days=days)
    )
    with simulator.serve() as server:
        settings.TASTYTRADE_SIMULATOR_URL = server.url
        connection = ConnectionFactory(user=user, credentials=(simulator.client_secret, simulator.refresh_token))
        run = sync_connection(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    return connection
