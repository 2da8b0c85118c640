"""Form states: a failed submit marks the fields in error, and never marks the others valid."""

from django.urls import reverse


def failed_sign_up(client) -> str:
    data = {"email": "new@example.com", "password1": "correct-horse-battery", "password2": "something-else-9"}
    response = client.post(reverse("account_signup"), data)
    assert response.status_code == 200
    return response.content.decode()


def test_a_failed_sign_up_marks_no_field_valid(client, db):
    assert "is-valid" not in failed_sign_up(client)


def test_a_failed_sign_up_marks_the_field_in_error(client, db):
    html = failed_sign_up(client)
    assert 'aria-invalid="true"' in html and "invalid-feedback" in html


def test_a_failed_profile_save_marks_no_field_valid(user_client):
    response = user_client.post(reverse("accounts:profile"), {"time_zone": "Not/AZone"})
    assert response.status_code == 200 and "is-valid" not in response.content.decode()
