from django.contrib import admin

from apps.trades.models import (
    BalanceSnapshot,
    BrokerAccount,
    Chain,
    ChainEdit,
    DataIssue,
    Lot,
    Note,
    PnlEvent,
    PnlState,
    Position,
    PositionSnapshot,
    ReconciliationCheck,
    StrategyOverride,
    Tag,
    Transaction,
)


class RebuiltAdmin(admin.ModelAdmin):
    """The P&L engine's results: rebuilt from the ledger, so editing them here would be lost."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BrokerAccount)
class BrokerAccountAdmin(admin.ModelAdmin):
    list_display = ["account_number", "nickname", "user", "margin_or_cash", "is_included", "is_closed"]
    search_fields = ["account_number", "nickname", "user__email"]
    list_select_related = ["user"]


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = [
        "executed_at",
        "account",
        "transaction_type",
        "transaction_sub_type",
        "symbol",
        "quantity",
        "net_value",
    ]
    list_filter = ["transaction_type", "source"]
    search_fields = ["symbol", "underlying_symbol", "description", "=tastytrade_id"]
    list_select_related = ["account"]
    raw_id_fields = ["account", "reverses"]
    date_hierarchy = "executed_at"


@admin.register(PositionSnapshot)
class PositionSnapshotAdmin(admin.ModelAdmin):
    list_display = ["account", "symbol", "quantity", "mark", "as_of"]
    search_fields = ["symbol"]
    list_select_related = ["account"]


@admin.register(BalanceSnapshot)
class BalanceSnapshotAdmin(admin.ModelAdmin):
    list_display = ["account", "snapshot_date", "time_of_day", "cash_balance", "net_liquidating_value"]
    list_select_related = ["account"]


@admin.register(Position)
class PositionAdmin(RebuiltAdmin):
    list_display = ["key", "account", "underlying_symbol", "strategy", "opened_at", "closed_at"]
    list_filter = ["strategy"]
    search_fields = ["key", "underlying_symbol"]
    list_select_related = ["account"]


@admin.register(Lot)
class LotAdmin(RebuiltAdmin):
    list_display = ["key", "symbol", "quantity", "remaining_quantity", "opening_cash", "remaining_cost", "opened_at"]
    search_fields = ["key", "symbol"]
    raw_id_fields = ["position", "opening_transaction"]


@admin.register(PnlEvent)
class PnlEventAdmin(RebuiltAdmin):
    list_display = ["trading_day", "kind", "symbol", "quantity", "opening_cash", "closing_cash", "realized_pnl"]
    list_filter = ["kind", "instrument_type"]
    search_fields = ["key", "symbol", "underlying_symbol"]
    raw_id_fields = ["lot", "position", "closing_transaction"]


@admin.register(Chain)
class ChainAdmin(RebuiltAdmin):
    list_display = ["key", "account", "kind", "underlying_symbol", "position_count", "opened_at", "closed_at"]
    list_filter = ["kind"]


@admin.register(DataIssue)
class DataIssueAdmin(RebuiltAdmin):
    list_display = ["executed_at", "account", "kind", "symbol", "message"]
    list_filter = ["kind"]
    raw_id_fields = ["transaction"]


@admin.register(ReconciliationCheck)
class ReconciliationCheckAdmin(RebuiltAdmin):
    list_display = ["account", "kind", "status", "computed", "broker", "difference", "checked_at"]
    list_filter = ["kind", "status"]


@admin.register(PnlState)
class PnlStateAdmin(RebuiltAdmin):
    list_display = ["account", "last_mode", "watermark", "transaction_count", "computed_at", "engine_version"]
    exclude = ["state", "digests"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "target", "key", "account"]
    search_fields = ["name", "key"]


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["target", "key", "account", "created_at"]
    search_fields = ["text", "key"]


@admin.register(StrategyOverride)
class StrategyOverrideAdmin(admin.ModelAdmin):
    list_display = ["position_key", "strategy", "account"]


@admin.register(ChainEdit)
class ChainEditAdmin(admin.ModelAdmin):
    list_display = ["action", "position_key", "other_position_key", "account", "created_at"]
