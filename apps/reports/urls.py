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
    path("returns.csv", views.returns_csv, name="returns_csv"),
    path("pnl-events.csv", views.pnl_events_csv, name="pnl_events_csv"),
    path("trades.csv", views.trades_csv, name="trades_csv"),
    path("tax/", views.tax_year, name="tax"),
    path("tax/form-8949.csv", views.tax_csv, {"kind": "8949"}, name="tax_8949_csv"),
    path("tax/form-6781.csv", views.tax_csv, {"kind": "6781"}, name="tax_6781_csv"),
    path("tax/lots.csv", views.tax_csv, {"kind": "lines"}, name="tax_lines_csv"),
    path("tax.json", views.tax_json, name="tax_json"),
    path("tax/1099-b/", views.tax_1099b, name="tax_1099b"),
    path("income/", views.income_page, name="income"),
    path("income.csv", views.income_csv, name="income_csv"),
    path("money-in-out/", views.transfers_page, name="transfers"),
    path("money-in-out.csv", views.transfers_csv, name="transfers_csv"),
    path("backup.json", views.backup_download, name="backup"),
    path("restore/", views.restore, name="restore"),
    # The nightly backups listed on the profile, named by a random token.
    path("backups/<uuid:token>/", views.stored_backup_download, name="stored_backup"),
    path("backups/<uuid:token>/restore/", views.restore_stored_backup, name="restore_stored_backup"),
    path("restore/<int:pk>/", views.restore_progress, name="restore_progress"),
    path("restore/<int:pk>/status/", views.restore_status, name="restore_status"),
]
