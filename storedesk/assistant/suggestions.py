"""What the assistant suggests in reply to a new request by email or web form (reads only).

Mail is not a chat: a question back would wait hours for its answer, and a person answers
the request anyway. So the assistant replies once, to the first message of a request, with
what may answer it at once: the help-center articles close enough to the message (up to
three, in the customer's language when translated) or, for "where is my order" from the
address the order was placed with, the order's status. It suggests nothing when a person
should answer first (a request for a person, strong negative sentiment, a complaint, a
human-only intent, a change to an order) or when nothing is close enough.
``suggestion_services.assistant_suggest`` writes the reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import translation

from storedesk.assistant.turns import (
    INTENT_SURE,
    ORDER_CHANGE_INTENTS,
    ORDER_STATUS_INTENTS,
    answer_floor,
    article_url,
    best_for_intent,
    passage_of,
    person_first,
    public_hits,
    reply_language,
    vouched_order,
)
from storedesk.assistant.understanding import understand

MAX_ARTICLES = 3
# Further articles only when nearly as close as the best: on the tests' help center an
# unrelated article often scores 0.03 below the right one (and above the answer floor).
FURTHER_MARGIN = 0.025
# Each article's passage in the mail: enough to recognise it, the link has the rest.
SNIPPET_CHARS = 240


@dataclass(frozen=True)
class SuggestedArticle:
    article_id: int
    title: str
    locale: str
    url: str
    snippet: str
    score: float


@dataclass
class Suggestion:
    """The articles (best first) or order status to send; none of either: send nothing,
    ``skipped`` says why."""

    language: str
    intent: str
    confidence: float
    articles: list[SuggestedArticle] = field(default_factory=list)
    order: object | None = None  # an order of the sender's, for an order-status request
    skipped: str = ""  # a HandoffReason, "order_change" or "no_match"


def suggest(
    *, store, conversation, channel: str, text: str, human_only: frozenset[str]
) -> Suggestion:
    """What to send in reply to ``text``, the first message of ``conversation``."""
    u = understand(text, store_id=store.pk)
    language = reply_language(store, u.language, conversation.language)
    suggestion = Suggestion(language=language, intent=u.intent, confidence=u.confidence)
    reason = person_first(text, u, human_only)
    sure = u.confidence >= INTENT_SURE
    if reason:
        suggestion.skipped = reason
        return suggestion
    if sure and u.intent in ORDER_CHANGE_INTENTS:
        suggestion.skipped = "order_change"  # a person makes the change and answers
        return suggestion
    if sure and u.intent in ORDER_STATUS_INTENTS:
        suggestion.order = vouched_order(contact=conversation.contact, channel=channel, text=text)
        if suggestion.order is not None:
            return suggestion
    floor = answer_floor(u)
    hits = [
        hit
        for hit in public_hits(store, text, language, limit=MAX_ARTICLES + 2)
        if hit.semantic_score is not None and hit.semantic_score >= floor
    ]
    if hits:
        top = hits[0].semantic_score
        best = best_for_intent(hits, u)
        further = [h for h in hits if h is not best and h.semantic_score >= top - FURTHER_MARGIN]
        seen: set[int] = set()
        with translation.override(language):
            for hit in [best, *further]:
                if hit.article.pk in seen or len(seen) == MAX_ARTICLES:
                    continue
                seen.add(hit.article.pk)
                suggestion.articles.append(
                    SuggestedArticle(
                        article_id=hit.article.pk,
                        title=hit.translation.title,
                        locale=hit.translation.locale,
                        url=article_url(store, hit.translation),
                        snippet=passage_of(hit, SNIPPET_CHARS),
                        score=float(hit.semantic_score),
                    )
                )
    if not suggestion.articles:
        suggestion.skipped = "no_match"
    return suggestion
