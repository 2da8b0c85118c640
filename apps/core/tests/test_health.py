from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from apps.core.tasks import heartbeat

NOW = datetime(2026, 3, 16, 20, tzinfo=UTC)


@pytest.fixture
def worker_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.HEALTHZ_WORKER_MAX_WAIT_SECONDS = 300


def queued_task(*, enqueued_at, status="READY", started_at=None, run_after=None) -> DBTaskResult:
    with time_machine.travel(enqueued_at, tick=False):
        result = heartbeat.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status=status, started_at=started_at, run_after=run_after or enqueued_at
    )
    return DBTaskResult.objects.get(pk=result.id)


def test_healthz_reports_database_cache_and_worker(client, db):
    body = client.get(reverse("healthz")).json()
    assert {key: body[key] for key in ("status", "database", "cache")} == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
    }


def test_healthz_says_no_worker_is_used_with_the_immediate_backend(client, db):
    assert client.get(reverse("healthz")).json()["worker"]["status"] == "not used"


def test_healthz_answers_503_when_the_cache_loses_what_it_was_given(client, db):
    with mock.patch("django.core.cache.cache.get", return_value=None):
        response = client.get(reverse("healthz"))
    assert (response.status_code, response.json()["cache"]) == (503, "unavailable")


def test_healthz_answers_503_when_the_cache_is_unreachable(client, db):
    with mock.patch("django.core.cache.cache.set", side_effect=ConnectionError("refused")):
        response = client.get(reverse("healthz"))
    assert (response.status_code, response.json()["cache"]) == (503, "unavailable")


@time_machine.travel(NOW, tick=False)
def test_healthz_queues_one_heartbeat_for_an_idle_worker(client, db, worker_queue):
    client.get(reverse("healthz"))
    client.get(reverse("healthz"))
    assert DBTaskResult.objects.filter(task_path="apps.core.tasks.heartbeat", status="READY").count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_worker_that_took_the_last_heartbeat_is_alive(client, db, worker_queue):
    queued_task(enqueued_at=NOW - timedelta(minutes=2), status="SUCCESSFUL", started_at=NOW - timedelta(minutes=1))
    response = client.get(reverse("healthz"))
    assert (response.status_code, response.json()["worker"]) == (
        200,
        {"status": "ok", "last_seen": "2026-03-16T19:59:00+00:00", "overdue_tasks": 0},
    )


@time_machine.travel(NOW, tick=False)
def test_a_task_waiting_longer_than_the_limit_makes_the_worker_stale_and_healthz_503(client, db, worker_queue):
    queued_task(enqueued_at=NOW - timedelta(seconds=301))
    response = client.get(reverse("healthz"))
    assert (response.status_code, response.json()["worker"]["status"]) == (503, "stale")


@time_machine.travel(NOW, tick=False)
def test_a_task_waiting_less_than_the_limit_is_no_alarm(client, db, worker_queue):
    queued_task(enqueued_at=NOW - timedelta(seconds=299))
    assert client.get(reverse("healthz")).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_a_task_deferred_until_recently_is_no_alarm(client, db, worker_queue):
    queued_task(enqueued_at=NOW - timedelta(hours=2), run_after=NOW - timedelta(seconds=10))
    assert client.get(reverse("healthz")).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_the_heartbeat_drops_finished_heartbeats_older_than_an_hour(db, worker_queue):
    old = queued_task(enqueued_at=NOW - timedelta(hours=2), status="SUCCESSFUL")
    DBTaskResult.objects.filter(pk=old.pk).update(finished_at=NOW - timedelta(minutes=61))
    recent = queued_task(enqueued_at=NOW - timedelta(minutes=5), status="SUCCESSFUL")
    DBTaskResult.objects.filter(pk=recent.pk).update(finished_at=NOW - timedelta(minutes=4))
    assert heartbeat.call() == "alive"
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [recent.pk]


def test_healthz_costs_a_fixed_number_of_queries(client, db, worker_queue, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # SELECT 1, the queue's figures, one heartbeat queued
        client.get(reverse("healthz"))
