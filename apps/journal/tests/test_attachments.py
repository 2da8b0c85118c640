"""Chart screenshots on a trade: attached, shown as thumbnails on the trade page, served to their owner only,
refused when they are not images or too big, cleaned of metadata, and deleted with everything they hang on."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.tests.test_delete_account import delete_account
from apps.journal.models import Attachment
from apps.trades.models import BrokerAccount, Chain, Position, Target

from .images import SCRIPT, jpeg, png, upload

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def ko(history) -> Position:
    return Position.objects.get(account=history, underlying_symbol="KO")


def attach_url(trade, target: str = Target.POSITION) -> str:
    return reverse(
        "journal:add_trade_attachment", kwargs={"account": trade.account_id, "target": target, "key": trade.key}
    )


def detail_url(position: Position) -> str:
    return reverse("trades:detail", kwargs={"account": position.account_id, "key": position.key})


def attach(client, trade, content: bytes, **kwargs):
    return client.post(attach_url(trade, **kwargs), {"image": upload(content)}, follow=True)


def text_of(response) -> str:
    return response.content.decode().replace("\xa0", " ")  # filesizeformat's non-breaking spaces


def stored_files(folder) -> list:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def test_a_screenshot_attached_to_a_position_shows_as_a_thumbnail_on_its_page(user_client, ko):
    response = attach(user_client, ko, png())

    attachment = Attachment.objects.get()
    assert (attachment.account_id, attachment.target, attachment.key) == (ko.account_id, "position", ko.key)
    assert "Screenshot attached." in response.content.decode()
    assert reverse("journal:thumbnail", args=[attachment.token]) in response.content.decode()


def test_the_owner_gets_the_image_and_its_thumbnail(user_client, ko):
    attach(user_client, ko, png())
    token = Attachment.objects.get().token

    image = user_client.get(reverse("journal:attachment", args=[token]))
    thumbnail = user_client.get(reverse("journal:thumbnail", args=[token]))

    assert (image.status_code, image["Content-Type"]) == (200, "image/png")
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    assert (thumbnail.status_code, thumbnail["Content-Type"]) == (200, "image/webp")
    assert image["Cache-Control"] == "no-store"


def test_another_traders_screenshot_is_404(user_client, other_client, ko):
    attach(user_client, ko, png())
    token = Attachment.objects.get().token

    for name in ("journal:attachment", "journal:thumbnail"):
        assert other_client.get(reverse(name, args=[token])).status_code == 404
    assert other_client.post(reverse("journal:delete_attachment", args=[token])).status_code == 404
    assert Attachment.objects.exists()


def test_attaching_to_another_traders_position_is_404(other_client, ko):
    assert attach(other_client, ko, png()).status_code == 404
    assert not Attachment.objects.exists()


def test_a_screenshot_attaches_to_a_chain_too(user_client, history):
    chain = Chain.objects.filter(account=history).first() or Chain.objects.create(
        account=history, key="chain-1", underlying_symbol="KO", opened_at=Position.objects.first().opened_at
    )

    attach(user_client, chain, png(), target=Target.CHAIN)

    page = user_client.get(reverse("trades:chain", kwargs={"account": chain.account_id, "key": chain.key}))
    assert reverse("journal:thumbnail", args=[Attachment.objects.get().token]) in page.content.decode()


def test_a_file_that_is_not_an_image_is_refused_in_words(user_client, ko, attachments_folder):
    response = attach(user_client, ko, b"%PDF-1.7 not a chart")

    assert "Not attached: This file is not a PNG, JPEG or WebP image" in response.content.decode()
    assert not Attachment.objects.exists()
    assert stored_files(attachments_folder) == []


def test_an_image_over_the_size_limit_is_refused_with_its_size(user_client, ko, settings):
    settings.ATTACHMENT_MAX_MB = 1
    big = png(appended=b"\0" * (1024 * 1024))

    response = attach(user_client, ko, big)

    assert "a screenshot can be at most 1.0 MB" in text_of(response)
    assert not Attachment.objects.exists()


def test_a_script_in_a_png_text_chunk_never_reaches_the_stored_bytes(user_client, ko, attachments_folder):
    attach(user_client, ko, png(text=SCRIPT))

    files = stored_files(attachments_folder)
    assert len(files) == 2  # the image and its thumbnail
    assert all(SCRIPT not in path.read_bytes() for path in files)


def test_a_jpegs_exif_never_reaches_the_stored_bytes(user_client, ko, attachments_folder):
    attach(user_client, ko, jpeg(description=SCRIPT))

    for path in stored_files(attachments_folder):
        assert SCRIPT not in path.read_bytes() and b"Pixel 9" not in path.read_bytes()


def test_the_per_trader_quota_refuses_an_upload_past_it(user_client, ko, settings):
    settings.ATTACHMENT_MAX_MB, settings.ATTACHMENT_QUOTA_MB = 1, 1
    Attachment.objects.create(
        user=ko.account.user, target="position", account=ko.account, key=ko.key, image_name="a", thumbnail_name="b",
        content_type="image/png", width=1, height=1, size=1024 * 1024 - 10,
    )  # fmt: skip

    response = attach(user_client, ko, png())

    assert "Your screenshots use 1024.0 KB of 1.0 MB" in text_of(response)
    assert Attachment.objects.count() == 1


def test_deleting_a_screenshot_deletes_its_files_once_committed(
    user_client, ko, attachments_folder, django_capture_on_commit_callbacks
):
    attach(user_client, ko, png())

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(reverse("journal:delete_attachment", args=[Attachment.objects.get().token]))

    assert response["Location"] == detail_url(ko) + "#screenshots"
    assert not Attachment.objects.exists()
    assert stored_files(attachments_folder) == []


def test_a_delete_that_is_rolled_back_keeps_the_files(
    user_client, ko, attachments_folder, django_capture_on_commit_callbacks
):
    attach(user_client, ko, png())

    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        Attachment.objects.get().delete()
        raise RuntimeError("rolled back")

    assert callbacks == []
    assert Attachment.objects.exists()
    assert len(stored_files(attachments_folder)) == 2


def test_deleting_the_broker_account_deletes_its_trades_screenshots_and_files(
    user_client, ko, attachments_folder, django_capture_on_commit_callbacks
):
    attach(user_client, ko, png())

    with django_capture_on_commit_callbacks(execute=True):
        BrokerAccount.objects.filter(pk=ko.account_id).delete()

    assert not Attachment.objects.exists()
    assert stored_files(attachments_folder) == []


def test_deleting_the_trader_deletes_their_screenshots_and_files(
    user_client, other_client, user, ko, attachments_folder, django_capture_on_commit_callbacks
):
    attach(user_client, ko, png())
    theirs = other_client.post(reverse("journal:add_day_attachment"), {"day": "2026-03-16", "image": upload(png())})
    assert theirs.status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        user.delete()

    assert Attachment.objects.count() == 1  # the other trader's
    assert len(stored_files(attachments_folder)) == 2


def test_deleting_the_account_from_the_profile_deletes_the_screenshot_files(
    user_client, user, ko, attachments_folder, django_capture_on_commit_callbacks
):
    attach(user_client, ko, png())

    with django_capture_on_commit_callbacks(execute=True):
        delete_account(user_client, user.email)

    assert not Attachment.objects.exists()
    assert stored_files(attachments_folder) == []


def page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_a_position_page_costs_the_same_queries_with_one_or_five_screenshots(
    user_client, ko, django_assert_max_num_queries
):
    attach(user_client, ko, png())
    with django_assert_max_num_queries(13):
        one = page_queries(user_client, detail_url(ko))
    for _ in range(4):
        attach(user_client, ko, png())

    assert page_queries(user_client, detail_url(ko)) == one
    assert user_client.get(detail_url(ko)).content.decode().count("/thumbnail/") == 5
