"""The agents' ranked search over many documents (``ranked_parents``): the database ranks,
the store scope is inside the query, and on PostgreSQL the newest documents are read in
spans of ids until enough match."""

import pytest
from django.db import connection

from storedesk.core.testing import StoreFactory
from storedesk.search import lexical
from storedesk.search.analyzers import analyze_query
from storedesk.search.indexing import WordsOnly, documents_index_words
from storedesk.search.lexical import ranked_parents
from storedesk.search.models import DocumentKind

pytestmark = pytest.mark.django_db


def index(store, parent_id, text, locale="en"):
    documents_index_words([
        WordsOnly(store.pk, DocumentKind.MESSAGE, parent_id, locale, "", text, parent_id)
    ])  # fmt: skip


def search(store_ids, query, limit=500):
    return ranked_parents(
        kind=DocumentKind.MESSAGE,
        store_ids=store_ids,
        term_groups=[analyze_query(query, "en")],
        limit=limit,
    )


@pytest.fixture
def store():
    return StoreFactory(slug="ranked", supported_locales=["en"])


def test_documents_holding_the_word_more_rank_first(store):
    # Same length, so only how often the word occurs differs.
    index(store, 1, "refund refund refund kettle order")
    index(store, 2, "where is my order, it is late")
    index(store, 3, "refund toaster blender lamp order")
    assert search([store.pk], "refund") == [1, 3]
    assert search([store.pk], "refund order") == [1, 3]  # every word of a group
    assert search([store.pk], "refund late") == []


def test_a_rare_word_is_found_in_the_oldest_document(store, monkeypatch):
    # Spans of 2, 4, 8... ids from the newest: the oldest document is reached.
    monkeypatch.setattr(lexical, "FIRST_SPAN", 2)
    monkeypatch.setattr(lexical, "SPAN_GROWTH", 2)
    index(store, 100, "my invoice OIB 12345678903 is wrong")
    for parent in range(101, 140):
        index(store, parent, "where is my parcel")
    assert search([store.pk], "12345678903") == [100]
    assert len(search([store.pk], "parcel")) == 39


def test_the_store_scope_applies_in_every_span(store, monkeypatch):
    monkeypatch.setattr(lexical, "FIRST_SPAN", 3)
    other = StoreFactory(slug="other-ranked", supported_locales=["en"])
    index(store, 200, "damaged kettle")
    for parent in range(201, 220):
        index(other, parent, "damaged kettle")
    assert search([store.pk], "kettle") == [200]
    assert len(search(None, "kettle")) == 20
    assert search([], "kettle") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL reads spans of ids")
def test_postgres_stops_reading_once_enough_documents_match(store, monkeypatch):
    monkeypatch.setattr(lexical, "FIRST_SPAN", 5)
    monkeypatch.setattr(lexical, "SPAN_GROWTH", 2)
    # The best match is the oldest; with limit 1 the newest 4 (= 4 x limit) matches are
    # enough, so it is not read.
    index(store, 300, "refund refund refund refund")
    for parent in range(301, 321):
        index(store, parent, "refund, and a long message about many other things")
    ranked = search([store.pk], "refund", limit=1)
    assert ranked and ranked[0] != 300
    assert search([store.pk], "refund", limit=50)[0] == 300
