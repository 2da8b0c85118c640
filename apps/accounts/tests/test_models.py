import pytest
from django.db import IntegrityError

from apps.accounts.models import User


def test_email_is_stored_lower_case(db):
    assert User.objects.create_user("Alice@Example.COM", "pw-123456789").email == "alice@example.com"


def test_sign_in_lookup_ignores_case(db):
    User.objects.create_user("alice@example.com", "pw-123456789")
    assert User.objects.get_by_natural_key("ALICE@example.com").email == "alice@example.com"


def test_two_users_cannot_share_an_address_in_different_case(db):
    User.objects.create_user("alice@example.com", "pw-123456789")
    with pytest.raises(IntegrityError):
        User.objects.create(email="ALICE@example.com")


def test_new_users_count_days_in_new_york_time(db):
    assert User.objects.create_user("a@example.com").time_zone == "America/New_York"


def test_superuser_is_staff(db):
    assert User.objects.create_superuser("root@example.com", "pw-123456789").is_staff


def test_user_has_no_username_field():
    assert "username" not in {f.name for f in User._meta.get_fields()}
