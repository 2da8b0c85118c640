import re
from datetime import date

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxValueValidator, MinValueValidator
from django.template.defaultfilters import filesizeformat

from apps.trades.csv_import import account_number_from_file_name
from apps.trades.models import Strategy

# TastyTrade exports at most 1,000 rows per file (about 250 KB), so a trader's whole history comes as many
# files. The limits let 75,000 rows through in one upload: 75 files of 1,000 rows at up to 250 bytes a row is
# about 19 MB, so 90 files of at most 1 MB, 20 MB in all (under Django's DATA_UPLOAD_MAX_NUMBER_FILES of 100,
# so a few files too many still get this form's message, not a 400). The preview and the import run in a task
# (apps/trades/tasks.py), so the size no longer bounds a request's work.
MAX_FILE_SIZE = 1024 * 1024
MAX_FILES = 90
MAX_TOTAL_SIZE = 20 * 1024 * 1024
# The whole request body, refused before it is read (RequestBodyLimitMiddleware): the files plus room for the
# multipart headers of each and the form's other fields.
MAX_UPLOAD_BODY = MAX_TOTAL_SIZE + 256 * 1024
# Uploads waiting for their confirmation, per trader; beyond these the oldest waiting ones are dropped.
MAX_PENDING_SIZE = 2 * MAX_TOTAL_SIZE
MAX_PENDING_UPLOADS = 10
ACCOUNT_NUMBER_RE = re.compile(r"^[A-Z0-9]{1,32}$")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files at once (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data] or [single(None, initial)]
        return [single(data, initial)]


class CsvUploadForm(forms.Form):
    files = MultipleFileField(
        label="CSV files",
        help_text=(
            f"Up to {MAX_FILES} files of at most {filesizeformat(MAX_FILE_SIZE)} each, from tastytrade's "
            "Activity → History → Transactions export (any of its three formats)."
        ),
    )
    account_number = forms.CharField(
        max_length=32,
        required=False,
        help_text="Leave empty to take it from the file names tastytrade gives its exports.",
    )
    skip_bad_rows = forms.BooleanField(
        required=False,
        label="Skip rows that cannot be read",
        help_text="Otherwise a file with a bad row is not imported at all. You can still change your mind on the "
        "preview.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs.update(
            {
                "accept": ".csv,text/csv",
                "data-max-file-size": MAX_FILE_SIZE,
                "data-max-files": MAX_FILES,
                "data-max-total-size": MAX_TOTAL_SIZE,
            }
        )
        self.fields["account_number"].widget.attrs.update(
            {"list": "account-numbers", "autocomplete": "off", "placeholder": "5WT00001"}
        )

    def clean_files(self) -> list[UploadedFile]:
        uploads = self.cleaned_data["files"]
        if len(uploads) > MAX_FILES:
            raise forms.ValidationError(f"Choose at most {MAX_FILES} files at a time (you chose {len(uploads)}).")
        for upload in uploads:
            if upload.size > MAX_FILE_SIZE:
                raise forms.ValidationError(
                    f"“{upload.name}” is {filesizeformat(upload.size)}; the limit is {filesizeformat(MAX_FILE_SIZE)} "
                    "per file. Export a shorter date range and upload the files together."
                )
        total = sum(upload.size for upload in uploads)
        if total > MAX_TOTAL_SIZE:
            raise forms.ValidationError(
                f"These files add up to {filesizeformat(total)}; the limit is {filesizeformat(MAX_TOTAL_SIZE)} "
                "per upload. Upload them in a few batches."
            )
        return uploads  # read chunk by chunk when stored (views.keep_upload), never whole

    def clean_account_number(self) -> str:
        number = self.cleaned_data["account_number"].strip().upper()
        if number and not ACCOUNT_NUMBER_RE.match(number):
            raise forms.ValidationError("An account number has only letters and digits, like 5WT00001.")
        return number

    def clean(self):
        cleaned = super().clean()
        files = cleaned.get("files")
        if files and not cleaned.get("account_number"):
            named = {account_number_from_file_name(f.name) for f in files}
            if len(named) == 1 and None not in named and ACCOUNT_NUMBER_RE.match(number := named.pop()):
                cleaned["account_number"] = number
            else:
                self.add_error(
                    "account_number",
                    "Enter the account number: the file names do not say which account they are from.",
                )
        return cleaned


