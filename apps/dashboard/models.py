from django.conf import settings
from django.db import models


class DashboardLayout(models.Model):
    """The order and visibility of a user's dashboard widgets; no row means the default layout."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboard_layout")
    # [{"name": "pnl", "shown": true}, ...] in the user's order; read through apps.dashboard.layout.arrange.
    widgets = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Dashboard layout of {self.user}"
