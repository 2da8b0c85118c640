import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
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
@require_GET
def web_manifest(request):
    """The web app manifest, so a phone can add the site to its home screen (no offline data: every page still
    comes from the server). The icons are PNGs made once from static/img/favicon.svg."""
    manifest = {
        "name": settings.SITE_NAME,
        "short_name": "Tracker",
        "description": "Trading journal and P&L for TastyTrade accounts.",
        "start_url": reverse("dashboard:home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f8f9fa",
        "theme_color": "#212529",
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("img/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(manifest, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_not_required
def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


@login_not_required
def server_error(request):
    # Rendered without the request on purpose: whatever broke must not break this page too.
    return HttpResponseServerError(loader.get_template("500.html").render())
