"""The daily journal: one entry per trading day in plain text (escaped, line breaks kept), optional mood and
discipline from 1 to 5, screenshots of the day; a list by month; the calendar's day partial."""

from datetime import date

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from apps.journal.days import day_journal
from apps.journal.models import Attachment, JournalDay

from .images import png, upload

pytestmark = pytest.mark.usefixtures("frozen_clock")  # Monday 16 March 2026

DAY = date(2026, 3, 16)


def day_url(day: str = "2026-03-16") -> str:
    return f"{reverse('journal:day')}?day={day}"


def write(client, text: str = "Sold the QQQ put.", **fields):
    return client.post(day_url(), {"text": text, "mood": "", "discipline": "", **fields})


def test_a_day_is_written_once_and_saved_again_in_place(user_client, user):
    write(user_client, "first")
    response = write(user_client, "second", mood="4", discipline="5")

    entry = JournalDay.objects.get(user=user)
    assert (entry.day, entry.text, entry.mood, entry.discipline) == (DAY, "second", 4, 5)
    assert response["Location"] == day_url()


def test_mood_and_discipline_are_optional(user_client, user):
    write(user_client)

    assert JournalDay.objects.get(user=user).mood is None


@pytest.mark.parametrize("score", ["0", "6", "x"])
def test_a_score_outside_one_to_five_is_refused(user_client, user, score):
    response = write(user_client, mood=score)

    assert response.status_code == 200
    assert not JournalDay.objects.exists()


def test_the_text_is_shown_escaped_with_its_line_breaks(user_client):
    write(user_client, "Waited for the open.\n<b>Sold</b> the put")

    page = user_client.get(day_url()).content.decode()
    partial = render_to_string(
        "trades/includes/_day_journal.html", day_journal(user=JournalDay.objects.get().user, day=DAY)
    )

    for html in (page, partial):
        assert "&lt;b&gt;Sold&lt;/b&gt;" in html and "<b>Sold</b>" not in html.replace("<textarea", "")
    assert "Waited for the open.<br>&lt;b&gt;Sold" in partial


def test_a_day_that_is_not_a_date_is_404(user_client):
    assert user_client.get(day_url("2026-02-30")).status_code == 404
    assert user_client.get(day_url("")).status_code == 404


def test_the_day_page_without_a_day_is_todays(user_client):
    response = user_client.get(reverse("journal:day"))
    assert response.status_code == 200 and response.context["day"] == date(2026, 3, 16)


def test_another_traders_journal_of_the_same_day_is_not_shown(user_client, other_client):
    write(user_client, "mine alone")

    assert "mine alone" not in other_client.get(day_url()).content.decode()


def test_a_screenshot_of_the_day_shows_on_its_page(user_client, user):
    user_client.post(reverse("journal:add_day_attachment"), {"day": "2026-03-16", "image": upload(png())})

    attachment = Attachment.objects.get(journal_day__user=user, journal_day__day=DAY)
    assert reverse("journal:thumbnail", args=[attachment.token]) in user_client.get(day_url()).content.decode()


def test_a_refused_screenshot_leaves_no_empty_day_behind(user_client):
    user_client.post(reverse("journal:add_day_attachment"), {"day": "2026-03-16", "image": upload(b"not an image")})

    assert not JournalDay.objects.exists()


def test_deleting_a_day_deletes_its_screenshots_and_their_files(
    user_client, attachments_folder, django_capture_on_commit_callbacks
):
    write(user_client)
    user_client.post(reverse("journal:add_day_attachment"), {"day": "2026-03-16", "image": upload(png())})

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(reverse("journal:delete_day"), {"day": "2026-03-16"})

    assert response["Location"] == f"{reverse('journal:list')}?month=2026-03"
    assert not JournalDay.objects.exists() and not Attachment.objects.exists()
    assert not [path for path in attachments_folder.rglob("*") if path.is_file()]


def test_deleting_a_day_leaves_another_traders_same_day(user_client, other_client, other_user):
    write(other_client, "theirs")

    user_client.post(reverse("journal:delete_day"), {"day": "2026-03-16"})

    assert JournalDay.objects.filter(user=other_user).exists()


def test_the_list_shows_the_months_days_newest_first(user_client, user):
    for day in (date(2026, 3, 2), date(2026, 3, 16), date(2026, 2, 27)):
        JournalDay.objects.create(user=user, day=day, text=f"on {day}")

    response = user_client.get(reverse("journal:list"))

    assert [entry.day for entry in response.context["journal_days"]] == [date(2026, 3, 16), date(2026, 3, 2)]
    assert response.context["next_month"] is None  # no months after this one yet


def test_the_list_of_another_month(user_client, user):
    JournalDay.objects.create(user=user, day=date(2026, 2, 27), text="February")

    response = user_client.get(reverse("journal:list"), {"month": "2026-02"})

    assert "February" in response.content.decode()
    assert response.context["next_month"] == date(2026, 3, 1)


def test_the_list_costs_the_same_queries_for_two_or_twenty_days(user_client, user, django_assert_max_num_queries):
    for n in range(1, 3):
        JournalDay.objects.create(user=user, day=date(2026, 3, n), text="x")
    with django_assert_max_num_queries(4):  # session, user, the days with their screenshot counts
        user_client.get(reverse("journal:list"))
    for n in range(3, 21):
        day = JournalDay.objects.create(user=user, day=date(2026, 3, n), text="x")
        Attachment.objects.create(
            user=user, target="day", journal_day=day, image_name="a", thumbnail_name="b",
            content_type="image/png", width=1, height=1, size=1,
        )  # fmt: skip
    with django_assert_max_num_queries(4):
        assert user_client.get(reverse("journal:list")).content.decode().count("1 screenshot") == 18


def test_the_day_page_costs_a_few_queries(user_client, user, django_assert_max_num_queries):
    write(user_client)
    with django_assert_max_num_queries(6):
        user_client.get(day_url())


def test_the_day_partial_says_when_nothing_was_written(user):
    html = render_to_string("trades/includes/_day_journal.html", day_journal(user=user, day=DAY))

    assert "Nothing written for this day." in html
    assert f"{reverse('journal:day')}?day=2026-03-16" in html


def test_day_journal_loads_the_day_and_its_screenshots_in_two_queries(user, django_assert_num_queries):
    day = JournalDay.objects.create(user=user, day=DAY, text="x", mood=3)
    Attachment.objects.create(
        user=user, target="day", journal_day=day, image_name="a", thumbnail_name="b",
        content_type="image/png", width=1, height=1, size=1,
    )  # fmt: skip

    with django_assert_num_queries(2):
        context = day_journal(user=user, day=DAY)

    assert context["journal_day"] == day and len(context["day_attachments"]) == 1
