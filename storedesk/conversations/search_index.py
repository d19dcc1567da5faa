"""Messages in the search index: each message with text is one document of its
conversation, analyzed in the conversation's language (or the one detected among the
store's). Agents' inbox search finds conversations through it: by the words of any message,
and by the meaning of the customers' messages (embedded in the background, the newest
``vectors.WINDOW`` of each store), so a search in one language finds a conversation
written in another."""

from __future__ import annotations

import re
import time

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef

from storedesk.conversations.enums import MessageKind
from storedesk.conversations.models import Message
from storedesk.search import vectors
from storedesk.search.analyzers import HAN_RE, index_terms, language_group
from storedesk.search.embedders import get_embedder
from storedesk.search.indexing import (
    WordsOnly,
    bump_version,
    document_remove,
    documents_index_words,
)
from storedesk.search.language import detected_locale, matching_locale
from storedesk.search.lexical import parents_matching
from storedesk.search.models import DocumentKind, PassageRole, SearchDocument, SearchPassage
from storedesk.stores.models import Store

# A customer's message at least this similar to an agent's search (query embeddings of
# multilingual-e5-small, each language centred: search.vectors) is about what the agent
# describes; and at most SIMILAR_MARGIN below the best match, so a search that matches one
# conversation well does not bring in those it matches loosely. Chosen on
# bench/data/message_search_eval.json (docs/search.md): 0.85 and 0.04 found half the
# messages about the issue searched for (the words find more), 0.83 of what they found
# was about it, and unrelated searches found nothing.
SIMILAR_FLOOR = 0.85
SIMILAR_MARGIN = 0.04
# Meaning is asked only when the words found fewer conversations than this: a search its
# words answer many times over gains little from loose matches, and the comparison costs
# about 30 ms over three stores' full windows (docs/benchmarks.md).
SIMILAR_WHEN_WORDS_FIND_FEWER = 20
# Conversations found by meaning alone, at most.
SIMILAR_LIMIT = 50
# Words (letters, not numbers) a search needs to be matched by meaning: one word is found
# by its stems, and numbers, order references and addresses only by their characters.
SIMILAR_MIN_WORDS = 2
# A message's first characters are what is embedded (the model reads 512 tokens at most).
EMBED_CHARS = 1000
EMBED_BATCH = 32
# Documents below the newest one seen that the next run looks at again: a message whose
# transaction commits after a later one's would otherwise be passed over.
LATE_MARGIN = 1000
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def message_reindex(*, message_id: int) -> bool:
    """Index one message (or drop it when it is gone or has no text). Returns whether it is
    indexed."""
    return messages_reindex(message_ids=[message_id]) == 1


def messages_reindex(*, message_ids) -> int:
    """Index these messages in one statement (dropping those gone or without text); returns
    how many are indexed."""
    message_ids = list(message_ids)
    messages = Message.objects.select_related("conversation", "conversation__store").filter(
        pk__in=message_ids
    )
    items = [
        WordsOnly(
            store_id=message.conversation.store_id,
            kind=DocumentKind.MESSAGE,
            object_id=message.pk,
            parent_id=message.conversation_id,
            locale=_locale(message.text, message.conversation.language, message.conversation.store),
            title="",
            body=message.text,
            created_at=message.created_at,
        )
        for message in messages
        if message.text.strip()
    ]
    with transaction.atomic():
        _drop_vectors_of_changed_text(items)
        documents_index_words(items)
    indexed = {item.object_id for item in items}
    gone = [pk for pk in message_ids if pk not in indexed]
    if gone:
        document_remove(kind=DocumentKind.MESSAGE, object_ids=gone)
    return len(items)


