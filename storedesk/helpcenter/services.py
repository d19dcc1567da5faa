"""Changing help-center content: the one place articles, translations and categories are
written. Publishing emits ``ArticleChanged``, which re-indexes the article in a task."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from storedesk.accounts.services import audit_log
from storedesk.core.errors import ValidationError
from storedesk.core.events import emit
from storedesk.helpcenter.events import ArticleChanged
from storedesk.helpcenter.markdown import MAX_MARKDOWN_CHARS, render_html
from storedesk.helpcenter.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    TranslationStatus,
    Visibility,
)
from storedesk.stores.models import Store

_LOCALE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


def normalise_locale(value: str, *, field_name: str = "locale") -> str:
    """``"zh_Hans"`` → ``"zh-hans"``; refuses anything that is not a locale code."""
    locale = (value or "").strip().replace("_", "-").lower()
    if not _LOCALE.match(locale) or len(locale) > 16:
        raise ValidationError(f"{value!r} is not a locale code.", field=field_name)
    return locale


def _slug(value: str, *, field_name: str = "slug", max_length: int = 120) -> str:
    slug = slugify(value)[:max_length].strip("-")
    if not slug:
        raise ValidationError("Needs letters or digits (a-z, 0-9).", field=field_name)
    return slug


def category_save(
    *, store: Store, slug: str, names: dict | None = None, descriptions=None, position=None
) -> Category:
    """Create or update the store's category ``slug``; ``names`` and ``descriptions`` are
    merged per locale."""
    slug = _slug(slug, max_length=80)
    category, _ = Category.objects.get_or_create(store=store, slug=slug)
    category.names = {**category.names, **{k: v[:200] for k, v in (names or {}).items() if v}}
    category.descriptions = {
        **category.descriptions,
        **{k: v[:1000] for k, v in (descriptions or {}).items() if v},
    }
    if position is not None:
        category.position = position
    category.save()
    return category


def article_save(
    *,
    store: Store,
    key: str,
    locale: str,
    title: str,
    body: str,
    actor=None,
    slug: str = "",
    category: Category | None = None,
    visibility: str | None = None,
    publish: bool = False,
    article: Article | None = None,
) -> ArticleTranslation:
    """Save a new version of one translation of an article (created when missing) as a
    draft, or publish it at once with ``publish=True``. The published text readers see
    changes only on publish."""
    locale = normalise_locale(locale)
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError("The article needs a title.", field="title")
    if len(title) > 300:
        raise ValidationError("At most 300 characters.", field="title")
    if len(body or "") > MAX_MARKDOWN_CHARS:
        raise ValidationError(f"At most {MAX_MARKDOWN_CHARS} characters.", field="body")
    if visibility is not None and visibility not in Visibility.values:
        raise ValidationError("Unknown visibility.", field="visibility")
    if category is not None and category.store_id != store.pk:
        raise ValidationError("The category belongs to another store.", field="category")
    with transaction.atomic():
        if article is None:
            key = _slug(key, field_name="key")
            article, _ = Article.objects.get_or_create(store=store, key=key)
        elif article.store_id != store.pk:
            raise ValidationError("The article belongs to another store.", field="article")
        changed = []
        if category is not None and article.category_id != category.pk:
            article.category = category
            changed.append("category")
        if visibility is not None and article.visibility != visibility:
            article.visibility = visibility
            changed.append("visibility")
        if changed:
            article.save(update_fields=[*changed, "updated_at"])
        translation = article.translations.filter(locale=locale).first()
        if translation is None:
            translation = ArticleTranslation(
                article=article,
                store=store,
                locale=locale,
                slug=_unique_slug(store, locale, slug or title, article),
            )
        elif slug:
            translation.slug = _unique_slug(store, locale, slug, article)
        translation.draft_title = title
        translation.draft_body = body or ""
        translation.has_draft = True
        translation.updated_by = actor if getattr(actor, "pk", None) else None
        try:
            with transaction.atomic():
                translation.save()
        except IntegrityError as exc:
            raise ValidationError("Another article uses this slug.", field="slug") from exc
        ArticleRevision.objects.create(
            translation=translation, title=title, body=body or "", author=translation.updated_by
        )
        if publish:
            translation_publish(translation=translation, actor=actor)
        elif changed and article.translations.filter(status=TranslationStatus.PUBLISHED).exists():
            emit(ArticleChanged(article_id=article.pk, store_id=store.pk))
    return translation


def _unique_slug(store: Store, locale: str, text: str, article: Article) -> str:
    # A title without Latin letters or digits (Chinese) takes the article's key.
    base = slugify(text)[:150].strip("-") or article.key
    slug, n = base, 2
    taken = ArticleTranslation.objects.filter(store=store, locale=locale).exclude(article=article)
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def translation_publish(*, translation: ArticleTranslation, actor=None) -> ArticleTranslation:
    """Make the draft what readers see (and search finds)."""
    if not translation.has_draft and translation.is_published:
        return translation
    with transaction.atomic():
        if translation.has_draft:
            translation.title = translation.draft_title
            translation.body = translation.draft_body
        translation.html = render_html(translation.body)
        translation.status = TranslationStatus.PUBLISHED
        translation.published_at = timezone.now()
        translation.has_draft = False
        translation.save()
        ArticleRevision.objects.filter(
            pk=translation.revisions.values_list("pk", flat=True)[:1]
        ).update(published=True)
        audit_log(actor=_agent(actor), action="article.published", target=translation.article)
        emit(ArticleChanged(article_id=translation.article_id, store_id=translation.store_id))
    return translation


def translation_unpublish(*, translation: ArticleTranslation, actor=None) -> ArticleTranslation:
    """Take a translation off the help center (its text is kept as a draft)."""
    with transaction.atomic():
        if translation.is_published and not translation.has_draft:
            translation.draft_title, translation.draft_body = translation.title, translation.body
            translation.has_draft = True
        translation.status = TranslationStatus.DRAFT
        translation.save()
        audit_log(actor=_agent(actor), action="article.unpublished", target=translation.article)
        emit(ArticleChanged(article_id=translation.article_id, store_id=translation.store_id))
    return translation


def article_delete(*, article: Article, actor=None) -> None:
    with transaction.atomic():
        article_id, store_id = article.pk, article.store_id
        audit_log(actor=_agent(actor), action="article.deleted", target=article)
        article.delete()
        emit(ArticleChanged(article_id=article_id, store_id=store_id))


def _agent(actor):
    return actor if getattr(actor, "pk", None) else None


def view_record(*, article: Article, locale: str) -> None:
    """Count one reader's view (total and per day)."""
    from storedesk.helpcenter.models import ArticleViewDay

    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
    day = timezone.localdate()
    updated = ArticleViewDay.objects.filter(article=article, locale=locale, day=day).update(
        count=F("count") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                ArticleViewDay.objects.create(article=article, locale=locale, day=day, count=1)
        except IntegrityError:  # a concurrent first view of the day
            ArticleViewDay.objects.filter(article=article, locale=locale, day=day).update(
                count=F("count") + 1
            )


# --- Import ---------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    store_created: bool = False
    articles_created: int = 0
    translations_saved: int = 0
    categories_created: int = 0
    errors: list[str] = field(default_factory=list)


def articles_import(
    *, store_slug: str, items, actor=None, publish: bool = True, store_name: str = ""
) -> ImportSummary:
    """Load ``[{"slug", "title", "body", "locale"?, "category"?, "questions"?}, ...]`` into
    the store ``store_slug`` (created when missing). Items sharing a slug are translations
    of one article; an item's locale defaults to the store's; ``questions`` are questions
    the article answers, in the item's language (``helpcenter.questions``). A bad item is
    reported by index and skipped; the others are saved."""
    from storedesk.stores.services import store_create

    if not isinstance(items, list):
        raise ValidationError("Expected a JSON array of articles.", field="items")
    summary = ImportSummary()
    store = Store.objects.filter(slug=store_slug).first()
    if store is None:
        store = store_create(name=store_name or store_slug, slug=store_slug, actor=_agent(actor))
        summary.store_created = True
    known_articles = set(Article.objects.filter(store=store).values_list("key", flat=True))
    for index, item in enumerate(items):
        try:
            translation = _import_item(store, item, actor, publish, summary)
        except ValidationError as exc:
            where = f" ({exc.field})" if exc.field else ""
            summary.errors.append(f"item {index}{where}: {exc.message}")
            continue
        summary.translations_saved += 1
        if translation.article.key not in known_articles:
            known_articles.add(translation.article.key)
            summary.articles_created += 1
    return summary


def _import_item(store, item, actor, publish, summary) -> ArticleTranslation:
    if not isinstance(item, dict):
        raise ValidationError("Expected an object.")
    for name in ("slug", "title", "body"):
        if not isinstance(item.get(name), str):
            raise ValidationError("Missing or not a string.", field=name)
    locale = normalise_locale(item.get("locale") or store.default_locale)
    if locale not in store.supported_locales:
        store.supported_locales = [*store.supported_locales, locale]
        store.save(update_fields=["supported_locales", "updated_at"])
    questions = item.get("questions") or []
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        raise ValidationError("Expected a list of questions (strings).", field="questions")
    category = None
    if item.get("category"):
        if not isinstance(item["category"], str) or not item["category"].strip():
            raise ValidationError("Expected a category name.", field="category")
        category = _import_category(store, item["slug"], locale, item["category"].strip(), summary)
    from storedesk.helpcenter.questions import question_add

    with transaction.atomic():
        translation = article_save(
            store=store,
            key=item["slug"],
            slug=item["slug"],
            locale=locale,
            title=item["title"],
            body=item["body"],
            category=category,
            actor=actor,
            publish=publish,
        )
        for text in questions:
            question_add(article=translation.article, locale=locale, text=text, actor=actor)
    return translation


def _import_category(store, article_slug: str, locale: str, name: str, summary) -> Category:
    """The category an imported item names, in the item's language. A translation of an
    article already imported names the article's category in another language, so the name
    is added to that category; otherwise a category with this name in any language is used,
    or a new one is made."""
    article = (
        Article.objects.filter(store=store, key=slugify(article_slug)[:120].strip("-"))
        .select_related("category")
        .first()
    )
    if article is not None and article.category is not None:
        return category_save(store=store, slug=article.category.slug, names={locale: name})
    for category in Category.objects.filter(store=store):
        if name in category.names.values():
            return category
    base = slugify(name)[:80].strip("-") or "category"
    slug, n = base, 2
    while Category.objects.filter(store=store, slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    summary.categories_created += 1
    return category_save(store=store, slug=slug, names={locale: name})


# --- What readers do ------------------------------------------------------------------------

MAX_COMMENT_CHARS = 2000


def reader_key(*, address: str, user_agent: str) -> str:
    """An opaque, keyed hash naming one reader (address and browser) without storing either."""
    import hashlib
    import hmac

    from django.conf import settings

    message = f"{address}|{user_agent[:300]}".encode("utf-8", "replace")
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:40]


def feedback_record(
    *, article: Article, locale: str, helpful: bool, reader: str, comment: str = ""
):
    """Record "Was this helpful?" once per reader and article: a second answer replaces the
    first (and the counters follow)."""
    from storedesk.core.text import storable
    from storedesk.helpcenter.models import ArticleFeedback

    comment = storable(comment or "")[:MAX_COMMENT_CHARS].strip()
    with transaction.atomic():
        previous = (
            ArticleFeedback.objects.select_for_update()
            .filter(article=article, reader=reader)
            .first()
        )
        if previous is None:
            feedback = ArticleFeedback.objects.create(
                article=article,
                store_id=article.store_id,
                locale=locale,
                helpful=helpful,
                comment=comment,
                reader=reader,
            )
        else:
            _count_vote(article, previous.helpful, -1)
            previous.helpful, previous.locale = helpful, locale
            previous.comment = comment or previous.comment
            previous.created_at = timezone.now()
            previous.save()
            feedback = previous
        _count_vote(article, helpful, +1)
    return feedback


def _count_vote(article: Article, helpful: bool, delta: int) -> None:
    column = "helpful_count" if helpful else "unhelpful_count"
    Article.objects.filter(pk=article.pk).update(**{column: F(column) + delta})


def search_record(
    *, store: Store, source: str, locale: str, query: str, hits, reader: str = ""
) -> int:
    """Log a reader's search or suggestion request and the articles shown; returns its id
    (clicks refer to it). ``reader`` is ``reader_key``'s, when known: clicks of different
    readers teach the help center questions (``storedesk.helpcenter.questions``)."""
    from storedesk.helpcenter.models import HelpSearch
    from storedesk.helpcenter.questions import normalized_question

    query = " ".join(query.split())[:300]
    return HelpSearch.objects.create(
        store=store,
        source=source,
        locale=locale[:16],
        query=query,
        normalized=normalized_question(query, locale or store.default_locale),
        result_count=len(hits),
        shown=[hit.article.pk for hit in hits][:20],
        reader=reader[:64],
    ).pk


def search_click(*, store: Store, search_id: int, article_id: int) -> bool:
    """Record that the reader opened ``article_id`` from search ``search_id``; only an
    article that search showed counts, and only the first one the reader opened (what the
    search answered, for content gaps and for learning the article's questions). Returns
    whether it was recorded."""
    from storedesk.helpcenter.models import HelpSearch
    from storedesk.helpcenter.questions import question_learn

    search = HelpSearch.objects.filter(pk=search_id, store=store).first()
    if search is None or article_id not in search.shown:
        return False
    first = HelpSearch.objects.filter(pk=search.pk, clicked__isnull=True).update(
        clicked_id=article_id
    )
    if first:
        search.clicked_id = article_id
        question_learn(search=search)
    return bool(first)
