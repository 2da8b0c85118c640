from django.urls import reverse


def test_the_reports_page_lists_every_report_with_the_current_tab_marked(user_client):
    html = user_client.get(reverse("reports:home"), {"report": "edge"}).content.decode()
    assert 'aria-current="page">Edge: win rate and expectancy</a>' in html
    for label in ("P&amp;L by period", "Income", "Money in/out", "Tax year"):
        assert f">{label}</a>" in html


def test_a_tab_of_the_reports_page_keeps_the_chosen_dates(user_client):
    html = user_client.get(reverse("reports:home"), {"report": "pnl", "start": "2026-01-01"}).content.decode()
    assert "?report=edge&amp;start=2026-01-01" in html


def test_a_report_with_its_own_page_is_marked_current_there(user_client):
    html = user_client.get(reverse("reports:income")).content.decode()
    assert 'aria-current="page">Income</a>' in html
    assert f'href="{reverse("reports:home")}?report=pnl"' in html
