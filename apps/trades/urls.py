from django.urls import path

from . import views

app_name = "trades"

urlpatterns = [
    path("import/", views.import_csv, name="import_csv"),
    path("import/<slug:token>/", views.import_preview, name="import_preview"),
    path("import/<slug:token>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<slug:token>/cancel/", views.import_cancel, name="import_cancel"),
    path("import/<slug:token>/result/", views.import_result, name="import_result"),
]
