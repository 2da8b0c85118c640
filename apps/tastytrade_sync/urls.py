from django.urls import path

from . import views

app_name = "tastytrade_sync"

urlpatterns = [
    path("", views.sync_page, name="page"),
    path("connect/", views.connect, name="connect"),
    path("connect/tastytrade/", views.oauth_start, name="oauth_start"),
    path("connect/callback/", views.oauth_callback, name="oauth_callback"),
    path("connections/<int:pk>/", views.connection_detail, name="connection"),
    path("connections/<int:pk>/disconnect/", views.disconnect, name="disconnect"),
    path("connections/<int:pk>/deep-check/", views.deep_check, name="deep_check"),
    path("connections/<int:pk>/sync/", views.sync_now, name="sync_now"),
    path("runs/<int:pk>/", views.run_status, name="run_status"),
    path("runs/<int:pk>/continue/", views.run_continue, name="run_continue"),
]
