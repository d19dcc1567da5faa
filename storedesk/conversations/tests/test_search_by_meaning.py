"""Agents find conversations by what the customer meant, in any language: customers'
messages are embedded in the background and compared with the agent's search, only within
the stores the agent may see."""

import numpy as np
import pytest

from storedesk.conversations import search_index
from storedesk.conversations.search_index import (
    conversations_matching,
    conversations_similar,
    messages_embed_pending,
    messages_reindex,
)
from storedesk.conversations.services import message_receive
from storedesk.conversations.tasks import embed_messages
from storedesk.core.testing import StoreFactory, committed_events, inbound, make_inbox
from storedesk.search import vectors
from storedesk.search.embedders import get_embedder
from storedesk.search.models import DocumentKind, SearchDocument, SearchPassage

pytestmark = pytest.mark.django_db

COAT = "The zip on my coat came apart after two days"
# Shares no word with COAT (zip/zipper, coat/jacket, came apart/broke).
QUERY = "customer says the zipper on a jacket broke"
OTHER_ISSUES = [
    "Kartica mi je terećena dva puta za istu narudžbu",
    "Upisao sam krivu adresu za dostavu, možete li je ispraviti?",
    "The discount code WELCOME10 says it is not valid at checkout",
    "Where is my parcel? It was due on Monday",
    "我下错单了，请帮我取消订单",
]


@pytest.fixture(autouse=True)
def _fresh_vectors():
    vectors.clear_cache()
    yield
    vectors.clear_cache()


@pytest.fixture
def shop():
    return StoreFactory(slug="jadran", supported_locales=["en", "hr", "zh-hans"])


def receive(store, text, email):
    inbox = make_inbox(store, "api", f"API {email}")
    with committed_events():
        message = message_receive(inbox=inbox, inbound=inbound(text, email=email))
    return message.conversation


def reply(conversation, text):
    from storedesk.conversations.services import message_send

    with committed_events():
        return message_send(conversation=conversation, author=None, text=text)


def test_a_search_finds_a_conversation_by_meaning_without_its_words(shop):
    coat = receive(shop, COAT, "a@x.com")
    others = [receive(shop, text, f"o{i}@x.hr") for i, text in enumerate(OTHER_ISSUES)]
    assert messages_embed_pending() == 1 + len(OTHER_ISSUES)

    assert conversations_matching(QUERY, store_ids=None) == [coat.pk]
    found = conversations_similar(QUERY, store_ids=[shop.pk])
    assert [pk for pk, _ in found] == [coat.pk]
    assert found[0][1] >= search_index.SIMILAR_FLOOR
    assert not {o.pk for o in others} & set(conversations_matching(QUERY, store_ids=None))


def test_meaning_is_not_asked_when_the_words_find_many(shop, monkeypatch):
    coat = receive(shop, COAT, "a@x.com")
    zippers = [
        receive(shop, text, f"z{n}@x.com")
        for n, text in enumerate(
            ["The zipper broke on day one", "My zipper broke", "Zipper broke, send a new one"]
        )
    ]
    messages_embed_pending()
    monkeypatch.setattr(search_index, "SIMILAR_MARGIN", 1.0)  # every close message counts
    words = {z.pk for z in zippers}
    assert set(conversations_matching("zipper broke", store_ids=None)) == words | {coat.pk}
    monkeypatch.setattr(search_index, "SIMILAR_WHEN_WORDS_FIND_FEWER", 3)
    assert set(conversations_matching("zipper broke", store_ids=None)) == words


def test_a_loose_match_is_left_out_when_a_close_one_exists(shop):
    zipper = receive(shop, "外套的拉链第一次穿就坏了", "a@x.cn")
    receive(shop, "我下错单了，请帮我取消订单", "b@x.cn")  # about 0.89 to the search, 0.95 above
    messages_embed_pending()
    assert [pk for pk, _ in conversations_similar("拉链坏了", store_ids=None)] == [zipper.pk]


def test_only_customers_messages_are_embedded_newest_first(shop):
    conversation = receive(shop, "The zipper of my jacket broke", "a@x.com")
    later = receive(shop, "Where is my parcel? It was due on Monday", "b@x.com")
    reply(conversation, "Sorry to hear that, we will send a new jacket")
    assert messages_embed_pending(batch=1) == 2  # one batch after the other
    embedded = SearchPassage.objects.filter(kind=DocumentKind.MESSAGE).order_by("id")
    assert [p.document.parent_id for p in embedded] == [later.pk, conversation.pk]
    assert {len(bytes(p.vector)) for p in embedded} == {384 * 4}
    assert messages_embed_pending() == 0  # nothing left, the agent's reply is not embedded


