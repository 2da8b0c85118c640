from django import forms
from django.conf import settings

from apps.trades.analytics import BREAKDOWNS

from .form_1099b import parse_csv
from .models import Form1099BTotals

SELECT = "form-select form-select-sm"
INPUT = "form-control form-control-sm"


class ReportForm(forms.Form):
    REPORTS = [
        ("pnl", "P&L by period"),
        ("breakdown", "By underlying and strategy"),
        ("edge", "Edge: win rate and expectancy"),
        ("returns", "Returns"),
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


class TaxYearForm(forms.Form):
    """Which tax year, and which lines to list (?term=short, long, 1256 or wash)."""

    TERMS = [("", "All lines"), ("short", "Short term"), ("long", "Long term"), ("1256", "Section 1256"),
             ("wash", "Wash sales")]  # fmt: skip

    year = forms.TypedChoiceField(coerce=int, label="Tax year", widget=forms.Select(attrs={"class": SELECT}))
    term = forms.ChoiceField(choices=TERMS, required=False, label="Lines", widget=forms.Select(attrs={"class": SELECT}))

    def __init__(self, data=None, *, years: list[int], default: int, **kwargs) -> None:
        if data is not None and not data.get("year"):
            # No year asked for: the default one, shown selected (not an unchosen field marked in error).
            data = data.copy()
            data["year"] = str(default)
        super().__init__(data, **kwargs)
        self.default = default
        self.fields["year"].choices = [(year, str(year)) for year in sorted({*years, default}, reverse=True)]

    def selected(self) -> tuple[int, str]:
        """(year, term); a value not offered falls back to its default."""
        self.is_valid()
        return self.cleaned_data.get("year") or self.default, self.cleaned_data.get("term") or ""


class Form1099BForm(forms.ModelForm):
    """One box of the 1099-B, as the trader reads it off the form."""

    year = forms.IntegerField(min_value=2000, max_value=2100, widget=forms.HiddenInput)

    class Meta:
        model = Form1099BTotals
        fields = ["box", "proceeds", "cost_basis", "wash_sale_disallowed", "gain_or_loss"]
        widgets = {
            "box": forms.Select(attrs={"class": SELECT}),
            **{name: forms.NumberInput(attrs={"class": INPUT, "step": "0.01"})
               for name in ("proceeds", "cost_basis", "wash_sale_disallowed", "gain_or_loss")},
        }  # fmt: skip

    def rows(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {name: data[name] for name in ("box", "proceeds", "cost_basis", "wash_sale_disallowed", "gain_or_loss")}
        ]


class Form1099BUploadForm(forms.Form):
    """The 1099-B's totals as a CSV: box,proceeds,cost_basis,wash_sale_disallowed,gain_or_loss."""

    year = forms.IntegerField(min_value=2000, max_value=2100, widget=forms.HiddenInput)
    file = forms.FileField(label="1099-B totals (.csv)", widget=forms.ClearableFileInput(attrs={"class": INPUT}))

    MAX_BYTES = 100_000

    def clean_file(self) -> list[dict]:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("A totals file is a few lines; this one is too big.")
        try:
            return parse_csv(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not text (UTF-8 CSV).") from None
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def rows(self) -> list[dict]:
        return self.cleaned_data["file"]


class StoredRestoreForm(forms.Form):
    """Restoring one of the nightly backups the profile lists."""

    confirm = forms.BooleanField(
        label="Replace the data of the accounts in this backup with the backup's copy",
        help_text="Accounts that are not in the backup stay as they are.",
    )


class PeriodGroupingForm(forms.Form):
    """Month or year, for the Income and Money in/out pages (?group=)."""

    GROUPINGS = [("month", "Month"), ("year", "Year")]
    DEFAULT = "month"

    group = forms.ChoiceField(
        choices=GROUPINGS, required=False, label="Group by", widget=forms.Select(attrs={"class": SELECT})
    )

    def grouping(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("group") or self.DEFAULT
