from django import forms

from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "display_name",
            "time_zone",
            "sync_on_login",
            "sync_scheduled",
            "profit_target_percent",
            "management_dte",
            "concentration_warning_percent",
        ]
        labels = {"display_name": "Display name", "time_zone": "Time zone"}
        help_texts = {
            "display_name": "Shown in the menu. Leave it empty to use the start of your email address.",
            "time_zone": "Decides which day a trade belongs to, and the times you see.",
            "sync_on_login": "Fetch new transactions from TastyTrade each time you sign in.",
            "sync_scheduled": "Fetch new transactions from TastyTrade on the site's schedule, even when you are away.",
            "profit_target_percent": "The Edge report counts short premium trades closed at or above this share of "
            "their max profit.",
            "management_dte": "The Edge report counts short premium trades still open when fewer days than this "
            "were left to expiration.",
            "concentration_warning_percent": "The Positions page marks an underlying whose capital at risk is more "
            "than this share of your net liquidating value.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Left empty, a threshold keeps its value (the Edge report always has one to work with).
        for name in ("profit_target_percent", "management_dte", "concentration_warning_percent"):
            self.fields[name].required = False

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