def _drop_vectors_of_changed_text(items: list[WordsOnly]) -> None:
    """A message indexed again with other words (its text was changed) loses its vector
    until it is embedded again, so the old text is not found by meaning. Indexed again with
    the same words (``storedesk search reindex``), it keeps it."""
    embedded = SearchPassage.objects.filter(
        kind=DocumentKind.MESSAGE,
        document__kind=DocumentKind.MESSAGE,
        document__object_id__in=[item.object_id for item in items],
    ).values_list("id", "store_id", "document__object_id", "document__body_terms")
    rows = list(embedded)
    if not rows:
        return
    embedded_ids = {row[2] for row in rows}
    terms = {
        item.object_id: " ".join(index_terms(item.body, language_group(item.locale)))
        for item in items
        if item.object_id in embedded_ids
    }
    stale = [(pk, store_id) for pk, store_id, object_id, body in rows if terms[object_id] != body]
    if stale:
        SearchPassage.objects.filter(pk__in=[pk for pk, _ in stale]).delete()
        for store_id in {store_id for _, store_id in stale}:
            # The message is embedded again by the next run, which must look below the mark.
            cache.delete(_embedded_key(store_id))
            transaction.on_commit(
                lambda store_id=store_id: bump_version(store_id, DocumentKind.MESSAGE)
            )


def _locale(text: str, language: str, store: Store) -> str:
    """The store locale a message is analyzed in: its conversation's language, else the one
    detected among the store's, else the store's default."""
    locales = store.locales
    found = matching_locale(language, locales) if language else None
    return found or detected_locale(text, locales) or store.default_locale


def conversations_matching(query: str, *, store_ids, limit: int = 500) -> list[int]:
    """Ids of conversations whose messages hold every word of ``query`` (analyzed for each
    language of the stores in scope), best match first; when the words found fewer than
    ``SIMILAR_WHEN_WORDS_FIND_FEWER``, then also those whose customer messages mean what
    ``query`` describes (:func:`conversations_similar`). ``store_ids`` ``None``: every
    store."""
    by_words = parents_matching(query, kind=DocumentKind.MESSAGE, store_ids=store_ids, limit=limit)
    if len(by_words) >= SIMILAR_WHEN_WORDS_FIND_FEWER:
        return by_words
    by_meaning = [pk for pk, _ in conversations_similar(query, store_ids=store_ids)]
    return list(dict.fromkeys([*by_words, *by_meaning]))


def conversations_similar(query: str, *, store_ids) -> list[tuple[int, float]]:
    """Conversations with a customer message close in meaning to ``query``, in any
    language, as ``(id, similarity)`` best first: at least ``SIMILAR_FLOOR`` and within
    ``SIMILAR_MARGIN`` of the best, at most ``SIMILAR_LIMIT``. Empty without an embedder
    and for searches of fewer than ``SIMILAR_MIN_WORDS`` words. Only the stores in
    ``store_ids`` (``None``: every store) are read."""
    embedder = get_embedder()
    if embedder is None or not _describes(query):
        return []
    if store_ids is None:
        store_ids = Store.objects.values_list("pk", flat=True)
    found = vectors.nearest_parents(
        kind=DocumentKind.MESSAGE,
        store_ids=sorted(store_ids),
        vector=embedder.query(query[:EMBED_CHARS]),
        embedder_name=embedder.name,
        floor=SIMILAR_FLOOR,
        limit=SIMILAR_LIMIT,
    )
    if not found:
        return []
    best = found[0][1]
    return [(pk, score) for pk, score in found if score >= best - SIMILAR_MARGIN]


def _describes(query: str) -> bool:
    """Whether ``query`` reads as a description: two words or more, a word being letters
    only (order and tracking numbers, "CE439076951HR", and addresses are not words) or two
    Chinese characters (Chinese is written without spaces; a word is about two)."""
    han = len(HAN_RE.findall(query))
    words = [
        token
        for token in HAN_RE.sub(" ", query).split()
        if _WORD_RE.fullmatch(token.strip(".,;:!?\"'()"))
    ]
    return len(words) + han // 2 >= SIMILAR_MIN_WORDS


