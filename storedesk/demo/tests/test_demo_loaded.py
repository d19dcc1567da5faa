from datetime import timedelta

import pytest
from django.utils import timezone

from storedesk.demo.loader import default_now, demo_loaded
from storedesk.stores.services import store_create


@pytest.mark.django_db
def test_demo_loaded_needs_both_demo_stores():
    assert demo_loaded() is False
    store_create(name="Fashion", slug="fashion")
    assert demo_loaded() is False
    store_create(name="Electronics", slug="electronics")
    assert demo_loaded() is True


def test_default_now_is_this_hour():
    now = default_now()
    assert (now.minute, now.second, now.microsecond) == (0, 0, 0)
    assert timedelta(0) <= timezone.now() - now < timedelta(hours=1)
