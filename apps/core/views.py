import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core import health

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Heroku and uptime checks: the database, the cache and the task worker (apps/core/health.py).
    200 when all are well, 503 with the failing part named otherwise."""
    database, cache = health.check_database(), health.check_cache()
    checks = {"database": database, "cache": cache, "worker": {"status": "unknown"}}
    worker = None
    if database == health.OK:
        try:
            worker = health.check_worker()
        except DatabaseError:
            logger.exception("healthz: could not read the task queue")
    if worker is not None:
        checks["worker"] = {
            "status": worker.status,
            "last_seen": worker.last_seen.isoformat() if worker.last_seen else None,
            "overdue_tasks": worker.overdue_tasks,
        }
    healthy = database == cache == health.OK and worker is not None and worker.healthy
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


@login_not_required
def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


@login_not_required
def server_error(request):
    # Rendered without the request on purpose: whatever broke must not break this page too.
    return HttpResponseServerError(loader.get_template("500.html").render())
