"""What a page looks at: the user's included accounts (all of them or the one picked) and a range of days.

Pages share their selection through the query string (``?account=12&start=2025-01-01&end=2025-12-31``),
so every view of the dashboard and the reports is a shareable URL.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone

from apps.trades.forms import PeriodForm
from apps.trades.models import BrokerAccount, Transaction


@dataclass(frozen=True)
class Scope:
    accounts: list[BrokerAccount]  # every included account of the user: the selector's choices
    account: BrokerAccount | None  # the one picked, or None for all of them
    start: date | None  # first trading day, or None for "since the beginning"
    end: date | None  # last trading day (included), or None for "up to now"
    tz: ZoneInfo
    today: date

    @property
    def account_ids(self) -> list[int]:
        return [self.account.pk] if self.account else [account.pk for account in self.accounts]

    @property
    def selected(self) -> list[BrokerAccount]:
        return [self.account] if self.account else self.accounts

    @property
    def pnl_computed(self) -> bool:
        """Whether the P&L engine has run for any selected account (get_scope reads when it last did)."""
        return any(getattr(account, "pnl_computed_at", None) for account in self.selected)

    def account_queryset(self) -> QuerySet[BrokerAccount]:
        """The selected accounts as the P&L engine's functions take them (used as a subquery, not run alone)."""
        return BrokerAccount.objects.filter(pk__in=self.account_ids)

    @property
    def tz_name(self) -> str:
        return self.tz.key

    def transactions(self) -> QuerySet:
        """The selected accounts' transactions executed on the selected trading days."""
        rows = Transaction.objects.filter(account_id__in=self.account_ids)
        if self.start:
            rows = rows.filter(executed_at__gte=self.day_starts(self.start))
        if self.end:
            rows = rows.filter(executed_at__lt=self.day_starts(self.end, days_later=1))
        return rows

    def day_starts(self, day: date, *, days_later: int = 0) -> datetime:
        """Midnight starting a trading day in the user's time zone, as an aware datetime."""
        return datetime.combine(day + timedelta(days=days_later), time.min, tzinfo=self.tz)

    def quick_ranges(self) -> list[tuple[str, str, bool]]:
        """(label, start as the query string carries it, whether it is the range shown), ending today."""
        starts = [
            ("30 days", self.today - timedelta(days=30)),
            ("Year to date", date(self.today.year, 1, 1)),
            ("12 months", self.today - timedelta(days=365)),
            ("All", None),
        ]
        return [
            (label, start.isoformat() if start else "", self.start == start and self.end is None)
            for label, start in starts
        ]


def get_scope(request, *, default_days: int | None) -> tuple[PeriodForm, Scope]:
    """Read ``account``, ``start`` and ``end`` from the query string.

    An account that is not one of the user's included accounts is a 404. A missing ``start`` means the
    last ``default_days`` days (None: no limit); an empty one means "from the beginning". An invalid range
    shows its error on the form and falls back to the defaults.
    """
    accounts = list(
        BrokerAccount.objects.for_user(request.user)
        .included()
        .annotate(pnl_computed_at=F("pnl_state__computed_at"))
        .order_by("account_number")
    )
    account = pick_account(accounts, request.GET.get("account", ""))
    tz = request.user.tz
    today = timezone.localdate(timezone=tz)
    default_start = today - timedelta(days=default_days) if default_days else None
    data = request.GET.copy()
    data.setdefault("start", default_start.isoformat() if default_start else "")
    form = PeriodForm(data)
    dates = form.cleaned_data if form.is_valid() else {"start": default_start, "end": None}
    scope = Scope(accounts, account, dates.get("start"), dates.get("end"), tz, today)
    return form, scope


def pick_account(accounts: list[BrokerAccount], value: str) -> BrokerAccount | None:
    if not value:
        return None
    for account in accounts:
        if str(account.pk) == value:
            return account
    raise Http404("No such account")
