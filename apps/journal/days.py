"""Reading the journal: one day with its screenshots, a month of days."""

from datetime import date

from django.db.models import Count, Prefetch

from .models import Attachment, JournalDay


def day_journal(*, user, day: date) -> dict:
    """The context of templates/trades/includes/_day_journal.html (the calendar's day page): two queries.

    `journal_day` is None when the trader wrote nothing that day; `day_attachments` are its screenshots."""
    screenshots = Prefetch("attachments", queryset=Attachment.objects.order_by("created_at", "pk"))
    journal_day = JournalDay.objects.for_user(user).filter(day=day).prefetch_related(screenshots).first()
    return {
        "day": day,
        "journal_day": journal_day,
        "day_attachments": list(journal_day.attachments.all()) if journal_day else [],
    }


def month_days(*, user, first: date, next_first: date) -> list[JournalDay]:
    """The month's journal days, newest first, each with `screenshots` (a count): one query."""
    days = JournalDay.objects.for_user(user).in_month(first, next_first)
    return list(days.annotate(screenshots=Count("attachments")).order_by("-day"))


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
