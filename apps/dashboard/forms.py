from django import forms

from .layout import DIRECTIONS, WIDGETS


class LayoutForm(forms.Form):
    """The "Edit layout" panel: the widgets to show, and either one widget to move or a reset."""

    shown = forms.MultipleChoiceField(
        choices=[(widget.name, widget.title) for widget in WIDGETS], required=False, widget=forms.CheckboxSelectMultiple
    )
    move = forms.CharField(required=False)  # "<widget>:up" or "<widget>:down", from the button pressed
    reset = forms.BooleanField(required=False)

    def clean_move(self) -> tuple[str, str] | None:
        value = self.cleaned_data["move"]
        if not value:
            return None
        name, _, direction = value.partition(":")
        if name not in {widget.name for widget in WIDGETS} or direction not in DIRECTIONS:
            raise forms.ValidationError("Unknown widget or direction.")
        return name, direction
