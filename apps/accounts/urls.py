from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("delete/", views.delete_account, name="delete"),
    path("color-mode/", views.set_color_mode, name="color_mode"),
]
