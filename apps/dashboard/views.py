from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render


@login_not_required
def landing(request):
    """The public front page; signed-in traders go straight to their dashboard."""
    if request.user.is_authenticated:
        return redirect("dashboard:home")
    return render(request, "dashboard/landing.html")


def home(request):
    return render(request, "dashboard/home.html")