def messages_embed_pending(*, seconds: float = 20.0, batch: int = EMBED_BATCH) -> int:
    """Embed customers' messages that have no vector yet, newest first, among each store's
    newest ``vectors.WINDOW`` messages, for about ``seconds``, and drop the vectors of
    messages older than that; returns how many were embedded. Run every minute by a task;
    a backlog (a new install's history) is worked off over the following runs, a batch per
    store in turn, so one store's backlog does not hold back another's new messages.
    Without an embedder nothing is done."""
    embedder = get_embedder()
    if embedder is None:
        return 0
    deadline = time.monotonic() + seconds
    done = 0
    floors = {}
    for store_id in Store.objects.order_by("pk").values_list("pk", flat=True):
        oldest = _window_start(store_id)
        # Messages that left the window are not searched by meaning: their vectors go.
        SearchPassage.objects.filter(
            store_id=store_id, kind=DocumentKind.MESSAGE, document_id__lt=oldest
        ).delete()
        floors[store_id] = (
            max(oldest, cache.get(_embedded_key(store_id), 0) + 1),
            _newest(store_id),
        )
    while floors and time.monotonic() < deadline:
        for store_id, (floor, newest) in list(floors.items()):
            pending = _pending(store_id, floor, embedder.name, batch)
            embedded = _embed(pending, embedder) if pending else 0
            if not embedded:  # nothing left, or only messages deleted since (not retried)
                del floors[store_id]
                if not pending:
                    # Everything up to the newest document seen is embedded: the next runs
                    # look only above it, less a margin for messages committed late.
                    cache.set(_embedded_key(store_id), newest - LATE_MARGIN, timeout=None)
            done += embedded
            if time.monotonic() >= deadline:
                break
    return done


def _embedded_key(store_id: int) -> str:
    return f"search:messages-embedded-through:{store_id}"


def _window_start(store_id: int) -> int:
    """The id of the oldest message document among the store's newest ``WINDOW``."""
    last = _newest_first(store_id).values_list("id", flat=True)[vectors.WINDOW - 1 : vectors.WINDOW]
    return last[0] if last else 0


def _newest(store_id: int) -> int:
    newest = _newest_first(store_id).values_list("id", flat=True)[:1]
    return newest[0] if newest else 0


def _newest_first(store_id: int):
    # Ordered as the (store, kind, id) index is, so the database walks it backwards (ordered
    # by id alone, PostgreSQL walked the primary key through every other store's rows).
    return SearchDocument.objects.filter(store_id=store_id, kind=DocumentKind.MESSAGE).order_by(
        "-store_id", "-kind", "-id"
    )


def _pending(store_id: int, floor: int, embedder_name: str, batch: int) -> list[tuple]:
    customer_message = Message.objects.filter(pk=OuterRef("object_id"), kind=MessageKind.INBOUND)
    embedded = SearchPassage.objects.filter(document=OuterRef("pk"), embedder=embedder_name)
    return list(
        _newest_first(store_id)
        .filter(id__gte=floor)
        .filter(Exists(customer_message))
        .exclude(Exists(embedded))
        .values_list("id", "object_id")[:batch]
    )


def _embed(pending: list[tuple], embedder) -> int:
    texts = dict(
        Message.objects.filter(pk__in=[object_id for _, object_id in pending]).values_list(
            "pk", "text"
        )
    )
    documents = SearchDocument.objects.in_bulk([document_id for document_id, _ in pending])
    # A message deleted meanwhile has no text here: its document goes with it.
    rows = [(documents[d], texts[o]) for d, o in pending if o in texts and d in documents]
    if not rows:
        return 0
    matrix = embedder.queries([text[:EMBED_CHARS] for _, text in rows])
    SearchPassage.objects.bulk_create(
        [
            SearchPassage(
                document=document,
                store_id=document.store_id,
                kind=DocumentKind.MESSAGE,
                role=PassageRole.SECTION,
                text="",  # the message holds it
                vector=vector.astype("float32").tobytes(),
                embedder=embedder.name,
            )
            for (document, _), vector in zip(rows, matrix, strict=True)
        ]
    )
    return len(rows)
