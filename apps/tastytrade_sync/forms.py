from django import forms
from django.conf import settings

from apps.trades.models import BrokerAccount

from .models import Connection


def environment_choices() -> list[tuple[str, str]]:
    choices = [(value, label) for value, label in Connection.Environment.choices]
    if not settings.TASTYTRADE_SIMULATOR_URL:
        choices = [c for c in choices if c[0] != Connection.Environment.SIMULATOR]
    return choices


class PersonalGrantForm(forms.Form):
    """Credentials from my.tastytrade.com → Manage → My Profile → API → OAuth Applications."""

    label = forms.CharField(max_length=100, required=False, help_text="A name for this connection, e.g. “Main”.")
    environment = forms.ChoiceField(choices=environment_choices)
    client_secret = forms.CharField(
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Shown once when you created the OAuth application.",
    )
    refresh_token = forms.CharField(
        max_length=4000,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="From “Create Grant” on the application's row.",
    )

    def clean_refresh_token(self) -> str:
        token = self.cleaned_data["refresh_token"]
        if any(ch.isspace() for ch in token):
            raise forms.ValidationError("A refresh token has no spaces; paste it again.")
        return token


class OAuthStartForm(forms.Form):
    environment = forms.ChoiceField(choices=environment_choices)


class AccountsForm(forms.Form):
    """Which of the connection's accounts to sync and report."""

    def __init__(self, *args, accounts: list[BrokerAccount], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = accounts
        for account in accounts:
            self.fields[f"include_{account.pk}"] = forms.BooleanField(
                label=str(account), required=False, initial=account.is_included
            )

    def included_ids(self) -> set[int]:
        return {a.pk for a in self.accounts if self.cleaned_data.get(f"include_{a.pk}")}


class DisconnectForm(forms.Form):
    delete_data = forms.BooleanField(
        required=False,
        label="Also delete this connection's accounts, transactions and P&L",
        help_text="Leave unticked to keep your history and only remove the credentials.",
    )
