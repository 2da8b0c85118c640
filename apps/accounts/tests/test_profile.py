"""The profile page: display name, time zone, sync on sign-in and how the trader signs in."""

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from apps.accounts.models import User


def test_the_profile_shows_the_traders_own_settings(user_client, user):
    response = user_client.get(reverse("accounts:profile"))

    assert response.status_code == 200
    assert response.context["form"].instance == user
    assert 'value="America/New_York" selected' in response.content.decode()


def test_saving_the_profile_changes_name_time_zone_and_sync_on_sign_in(user_client, user):
    response = user_client.post(
        reverse("accounts:profile"), {"display_name": "Alice T.", "time_zone": "Europe/Berlin", "sync_on_login": ""}
    )

    assert response["Location"] == reverse("accounts:profile")
    user.refresh_from_db()
    assert (user.display_name, user.time_zone, user.sync_on_login) == ("Alice T.", "Europe/Berlin", False)


def test_an_unknown_time_zone_is_refused(user_client, user):
    response = user_client.post(reverse("accounts:profile"), {"display_name": "", "time_zone": "Mars/Olympus_Mons"})

    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"]
    user.refresh_from_db()
    assert user.time_zone == "America/New_York"


def test_the_profile_lists_connected_sign_in_methods(user_client, user):
    SocialAccount.objects.create(user=user, provider="google", uid="1", extra_data={"email": "alice@gmail.example"})

    content = user_client.get(reverse("accounts:profile")).content.decode()

    assert "Google" in content
    assert "alice@gmail.example" in content
    assert "and a password" in content


def test_the_profile_page_query_count_does_not_grow_with_connected_accounts(
    user_client, user, django_assert_num_queries
):
    SocialAccount.objects.create(user=user, provider="google", uid="1")
    with django_assert_num_queries(5):  # session, user, sign-in providers, authenticator, nightly backups
        user_client.get(reverse("accounts:profile"))
    SocialAccount.objects.create(user=user, provider="apple", uid="2")
    with django_assert_num_queries(5):
        user_client.get(reverse("accounts:profile"))


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("accounts:profile"))

    assert response["Location"] == f"{reverse('account_login')}?next={reverse('accounts:profile')}"


def test_each_trader_sees_and_saves_only_their_own_profile(user_client, other_client, user, other_user):
    other_client.post(reverse("accounts:profile"), {"display_name": "Bob", "time_zone": "Asia/Tokyo"})

    assert other_client.get(reverse("accounts:profile")).context["form"].instance == other_user
    assert user.email not in other_client.get(reverse("accounts:profile")).content.decode()
    user.refresh_from_db()
    assert (user.display_name, user.time_zone) == ("", "America/New_York")


def test_another_traders_google_account_cannot_be_disconnected(other_client, user):
    alices = SocialAccount.objects.create(user=user, provider="google", uid="1")

    other_client.post(reverse("socialaccount_connections"), {"account": alices.pk})

    assert SocialAccount.objects.filter(pk=alices.pk).exists()


def test_another_traders_email_address_cannot_be_changed(other_client, user):
    other_client.post(reverse("account_email"), {"action_remove": "", "email": user.email})
    other_client.post(reverse("account_email"), {"action_send": "", "email": user.email})

    assert EmailAddress.objects.get(user=user).email == user.email
    assert User.objects.get(pk=user.pk).email == user.email


def test_the_profile_saves_the_management_thresholds(user_client, user):
    data = {"display_name": "", "time_zone": user.time_zone, "profit_target_percent": 40, "management_dte": 14}
    user_client.post(reverse("accounts:profile"), data)
    user.refresh_from_db()
    assert (user.profit_target_percent, user.management_dte) == (40, 14)


def test_a_profit_target_above_100_percent_is_refused(user_client, user):
    data = {"display_name": "", "time_zone": user.time_zone, "profit_target_percent": 150, "management_dte": 21}
    response = user_client.post(reverse("accounts:profile"), data)
    assert response.context["form"].errors["profit_target_percent"]


def test_the_concentration_warning_threshold_is_saved_from_the_profile(user_client, user):
    data = {"display_name": "", "time_zone": user.time_zone, "concentration_warning_percent": 15}
    user_client.post(reverse("accounts:profile"), data)
    user.refresh_from_db()
    assert user.concentration_warning_percent == 15
