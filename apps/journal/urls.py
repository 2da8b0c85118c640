from django.urls import path

from . import views

app_name = "journal"

urlpatterns = [
    path("", views.journal_list, name="list"),
    # A day is named in the query string (?day=2026-03-16): every trader has every day, so nothing to own.
    path("day/", views.journal_day, name="day"),
    path("day/delete/", views.delete_day, name="delete_day"),
    path("day/screenshots/", views.add_day_attachment, name="add_day_attachment"),
    path(
        "trade/<int:account>/<str:target>/<str:key>/screenshots/",
        views.add_trade_attachment,
        name="add_trade_attachment",
    ),
    # Screenshots are named by a random token, never by a database id.
    path("screenshots/<uuid:token>/", views.attachment_file, name="attachment"),
    path("screenshots/<uuid:token>/thumbnail/", views.attachment_thumbnail, name="thumbnail"),
    path("screenshots/<uuid:token>/delete/", views.delete_attachment, name="delete_attachment"),
]
