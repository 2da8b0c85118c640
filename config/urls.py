from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from apps.core import views as core_views

# The admin's own password form would sign a staff user in without the second factor and without
# allauth's rate limits; this sends admin sign-in through allauth's login instead.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("manifest.webmanifest", core_views.web_manifest, name="web_manifest"),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("apps.accounts.urls")),
    path("sync/", include("apps.tastytrade_sync.urls")),
    path("reports/", include("apps.reports.urls")),
    path("trades/", include("apps.trades.urls")),
    path("journal/", include("apps.journal.urls")),
]
if settings.ADMIN_URL:  # an empty ADMIN_URL leaves the admin without any URL
    urlpatterns.append(path(settings.ADMIN_URL, admin.site.urls))
urlpatterns.append(path("", include("apps.dashboard.urls")))

handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"
