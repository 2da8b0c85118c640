from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("dashboard/", views.home, name="home"),
    path("dashboard/layout/", views.edit_layout, name="edit_layout"),
    path("dashboard/positions/", views.positions, name="positions"),
    path("dashboard/positions/refresh-marks/", views.refresh_marks, name="refresh_marks"),
    path("dashboard/positions/payoff/", views.payoff, name="payoff"),
    path("dashboard/positions/payoff/data/", views.payoff_data, name="payoff_data"),
    path("dashboard/transactions/", views.transactions, name="transactions"),
    path("dashboard/calendar/", views.calendar_month, name="calendar"),
    # Dates travel in the query string (?month=2026-03, ?year=2026, ?day=2026-03-16) beside ?account=.
    path("dashboard/calendar/year/", views.calendar_year, name="calendar_year"),
    path("dashboard/calendar/day/", views.calendar_day, name="calendar_day"),
]
