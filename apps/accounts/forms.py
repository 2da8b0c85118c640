from django import forms

from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "time_zone", "sync_on_login", "sync_scheduled"]
        labels = {"display_name": "Display name", "time_zone": "Time zone"}
        help_texts = {
            "display_name": "Shown in the menu. Leave it empty to use the start of your email address.",
            "time_zone": "Decides which day a trade belongs to, and the times you see.",
            "sync_on_login": "Fetch new transactions from TastyTrade each time you sign in.",
            "sync_scheduled": "Fetch new transactions from TastyTrade on the site's schedule, even when you are away.",
        }


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
