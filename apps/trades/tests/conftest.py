import pytest

from apps.trades.tests.factories import TransactionFactory


@pytest.fixture(autouse=True)
def fresh_transaction_sequence():
    """Execution times count minutes from a fixed day per factory call; other apps' tests create
    thousands of rows with the same factory, which would push these tests' rows past the dates
    they write by hand. Each test starts counting again."""
    TransactionFactory.reset_sequence()
