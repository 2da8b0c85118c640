"""Deleting an account removes every row that belongs to the trader, found by walking the models rather
than by a list that a new model could slip past."""

import datetime
from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group
from django.db import models
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.tastytrade_sync.models import Connection
from apps.trades.models import BrokerAccount, Transaction

PASSWORD = "correct-horse-battery"


def paths_to_user(model: type[models.Model], depth: int = 4, seen: tuple = ()) -> Iterator[list[models.Field]]:
    """Every chain of forward foreign keys from ``model`` that ends at User (Transaction -> account -> user)."""
    for field in model._meta.get_fields():
        if not (field.concrete and (field.many_to_one or field.one_to_one)) or field.related_model is None:
            continue
        target = field.related_model
        if target is User:
            yield [field]
        elif depth > 1 and target is not model and target not in seen:
            for rest in paths_to_user(target, depth - 1, (*seen, model)):
                yield [field, *rest]


def models_owned_by_users() -> dict[type[models.Model], list[list[models.Field]]]:
    owned = {}
    for model in apps.get_models(include_auto_created=True):
        if model is not User and (paths := list(paths_to_user(model))):
            owned[model] = paths
    return owned


def rows_of(user_pk: int) -> dict[str, int]:
    """How many rows of each model reach this user id through any chain of foreign keys."""
    counts = {}
    for model, paths in models_owned_by_users().items():
        query = models.Q()
        for path in paths:
            query |= models.Q(**{"__".join(field.name for field in path): user_pk})
        if count := model._base_manager.filter(query).count():
            counts[model._meta.label] = count
    return counts


def give_data_to(user: User) -> None:
    """One row in each table a trader fills by using the app."""
    user.groups.add(Group.objects.get_or_create(name="beta testers")[0])
    social = SocialAccount.objects.create(user=user, provider="google", uid=f"google-{user.pk}")
    SocialToken.objects.create(account=social, token="access-token")
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "encrypted"})
    LogEntry.objects.create(user=user, object_repr="something", action_flag=ADDITION)
    connection = Connection.objects.create(user=user, label="Main")
    account = BrokerAccount.objects.create(user=user, connection=connection, account_number=f"5WT{user.pk:05d}")
    Transaction.objects.create(
        account=account,
        transaction_type="Trade",
        executed_at=timezone.now(),
        transaction_date=datetime.date(2026, 3, 2),
    )


def delete_account(client, email: str, password: str | None = PASSWORD):
    """Confirm on the delete page; allauth then asks for the password again and replays the POST."""
    response = client.post(reverse("accounts:delete"), {"email": email})
    if password is not None and response.get("Location", "").startswith(reverse("account_reauthenticate")):
        response = client.post(response["Location"], {"password": password})
    return response


def test_every_table_that_points_at_a_user_deletes_its_rows_with_the_user():
    for model, paths in models_owned_by_users().items():
        assert any(all(field.remote_field.on_delete is models.CASCADE for field in path) for path in paths), (
            f"{model._meta.label} would keep rows of a deleted user"
        )


def test_deleting_the_account_leaves_no_row_of_that_user(user_client, user):
    give_data_to(user)
    before = rows_of(user.pk)
    assert {
        "account.EmailAddress",
        "socialaccount.SocialAccount",
        "socialaccount.SocialToken",
        "mfa.Authenticator",
        "admin.LogEntry",
        "tastytrade_sync.Connection",
        "trades.BrokerAccount",
        "trades.Transaction",
        "accounts.User_groups",
    } <= before.keys()

    delete_account(user_client, user.email)

    assert not User.objects.filter(pk=user.pk).exists()
    assert rows_of(user.pk) == {}


def test_deleting_an_account_keeps_every_row_of_other_traders(user_client, user, other_user):
    give_data_to(user)
    give_data_to(other_user)
    others_before = rows_of(other_user.pk)

    delete_account(user_client, user.email)

    assert rows_of(other_user.pk) == others_before


def test_deleting_signs_out_and_returns_to_the_landing_page(user_client, user):
    response = delete_account(user_client, user.email)

    assert response["Location"] == reverse("dashboard:landing")
    assert "_auth_user_id" not in user_client.session


def test_the_delete_page_asks_before_deleting_anything(user_client, user):
    response = user_client.get(reverse("accounts:delete"))

    assert response.status_code == 200
    assert "cannot be undone" in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()


def test_the_delete_page_query_count_is_pinned(user_client, user, django_assert_num_queries):
    give_data_to(user)
    with django_assert_num_queries(2):  # session and user
        user_client.get(reverse("accounts:delete"))


def test_deleting_needs_the_accounts_email_address_typed(user_client, user):
    response = delete_account(user_client, "someone@example.com")

    assert response.status_code == 200
    assert "not the email address of this account" in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()


def test_deleting_asks_for_the_password_again(user_client, user):
    response = delete_account(user_client, user.email, password=None)

    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert User.objects.filter(pk=user.pk).exists()


def test_a_wrong_password_does_not_delete(user_client, user):
    delete_account(user_client, user.email, password="not-the-password")

    assert User.objects.filter(pk=user.pk).exists()


def test_a_google_only_trader_deletes_without_a_password(client, db):
    # No password to re-enter: typing the address is the confirmation.
    grace = User.objects.create_user(email="grace@gmail.example", password=None)
    EmailAddress.objects.create(user=grace, email=grace.email, verified=True, primary=True)
    SocialAccount.objects.create(user=grace, provider="google", uid="110248495921238986420")
    client.force_login(grace)

    delete_account(client, grace.email, password=None)

    assert not User.objects.filter(pk=grace.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_signed_out_visitors_cannot_reach_the_delete_page(client, db, method):
    response = getattr(client, method)(reverse("accounts:delete"))

    assert response["Location"].startswith(reverse("account_login"))
