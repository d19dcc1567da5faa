"""Lexical matching through the database's full-text index, ranked with BM25.

The index (SQLite FTS5 or PostgreSQL's GIN over a ``tsvector``) finds every document of the
scope that holds at least one query term; BM25 is then computed here from the candidates'
stored terms, so SQLite and PostgreSQL rank identically. The document frequency of a term is
exact, because every document holding it is a candidate. Meant for scopes of up to some
thousands of matching documents (a store's articles); ``MAX_CANDIDATES`` bounds the work.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from storedesk.search.indexing import TITLE_WEIGHT
from storedesk.search.models import SearchDocument

K1 = 1.2
B = 0.75
# Agents' search ranks at most this many of the newest matching documents (see
# ranked_parents): recent conversations are what agents look for, and ranking every match
# of a common word in a large store is what made such a search slow.
RANKED_AT_MOST = 10_000
# PostgreSQL reads the newest documents in spans of ids (see ``_ranked_postgres``): the
# first this long, the next sized from the share of documents that matched so far (with
# this much to spare), or this many times longer when none did.
FIRST_SPAN = 20_000
SPAN_MARGIN = 1.25
SPAN_GROWTH = 16
MAX_CANDIDATES = 5000
_TABLE = SearchDocument._meta.db_table


@dataclass(frozen=True)
class Scope:
    """Which documents a search may see. ``store_id`` always: scoping happens inside the
    query, never after it."""

    store_id: int
    kind: str
    locales: tuple[str, ...] = ()
    public_only: bool = False


@dataclass(frozen=True)
class LexicalHit:
    document_id: int
    object_id: int
    parent_id: int | None
    locale: str
    score: float
    # The share of the query's weight (idf) this document holds: 1.0 when it has every
    # term. A strong signal when high, unlike a BM25 score driven by one common word.
    coverage: float = 0.0


def lexical_search(scope: Scope, terms: Sequence[str], limit: int = 50) -> list[LexicalHit]:
    """The scope's documents holding any of ``terms``, best BM25 score first."""
    terms = list(dict.fromkeys(t for t in terms if t))
    if not terms:
        return []
    rows = _candidates(scope, terms)
    if not rows:
        return []
    total, average_length = _collection_stats(scope)
    query_terms = set(terms)
    frequencies = []
    document_frequency: Counter[str] = Counter()
    for row in rows:
        counts: Counter[str] = Counter()
        for term in row[4].split():
            if term in query_terms:
                counts[term] += TITLE_WEIGHT
        for term in row[5].split():
            if term in query_terms:
                counts[term] += 1
        frequencies.append(counts)
        document_frequency.update(counts.keys())
    idf = {
        term: math.log(
            1 + (total - document_frequency[term] + 0.5) / (document_frequency[term] + 0.5)
        )
        for term in terms
    }
    query_weight = sum(idf.values()) or 1.0
    hits = []
    for row, counts in zip(rows, frequencies, strict=True):
        length = row[6] or 1
        score = 0.0
        for term, tf in counts.items():
            score += idf[term] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average_length))
        coverage = sum(idf[term] for term in counts) / query_weight
        hits.append(LexicalHit(row[0], row[1], row[2], row[3], score, coverage))
    hits.sort(key=lambda hit: (-hit.score, hit.document_id))
    return hits[:limit]


def _scope_sql(scope: Scope, alias: str = "d") -> tuple[str, list]:
    sql = f" AND {alias}.store_id = %s AND {alias}.kind = %s"
    params: list = [scope.store_id, scope.kind]
    if scope.locales:
        sql += f" AND {alias}.locale IN ({', '.join(['%s'] * len(scope.locales))})"
        params += list(scope.locales)
    if scope.public_only:
        sql += f" AND {alias}.public = %s"
        params.append(True)
    return sql, params


def _candidates(scope: Scope, terms: list[str]) -> list[tuple]:
    columns = "d.id, d.object_id, d.parent_id, d.locale, d.title_terms, d.body_terms, d.term_count"
    where, params = _scope_sql(scope)
    # Terms are letters-only or digits-only (analyzers guarantee it), so quoting them is
    # enough to keep them plain words in either query language.
    if connection.vendor == "sqlite":
        match = " OR ".join(f'"{term}"' for term in terms)
        sql = (
            f"SELECT {columns} FROM search_fts JOIN {_TABLE} d ON d.id = search_fts.rowid "  # noqa: S608
            f"WHERE search_fts MATCH %s{where} LIMIT {MAX_CANDIDATES}"
        )
    else:
        match = " | ".join(f"'{term}'" for term in terms)
        sql = (
            f"SELECT {columns} FROM {_TABLE} d "  # noqa: S608
            f"WHERE d.tsv @@ to_tsquery('simple', %s){where} LIMIT {MAX_CANDIDATES}"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params])
        return cursor.fetchall()


def _collection_stats(scope: Scope) -> tuple[int, float]:
    where, params = _scope_sql(scope)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), AVG(d.term_count) FROM {_TABLE} d WHERE 1 = 1{where}",  # noqa: S608
            params,
        )
        total, average = cursor.fetchone()
    return max(int(total or 0), 1), float(average or 1.0) or 1.0


