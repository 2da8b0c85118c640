from django import forms

from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "display_name",
            "time_zone",
            "color_mode",
            "sync_on_login",
            "sync_scheduled",
            "backup_nightly",
            "profit_target_percent",
            "management_dte",
            "concentration_warning_percent",
        ]
        labels = {"display_name": "Display name", "time_zone": "Time zone", "color_mode": "Colour mode"}
        help_texts = {
            "display_name": "Shown in the menu. Leave it empty to use the start of your email address.",
            "time_zone": "Decides which day a trade belongs to, and the times you see.",
            "color_mode": "Light, dark, or what your device uses. The menu's sun and moon button switches too.",
            "sync_on_login": "Fetch new transactions from TastyTrade each time you sign in.",
            "sync_scheduled": "Fetch new transactions from TastyTrade on the site's schedule, even when you are away.",
            "backup_nightly": "Each night a full backup of your accounts, transactions, tags, notes and journal "
            "is kept privately here; the last 7 are listed below to download or restore.",
            "profit_target_percent": "The Edge report counts short premium trades closed at or above this share of "
            "their max profit.",
            "management_dte": "The Edge report counts short premium trades still open when fewer days than this "
            "were left to expiration.",
            "concentration_warning_percent": "The Positions page marks an underlying whose capital at risk is more "
            "than this share of your net liquidating value.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Left empty, a threshold keeps its value (the Edge report always has one to work with); so does the
        # colour mode, which the navbar's switch may have changed since this form was drawn.
        for name in ("profit_target_percent", "management_dte", "concentration_warning_percent", "color_mode"):
            self.fields[name].required = False

    def clean_color_mode(self) -> str:
        return self.cleaned_data["color_mode"] or self.instance.color_mode

    def clean_profit_target_percent(self) -> int:
        return self.cleaned_data["profit_target_percent"] or self.instance.profit_target_percent

    def clean_management_dte(self) -> int:
        return self.cleaned_data["management_dte"] or self.instance.management_dte

    def clean_concentration_warning_percent(self) -> int:
        return self.cleaned_data["concentration_warning_percent"] or self.instance.concentration_warning_percent


class DeleteAccountForm(forms.Form):
    """Typing the address makes deleting a deliberate act, also for Google and Apple users who have no
    password to re-enter."""

    email = forms.CharField(label="Type your email address to confirm")

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email.lower() != self.user.email.lower():
            raise forms.ValidationError("That is not the email address of this account.")
        return email


class ColorModeForm(forms.ModelForm):
    """The navbar's colour mode switch."""

    class Meta:
        model = User
        fields = ["color_mode"]
