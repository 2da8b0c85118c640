"""Signing in, in a real browser: email and password, and Google through the loopback fake Google."""

import re

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import Page, expect

from apps.accounts.tests.fake_google import FakeGoogle

pytestmark = pytest.mark.browser


def test_sign_in_with_google_from_the_landing_page(browser_page: Page, fake_google: FakeGoogle):
    page = browser_page
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_role("button", name="Sign in with Google").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(fake_google.url)}/o/oauth2/v2/auth\?"))
    page.get_by_role("button", name="Continue as grace@gmail.example").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("navigation", name="Main navigation")).to_contain_text("grace")
    assert SocialAccount.objects.get(provider="google").user.email == "grace@gmail.example"


def test_sign_in_with_email_and_password(signed_in_page: Page):
    signed_in_page.get_by_role("button", name="alice").click()
    signed_in_page.get_by_role("link", name="Profile").click()

    expect(signed_in_page).to_have_url(re.compile(r"/profile/$"))
    expect(signed_in_page.get_by_role("heading", name="Profile")).to_be_visible()


def test_a_wrong_password_keeps_the_visitor_signed_out(browser_page: Page, user):
    browser_page.goto("/accounts/login/")
    browser_page.get_by_label("Email").fill(user.email)
    browser_page.get_by_label("Password").fill("not-the-password")
    browser_page.get_by_role("button", name="Sign in", exact=True).click()

    expect(browser_page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
    expect(browser_page).to_have_url(re.compile(r"/accounts/login/$"))
