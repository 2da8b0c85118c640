import pytest
from django.core.cache import cache

from .fake_apple import fake_apple  # noqa: F401 - fixture
from .fake_google import fake_google  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Rate-limit counters and used one-time codes live in the cache; each test starts with none."""
    cache.clear()
