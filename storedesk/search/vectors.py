"""Nearest neighbours among the newest embedded documents of one kind, store by store.

Agents find conversations by meaning as well as by words: customers' messages are embedded
in the background and an agent's search is compared with the newest ``WINDOW`` embedded
messages of each store in scope. Neither SQLite nor PostgreSQL as shipped has a vector
index, so each process keeps those vectors in memory, per store and kind, quantised to int8
(a byte a dimension and a scale per vector: about 19 MB for 50,000 vectors of 384
dimensions), and on the next search reads only the rows added since. A removal from the
index of that kind bumps the store's version for it, and the store's vectors are then read
again; vectors the embedding run drops because their messages left the window are dropped
here the same way, by keeping the newest ``WINDOW`` documents.

A multilingual model scores text in the query's language higher whatever it says (a Chinese
search scores every Chinese message above most Croatian ones), so each language's mean
similarity, relative to the store's, is subtracted before the floor applies, as the help
center's ranking does (``search.semantic``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from storedesk.search.indexing import index_version
from storedesk.search.models import PassageRole, SearchPassage

# The newest embedded documents of a store that a search compares (and that are embedded).
WINDOW = 50_000
# Rows converted from int8 at a time: bounds the float32 copy a search makes.
CHUNK = 8192
# Passages read per statement when a store's vectors are read.
READ_BATCH = 5000
# Stores kept in memory per process; the least recently read is dropped beyond this.
MAX_CACHED_STORES = 64
# A language with fewer vectors than this in a store is not centred (its mean says little).
MIN_VECTORS_TO_CENTER = 20


@dataclass
class _Vectors:
    version: int
    last_passage_id: int
    document_ids: np.ndarray  # int64, ascending: the newest documents are at the end
    parent_ids: np.ndarray  # int64, one per vector
    locales: np.ndarray  # int16, one per vector: an index into _locale_names
    codes: np.ndarray  # int8, (vectors, dim)
    scales: np.ndarray  # float32, (vectors,): a vector is codes * scale


_cache: dict[tuple[int, str, str], _Vectors] = {}
_lock = threading.Lock()
_locale_names: list[str] = []
_locale_numbers: dict[str, int] = {}


def nearest_parents(
    *,
    kind: str,
    store_ids: Iterable[int],
    vector: np.ndarray,
    embedder_name: str,
    floor: float,
    limit: int,
) -> list[tuple[int, float]]:
    """The parents (e.g. conversations) of the documents of these stores most similar to
    ``vector`` (a normalised query embedding), as ``(parent_id, best similarity)`` pairs,
    best first; only similarities of at least ``floor`` once each language is centred.
    Scoping is by store: a store not in ``store_ids`` is never read."""
    vector = np.asarray(vector, dtype=np.float32)
    best: dict[int, float] = {}
    for store_id in store_ids:
        vectors = _store_vectors(store_id, kind, embedder_name)
        if not len(vectors.parent_ids) or vectors.codes.shape[1] != vector.shape[0]:
            continue
        scores = _centred(vectors, _similarities(vectors, vector))
        rows = np.flatnonzero(scores >= floor)
        if rows.size > limit * 4:  # several documents may share a parent
            rows = rows[np.argpartition(-scores[rows], limit * 4)[: limit * 4]]
        for row in rows:
            parent, score = int(vectors.parent_ids[row]), float(scores[row])
            if score > best.get(parent, -2.0):
                best[parent] = score
    return sorted(best.items(), key=lambda item: -item[1])[:limit]


def quantised(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and a float32 scale per row, ``codes * scale`` within half a step of each
    value (similarities move by about 0.002 at 384 dimensions)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    scales = np.abs(matrix).max(axis=1) / 127.0 if len(matrix) else np.zeros(0, np.float32)
    scales = np.maximum(scales, 1e-12).astype(np.float32)
    codes = np.clip(np.rint(matrix / scales[:, None]), -127, 127).astype(np.int8)
    return codes, scales


def clear_cache() -> None:
    """Forget every store's vectors (they are read again on the next search)."""
    with _lock:
        _cache.clear()


def _similarities(vectors: _Vectors, vector: np.ndarray) -> np.ndarray:
    scores = np.empty(len(vectors.parent_ids), dtype=np.float32)
    for start in range(0, len(scores), CHUNK):
        block = vectors.codes[start : start + CHUNK].astype(np.float32)
        scores[start : start + CHUNK] = block @ vector
    return scores * vectors.scales


