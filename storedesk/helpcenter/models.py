"""Help-center content: categories, articles, their translations and revisions, and what
readers do with them (views, feedback, searches).

An ``Article`` is one answer; each language it is written in is an ``ArticleTranslation``
with its own slug, draft and published text. Readers see only published translations of
public articles; internal articles are for agents.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from storedesk.core.models import TimeStampedModel


class Category(TimeStampedModel):
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(max_length=80)
    position = models.PositiveIntegerField(default=0)
    # {locale: text}; a locale without a name falls back to the store's default locale.
    names = models.JSONField(default=dict, blank=True)
    descriptions = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["store", "slug"], name="helpcenter_category_slug")
        ]

    def __str__(self):
        return self.slug

    def name_in(self, locale: str, fallback: str = "") -> str:
        return self.names.get(locale) or self.names.get(fallback) or self.slug

    def description_in(self, locale: str, fallback: str = "") -> str:
        return self.descriptions.get(locale) or self.descriptions.get(fallback) or ""


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Agents only")


class Article(TimeStampedModel):
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    # Stable name of the article across languages (imports update by it).
    key = models.SlugField(max_length=120)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    position = models.PositiveIntegerField(default=0)
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    view_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    unhelpful_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "key"], name="helpcenter_article_key")
        ]
        indexes = [models.Index(fields=["store", "-view_count"], name="helpcenter_most_viewed")]

    def __str__(self):
        return self.key

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class TranslationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ArticleTranslation(TimeStampedModel):
    """One language of an article. ``title``/``body``/``html`` are what readers see (the
    published revision); ``draft_title``/``draft_body`` hold unpublished edits."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    locale = models.CharField(max_length=16)
    slug = models.SlugField(max_length=160, allow_unicode=False)
    status = models.CharField(
        max_length=10, choices=TranslationStatus.choices, default=TranslationStatus.DRAFT
    )
    title = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)  # Markdown source of the published text
    html = models.TextField(blank=True)  # sanitized rendering of ``body``
    draft_title = models.CharField(max_length=300, blank=True)
    draft_body = models.TextField(blank=True)
    has_draft = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["locale"]
        constraints = [
            models.UniqueConstraint(fields=["article", "locale"], name="helpcenter_one_per_locale"),
            models.UniqueConstraint(
                fields=["store", "locale", "slug"], name="helpcenter_translation_slug"
            ),
        ]

    def __str__(self):
        return f"{self.article.key} [{self.locale}]"

    @property
    def is_published(self) -> bool:
        return self.status == TranslationStatus.PUBLISHED


class ArticleRevision(models.Model):
    """Every saved version of a translation, newest last; ``published`` marks the ones that
    went live."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="revisions"
    )
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.title} ({self.created_at:%Y-%m-%d %H:%M})"


class ArticleFeedback(models.Model):
    """A reader's answer to "Was this helpful?", with an optional comment."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    locale = models.CharField(max_length=16)
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    # A keyed hash of the reader's address and browser: one vote per reader and article.
    reader = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["article", "reader"], name="helpcenter_one_vote")
        ]

    def __str__(self):
        return f"{'yes' if self.helpful else 'no'}: {self.article_id}"


class ArticleViewDay(models.Model):
    """Views of an article per locale and day (the total is on ``Article.view_count``)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    locale = models.CharField(max_length=16)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "locale", "day"], name="helpcenter_view_day")
        ]

    def __str__(self):
        return f"{self.article_id} {self.locale} {self.day}: {self.count}"


class SearchSource(models.TextChoices):
    HELP_CENTER = "helpcenter", _("Help center")
    WIDGET = "widget", _("Chat widget")
    CONTACT_FORM = "form", _("Contact form")


class HelpSearch(models.Model):
    """One search or suggestion request by a reader: what was asked, which articles were
    shown, and which (if any) was opened. Content gaps are the searches with no result or
    no click."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=12, choices=SearchSource.choices)
    locale = models.CharField(max_length=16, blank=True)
    query = models.CharField(max_length=300)
    # The query's analyzed terms, sorted: "Refunds?" and "refund" group together.
    normalized = models.CharField(max_length=300, db_index=True)
    result_count = models.PositiveIntegerField(default=0)
    shown = models.JSONField(default=list, blank=True)  # article ids, best first
    clicked = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who searched (``services.reader_key``; empty when unknown): a question is learned
    # from the clicks of several different readers, never from one.
    reader = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["store", "created_at"], name="helpcenter_search_time"),
            models.Index(fields=["clicked", "normalized"], name="helpcenter_search_clicked"),
        ]

    def __str__(self):
        return self.query


class QuestionSource(models.TextChoices):
    AGENT = "agent", _("Written by an agent")
    READERS = "readers", _("Learned from readers")


class ArticleQuestion(models.Model):
    """A question this article answers, in the words readers use ("where is my parcel" for
    "Track your order"). Search matches a reader's question against these as well as the
    article's text, in every language. Agents write them; the help center also learns them
    from searches whose readers opened this article (``LEARN_MIN_READERS`` different readers
    asking the same thing), and an agent can reject a learned one."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="questions")
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    locale = models.CharField(max_length=16)
    text = models.CharField(max_length=200)
    # As ``HelpSearch.normalized``: the same question however it is spelt.
    normalized = models.CharField(max_length=300)
    source = models.CharField(max_length=10, choices=QuestionSource.choices)
    # Learned questions: how many different readers asked it and opened this article.
    readers = models.PositiveIntegerField(default=0)
    # Used by search: agents' at once, learned ones from enough readers, rejected never.
    active = models.BooleanField(default=False)
    rejected = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-active", "-readers", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "normalized"], name="helpcenter_question_once"
            )
        ]

    def __str__(self):
        return self.text
