"""Questions an article answers: the one place ``ArticleQuestion`` rows are written.

Agents write them in the editor ("where is my parcel" for "Track your order"); the help
center learns them from readers: a search whose reader opened an article teaches that
article the search's words once ``LEARN_MIN_READERS`` different readers asked the same
thing (normalised as ``HelpSearch.normalized``) and opened it. One reader (or one address
repeating itself) cannot teach anything, and an agent can reject a learned question for
good. Every change to what search uses emits ``ArticleChanged`` (re-indexed in a task).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from storedesk.accounts.services import audit_log
from storedesk.core.errors import ValidationError
from storedesk.core.events import emit
from storedesk.core.text import storable
from storedesk.helpcenter.events import ArticleChanged
from storedesk.helpcenter.models import (
    Article,
    ArticleQuestion,
    HelpSearch,
    QuestionSource,
)
from storedesk.search.language import detected_locale

MAX_QUESTION_CHARS = 200
# Different readers who must ask the same thing and open the same article before search
# uses it: two keeps one reader's stray click (or one address repeating itself) out.
LEARN_MIN_READERS = 2
# Searches longer than this are stories, not questions; they teach nothing.
LEARN_MAX_CHARS = 120
# Learned questions search uses per article at most (the most-asked win); beyond it a new
# one waits until an agent rejects another.
MAX_LEARNED_PER_ARTICLE = 30


def normalized_question(text: str, locale: str) -> str:
    """The question's analyzed words, sorted and de-duplicated ("Refunds?" and "refund" are
    one question); the lower-cased text when it has no words. Words, not the terms they are
    looked up as: a Chinese word stays one key (信用卡), not its character pairs."""
    from storedesk.search.analyzers import query_words

    text = " ".join(text.split())
    terms = " ".join(sorted({word for word, _ in query_words(text, locale)}))
    return (terms or text.lower())[:300]


def question_add(*, article: Article, locale: str, text: str, actor=None) -> ArticleQuestion:
    """An agent's question for ``article`` in ``locale`` (one of the store's languages),
    used by search at once. Writing a question the help center had learned (or an agent had
    rejected) makes it the agent's."""
    text = " ".join(storable(text or "").split())
    if not text:
        raise ValidationError("Write the question.", field="text")
    if len(text) > MAX_QUESTION_CHARS:
        raise ValidationError(f"At most {MAX_QUESTION_CHARS} characters, please.", field="text")
    if locale not in article.store.locales:
        raise ValidationError(f"{locale!r} is not one of the store's languages.", field="locale")
    normalized = normalized_question(text, locale)
    with transaction.atomic():
        question = (
            ArticleQuestion.objects.select_for_update()
            .filter(article=article, normalized=normalized)
            .first()
        )
        if question is None:
            question = ArticleQuestion(
                article=article, store_id=article.store_id, normalized=normalized
            )
        question.locale, question.text = locale, text
        question.source = QuestionSource.AGENT
        question.active, question.rejected = True, False
        question.created_by = _agent(actor)
        question.updated_at = timezone.now()
        try:
            with transaction.atomic():
                question.save()
        except IntegrityError:  # the same question added at the same moment
            question = ArticleQuestion.objects.get(article=article, normalized=normalized)
        audit_log(actor=_agent(actor), action="article.question_added", target=article)
        emit(ArticleChanged(article_id=article.pk, store_id=article.store_id))
    return question


def question_remove(*, question: ArticleQuestion, actor=None) -> None:
    """Stop search using ``question``. An agent's question nobody had asked is deleted; any
    other is kept as rejected, so the searches readers already made (or make) do not teach
    it again."""
    with transaction.atomic():
        article = question.article
        was_used = question.active
        if question.source == QuestionSource.AGENT and not question.readers:
            question.delete()
        else:
            question.active, question.rejected = False, True
            question.updated_at = timezone.now()
            question.save(update_fields=["active", "rejected", "updated_at"])
        audit_log(actor=_agent(actor), action="article.question_removed", target=article)
        if was_used:
            emit(ArticleChanged(article_id=article.pk, store_id=article.store_id))


def question_learn(*, search: HelpSearch) -> ArticleQuestion | None:
    """Learn from a search whose reader opened ``search.clicked``: count the different
    readers who asked the same and opened it, and have search use the question once there
    are ``LEARN_MIN_READERS``. Returns the question (None when the search teaches nothing:
    no reader, no article, no words, too long)."""
    article_id = search.clicked_id
    text = " ".join(search.query.split())
    if not article_id or not search.reader or not text or len(text) > LEARN_MAX_CHARS:
        return None
    if not search.normalized.strip():
        return None
    readers = (
        HelpSearch.objects.filter(
            store_id=search.store_id, clicked_id=article_id, normalized=search.normalized
        )
        .exclude(reader="")
        .values("reader")
        .distinct()
        .count()
    )
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None or article.store_id != search.store_id:
            return None
        question, created = ArticleQuestion.objects.get_or_create(
            article=article,
            normalized=search.normalized,
            defaults={
                "store_id": article.store_id,
                "locale": search.locale
                or detected_locale(text, article.store.locales)
                or article.store.default_locale,
                "text": text[:MAX_QUESTION_CHARS],
                "source": QuestionSource.READERS,
            },
        )
        question.readers = max(question.readers, readers)
        if question.source != QuestionSource.READERS:
            # An agent's: already used. Counting its readers lets removing it reject it
            # rather than delete it (or the same searches would teach it again).
            question.save(update_fields=["readers"])
            return question
        activate = (
            not question.active
            and not question.rejected
            and question.readers >= LEARN_MIN_READERS
            and _learned_in_use(article) < MAX_LEARNED_PER_ARTICLE
        )
        if activate:
            question.active = True
        question.updated_at = timezone.now()
        question.save()
        if activate:
            emit(ArticleChanged(article_id=article.pk, store_id=article.store_id))
    return question


def _learned_in_use(article: Article) -> int:
    return ArticleQuestion.objects.filter(
        article=article, source=QuestionSource.READERS, active=True
    ).count()


def _agent(actor):
    return actor if getattr(actor, "pk", None) else None
