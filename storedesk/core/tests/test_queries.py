import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storedesk.core.queries import unique_row
from storedesk.stores.models import Store


@pytest.mark.django_db
def test_unique_row_finds_the_row_or_none_without_sorting(store):
    with CaptureQueriesContext(connection) as queries:
        assert unique_row(Store.objects.filter(slug=store.slug)) == store
        assert unique_row(Store.objects.filter(slug="no-such-store")) is None
    assert all("ORDER BY" not in query["sql"] for query in queries.captured_queries)
    assert all("LIMIT 1" in query["sql"] for query in queries.captured_queries)
