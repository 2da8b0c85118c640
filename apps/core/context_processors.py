from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse


def site(request):
    return {"site_name": settings.SITE_NAME, **color_mode(request)}


def color_mode(request) -> dict:
    """The colour mode for <html>: `color_mode` is the choice (light, dark or system), `bs_theme` what the server
    can already write as Bootstrap's data-bs-theme (static/js/theme.js decides "system" from the device)."""
    user = getattr(request, "user", None)
    choice = getattr(user, "color_mode", "system") if user is not None and user.is_authenticated else "system"
    return {"color_mode": choice, "bs_theme": "light" if choice == "system" else choice}


@dataclass(frozen=True)
class Section:
    """One entry of the site's one navigation (the navbar, collapsed behind a button on a phone)."""

    label: str
    url_name: str
    marks: tuple[str, ...]  # view-name prefixes of the pages this entry stands for (`trades:` is every trade page)
    keeps_account: bool = True  # the account chosen on one page travels to this one


# Add a page here and it is in the navbar on every screen size. The longest matching prefix wins, so
# `trades:import` (Import CSV) beats `trades:` (Trades).
SECTIONS = [
    Section("Dashboard", "dashboard:home", ("dashboard:home", "dashboard:edit_layout", "dashboard:calendar")),
    Section("Positions", "dashboard:positions", ("dashboard:positions", "dashboard:refresh_marks")),
    Section("Trades", "trades:list", ("trades:",)),
    Section("Transactions", "dashboard:transactions", ("dashboard:transactions",)),
    Section("Reports", "reports:home", ("reports:",)),
    Section("Journal", "journal:list", ("journal:",)),
    Section("Import CSV", "trades:import_csv", ("trades:import",), keeps_account=False),
    Section("Sync", "tastytrade_sync:page", ("tastytrade_sync:",), keeps_account=False),
]


def current_section(view_name: str) -> Section | None:
    matches = [(len(mark), section) for section in SECTIONS for mark in section.marks if view_name.startswith(mark)]
    return max(matches, key=lambda match: match[0])[1] if matches else None


def navigation(request):
    """The navbar's entries for a signed-in user, the current one marked, the chosen account kept."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    current = current_section(match.view_name) if match else None
    account = request.GET.get("account", "")
    query = f"?account={account}" if account.isdigit() else ""
    return {
        "navigation": [
            {
                "label": section.label,
                "url": reverse(section.url_name) + (query if section.keeps_account else ""),
                "current": section is current,
            }
            for section in SECTIONS
        ]
    }
