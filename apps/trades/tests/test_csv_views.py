"""The upload page, the preview, the confirmation and the result page."""

import gzip
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.trades import forms, views
from apps.trades.models import BrokerAccount, PendingFile, Transaction

SAMPLES = Path(__file__).parent / "csv_samples"
ACCOUNT = "5WT00001"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def upload(name: str, content: bytes | None = None, as_name: str | None = None) -> SimpleUploadedFile:
    data = (SAMPLES / name).read_bytes() if content is None else content
    return SimpleUploadedFile(as_name or name, data, content_type="text/csv")


def post_upload(client, *files, account_number=ACCOUNT, skip_bad_rows=False):
    data = {"files": list(files), "account_number": account_number}
    if skip_bad_rows:
        data["skip_bad_rows"] = "on"
    return client.post(reverse("trades:import_csv"), data)


def token_of(response) -> str:
    return re.search(r"/trades/import/([\w-]+)/", response.url)[1]


def uploaded(client, *names, **options) -> str:
    return token_of(post_upload(client, *(upload(name) for name in names), **options))


# -- sign-in and ownership ---------------------------------------------------------------------


def test_upload_page_requires_sign_in(client, db):
    response = client.get(reverse("trades:import_csv"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_preview_requires_sign_in(user_client):
    token = uploaded(user_client, "v3_2026.csv")
    user_client.logout()
    assert user_client.get(reverse("trades:import_preview", args=[token])).status_code == 302


def test_another_users_preview_is_404(user_client, other_client):
    token = uploaded(user_client, "v3_2026.csv")
    assert other_client.get(reverse("trades:import_preview", args=[token])).status_code == 404


def test_another_user_cannot_confirm_someone_elses_import(user_client, other_client):
    token = uploaded(user_client, "v3_2026.csv")
    response = other_client.post(reverse("trades:import_confirm", args=[token]))
    assert (response.status_code, Transaction.objects.count()) == (404, 0)


def test_another_users_result_is_404(user_client, other_client):
    token = uploaded(user_client, "v3_2026.csv")
    user_client.post(reverse("trades:import_confirm", args=[token]))
    assert other_client.get(reverse("trades:import_result", args=[token])).status_code == 404


def test_another_user_cannot_cancel_someone_elses_import(user_client, other_client):
    token = uploaded(user_client, "v3_2026.csv")
    assert other_client.post(reverse("trades:import_cancel", args=[token])).status_code == 404
    assert user_client.get(reverse("trades:import_preview", args=[token])).status_code == 200


def test_a_token_planted_in_another_users_session_is_still_404(user_client, other_client, other_user):
    token = uploaded(user_client, "v3_2026.csv")
    session = other_client.session
    session["trades_csv_imports"] = [token]
    session.save()
    assert other_client.get(reverse("trades:import_preview", args=[token])).status_code == 404


def test_an_unknown_token_is_404(user_client):
    assert user_client.get(reverse("trades:import_preview", args=["no-such-token"])).status_code == 404


def test_the_preview_never_shows_another_users_account_data(user_client, other_user):
    theirs = BrokerAccount.objects.create(user=other_user, account_number=ACCOUNT)
    Transaction.objects.create(
        account=theirs,
        transaction_type="Money Movement",
        description="THEIR SECRET DEPOSIT",
        executed_at="2026-03-01T12:00:00Z",
        transaction_date="2026-03-01",
    )
    response = user_client.get(reverse("trades:import_preview", args=[uploaded(user_client, "v3_2026.csv")]))
    assert b"THEIR SECRET" not in response.content and b"a new CSV-only account will be created" in response.content


# -- upload ------------------------------------------------------------------------------------


def test_upload_page_lists_the_users_accounts_only(user_client, user, other_user, django_assert_max_num_queries):
    BrokerAccount.objects.create(user=user, account_number="5WT11111")
    BrokerAccount.objects.create(user=other_user, account_number="5WT99999")
    with django_assert_max_num_queries(4):
        html = user_client.get(reverse("trades:import_csv")).content.decode()
    assert '<option value="5WT11111">' in html and "5WT99999" not in html


def test_uploading_shows_a_preview_and_writes_nothing(user_client):
    response = post_upload(user_client, upload("v3_2026.csv"))
    assert response.status_code == 302 and "/trades/import/" in response.url
    assert (Transaction.objects.count(), BrokerAccount.objects.count()) == (0, 0)


def test_several_files_can_be_uploaded_at_once(user_client):
    token = uploaded(user_client, "v2_2024.csv", "v2_2024_overlap.csv", "legacy_2021.csv")
    response = user_client.get(reverse("trades:import_preview", args=[token]))
    assert [f.name for f in response.context["report"].files] == [
        "v2_2024.csv",
        "v2_2024_overlap.csv",
        "legacy_2021.csv",
    ]


def test_a_file_over_the_size_limit_is_refused_with_a_clear_message(user_client, monkeypatch):
    monkeypatch.setattr(forms, "MAX_FILE_SIZE", 1000)
    response = post_upload(user_client, upload("v3_2026.csv"))
    assert response.status_code == 200
    assert (
        "“v3_2026.csv” is 2.3\xa0KB; the limit is 1000\xa0bytes per file" in response.context["form"].errors["files"][0]
    )


def test_uploads_over_the_total_size_limit_are_refused(user_client, monkeypatch):
    monkeypatch.setattr(forms, "MAX_TOTAL_SIZE", 3000)
    response = post_upload(user_client, upload("v3_2026.csv"), upload("v2_2024.csv"))
    assert "add up to" in response.context["form"].errors["files"][0]


def test_too_many_files_at_once_are_refused(user_client, monkeypatch):
    monkeypatch.setattr(forms, "MAX_FILES", 2)
    response = post_upload(user_client, *(upload("v3_2026.csv") for _ in range(3)))
    assert response.context["form"].errors["files"] == ["Choose at most 2 files at a time (you chose 3)."]


def test_a_file_is_required(user_client):
    response = user_client.post(reverse("trades:import_csv"), {"account_number": ACCOUNT})
    assert "files" in response.context["form"].errors


def test_the_account_number_is_taken_from_tastytrades_file_names_when_left_empty(user_client):
    name = "tastytrade_transactions_history_x5WT00042_260101_to_260430.csv"
    token = token_of(post_upload(user_client, upload("v3_2026.csv", as_name=name), account_number=""))
    assert (
        user_client.get(reverse("trades:import_preview", args=[token])).context["report"].account_number == "5WT00042"
    )


def test_the_account_number_is_required_when_the_file_names_do_not_say(user_client):
    response = post_upload(user_client, upload("v3_2026.csv"), account_number="")
    assert "do not say which account" in response.context["form"].errors["account_number"][0]


def test_an_account_number_with_odd_characters_is_refused(user_client):
    response = post_upload(user_client, upload("v3_2026.csv"), account_number="5WT 0001; drop")
    assert "account_number" in response.context["form"].errors


# -- preview -----------------------------------------------------------------------------------


def test_the_preview_shows_new_already_present_and_rejected_counts(user_client):
    user_client.post(reverse("trades:import_confirm", args=[uploaded(user_client, "v2_2024.csv")]))
    token = uploaded(user_client, "v2_2024_overlap.csv", "v3_bad_rows.csv", skip_bad_rows=True)
    response = user_client.get(reverse("trades:import_preview", args=[token]))
    report = response.context["report"]
    assert (report.new, report.already_present, report.rejected) == (5, 4, 2)
    assert b"Import 5 new rows" in response.content


def test_the_preview_says_why_rows_are_already_present(user_client):
    user_client.post(reverse("trades:import_confirm", args=[uploaded(user_client, "v2_2024.csv")]))
    token = uploaded(user_client, "v2_2024_overlap.csv")
    response = user_client.get(reverse("trades:import_preview", args=[token]))
    assert b"<li>4 were imported before from identical rows</li>" in response.content


def test_the_result_page_says_why_rows_were_already_present(user_client):
    user_client.post(reverse("trades:import_confirm", args=[uploaded(user_client, "v2_2024.csv")]))
    token = uploaded(user_client, "v2_2024_overlap.csv")
    response = user_client.post(reverse("trades:import_confirm", args=[token]), follow=True)
    assert b"<li>4 were imported before from identical rows</li>" in response.content


def test_the_preview_shows_a_refused_file_and_the_columns_it_found(user_client):
    response = user_client.get(reverse("trades:import_preview", args=[uploaded(user_client, "tax_center_ytd.csv")]))
    assert b"not imported" in response.content and b"ACCOUNT_NR, SEC_TYPE" in response.content


def test_the_preview_lists_bad_rows_with_line_column_and_value(user_client):
    response = user_client.get(reverse("trades:import_preview", args=[uploaded(user_client, "v3_bad_rows.csv")]))
    html = response.content.decode()
    assert re.search(r"<td class=\"num\">3</td><td>Date</td><td><code>yesterday</code></td>", html)


def test_the_preview_can_be_shown_skipping_bad_rows(user_client):
    token = uploaded(user_client, "v3_bad_rows.csv")
    response = user_client.get(reverse("trades:import_preview", args=[token]), {"skip_bad_rows": "true"})
    assert (response.context["report"].new, response.context["skip_bad_rows"]) == (3, True)


def test_the_preview_query_count_does_not_grow_with_the_rows(user_client, django_assert_max_num_queries):
    small = uploaded(user_client, "v3_bad_rows.csv", skip_bad_rows=True)
    big = uploaded(user_client, "v3_2026.csv", "v2_2024.csv", "legacy_2021.csv")
    # The upload queued the preview task, which the Immediate backend ran in that request: the page only shows it.
    with django_assert_max_num_queries(10):
        user_client.get(reverse("trades:import_preview", args=[small]))
    with django_assert_max_num_queries(10):
        user_client.get(reverse("trades:import_preview", args=[big]))


def test_the_upload_reads_many_rows_with_as_many_queries_as_a_few(user_client):
    # Without a worker the upload's request reads the preview too (it is queued at once).
    few = (SAMPLES / "v3_2026.csv").read_bytes()
    header, *rows = few.decode().splitlines()
    many = "\n".join([header, *rows * 40]).encode()  # 480 rows
    counts = []
    for content in (few, many):
        with CaptureQueriesContext(connection) as queries:
            response = post_upload(user_client, upload("v3_2026.csv", content))
        counts.append(len(queries))
        assert response.status_code == 302
    assert counts[0] == counts[1]


# -- confirm and result ------------------------------------------------------------------------


def test_confirming_imports_and_shows_the_counts(user_client, user):
    token = uploaded(user_client, "v3_2026.csv")
    response = user_client.post(reverse("trades:import_confirm", args=[token]), follow=True)
    report = response.context["report"]
    assert (report.new, report.already_present, report.rejected) == (12, 0, 0)
    assert Transaction.objects.for_user(user).count() == 12 and b"Import finished" in response.content


def test_confirming_with_skip_bad_rows_imports_the_good_rows(user_client, user):
    token = uploaded(user_client, "v3_bad_rows.csv")
    user_client.post(reverse("trades:import_confirm", args=[token]), {"skip_bad_rows": "true"})
    assert Transaction.objects.for_user(user).count() == 3


def test_confirming_without_skipping_imports_nothing_from_a_file_with_bad_rows(user_client, user):
    token = uploaded(user_client, "v3_bad_rows.csv")
    response = user_client.post(reverse("trades:import_confirm", args=[token]), {"skip_bad_rows": "false"}, follow=True)
    assert (response.context["report"].rejected, Transaction.objects.for_user(user).count()) == (5, 0)


def test_confirming_twice_imports_once_and_keeps_the_first_report(user_client, user):
    token = uploaded(user_client, "v3_2026.csv")
    user_client.post(reverse("trades:import_confirm", args=[token]))
    response = user_client.post(reverse("trades:import_confirm", args=[token]), follow=True)
    assert (response.context["report"].new, Transaction.objects.for_user(user).count()) == (12, 12)


def test_the_preview_of_a_finished_import_shows_its_result(user_client):
    token = uploaded(user_client, "v3_2026.csv")
    user_client.post(reverse("trades:import_confirm", args=[token]))
    response = user_client.get(reverse("trades:import_preview", args=[token]))
    assert response.url == reverse("trades:import_result", args=[token])


def test_the_result_of_an_unconfirmed_import_shows_its_preview(user_client):
    token = uploaded(user_client, "v3_2026.csv")
    response = user_client.get(reverse("trades:import_result", args=[token]))
    assert response.url == reverse("trades:import_preview", args=[token])


def test_the_result_page_needs_one_query_beyond_the_session(user_client, django_assert_max_num_queries):
    token = uploaded(user_client, "v3_2026.csv")
    user_client.post(reverse("trades:import_confirm", args=[token]))
    with django_assert_max_num_queries(3):  # the session, its user, and the upload holding the report
        user_client.get(reverse("trades:import_result", args=[token]))


def test_cancelling_forgets_the_upload(user_client):
    token = uploaded(user_client, "v3_2026.csv")
    user_client.post(reverse("trades:import_cancel", args=[token]))
    assert user_client.get(reverse("trades:import_preview", args=[token])).status_code == 404


def test_confirm_only_accepts_post(user_client):
    token = uploaded(user_client, "v3_2026.csv")
    assert user_client.get(reverse("trades:import_confirm", args=[token])).status_code == 405


# -- page furniture ----------------------------------------------------------------------------


def test_the_navbar_links_to_the_import_page_for_signed_in_users(user_client):
    html = user_client.get(reverse("dashboard:home")).content.decode()
    assert f'href="{reverse("trades:import_csv")}">Import CSV</a>' in html


def test_import_pages_carry_no_inline_scripts_or_styles(user_client):
    token = uploaded(user_client, "v3_bad_rows.csv")
    pages = [reverse("trades:import_csv"), reverse("trades:import_preview", args=[token])]
    for page in pages:
        html = user_client.get(page).content.decode()
        assert "style=" not in html and "<style" not in html
        assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))


