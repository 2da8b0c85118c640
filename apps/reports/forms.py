from django import forms
from django.conf import settings

from apps.trades.analytics import BREAKDOWNS

SELECT = "form-select form-select-sm"
INPUT = "form-control form-control-sm"


class ReportForm(forms.Form):
    REPORTS = [
        ("pnl", "P&L by period"),
        ("breakdown", "By underlying and strategy"),
        ("edge", "Edge: win rate and expectancy"),
        ("rolls", "Rolls and campaigns"),
        ("cash-flow", "Cash flow and fees"),
    ]
    GROUPINGS = [("day", "Day"), ("month", "Month"), ("year", "Year")]
    DEFAULT = "month"

    report = forms.ChoiceField(choices=REPORTS, required=False, widget=forms.HiddenInput)
    group = forms.ChoiceField(
        choices=GROUPINGS,
        required=False,
        label="Group by",
        widget=forms.Select(attrs={"class": SELECT}),
    )

    def __init__(self, data=None, **kwargs) -> None:
        if data is not None and not (data.get("group") and data.get("report")):
            data = data.copy()
            # So the select shows what the report shows, and "Show" stays on the same report.
            data["group"] = data.get("group") or self.DEFAULT
            data["report"] = data.get("report") or self.REPORTS[0][0]
        super().__init__(data, **kwargs)

    def grouping(self) -> str:
        self.is_valid()  # an invalid field falls back to its default, the other still counts
        return self.cleaned_data.get("group") or self.DEFAULT

    def selected_report(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("report") or self.REPORTS[0][0]


class PnlExportForm(forms.Form):
    """Which P&L table a CSV export holds: by day, month or year, or by underlying or strategy."""

    by = forms.ChoiceField(choices=[*ReportForm.GROUPINGS, ("underlying", "Underlying"), ("strategy", "Strategy")])

    def grouping(self) -> str:
        return self.cleaned_data["by"] if self.is_valid() else ReportForm.DEFAULT


class EdgeExportForm(forms.Form):
    """Which table of the Edge report a CSV export holds."""

    by = forms.ChoiceField(choices=[(name, name) for name in (*BREAKDOWNS, "management")])

    def breakdown(self) -> str:
        return self.cleaned_data["by"] if self.is_valid() else BREAKDOWNS[0]


class TransactionFilterForm(forms.Form):
    """Narrows the ledger; the same filters drive the Transactions tab and its CSV export."""

    type = forms.ChoiceField(required=False, label="Type", widget=forms.Select(attrs={"class": SELECT}))
    sub_type = forms.ChoiceField(required=False, label="Sub-type", widget=forms.Select(attrs={"class": SELECT}))
    underlying = forms.CharField(
        required=False,
        max_length=32,
        label="Underlying",
        widget=forms.TextInput(attrs={"class": INPUT, "list": "underlyings", "autocomplete": "off"}),
    )
    symbol = forms.CharField(
        required=False,
        max_length=64,
        label="Symbol contains",
        widget=forms.TextInput(attrs={"class": INPUT, "type": "search"}),
    )

    def __init__(self, *args, types: list[str] = (), sub_types: list[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", "Any type"), *((t, t) for t in types)]
        self.fields["sub_type"].choices = [("", "Any sub-type"), *((s, s) for s in sub_types)]

    def clean_underlying(self) -> str:
        return self.cleaned_data["underlying"].strip().upper()

    def clean_symbol(self) -> str:
        return self.cleaned_data["symbol"].strip()

    def filter(self, transactions):
        """The transactions matching the valid filters (an invalid field filters nothing)."""
        self.is_valid()
        data = self.cleaned_data
        if data.get("type"):
            transactions = transactions.filter(transaction_type=data["type"])
        if data.get("sub_type"):
            transactions = transactions.filter(transaction_sub_type=data["sub_type"])
        if data.get("underlying"):
            transactions = transactions.filter(underlying_symbol=data["underlying"])
        if data.get("symbol"):
            transactions = transactions.filter(symbol__icontains=data["symbol"])
        return transactions


class RestoreForm(forms.Form):
    backup = forms.FileField(
        label="Backup file (.json)",
        help_text=f"At most {settings.BACKUP_RESTORE_MAX_MB} MB.",
    )
    confirm = forms.BooleanField(
        label="Replace the data of the accounts in this backup with the backup's copy",
        help_text="Accounts that are not in the backup stay as they are.",
    )
