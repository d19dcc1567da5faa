"""Reading help-center content. Public readers see published translations of public
articles only; agents see what their stores allow (``scope_to_stores``)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Max, Q, QuerySet

from storedesk.helpcenter.models import (
    Article,
    ArticleTranslation,
    Category,
    HelpSearch,
    TranslationStatus,
    Visibility,
)


def public_translations(store) -> QuerySet[ArticleTranslation]:
    """What readers may open: published translations of the store's public articles."""
    return ArticleTranslation.objects.filter(
        store=store,
        status=TranslationStatus.PUBLISHED,
        article__visibility=Visibility.PUBLIC,
    ).select_related("article", "article__category")


def suggest_path(store) -> str:
    """Where a page asks for article suggestions while a customer types a question, or ""
    when the store publishes no article (nothing to suggest)."""
    return f"/help/{store.slug}/suggest" if public_translations(store).exists() else ""


def public_translation(store, locale: str, slug: str) -> ArticleTranslation | None:
    return public_translations(store).filter(locale=locale, slug=slug).first()


def translations_of(article: Article, *, public: bool = True) -> dict[str, ArticleTranslation]:
    """The article's published translations by locale (for the language switcher and
    hreflang links)."""
    rows = article.translations.filter(status=TranslationStatus.PUBLISHED)
    return {t.locale: t for t in rows} if (not public or article.is_public) else {}


def categories_with_articles(store, locale: str) -> list[tuple[Category, list]]:
    """Each category with its public articles readable in ``locale``, in display order;
    categories without any are left out. Articles without a category come last, under
    ``None``."""
    translations = list(
        public_translations(store).filter(locale=locale).order_by("article__position", "title")
    )
    by_category: dict[int | None, list] = {}
    for translation in translations:
        by_category.setdefault(translation.article.category_id, []).append(translation)
    result = [
        (category, by_category[category.pk])
        for category in Category.objects.filter(store=store)
        if category.pk in by_category
    ]
    if None in by_category:
        result.append((None, by_category[None]))
    return result


def most_viewed(store, locale: str, limit: int = 5) -> list[ArticleTranslation]:
    return list(
        public_translations(store)
        .filter(locale=locale, article__view_count__gt=0)
        .order_by("-article__view_count", "title")[:limit]
    )


def related_translations(article: Article, locale: str, limit: int = 5):
    """Related articles readable in ``locale`` (set by agents; else the same category's)."""
    related = article.related.filter(visibility=Visibility.PUBLIC, store_id=article.store_id)
    if not related.exists() and article.category_id:
        related = Article.objects.filter(
            category_id=article.category_id, visibility=Visibility.PUBLIC
        ).exclude(pk=article.pk)
    return list(
        ArticleTranslation.objects.filter(
            article__in=related, locale=locale, status=TranslationStatus.PUBLISHED
        ).select_related("article")[:limit]
    )


def content_gaps(store_ids, *, since: datetime, limit: int = 50) -> list[dict]:
    """Searches readers made that found nothing or that nobody clicked, grouped by their
    normalised terms, most frequent first: ``normalized``, ``example`` (a query as typed),
    ``searches``, ``no_result``, ``no_click``, ``last``, ``store_id``, ``locale``."""
    rows = HelpSearch.objects.filter(created_at__gte=since)
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    grouped = (
        rows.values("store_id", "normalized")
        .annotate(
            searches=Count("id"),
            no_result=Count("id", filter=Q(result_count=0)),
            no_click=Count("id", filter=Q(result_count__gt=0, clicked__isnull=True)),
            clicked=Count("id", filter=Q(clicked__isnull=False)),
            last=Max("created_at"),
            example=Max("query"),
            locale=Max("locale"),
        )
        .filter(clicked=0)
        .order_by("-searches", "-last")[:limit]
    )
    return list(grouped)
