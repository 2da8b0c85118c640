from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("dashboard/", views.home, name="home"),
    path("dashboard/positions/", views.positions, name="positions"),
    path("dashboard/positions/refresh-marks/", views.refresh_marks, name="refresh_marks"),
    path("dashboard/transactions/", views.transactions, name="transactions"),
    path("dashboard/calendar/", views.calendar_month, name="calendar"),
    path("dashboard/calendar/<int:year>/", views.calendar_year, name="calendar_year"),
    path("dashboard/calendar/<int:year>/<int:month>/", views.calendar_month, name="calendar_month"),
    path("dashboard/calendar/<int:year>/<int:month>/<int:day>/", views.calendar_day, name="calendar_day"),
]
