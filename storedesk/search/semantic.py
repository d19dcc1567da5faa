"""Semantic matching: the query's embedding against the scope's embeddings.

A document's score mixes its best passage's similarity with its title's (the title embedded
as a question, since readers ask questions that resemble titles): ``TITLE_SHARE`` of the
title, the rest of the passage. A document known to answer questions close to the reader's
(``PassageRole.QUESTION``) gains ``QUESTION_WEIGHT`` for every point of similarity above
``QUESTION_FLOOR``. The scope's vectors are read once into matrices per process
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
from storedesk.search.models import PassageRole, SearchDocument, SearchPassage

TITLE_SHARE = 0.3
# A known question as close as a paraphrase (e5 similarity about 0.9) lifts its document by
# about 0.05, more than most near-ties between related articles. Measured with each of the
# project's two query sets learned and the other one asked (docs/benchmarks.md): weights
# from 0.3 to 0.5 did best in every language, 0.7 and more let a loosely similar question
# outrank a better article; the floor (0.75 to 0.85) made no difference there.
QUESTION_WEIGHT = 0.5
QUESTION_FLOOR = 0.80
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
    questions: np.ndarray  # (questions, dim)
    question_document: np.ndarray  # the document row of each question
    parent_row: np.ndarray  # per document: a number shared by the documents of one parent
    parent_count: int


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
    if matrix.questions.shape[0]:
        # Per parent (an article, whichever translation holds the question): a question
        # asked in Croatian lifts the English translation too.
        best_question = np.full(matrix.parent_count, -np.inf, dtype=np.float32)
        np.maximum.at(
            best_question,
            matrix.parent_row[matrix.question_document],
            matrix.questions @ vector,
        )
        lift = QUESTION_WEIGHT * np.maximum(best_question - QUESTION_FLOOR, 0.0)
        scores = scores + lift[matrix.parent_row]
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
    version = index_version(scope.store_id, scope.kind)
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
    parent_numbers: dict = {}  # a document without a parent is its own
    parent_row = np.array(
        [parent_numbers.setdefault(doc[2] or ("doc", doc[0]), len(parent_numbers)) for doc in docs],
        dtype=np.int64,
    )
    rows = list(
        SearchPassage.objects.filter(document__in=documents, embedder=embedder_name)
        .order_by("id")
        .values_list("id", "document_id", "vector", "role")
    )
    passages = [row for row in rows if row[3] != PassageRole.QUESTION]
    questions = [row for row in rows if row[3] == PassageRole.QUESTION]
    dim = len(bytes(rows[0][2])) // 4 if rows else 1
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
        passages=_vectors(passages, dim),
        passage_ids=np.array([p[0] for p in passages], dtype=np.int64),
        passage_document=np.array([row_of[p[1]] for p in passages], dtype=np.int64),
        questions=_vectors(questions, dim),
        question_document=np.array([row_of[q[1]] for q in questions], dtype=np.int64),
        parent_row=parent_row,
        parent_count=len(parent_numbers),
    )
    with _lock:
        if len(_cache) >= MAX_CACHED_SCOPES:
            _cache.pop(next(iter(_cache)))
        _cache[key] = matrix
    return matrix


def _vectors(rows, dim: int) -> np.ndarray:
    if not rows:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(bytes(row[2]) for row in rows), dtype=np.float32).reshape(
        len(rows), dim
    )
