"""The sign-up email: our own subject and words, and a link that survives a console or a copy and paste."""

import email.policy
import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse


@pytest.fixture
def sent(client, db):
    password = "correct-horse-battery-1"
    data = {"email": "new@example.com", "password1": password, "password2": password}
    client.post(reverse("account_signup"), data)
    assert len(mail.outbox) == 1
    return mail.outbox[0]


def test_the_subject_names_the_product(sent):
    assert sent.subject == f"[{settings.SITE_NAME}] Confirm your email address to start using {settings.SITE_NAME}"


def test_the_text_says_what_the_product_does(sent):
    assert f"Welcome to {settings.SITE_NAME}, the open-source trading journal for TastyTrade accounts." in sent.body


def test_the_confirmation_link_is_whole_on_its_own_line(sent):
    raw = sent.message().as_string()
    link = re.search(r"^(https?://\S+/accounts/confirm-email/\S+/)$", raw, re.MULTILINE)[1]
    assert link.startswith(settings.SITE_URL) and "=\n" not in raw.split(link)[0][-2:]


def test_the_body_is_not_quoted_printable(sent):
    message = sent.message()
    assert message["Content-Transfer-Encoding"] in {"7bit", "8bit"}


def test_the_body_is_not_quoted_printable_over_smtp_either(sent):
    assert sent.message(policy=email.policy.SMTP)["Content-Transfer-Encoding"] in {"7bit", "8bit"}
