from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone


def no_store_for_signed_in_users(get_response):
    """Signed-in pages carry trading data: browsers and proxies must not keep a copy."""

    def middleware(request):
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response

    return middleware


def user_time_zone(get_response):
    """Show every time in the signed-in user's time zone (the profile's; New York by default), so a page
    never mixes UTC with local times. Times stay stored in UTC; only their display changes."""

    def middleware(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.tz)
        else:
            timezone.activate(settings.DEFAULT_USER_TIME_ZONE)
        try:
            return get_response(request)
        finally:
            timezone.deactivate()

    return middleware


def permissions_policy(get_response):
    """Tell browsers this site never uses the camera, microphone, location, payments and the like, so
    nothing injected into a page (or a frame of it) can ask for them."""

    def middleware(request):
        response = get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware


def body_limit(max_bytes: int) -> Callable:
    """Let this view take a request body of up to ``max_bytes`` instead of DATA_UPLOAD_MAX_MEMORY_SIZE.

    Use it outermost, above @login_required, so that RequestBodyLimitMiddleware sees it."""

    def decorator(view):
        view.max_body_bytes = max_bytes
        return view

    return decorator


class RequestBodyLimitMiddleware:
    """Refuse a body larger than the view accepts (413) before anything reads it.

    Django caps only the non-file part of a form (DATA_UPLOAD_MAX_MEMORY_SIZE); uploaded files of any size
    would be streamed to disk, and the CSRF check parses the whole body before the view runs. So this runs
    before CsrfViewMiddleware and trusts Content-Length, which the WSGI server also uses to stop reading.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        limit = getattr(view, "max_body_bytes", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads nothing from a body whose length it cannot parse
        if length <= limit:
            return None
        context = {"limit": limit, "length": length}
        return HttpResponse(render_to_string("413.html", context, request=request), status=413)