def test_the_periodic_task_embeds_what_is_pending(shop):
    receive(shop, "The zipper of my jacket broke", "a@x.com")
    embed_messages.call_local()
    assert SearchPassage.objects.filter(kind=DocumentKind.MESSAGE).count() == 1


def test_only_the_newest_messages_of_each_store_are_embedded(shop, monkeypatch):
    monkeypatch.setattr(vectors, "WINDOW", 2)
    first = receive(shop, "The zipper of my jacket broke", "a@x.com")
    receive(shop, "Where is my parcel? It was due on Monday", "b@x.com")
    receive(shop, "I was charged twice for the same order", "c@x.com")
    assert messages_embed_pending() == 2
    embedded = set(
        SearchPassage.objects.filter(kind=DocumentKind.MESSAGE).values_list(
            "document__parent_id", flat=True
        )
    )
    assert first.pk not in embedded
    # A newer message pushes the oldest embedded one out of the window, vector and all.
    newest = receive(shop, "The discount code does not work", "d@x.com")
    assert messages_embed_pending() == 1
    embedded = SearchPassage.objects.filter(kind=DocumentKind.MESSAGE)
    assert embedded.count() == 2
    assert newest.pk in set(embedded.values_list("document__parent_id", flat=True))


def test_a_search_by_meaning_never_reads_another_store(shop, restricted_agent):
    mine = restricted_agent.stores.first()
    theirs = receive(shop, COAT, "t@x.com")
    own = receive(mine, COAT, "m@x.com")
    messages_embed_pending()
    assert conversations_matching(QUERY, store_ids=[mine.pk]) == [own.pk]
    assert [pk for pk, _ in conversations_similar(QUERY, store_ids=[mine.pk])] == [own.pk]
    assert theirs.pk in conversations_matching(QUERY, store_ids=None)
    assert conversations_similar(QUERY, store_ids=[]) == []


def test_numbers_and_single_words_are_matched_by_their_characters_only(shop):
    receive(shop, COAT, "a@x.com")
    receive(shop, "外套的拉链第一次穿就坏了", "b@x.cn")
    messages_embed_pending()
    for query in (
        "zipper",
        "10423",
        "10423 10424",
        "a@x.hr",
        "CE439076951HR",
        "SO-2024-118 refund",
        "退货",
        "快递柜",
    ):
        assert conversations_similar(query, store_ids=None) == [], query
    assert conversations_similar("拉链坏了", store_ids=None)  # four characters: two words


def test_new_vectors_are_seen_without_reading_the_store_again(shop):
    receive(shop, OTHER_ISSUES[0], "a@x.hr")
    messages_embed_pending()
    assert conversations_similar(QUERY, store_ids=None) == []  # the store's vectors are cached
    coat = receive(shop, COAT, "b@x.com")
    messages_embed_pending()
    assert [pk for pk, _ in conversations_similar(QUERY, store_ids=None)] == [coat.pk]


def test_a_message_indexed_again_loses_its_vector_until_embedded_again(shop):
    conversation = receive(shop, COAT, "a@x.com")
    messages_embed_pending()
    message = conversation.messages.get()
    assert conversations_similar(QUERY, store_ids=None)
    message.text = "Hvala, sve je u redu"
    message.save(update_fields=["text"])
    with committed_events():
        messages_reindex(message_ids=[message.pk])
    assert not SearchPassage.objects.filter(kind=DocumentKind.MESSAGE).exists()
    assert conversations_similar(QUERY, store_ids=None) == []
    assert messages_embed_pending() == 1


def test_a_message_indexed_again_with_the_same_words_keeps_its_vector(shop):
    conversation = receive(shop, COAT, "a@x.com")
    messages_embed_pending()
    with committed_events():
        messages_reindex(message_ids=[conversation.messages.get().pk])
    assert SearchPassage.objects.filter(kind=DocumentKind.MESSAGE).count() == 1
    assert messages_embed_pending() == 0


def test_no_embedder_means_words_only(shop, settings):
    settings.SEARCH_EMBEDDER = "off"
    receive(shop, COAT, "a@x.com")
    assert messages_embed_pending() == 0
    assert conversations_similar(QUERY, store_ids=None) == []
    assert conversations_matching("coat", store_ids=None)