def _centred(vectors: _Vectors, scores: np.ndarray) -> np.ndarray:
    """``scores`` less each language's mean relative to the store's mean."""
    numbers, counts = np.unique(vectors.locales, return_counts=True)
    if len(numbers) < 2:
        return scores
    offsets = np.zeros(int(numbers.max()) + 1, dtype=np.float32)
    sums = np.bincount(vectors.locales, weights=scores, minlength=len(offsets))
    overall = scores.mean()
    for number, count in zip(numbers, counts, strict=True):
        if count >= MIN_VECTORS_TO_CENTER:
            offsets[number] = sums[number] / count - overall
    return scores - offsets[vectors.locales]


def _locale_number(locale: str) -> int:
    with _lock:
        if locale not in _locale_numbers:
            _locale_numbers[locale] = len(_locale_names)
            _locale_names.append(locale)
        return _locale_numbers[locale]


def _store_vectors(store_id: int, kind: str, embedder_name: str) -> _Vectors:
    key = (store_id, kind, embedder_name)
    version = index_version(store_id, kind)
    with _lock:
        cached = _cache.get(key)
    if cached is None or cached.version != version:
        cached = _read(store_id, kind, embedder_name, version=version, after=0)
    else:
        newer = _read(store_id, kind, embedder_name, version=version, after=cached.last_passage_id)
        if len(newer.parent_ids):
            cached = _joined(cached, newer)
    with _lock:
        _cache.pop(key, None)
        _cache[key] = cached  # the most recently read last
        while len(_cache) > MAX_CACHED_STORES:
            _cache.pop(next(iter(_cache)))
    return cached


def _read(store_id: int, kind: str, embedder_name: str, *, version: int, after: int) -> _Vectors:
    """The newest ``WINDOW`` vectors of the store with a passage id above ``after``."""
    # First the ids alone, ordered as the (store, kind, id) index is: an index-only scan
    # that finds nothing in a fraction of a millisecond when nothing was added. Asked with
    # the other conditions and the join, PostgreSQL walked the primary key backwards
    # through every other store's newer passages instead (40-140 ms per store).
    ids = list(
        SearchPassage.objects.filter(store_id=store_id, kind=kind, id__gt=after)
        .order_by("-store_id", "-kind", "-id")
        .values_list("id", flat=True)[:WINDOW]
    )
    rows = []
    for start in range(0, len(ids), READ_BATCH):
        rows += SearchPassage.objects.filter(
            id__in=ids[start : start + READ_BATCH],
            embedder=embedder_name,
            role=PassageRole.SECTION,
        ).values_list("document_id", "document__parent_id", "vector", "document__locale")
    # Oldest message first, so the newest are at the end (a backlog is embedded newest
    # first, so the order of passage ids is not the order of the messages).
    rows.sort(key=lambda row: row[0])
    dims = {len(bytes(row[2])) for row in rows}
    if len(dims) > 1:  # mixed dimensions (a model change mid-way): keep the newest model's
        newest = len(bytes(rows[-1][2]))
        rows = [row for row in rows if len(bytes(row[2])) == newest]
    if rows:
        matrix = np.frombuffer(b"".join(bytes(row[2]) for row in rows), dtype=np.float32)
        codes, scales = quantised(matrix.reshape(len(rows), -1))
    else:
        codes, scales = np.zeros((0, 0), dtype=np.int8), np.zeros(0, dtype=np.float32)
    return _Vectors(
        version=version,
        last_passage_id=max(ids, default=after),
        document_ids=np.array([row[0] for row in rows], dtype=np.int64),
        parent_ids=np.array([row[1] or 0 for row in rows], dtype=np.int64),
        locales=np.array([_locale_number(row[3]) for row in rows], dtype=np.int16),
        codes=codes,
        scales=scales,
    )


def _joined(older: _Vectors, newer: _Vectors) -> _Vectors:
    """The vectors of both, of the newest ``WINDOW`` documents: the embedding run drops the
    vectors of messages older than the store's window from the database, and these are
    the ones dropped here."""
    if older.codes.shape[1:] != newer.codes.shape[1:] and len(older.parent_ids):
        return newer
    document_ids = np.concatenate([older.document_ids, newer.document_ids])
    order = np.argsort(document_ids, kind="stable")[-WINDOW:]
    return _Vectors(
        version=newer.version,
        last_passage_id=newer.last_passage_id,
        document_ids=document_ids[order],
        parent_ids=np.concatenate([older.parent_ids, newer.parent_ids])[order],
        locales=np.concatenate([older.locales, newer.locales])[order],
        codes=np.concatenate([older.codes.reshape(-1, newer.codes.shape[1]), newer.codes])[order],
        scales=np.concatenate([older.scales, newer.scales])[order],
    )
