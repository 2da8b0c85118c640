"""`make run`'s demo command prints the address being served and the simulator's grant to paste."""

from io import StringIO

from django.core.management import call_command

from simulator.app import DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN


def test_the_demo_prints_the_sign_in_address_of_the_port_being_served(db, settings):
    settings.SITE_URL = "http://127.0.0.1:8155"
    out = StringIO()
    call_command("demo", "--no-sync", stdout=out)
    assert "Sign in at http://127.0.0.1:8155/accounts/login/ as demo@example.com" in out.getvalue()


def test_the_demo_prints_the_simulators_grant_to_paste(db):
    out = StringIO()
    call_command("demo", "--no-sync", stdout=out)
    assert f"client secret {DEFAULT_CLIENT_SECRET}, refresh token {DEFAULT_REFRESH_TOKEN}" in out.getvalue()
