import pytest

# The help center of the help-center tests (Northwind, en/hr/zh-hans, ten translations).
from storedesk.helpcenter.tests.conftest import articles, help_store  # noqa: F401


@pytest.fixture
def shop(articles, intent_model):  # noqa: F811
    """Northwind with its published help center, and the assistant's model loaded."""
    return articles
