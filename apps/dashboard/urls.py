from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("dashboard/", views.home, name="home"),
    path("dashboard/positions/", views.positions, name="positions"),
    path("dashboard/positions/refresh-marks/", views.refresh_marks, name="refresh_marks"),
    path("dashboard/positions/payoff/", views.payoff, name="payoff"),
    path("dashboard/transactions/", views.transactions, name="transactions"),
]