def test_quantised_vectors_keep_similarities():
    rng = np.random.default_rng(7)
    matrix = rng.normal(size=(50, 384)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    codes, scales = vectors.quantised(matrix)
    assert codes.dtype == np.int8
    query = matrix[3]
    exact = matrix @ query
    approximate = (codes.astype(np.float32) @ query) * scales
    assert np.abs(exact - approximate).max() < 0.01
    assert int(np.argmax(approximate)) == 3


def test_each_language_is_centred_on_the_stores_mean():
    scores = np.array([0.9] * 20 + [0.8] * 20 + [0.7], dtype=np.float32)
    locales = np.array([0] * 20 + [1] * 20 + [2], dtype=np.int16)
    held = vectors._Vectors(
        version=0,
        last_passage_id=0,
        document_ids=np.arange(41),
        parent_ids=np.arange(41),
        locales=locales,
        codes=np.zeros((41, 1), np.int8),
        scales=np.ones(41, np.float32),
    )
    centred = vectors._centred(held, scores)
    # The two large languages end level; the one with a single vector is left as it is.
    assert centred[0] == pytest.approx(centred[20])
    assert centred[40] == pytest.approx(0.7)


def _held(document_ids):
    count = len(document_ids)
    return vectors._Vectors(
        version=0,
        last_passage_id=max(document_ids),
        document_ids=np.array(document_ids, dtype=np.int64),
        parent_ids=np.array(document_ids, dtype=np.int64) * 10,
        locales=np.zeros(count, np.int16),
        codes=np.ones((count, 2), np.int8),
        scales=np.ones(count, np.float32),
    )


def test_the_cache_keeps_the_newest_messages_not_the_newest_vectors(monkeypatch):
    # A backlog is embedded newest first: message 3's vector can come after message 7's.
    monkeypatch.setattr(vectors, "WINDOW", 3)
    joined = vectors._joined(_held([5, 6]), _held([3, 7]))
    assert list(joined.document_ids) == [5, 6, 7]
    assert list(joined.parent_ids) == [50, 60, 70]


def test_a_search_reads_only_what_was_added_since_the_last(shop, monkeypatch):
    receive(shop, OTHER_ISSUES[0], "a@x.hr")
    messages_embed_pending()
    reads = []
    read = vectors._read
    monkeypatch.setattr(
        vectors,
        "_read",
        lambda *args, **kwargs: reads.append(kwargs["after"]) or read(*args, **kwargs),
    )
    conversations_similar(QUERY, store_ids=[shop.pk])
    receive(shop, COAT, "b@x.com")
    messages_embed_pending()
    assert conversations_similar(QUERY, store_ids=[shop.pk])
    assert reads[0] == 0 and all(after > 0 for after in reads[1:]) and len(reads) == 2


def test_an_article_edit_does_not_make_searches_read_the_messages_again(shop):
    from storedesk.search.indexing import bump_version

    receive(shop, COAT, "a@x.com")
    messages_embed_pending()
    conversations_similar(QUERY, store_ids=[shop.pk])
    version = vectors._cache[(shop.pk, DocumentKind.MESSAGE, get_embedder().name)].version
    bump_version(shop.pk, DocumentKind.ARTICLE)
    conversations_similar(QUERY, store_ids=[shop.pk])
    assert vectors._cache[(shop.pk, DocumentKind.MESSAGE, get_embedder().name)].version == version


def test_a_message_deleted_after_it_was_picked_is_skipped(shop):
    conversation = receive(shop, COAT, "a@x.com")
    message = conversation.messages.get()
    document = SearchDocument.objects.get(kind=DocumentKind.MESSAGE, object_id=message.pk)
    message.delete()
    assert search_index._embed([(document.pk, message.pk)], get_embedder()) == 0
    assert messages_embed_pending() == 0


def test_later_runs_look_above_what_is_embedded_but_a_changed_message_is_seen(shop, monkeypatch):
    monkeypatch.setattr(search_index, "LATE_MARGIN", 0)
    conversation = receive(shop, COAT, "a@x.com")
    assert messages_embed_pending() == 1
    assert messages_embed_pending() == 0
    message = conversation.messages.get()
    message.text = "The zip on my coat broke, I want a refund"
    message.save(update_fields=["text"])
    with committed_events():
        messages_reindex(message_ids=[message.pk])
    assert messages_embed_pending() == 1  # below the mark, found again


def test_one_stores_backlog_does_not_hold_back_another(shop, monkeypatch):
    other = StoreFactory(slug="other", supported_locales=["en"])
    for n in range(3):
        receive(shop, f"Backlog message number {n} about a parcel", f"b{n}@x.com")
    receive(other, COAT, "n@x.com")
    order, embed = [], search_index._embed

    def recording(pending, embedder):
        order.append(SearchDocument.objects.get(pk=pending[0][0]).store_id)
        return embed(pending, embedder)

    monkeypatch.setattr(search_index, "_embed", recording)
    assert messages_embed_pending(batch=1) == 4
    # A batch per store in turn: the other store's message waits for one batch, not three.
    assert order == [shop.pk, other.pk, shop.pk, shop.pk]
