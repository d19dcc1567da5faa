"""Keeping the search index in step with the help center: every published translation of
an article is one search document (public when the article is), its sections the passages."""

from __future__ import annotations

from storedesk.helpcenter.markdown import render_plain
from storedesk.helpcenter.models import Article, ArticleTranslation, TranslationStatus
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
    for translation in published:
        translation_index(translation, article)
    return len(published)


def translation_index(translation: ArticleTranslation, article: Article) -> None:
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
    )
