"""``/api/v1/stores``: the stores an agent may see."""

from __future__ import annotations

import pytest
from django.test import Client

from storedesk.core.testing import StoreFactory, bearer

pytestmark = pytest.mark.django_db


def call(agent, path: str = "", params: dict | None = None):
    return Client().get(f"/api/v1/stores{path}", params or {}, **bearer(agent))


def test_list_stores_by_name(agent, store, other_store):
    StoreFactory(name="Books", slug="books", supported_locales=["en", "hr"], time_zone="CET")
    response = call(agent)
    assert response.status_code == 200
    assert [(s["name"], s["slug"]) for s in response.json()] == [
        ("Books", "books"),
        ("Electronics", "electronics"),
        ("Fashion", "fashion"),
    ]
    books = response.json()[0]
    assert books["supported_locales"] == ["en", "hr"]
    assert (books["default_locale"], books["time_zone"]) == ("en", "CET")
    assert set(books) == {
        "id",
        "name",
        "slug",
        "default_locale",
        "supported_locales",
        "time_zone",
        "business_hours",
        "created_at",
    }


def test_restricted_agent_lists_only_its_stores(restricted_agent, store, other_store):
    assert [s["id"] for s in call(restricted_agent).json()] == [store.pk]


def test_get_store(agent, store):
    response = call(agent, f"/{store.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "Fashion"


def test_get_store_errors(agent, restricted_agent, other_store):
    response = call(agent, "/424242")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    hidden = call(restricted_agent, f"/{other_store.pk}")
    assert hidden.status_code == 404 and b"Electronics" not in hidden.content
    malformed = call(agent, "/fashion")
    assert malformed.status_code == 422
    assert malformed.json()["error"]["field"] == "path.store_id"
