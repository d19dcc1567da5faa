"""Finding help-center articles: lexical (BM25 over each language's analyzed terms) and
semantic (multilingual embeddings, so a question in one language finds an article written
in another), fused by reciprocal rank. One hit per article, shown in the reader's language
when the article has a published translation in it."""

from __future__ import annotations

from dataclasses import dataclass

from storedesk.helpcenter.models import Article, ArticleTranslation, TranslationStatus
from storedesk.search.analyzers import analyze_query
from storedesk.search.highlight import snippet
from storedesk.search.language import detected_locale
from storedesk.search.lexical import Scope, lexical_search
from storedesk.search.models import DocumentKind, SearchPassage
from storedesk.search.semantic import semantic_search

MODES = ("fused", "lexical", "semantic")
# Fusion: the semantic similarity plus this much of the lexical score (relative to the
# query's best). Measured on bench/data/helpcenter_eval.json (see docs/benchmarks.md):
# reciprocal rank fusion and larger boosts lost hit@1 in every language, because BM25 ranks
# any article sharing a question word ("can", "my", "怎么") above a paraphrase in another
# language. Small enough to only break near-ties: order numbers, brand and product names.
LEXICAL_BOOST = 0.02
MAX_QUERY_CHARS = 500
# Below this similarity a semantic match is noise. It cannot tell an unanswered question
# from an answered one: on bench/data/helpcenter_eval.json the questions the help center
# does not answer score as high (median 0.84-0.87) as those it does, so content gaps are
# found by searches nobody clicked, not by a threshold.
SEMANTIC_FLOOR = 0.70


@dataclass
class ArticleHit:
    article: Article
    translation: ArticleTranslation
    score: float
    lexical_rank: int | None
    semantic_rank: int | None
    semantic_score: float | None
    snippet: str  # safe HTML, matches in <mark>
    passage: str  # the best-matching section, plain text


def search_articles(
    store,
    query: str,
    *,
    locale: str | None = None,
    include_internal: bool = False,
    limit: int = 10,
    mode: str = "fused",
) -> list[ArticleHit]:
    """The store's published articles answering ``query``, best first.

    ``locale`` is the reader's language (the page's); without it, the query's detected
    language is used. Internal articles only with ``include_internal`` (agents).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    query = " ".join(query.split())[:MAX_QUERY_CHARS]
    if not query:
        return []
    locales = tuple(store.locales)
    query_locale = detected_locale(query, locales)
    reader_locale = locale or query_locale or store.default_locale
    scope_args = {"store_id": store.pk, "kind": DocumentKind.ARTICLE}
    public_only = not include_internal

    lexical, query_terms = [], {}
    if mode in ("fused", "lexical"):
        # Each language's documents are matched with the query analyzed as that language;
        # the detected language (or, if unsure, every language) decides which count.
        for doc_locale in locales:
            terms = analyze_query(query, doc_locale)
            query_terms[doc_locale] = terms
            scope = Scope(**scope_args, locales=(doc_locale,), public_only=public_only)
            lexical += lexical_search(scope, terms, limit=50)
        lexical.sort(key=lambda hit: -hit.score)
    semantic = []
    if mode in ("fused", "semantic"):
        scope = Scope(**scope_args, public_only=public_only)
        semantic = semantic_search(scope, query, limit=50)
        if mode == "fused":
            semantic = [hit for hit in semantic if hit.score >= SEMANTIC_FLOOR]

    lexical_order = _first_per_article(hit.parent_id for hit in lexical)
    semantic_order = _first_per_article(hit.parent_id for hit in semantic)
    if semantic:
        fused = _boosted(semantic, lexical)[:limit]
    else:  # lexical mode, or no embedder configured
        best = {}
        for hit in lexical:
            best.setdefault(hit.parent_id, hit.score)
        fused = list(best.items())[:limit]
    if not fused:
        return []
    return _hits(
        fused, lexical_order, semantic_order, lexical, semantic, reader_locale, query, query_terms
    )


def _boosted(semantic, lexical) -> list[tuple[int, float]]:
    """Semantic similarity plus a boost growing with the share of the query an article
    holds word for word (squared: all of a rare term counts, a common word barely)."""
    boost: dict[int, float] = {}
    for hit in lexical:
        boost[hit.parent_id] = max(boost.get(hit.parent_id, 0.0), hit.coverage**2)
    scores: dict[int, float] = {}
    for hit in semantic:
        scores.setdefault(hit.parent_id, hit.score + LEXICAL_BOOST * boost.get(hit.parent_id, 0.0))
    return sorted(scores.items(), key=lambda item: -item[1])


def _first_per_article(article_ids) -> list[int]:
    return list(dict.fromkeys(article_id for article_id in article_ids if article_id))


def _hits(fused, lexical_order, semantic_order, lexical, semantic, reader_locale, query, terms):
    article_ids = [article_id for article_id, _ in fused]
    articles = Article.objects.in_bulk(article_ids)
    translations: dict[int, dict[str, ArticleTranslation]] = {}
    for translation in ArticleTranslation.objects.filter(
        article_id__in=article_ids, status=TranslationStatus.PUBLISHED
    ):
        translations.setdefault(translation.article_id, {})[translation.locale] = translation
    matched_locale = {}
    for hit in [*lexical, *semantic]:
        matched_locale.setdefault(hit.parent_id, hit.locale)
    best_passage = {hit.parent_id: hit for hit in reversed(semantic)}
    passages = SearchPassage.objects.select_related("document").in_bulk(
        [hit.passage_id for hit in best_passage.values()]
    )
    hits = []
    for article_id, score in fused:
        article, by_locale = articles.get(article_id), translations.get(article_id)
        if article is None or not by_locale:
            continue  # deleted or unpublished since it was indexed
        translation = (
            by_locale.get(reader_locale)
            or by_locale.get(matched_locale.get(article_id, ""))
            or next(iter(by_locale.values()))
        )
        semantic_hit = best_passage.get(article_id)
        passage = passages.get(semantic_hit.passage_id) if semantic_hit else None
        text = _plain(translation)
        hits.append(
            ArticleHit(
                article=article,
                translation=translation,
                score=score,
                lexical_rank=_rank(lexical_order, article_id),
                semantic_rank=_rank(semantic_order, article_id),
                semantic_score=semantic_hit.score if semantic_hit else None,
                snippet=snippet(
                    text,
                    terms.get(translation.locale) or analyze_query(query, translation.locale),
                    translation.locale,
                ),
                passage=passage.text
                if passage and passage.document.locale == translation.locale
                else "",
            )
        )
    return hits


def _rank(order: list[int], article_id: int) -> int | None:
    try:
        return order.index(article_id) + 1
    except ValueError:
        return None


def _plain(translation: ArticleTranslation) -> str:
    from storedesk.helpcenter.markdown import render_plain

    return render_plain(translation.body)