def ranked_parents(
    *,
    kind: str,
    store_ids,
    term_groups: Sequence[Sequence[str]],
    limit: int = 500,
) -> list[int]:
    """The parents (e.g. conversations) of the documents matching every term of at least
    one group, best first by the database's own ranking (FTS5 ``bm25``, PostgreSQL
    ``ts_rank_cd``). ``store_ids`` ``None`` means every store; scoping is in the query.

    Meant for large collections (messages): the database ranks and cuts, nothing is scored
    here. Each group is the query analyzed for one language; a document matches when it
    holds all of one group's terms.
    """
    groups = [list(dict.fromkeys(t for t in group if t)) for group in term_groups]
    groups = [group for group in groups if group]
    if not groups or (store_ids is not None and not store_ids):
        return []
    params: list = [kind]
    where = " AND d.kind = %s"
    if store_ids is not None:
        store_ids = list(store_ids)
        where += f" AND d.store_id IN ({', '.join(['%s'] * len(store_ids))})"
        params += store_ids
    # Up to this many documents are ranked: several may belong to one parent.
    window = limit * 4
    if connection.vendor != "sqlite":
        query = " | ".join(
            "(" + " & ".join(f"'{term}'" for term in group) + ")" for group in groups
        )
        return _ranked_postgres(query, where, params, enough=window)[:limit]
    match = " OR ".join("(" + " AND ".join(f'"{term}"' for term in group) + ")" for group in groups)
    # Only the newest RANKED_AT_MOST matches are ranked: ranking every match of a common
    # word ("order", 订单) over a million messages took about 200 ms. FTS5 streams its
    # matches newest first (by rowid), so the cut costs nothing.
    sql = (
        f"SELECT parent_id FROM (SELECT d.parent_id AS parent_id, "  # noqa: S608
        f"bm25(search_fts, 3.0, 1.0) AS score FROM search_fts "
        f"JOIN {_TABLE} d ON d.id = search_fts.rowid WHERE search_fts MATCH %s{where} "
        f"ORDER BY search_fts.rowid DESC LIMIT {RANKED_AT_MOST}) "
        f"ORDER BY score LIMIT {window}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params])
        parents = [row[0] for row in cursor.fetchall()]
    return list(dict.fromkeys(p for p in parents if p is not None))[:limit]


def _ranked_postgres(query: str, where: str, params: list, *, enough: int) -> list[int]:
    """The parents of the newest matches of ``query``, ranked by ``ts_rank_cd``.

    Asking the GIN index for the newest matches of a word makes PostgreSQL read every match
    from the table to sort them by id, or walk the primary key backwards through every
    document until enough match: 200-300 ms for a word in 1-3 % of a million messages.
    Instead, spans of ids from the newest down are read, each through the GIN index alone
    (a rare word) or ANDed with the primary key's range (a common one), so only the span's
    matches are read; it stops once ``enough`` documents matched. The next span is sized
    from the share of documents that matched so far, so a common word takes one span, a
    middle one two, and a rare one reaches the oldest documents in two or three.
    ``RANKED_AT_MOST`` of the newest are ranked."""
    sql = (
        f"SELECT d.id, d.parent_id, ts_rank_cd(d.tsv, to_tsquery('simple', %s)) "  # noqa: S608
        f"FROM {_TABLE} d WHERE d.tsv @@ to_tsquery('simple', %s){where} "
        f"AND d.id > %s AND d.id <= %s"
    )
    found: list[tuple] = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {_TABLE}")  # noqa: S608
        top = cursor.fetchone()[0] or 0
        high, span = top, FIRST_SPAN
        while high > 0 and len(found) < enough:
            low = max(high - span, 0)
            # No ORDER BY: with one, the planner walks the primary key through the span.
            cursor.execute(sql, [query, query, *params, low, high])
            found += cursor.fetchall()
            high = low
            if found:
                share = len(found) / (top - high)
                span = max(int(SPAN_MARGIN * (enough - len(found)) / share), 1)
                span = min(span, SPAN_GROWTH * (top - high))
            else:
                span *= SPAN_GROWTH
    if len(found) > RANKED_AT_MOST:
        found = sorted(found, key=lambda row: -row[0])[:RANKED_AT_MOST]
    found.sort(key=lambda row: (-row[2], -row[0]))
    return list(dict.fromkeys(row[1] for row in found if row[1] is not None))


def parents_matching(query: str, *, kind: str, store_ids, limit: int = 500) -> list[int]:
    """:func:`ranked_parents` for a query as typed: analyzed once per language of the stores
    in scope (``store_ids`` ``None``: every store), any language's reading may match."""
    from storedesk.search.analyzers import analyze_query, language_group
    from storedesk.stores.models import Store

    stores = Store.objects.all() if store_ids is None else Store.objects.filter(pk__in=store_ids)
    analyzers = {language_group(locale) for store in stores for locale in store.locales}
    groups = [analyze_query(query, analyzer) for analyzer in sorted(analyzers)]
    return ranked_parents(kind=kind, store_ids=store_ids, term_groups=groups, limit=limit)
