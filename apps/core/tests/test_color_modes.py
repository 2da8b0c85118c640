"""Colour modes: light, dark or the system's, chosen in the profile or the navbar, set on <html> by the server."""

import re

import pytest
from django.urls import reverse

from apps.accounts.models import ColorMode


def html_tag(client, name: str = "dashboard:home") -> str:
    return re.search(r"<html[^>]*>", client.get(reverse(name)).content.decode())[0]


def test_a_new_user_follows_the_system(user):
    assert user.color_mode == ColorMode.SYSTEM


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_a_chosen_mode_is_set_by_the_server_so_the_page_never_flashes(user_client, user, mode):
    user.color_mode = mode
    user.save()
    assert f'data-bs-theme="{mode}" data-color-mode="{mode}"' in html_tag(user_client)


def test_system_mode_is_left_to_the_script_in_the_head(user_client):
    html = user_client.get(reverse("dashboard:home")).content.decode()
    assert 'data-color-mode="system"' in html_tag(user_client)
    assert html.index("js/theme.js") < html.index("</head>")


def test_a_visitor_follows_the_system(client, db):
    assert 'data-color-mode="system"' in html_tag(client, "dashboard:landing")


def test_the_navbar_switch_saves_the_mode_and_returns_to_the_page(user_client, user):
    response = user_client.post(reverse("accounts:color_mode"), {"color_mode": "dark", "next": "/reports/"})
    user.refresh_from_db()
    assert (response.status_code, response.url, user.color_mode) == (302, "/reports/", "dark")


def test_the_switch_never_returns_to_another_site(user_client):
    response = user_client.post(reverse("accounts:color_mode"), {"color_mode": "dark", "next": "https://evil.example/"})
    assert response.url == reverse("accounts:profile")


def test_the_switchs_script_gets_an_empty_answer(user_client):
    response = user_client.post(
        reverse("accounts:color_mode"), {"color_mode": "light"}, headers={"X-Requested-With": "fetch"}
    )
    assert response.status_code == 204


def test_an_unknown_mode_is_not_saved(user_client, user):
    user_client.post(reverse("accounts:color_mode"), {"color_mode": "purple"})
    user.refresh_from_db()
    assert user.color_mode == ColorMode.SYSTEM


def test_the_profile_saves_a_colour_mode(user_client, user):
    data = {"time_zone": "America/New_York", "color_mode": "dark", "profit_target_percent": 50, "management_dte": 21}
    user_client.post(reverse("accounts:profile"), data)
    user.refresh_from_db()
    assert user.color_mode == "dark"


def test_the_navbar_marks_the_current_mode(user_client, user):
    user.color_mode = "light"
    user.save()
    html = user_client.get(reverse("dashboard:home")).content.decode()
    assert re.search(r'value="light" class="dropdown-item active" aria-pressed="true"', html)
