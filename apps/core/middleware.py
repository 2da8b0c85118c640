def no_store_for_signed_in_users(get_response):
    """Signed-in pages carry trading data: browsers and proxies must not keep a copy."""

    def middleware(request):
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response

    return middleware
