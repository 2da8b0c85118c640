from django.urls import path

from . import views

app_name = "trades"

urlpatterns = [
    path("import/", views.import_csv, name="import_csv"),
    path("import/<slug:token>/", views.import_preview, name="import_preview"),
    path("import/<slug:token>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<slug:token>/cancel/", views.import_cancel, name="import_cancel"),
    path("import/<slug:token>/result/", views.import_result, name="import_result"),
    path("import/<slug:token>/status/", views.import_status, name="import_status"),
    # The Trades tab. Positions and chains are named by account and stable key: a rebuild keeps their URLs.
    path("", views.trade_list, name="list"),
    path("<int:account>/position/<str:key>/", views.position_detail, name="detail"),
    path("<int:account>/position/<str:key>/strategy/", views.set_strategy, name="set_strategy"),
    path("<int:account>/chain/<str:key>/", views.chain_detail, name="chain"),
    path("<int:account>/<str:target>/<str:key>/tags/", views.add_tag, name="add_tag"),
    path("<int:account>/<str:target>/<str:key>/tags/remove/", views.remove_tag, name="remove_tag"),
    path("<int:account>/<str:target>/<str:key>/notes/", views.add_note, name="add_note"),
    path("<int:account>/<str:target>/<str:key>/notes/<int:note>/", views.edit_note, name="edit_note"),
    path("<int:account>/<str:target>/<str:key>/notes/<int:note>/delete/", views.delete_note, name="delete_note"),
]
