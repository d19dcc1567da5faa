"""Writing the search index: the one place ``SearchDocument`` and ``SearchPassage`` rows are
created, replaced and removed. Callers (the help center, the conversation handlers) hand in
plain text; analysis, passages and embeddings happen here. Run it in tasks: embedding a long
article takes tens of milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from storedesk.search.analyzers import index_terms, language_group
from storedesk.search.embedders import get_embedder
from storedesk.search.models import PassageRole, SearchDocument, SearchPassage
from storedesk.search.passages import Passage

# A title term counts this many times a body term (in BM25's term frequency and length).
TITLE_WEIGHT = 3
# Queue priority of indexing tasks: below the default (0), so receiving and sending
# messages never wait behind a backlog of indexing (a new demo queues thousands).
INDEXING_PRIORITY = -10


def version_key(store_id: int, kind: str) -> str:
    return f"search:version:{store_id}:{kind}"


def index_version(store_id: int, kind: str) -> int:
    """A number that changes whenever the store's index of ``kind`` changes (cached
    matrices and vectors compare it): an article edited does not make every process read
    the store's message vectors again."""
    return cache.get(version_key(store_id, kind), 0)


def bump_version(store_id: int, kind: str) -> None:
    """Mark the store's index of ``kind`` changed: what is cached from it is read again."""
    key = version_key(store_id, kind)
    if not cache.add(key, 1, timeout=None):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=None)


def document_index(
    *,
    store_id: int,
    kind: str,
    object_id: int,
    locale: str,
    title: str,
    body: str,
    parent_id: int | None = None,
    public: bool = False,
    passages: Sequence[Passage] | None = None,
    created_at: datetime | None = None,
    embed: bool = True,
    questions: Sequence[tuple[str, str]] = (),
) -> None:
    """Index (or re-index) one object. ``title`` and ``body`` are plain text in ``locale``;
    ``passages`` are embedded when an embedder is configured and ``embed`` is on (none
    given: the body is one passage). Without ``embed`` only the words are indexed
    (:func:`documents_index_words`).

    ``questions`` are ``(locale, text)`` pairs the object is known to answer: embedded as
    queries (semantic search compares them with the reader's question), and their words
    count as body words when they are in the document's language."""
    analyzer = language_group(locale or "")
    # The questions' words in the document's language count as body words.
    same_language = [text for q_locale, text in questions if language_group(q_locale) == analyzer]
    words = "\n".join([body, *same_language])
    title_terms = index_terms(title, analyzer)
    body_terms = index_terms(words, analyzer)
    if not embed:
        documents_index_words(
            [
                WordsOnly(
                    store_id, kind, object_id, locale, title, words, parent_id, public, created_at
                )
            ]
        )
        return
    if passages is None:
        passages = [Passage(heading=title[:300], text=body)] if body.strip() else []
    vectors, embedder_name = _embed(passages, title)
    title_vector = _embed_title(title) if vectors is not None else b""
    question_texts = list(dict.fromkeys(text for _, text in questions if text.strip()))
    question_vectors = (
        _embed_questions(question_texts) if vectors is not None and question_texts else None
    )
    with transaction.atomic():
        document, _ = SearchDocument.objects.update_or_create(
            kind=kind,
            object_id=object_id,
            defaults={
                "store_id": store_id,
                "parent_id": parent_id,
                "locale": locale,
                "analyzer": analyzer,
                "public": public,
                "title_terms": " ".join(title_terms),
                "body_terms": " ".join(body_terms),
                "term_count": TITLE_WEIGHT * len(title_terms) + len(body_terms),
                "title_vector": title_vector,
                "created_at": created_at or timezone.now(),
                "indexed_at": timezone.now(),
            },
        )
        SearchPassage.objects.filter(document=document).delete()
        SearchPassage.objects.bulk_create(
            SearchPassage(
                document=document,
                store_id=store_id,
                kind=kind,
                position=position,
                heading=passage.heading[:300],
                text=passage.text,
                vector=vectors[position].tobytes() if vectors is not None else b"",
                embedder=embedder_name,
            )
            for position, passage in enumerate(passages)
        )
        if question_vectors is not None:
            SearchPassage.objects.bulk_create(
                SearchPassage(
                    document=document,
                    store_id=store_id,
                    kind=kind,
                    role=PassageRole.QUESTION,
                    position=len(passages) + n,
                    text=text,
                    vector=question_vectors[n].tobytes(),
                    embedder=embedder_name,
                )
                for n, text in enumerate(question_texts)
            )
        transaction.on_commit(lambda: bump_version(store_id, kind))


@dataclass(frozen=True)
class WordsOnly:
    """An object to index by its words alone (no passages, no vectors)."""

    store_id: int
    kind: str
    object_id: int
    locale: str
    title: str
    body: str
    parent_id: int | None = None
    public: bool = False
    created_at: datetime | None = None


_WORD_FIELDS = [
    "store_id", "parent_id", "locale", "analyzer", "public", "title_terms", "body_terms",
    "term_count", "title_vector", "created_at", "indexed_at",
]  # fmt: skip


def documents_index_words(items: Sequence[WordsOnly]) -> None:
    """Index many objects by their words in one statement (an upsert on kind and object):
    the path for messages and contacts, where one object is cheap and there are millions."""
    now = timezone.now()
    rows = []
    for item in items:
        analyzer = language_group(item.locale or "")
        title_terms = index_terms(item.title, analyzer)
        body_terms = index_terms(item.body, analyzer)
        rows.append(
            SearchDocument(
                store_id=item.store_id,
                kind=item.kind,
                object_id=item.object_id,
                parent_id=item.parent_id,
                locale=item.locale,
                analyzer=analyzer,
                public=item.public,
                title_terms=" ".join(title_terms),
                body_terms=" ".join(body_terms),
                term_count=TITLE_WEIGHT * len(title_terms) + len(body_terms),
                title_vector=b"",
                created_at=item.created_at or now,
                indexed_at=now,
            )
        )
    if rows:
        SearchDocument.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["kind", "object_id"],
            update_fields=_WORD_FIELDS,
        )


def document_remove(*, kind: str, object_ids: Iterable[int]) -> int:
    """Take objects out of the index; returns how many documents were removed."""
    object_ids = list(object_ids)
    stores = set(
        SearchDocument.objects.filter(kind=kind, object_id__in=object_ids).values_list(
            "store_id", flat=True
        )
    )
    deleted, _ = SearchDocument.objects.filter(kind=kind, object_id__in=object_ids).delete()
    for store_id in stores:
        transaction.on_commit(lambda store_id=store_id: bump_version(store_id, kind))
    return deleted


def _embed(passages: Sequence[Passage], title: str) -> tuple[np.ndarray | None, str]:
    embedder = get_embedder()
    if embedder is None or not passages:
        return None, ""
    # Each passage carries the document's title and its section heading: a section alone
    # often does not say what it is about ("Within the EU: 3-5 working days").
    texts = []
    for passage in passages:
        context = [part for part in (title, passage.heading) if part]
        context = list(dict.fromkeys(context))
        texts.append(". ".join(context) + "\n" + passage.text if context else passage.text)
    return embedder.passages(texts), embedder.name


def _embed_questions(texts: list[str]) -> np.ndarray:
    embedder = get_embedder()
    return np.stack([embedder.query(text).astype(np.float32) for text in texts])


def _embed_title(title: str) -> bytes:
    embedder = get_embedder()
    if embedder is None or not title.strip():
        return b""
    return embedder.query(title).astype(np.float32).tobytes()
