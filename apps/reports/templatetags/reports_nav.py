"""The Reports section's own list of reports: the tabs of the Reports page and the reports with pages of their own."""

from django import template
from django.http import QueryDict
from django.urls import reverse

from ..forms import ReportForm

register = template.Library()

# Reports that have a page of their own (URL name, label), after the Reports page's tabs.
OWN_PAGES = [
    ("reports:income", "Income"),
    ("reports:transfers", "Money in/out"),
    ("reports:tax", "Tax year"),
]


@register.inclusion_tag("reports/includes/_reports_nav.html", takes_context=True)
def reports_nav(context, current: str) -> dict:
    """`current` is a tab of the Reports page ("pnl", "edge", ...) or one of OWN_PAGES' URL names."""
    request = context["request"]
    on_home = request.resolver_match and request.resolver_match.view_name == "reports:home"
    # On the Reports page a tab keeps the chosen accounts and dates; elsewhere only the account carries over.
    kept = request.GET.copy() if on_home else QueryDict(mutable=True)
    account = request.GET.get("account", "")
    if not on_home and account.isdigit():
        kept["account"] = account
    kept.pop("page", None)
    home = reverse("reports:home")
    links = []
    for value, label in ReportForm.REPORTS:
        kept["report"] = value
        links.append((f"{home}?{kept.urlencode()}", label, value == current))
    kept.pop("report", None)
    query = f"?account={account}" if account.isdigit() else ""
    links += [(reverse(name) + query, label, name == current) for name, label in OWN_PAGES]
    return {"links": links}
