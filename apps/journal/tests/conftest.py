"""Each journal test gets its own empty attachments folder, and ready-made images to upload."""

import pytest


@pytest.fixture(autouse=True)
def attachments_folder(settings, tmp_path):
    """The private storage on disk under this test's tmp_path (settings changes reset Django's storages)."""
    folder = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": folder}},
    }
    return folder
