from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("cash-flow.csv", views.cash_flow_csv, name="cash_flow_csv"),
    path("transactions.csv", views.transactions_csv, name="transactions_csv"),
    path("positions.csv", views.positions_csv, name="positions_csv"),
    path("pnl.csv", views.pnl_csv, name="pnl_csv"),
    path("edge.csv", views.edge_csv, name="edge_csv"),
    path("rolls.csv", views.rolls_csv, name="rolls_csv"),
    path("pnl-events.csv", views.pnl_events_csv, name="pnl_events_csv"),
    path("trades.csv", views.trades_csv, name="trades_csv"),
    path("backup.json", views.backup_download, name="backup"),
    path("restore/", views.restore, name="restore"),
    path("restore/<int:pk>/", views.restore_progress, name="restore_progress"),
    path("restore/<int:pk>/status/", views.restore_status, name="restore_status"),
]
