"""`{% filters_open as open %}`: whether a page's filter form starts open on a phone.

Below Bootstrap's md breakpoint each GET filter form folds behind a "Filters" button to leave the
screen to the numbers; it starts open when the trader has narrowed the page (so the page never
hides why it shows fewer rows) or when the form has errors to read.
"""

from django import template

register = template.Library()

# Query keys that pick a page or a tab, not a filter.
NOT_FILTERS = frozenset({"page", "report"})


@register.simple_tag(takes_context=True)
def filters_open(context) -> bool:
    request = context.get("request")
    query = request.GET if request is not None else {}
    if any(value for key, value in query.items() if key not in NOT_FILTERS):
        return True
    forms = (context.get("period_form"), context.get("filter_form"))
    return any(form is not None and form.is_bound and form.errors for form in forms)
