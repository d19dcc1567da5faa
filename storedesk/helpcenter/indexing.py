"""Keeping the search index in step with the help center: every published translation of
an article is one search document (public when the article is), its sections the passages,
and the article's active questions go with the translation in their language (or, when
there is none, the one in the store's default language, else the first)."""

from __future__ import annotations

from storedesk.helpcenter.markdown import render_plain
from storedesk.helpcenter.models import (
    Article,
    ArticleQuestion,
    ArticleTranslation,
    TranslationStatus,
)
from storedesk.search.indexing import document_index, document_remove
from storedesk.search.models import DocumentKind, SearchDocument
from storedesk.search.passages import article_passages


def article_reindex(*, article_id: int) -> int:
    """Index the article's published translations and drop the rest (or everything, when the
    article is gone). Returns how many translations are indexed."""
    article = Article.objects.filter(pk=article_id).first()
    published = (
        list(article.translations.filter(status=TranslationStatus.PUBLISHED))
        if article is not None
        else []
    )
    stale = SearchDocument.objects.filter(kind=DocumentKind.ARTICLE, parent_id=article_id).exclude(
        object_id__in=[t.pk for t in published]
    )
    document_remove(kind=DocumentKind.ARTICLE, object_ids=stale.values_list("object_id", flat=True))
    questions = _questions_by_translation(article, published)
    for translation in published:
        translation_index(translation, article, questions.get(translation.pk, []))
    return len(published)


def _questions_by_translation(article, published) -> dict[int, list[tuple[str, str]]]:
    if not published:
        return {}
    by_locale = {translation.locale: translation for translation in published}
    fallback = by_locale.get(article.store.default_locale) or published[0]
    placed: dict[int, list[tuple[str, str]]] = {}
    for locale, text in ArticleQuestion.objects.filter(
        article=article, active=True, rejected=False
    ).values_list("locale", "text"):
        target = by_locale.get(locale, fallback)
        placed.setdefault(target.pk, []).append((locale, text))
    return placed


def translation_index(
    translation: ArticleTranslation, article: Article, questions: list[tuple[str, str]] = ()
) -> None:
    document_index(
        store_id=article.store_id,
        kind=DocumentKind.ARTICLE,
        object_id=translation.pk,
        parent_id=article.pk,
        locale=translation.locale,
        public=article.is_public,
        title=translation.title,
        body=render_plain(translation.body),
        passages=article_passages(translation.title, translation.body),
        created_at=translation.published_at,
        questions=questions,
    )
