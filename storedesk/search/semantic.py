"""Semantic matching: the query's embedding against the scope's embeddings.

A document's score mixes its best passage's similarity with its title's (the title embedded
as a question, since readers ask questions that resemble titles): ``TITLE_SHARE`` of the
title, the rest of the passage. The scope's vectors are read once into matrices per process
and kept until the store's index version changes, so a query costs one embedding and two
matrix products.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from storedesk.search.embedders import get_embedder
from storedesk.search.indexing import index_version
from storedesk.search.lexical import Scope
from storedesk.search.models import SearchDocument, SearchPassage

TITLE_SHARE = 0.3
CENTER_LOCALES = True
# A language with fewer documents than this is not centred (its mean says little).
MIN_DOCUMENTS_TO_CENTER = 3
# Scopes kept in memory per process; the oldest is dropped beyond this.
MAX_CACHED_SCOPES = 64


@dataclass(frozen=True)
class SemanticHit:
    document_id: int
    object_id: int
    parent_id: int | None
    locale: str
    passage_id: int  # the best passage
    score: float  # about -1..1


@dataclass
class _Matrix:
    version: int
    document_ids: np.ndarray  # per document
    object_ids: np.ndarray
    parent_ids: list
    locales: list
    titles: np.ndarray  # (documents, dim); zero rows where no title vector
    has_title: np.ndarray  # (documents,) bool
    passages: np.ndarray  # (passages, dim)
    passage_ids: np.ndarray
    passage_document: np.ndarray  # the document row of each passage


_cache: dict[tuple[Scope, str], _Matrix] = {}
_lock = threading.Lock()


def semantic_search(scope: Scope, query: str, limit: int = 50) -> list[SemanticHit]:
    """The scope's documents by similarity to ``query``, best first (empty when no embedder
    is configured)."""
    embedder = get_embedder()
    if embedder is None or not query.strip():
        return []
    matrix = _matrix(scope, embedder.name)
    if matrix.passages.shape[0] == 0:
        return []
    vector = embedder.query(query)
    passage_scores = matrix.passages @ vector
    best_score = np.full(len(matrix.document_ids), -np.inf, dtype=np.float32)
    np.maximum.at(best_score, matrix.passage_document, passage_scores)
    best_passage = np.zeros(len(matrix.document_ids), dtype=np.int64)
    # The passage achieving each document's best score (ties: the first).
    order = np.argsort(-passage_scores, kind="stable")
    seen = np.zeros(len(matrix.document_ids), dtype=bool)
    for index in order:
        row = matrix.passage_document[index]
        if not seen[row]:
            seen[row] = True
            best_passage[row] = matrix.passage_ids[index]
    scores = np.where(
        matrix.has_title,
        TITLE_SHARE * (matrix.titles @ vector) + (1 - TITLE_SHARE) * best_score,
        best_score,
    )
    if CENTER_LOCALES and len(set(matrix.locales)) > 1:
        scores = scores - _locale_offsets(matrix, scores, seen)
    ranked = [row for row in np.argsort(-scores, kind="stable") if seen[row]][:limit]
    return [
        SemanticHit(
            document_id=int(matrix.document_ids[row]),
            object_id=int(matrix.object_ids[row]),
            parent_id=matrix.parent_ids[row],
            locale=matrix.locales[row],
            passage_id=int(best_passage[row]),
            score=float(scores[row]),
        )
        for row in ranked
    ]


def _locale_offsets(matrix: _Matrix, scores: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """How much higher than the rest each language's documents score, per document.

    A multilingual model scores text in the query's language higher whatever it says, so a
    Croatian question ranks a loosely related Croatian article above the English one that
    answers it. Subtracting each language's mean similarity (relative to the overall mean)
    leaves what the documents say."""
    locales = np.array(matrix.locales)
    overall = scores[seen].mean()
    offsets = np.zeros_like(scores)
    for locale in set(matrix.locales):
        rows = (locales == locale) & seen
        if rows.sum() >= MIN_DOCUMENTS_TO_CENTER:
            offsets[rows] = scores[rows].mean() - overall
    return offsets


def clear_cache() -> None:
    """Forget every scope's matrices (they are read again on the next search)."""
    with _lock:
        _cache.clear()


def _matrix(scope: Scope, embedder_name: str) -> _Matrix:
    version = index_version(scope.store_id)
    key = (scope, embedder_name)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached.version == version:
            return cached
    documents = SearchDocument.objects.filter(store_id=scope.store_id, kind=scope.kind)
    if scope.locales:
        documents = documents.filter(locale__in=scope.locales)
    if scope.public_only:
        documents = documents.filter(public=True)
    docs = list(documents.values_list("id", "object_id", "parent_id", "locale", "title_vector"))
    row_of = {doc[0]: row for row, doc in enumerate(docs)}
    passages = list(
        SearchPassage.objects.filter(document__in=documents, embedder=embedder_name)
        .order_by("id")
        .values_list("id", "document_id", "vector")
    )
    dim = len(bytes(passages[0][2])) // 4 if passages else 1
    titles = np.zeros((len(docs), dim), dtype=np.float32)
    has_title = np.zeros(len(docs), dtype=bool)
    for row, doc in enumerate(docs):
        raw = bytes(doc[4] or b"")
        if len(raw) == dim * 4:
            titles[row] = np.frombuffer(raw, dtype=np.float32)
            has_title[row] = True
    matrix = _Matrix(
        version=version,
        document_ids=np.array([doc[0] for doc in docs], dtype=np.int64),
        object_ids=np.array([doc[1] for doc in docs], dtype=np.int64),
        parent_ids=[doc[2] for doc in docs],
        locales=[doc[3] for doc in docs],
        titles=titles,
        has_title=has_title,
        passages=(
            np.frombuffer(b"".join(bytes(p[2]) for p in passages), dtype=np.float32).reshape(
                len(passages), dim
            )
            if passages
            else np.zeros((0, dim), dtype=np.float32)
        ),
        passage_ids=np.array([p[0] for p in passages], dtype=np.int64),
        passage_document=np.array([row_of[p[1]] for p in passages], dtype=np.int64),
    )
    with _lock:
        if len(_cache) >= MAX_CACHED_SCOPES:
            _cache.pop(next(iter(_cache)))
        _cache[key] = matrix
    return matrix
