"""Fixtures shared by every app's tests: two users and their signed-in clients."""

import pytest
from allauth.account.models import EmailAddress

from apps.accounts.models import User


def make_user(email: str, password: str = "correct-horse-battery") -> User:
    user = User.objects.create_user(email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def user(db) -> User:
    return make_user("alice@example.com")


@pytest.fixture
def other_user(db) -> User:
    return make_user("bob@example.com")


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def other_client(db, other_user):
    from django.test import Client

    other = Client()
    other.force_login(other_user)
    return other