def test_the_preview_tells_a_file_that_is_not_a_tastytrade_export_so(user_client):
    response = user_client.get(reverse("trades:import_preview", args=[uploaded(user_client, "tax_center_ytd.csv")]))
    assert b"This file is not a TastyTrade export" in response.content


def test_the_preview_shows_the_first_rows_it_will_add(user_client):
    response = user_client.get(reverse("trades:import_preview", args=[uploaded(user_client, "v2_2024.csv")]))
    table = response.content.decode().split('id="first-rows"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 5  # the header and the first five of the file's new rows
    # The oldest row: 08:00 at UTC+1 is 02:00 in New York.
    assert '2023-12-01<div class="small text-body-secondary">02:00</div>' in table


def test_the_preview_shows_no_rows_to_add_when_nothing_is_new(user_client):
    user_client.post(reverse("trades:import_confirm", args=[uploaded(user_client, "v2_2024.csv")]))
    response = user_client.get(reverse("trades:import_preview", args=[uploaded(user_client, "v2_2024.csv")]))
    assert b'id="first-rows"' not in response.content and b"Nothing new to import" in response.content


# -- streaming the upload ----------------------------------------------------------------------


def test_an_upload_waits_compressed_in_the_database(user_client):
    token = uploaded(user_client, "v3_2026.csv")
    stored = PendingFile.objects.get(upload__token=token)
    plain = (SAMPLES / "v3_2026.csv").read_bytes()
    assert gzip.decompress(bytes(stored.content)) == plain and len(stored.content) < len(plain)


def test_the_upload_view_writes_the_files_to_temporary_files_as_they_arrive(user, rf):
    request = rf.get(reverse("trades:import_csv"))
    request.user, request.session = user, {}
    views.import_csv(request)
    assert [type(handler) for handler in request.upload_handlers] == [TemporaryFileUploadHandler]


def test_an_upload_without_the_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("trades:import_csv"), {"files": [upload("v3_2026.csv")], "account_number": ACCOUNT})
    assert response.status_code == 403 and not PendingFile.objects.exists()


def test_the_preview_lists_each_files_new_present_and_rejected_rows_before_its_total_and_format(user_client):
    response = user_client.get(reverse("trades:import_preview", args=[uploaded(user_client, "v3_bad_rows.csv")]))
    html = response.content.decode()
    files_table = html[html.index('<th scope="col">File</th>') :]
    headings = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', files_table[: files_table.index("</tr>")])
    assert headings == ["File", "New", "Present", "Rejected", "Rows", "Format"]


def test_the_previews_first_rows_name_options_as_a_trader_reads_them_beside_the_broker_symbol(user_client):
    html = user_client.get(reverse("trades:import_preview", args=[uploaded(user_client, "v3_2026.csv")])).content
    assert b"May 15 &#x27;26 230 P" in html and b"IWM   260515P00230000" in html