class ConfirmImportForm(forms.Form):
    skip_bad_rows = forms.BooleanField(required=False)


# -- The Trades tab: filters, tags, notes and the strategy override -------------------------------------

SELECT = "form-select form-select-sm"
INPUT = "form-control form-control-sm"


class TradeFilterForm(forms.Form):
    """Narrows the Trades tab (and its CSV) to positions or chains by status, underlying, strategy and tag.

    The date range comes from the page's scope: a trade shows when it was open on any day of the range.
    """

    SHOW = [("positions", "Positions"), ("chains", "Chains (rolls and wheels)")]
    STATUS = [("", "Open and closed"), ("open", "Open"), ("closed", "Closed")]

    show = forms.ChoiceField(choices=SHOW, required=False, label="Show", widget=forms.Select(attrs={"class": SELECT}))
    status = forms.ChoiceField(
        choices=STATUS, required=False, label="Status", widget=forms.Select(attrs={"class": SELECT})
    )
    underlying = forms.CharField(
        required=False,
        max_length=32,
        label="Underlying",
        widget=forms.TextInput(attrs={"class": INPUT, "list": "underlyings", "autocomplete": "off"}),
    )
    strategy = forms.ChoiceField(required=False, label="Strategy", widget=forms.Select(attrs={"class": SELECT}))
    tag = forms.ChoiceField(required=False, label="Tag", widget=forms.Select(attrs={"class": SELECT}))

    def __init__(self, *args, tags: list[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["strategy"].choices = [("", "Any strategy"), *Strategy.choices]
        self.fields["tag"].choices = [("", "Any tag"), *((tag, tag) for tag in tags)]

    def clean_underlying(self) -> str:
        return self.cleaned_data["underlying"].strip().upper()

    @property
    def filters(self) -> dict:
        """The valid filters (an invalid field filters nothing)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}

    @property
    def shows_chains(self) -> bool:
        return self.filters.get("show") == "chains"


class TagForm(forms.Form):
    name = forms.CharField(
        max_length=50,
        label="Tag",
        widget=forms.TextInput(attrs={"class": INPUT, "placeholder": "earnings, 0DTE, mistake…", "list": "tags"}),
    )

    def clean_name(self) -> str:
        # One spelling per tag: "Earnings play " and "earnings  play" are the same tag.
        return " ".join(self.cleaned_data["name"].split()).lower()


class NoteForm(forms.Form):
    text = forms.CharField(max_length=5000, label="Note", widget=forms.Textarea(attrs={"class": INPUT, "rows": 3}))

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("A note needs some text.")
        return text


class StrategyForm(forms.Form):
    strategy = forms.ChoiceField(required=False, label="Strategy", widget=forms.Select(attrs={"class": SELECT}))

    def __init__(self, *args, detected: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        detected_label = Strategy(detected).label if detected in Strategy.values else "none"
        self.fields["strategy"].choices = [("", f"As detected ({detected_label})"), *Strategy.choices]


class DateInput(forms.DateInput):
    input_type = "date"


# Days far enough apart for any ledger, and far enough from date.min and date.max that a day's start in any time
# zone, or the day after the end, is still a datetime (0001-01-01 or 9999-12-31 in a URL would crash the page).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


class PeriodForm(forms.Form):
    """The date range of a page: trading days, both ends included; an empty end is open."""

    start = forms.DateField(
        required=False,
        label="From",
        widget=DateInput,
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
    )
    end = forms.DateField(
        required=False,
        label="To",
        widget=DateInput,
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError("The start date is after the end date.")
        return cleaned
