from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from .images import CleanImage, ImageRefused, clean_image
from .models import JournalDay

INPUT = "form-control"
SELECT = "form-select"


def max_file_bytes() -> int:
    return settings.ATTACHMENT_MAX_MB * 1024 * 1024


class AttachmentForm(forms.Form):
    image = forms.FileField(
        label="Chart screenshot",
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control form-control-sm", "accept": "image/png,image/jpeg,image/webp"}
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = f"PNG, JPEG or WebP, up to {filesizeformat(max_file_bytes())}."

    def clean_image(self) -> CleanImage:
        upload = self.cleaned_data["image"]
        if upload.size > max_file_bytes():
            raise forms.ValidationError(
                f"This file is {filesizeformat(upload.size)}; a screenshot can be at most "
                f"{filesizeformat(max_file_bytes())}."
            )
        try:
            image = clean_image(upload.read())
        except ImageRefused as exc:
            raise forms.ValidationError(str(exc)) from exc
        self.original_name = upload.name.replace("\x00", "")[:255]
        return image


class JournalDayForm(forms.ModelForm):
    class Meta:
        model = JournalDay
        fields = ["text", "mood", "discipline"]
        labels = {"text": "What happened today", "mood": "Mood", "discipline": "Discipline"}
        help_texts = {
            "text": "Plain text: line breaks are kept, nothing else is formatted.",
            "mood": "Optional, 1 to 5.",
            "discipline": "Optional, 1 to 5: did you follow your plan?",
        }
        widgets = {
            "text": forms.Textarea(attrs={"class": INPUT, "rows": 10, "maxlength": 20000}),
            "mood": forms.Select(attrs={"class": SELECT}),
            "discipline": forms.Select(attrs={"class": SELECT}),
        }

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].replace("\x00", "").strip()
        if len(text) > 20000:
            raise forms.ValidationError("A day's journal can hold at most 20,000 characters.")
        return text


class DayForm(forms.Form):
    """Which day a journal page or upload is about (?day=2026-03-16)."""

    day = forms.DateField(input_formats=["%Y-%m-%d"])


class MonthForm(forms.Form):
    """Which month the journal list shows (?month=2026-03)."""

    month = forms.DateField(input_formats=["%Y-%m"], required=False)
