"""Chart screenshots (apps/journal): a body over the limit is refused before it is read, a file that is not an
image is refused, and whatever an image carries besides its pixels (EXIF, PNG text, bytes after its end) never
reaches the storage, so a stored file cannot carry a script to anyone."""

import pytest
from django.core.files.storage import storages
from django.test import Client
from django.urls import reverse

from apps.journal import views
from apps.journal.models import Attachment
from apps.journal.tests.images import SCRIPT, jpeg, png, upload


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }


@pytest.fixture
def browser(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def post_screenshot(client, content: bytes, name: str = "chart.png"):
    return client.post(reverse("journal:add_day_attachment"), {"day": "2026-03-16", "image": upload(content, name)})


def stored_bytes() -> list[bytes]:
    storage = storages["attachments"]
    names = [
        name for attachment in Attachment.objects.all() for name in (attachment.image_name, attachment.thumbnail_name)
    ]
    return [storage.open(name).read() for name in names]


def test_an_upload_body_over_the_limit_is_refused_before_it_is_read(browser):
    response = browser.generic(
        "POST",
        reverse("journal:add_day_attachment"),
        b"--x--",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(views.MAX_UPLOAD_BODY + 1),
    )

    assert response.status_code == 413


def test_a_script_named_like_an_image_is_refused(browser):
    post_screenshot(browser, b"<svg onload=alert(1)>" + SCRIPT, name="chart.png")

    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    "content",
    [png(text=SCRIPT), png(appended=SCRIPT), jpeg(description=SCRIPT)],
    ids=["png text chunk", "after the image end", "jpeg exif"],
)
def test_a_script_carried_by_an_image_never_reaches_the_storage(browser, content):
    post_screenshot(browser, content)

    assert Attachment.objects.count() == 1
    assert all(SCRIPT not in data for data in stored_bytes())


def test_a_screenshot_is_served_as_an_image_that_the_browser_may_not_sniff(browser):
    post_screenshot(browser, png())

    response = browser.get(reverse("journal:attachment", args=[Attachment.objects.get().token]))

    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
