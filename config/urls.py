from django.contrib import admin
from django.urls import include, path

from apps.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("apps.accounts.urls")),
    path("sync/", include("apps.tastytrade_sync.urls")),
    path("reports/", include("apps.reports.urls")),
    path("admin/", admin.site.urls),
    path("trades/", include("apps.trades.urls")),
    path("", include("apps.dashboard.urls")),
]

handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"
