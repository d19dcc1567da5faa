"""Deciding the assistant's turn after a customer message, without writing anything.

:func:`decide` reads (the message, the help center, the shop's orders) and returns a
:class:`Turn`; ``services.assistant_respond`` writes it in one short transaction, so the
slow part (the embedding model and search) never holds a database lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.utils import translation

from storedesk.assistant import orders as order_lookup
from storedesk.assistant import texts
from storedesk.assistant.intents import INTENTS, OUT_OF_SCOPE
from storedesk.assistant.models import Awaiting, HandoffReason
from storedesk.assistant.sentiment import sentiment_of
from storedesk.assistant.understanding import Understanding, understand

logger = logging.getLogger(__name__)
# Intents answered with the status of one of the customer's orders.
ORDER_STATUS_INTENTS = frozenset({"track_order", "track_refund"})
# Intents about changing an order: the order is identified, then a person makes the change.
ORDER_CHANGE_INTENTS = frozenset({"cancel_order", "change_order", "change_shipping_address"})
# A help-center passage at least this similar to the message is offered as the answer ...
# (bench/assistant_turns.py: from 0.80 to 0.82 the questions the help center does not
# answer that got an answer anyway fell from 71-77 % to 42-43 %, right answers from 47 %
# to 46-47 %; at 0.84 right answers fell to 34-40 %).
ANSWER_FLOOR = 0.82
# ... or this similar when the intent model thinks the message is outside customer service
# (measured on the demo help centers: unrelated questions reach 0.80-0.84).
OUT_OF_SCOPE_FLOOR = 0.86
# Unanswerable messages in a row, and wrong order number/email pairs, before a person.
MAX_UNSURE = 2
# Acting on an intent (an order lookup, a handoff) needs the model this sure; below it the
# help center is tried instead ("my kettle stopped working" is not a cancellation).
INTENT_SURE = 0.5
# Hits this close to the best are near-ties: the one whose title means the message's
# intent wins (the embedding alone confuses neighbours like payment and tracking).
NEAR_TIE = 0.03
MAX_IDENTITY_FAILURES = 2
PASSAGE_CHARS = 600
# Words that ask for a person in any phrasing the model may miss.
PERSON_WORDS = (
    "转人工",
    "人工客服",
    "人工服务",
    "真人",
    "human agent",
    "real person",
    "talk to a person",
    "speak to a person",
    "live agent",
    "operater",
    "operatera",
    "živu osobu",
    "zivu osobu",
)


@dataclass
class Context:
    """What the assistant knows when a message arrives."""

    store: object
    conversation: object
    channel: str  # the inbox's kind
    text: str
    claimed_email: str  # given earlier in the chat, in the pre-chat form or the contact's
    claimed_order_number: str  # given earlier in the chat
    language: str  # the session's language so far ("" at the start)
    awaiting: str
    pending_intent: str
    unsure_count: int
    identity_failures: int
    human_only: frozenset[str]


@dataclass
class Turn:
    """What to do: reply (customer-visible), and possibly hand off or resolve."""

    language: str
    intent: str
    confidence: float
    reply: str = ""
    handoff: str = ""  # a HandoffReason, or "" to stay
    resolve: bool = False
    feedback: bool | None = None  # the customer's yes/no to the last answer
    awaiting: str = Awaiting.NOTHING
    pending_intent: str = ""
    unsure_count: int = 0
    identity_failures: int = 0
    claimed_order_number: str = ""
    claimed_email: str = ""
    order: object | None = None  # an order the customer proved is theirs
    answer: dict | None = None  # the help-center answer given: article, title, url, score
    tried: list[dict] = field(default_factory=list)
    request: str = ""  # what the customer asked a person to do (an order change)


def reply_language(store, detected: str | None, fallback: str) -> str:
    """The language to answer in: the message's, else the conversation's so far, else the
    store's default."""
    return detected or fallback or store.default_locale


def store_locale(store, language: str) -> str | None:
    """The store locale for ``language`` (itself, else one of its analyzer group: "hr"
    also for sr/bs), or None."""
    from storedesk.search.language import matching_locale

    if not language:
        return None
    return language if language in store.locales else matching_locale(language, store.locales)


def decide(context: Context, *, understanding: Understanding | None = None) -> Turn:
    """The assistant's turn for ``context`` (reads only)."""
    u = understanding or understand(context.text, store_id=context.store.pk)
    language = reply_language(context.store, u.language, context.language)
    turn = Turn(
        language=language,
        intent=u.intent,
        confidence=u.confidence,
        unsure_count=context.unsure_count,
        identity_failures=context.identity_failures,
        claimed_order_number=context.claimed_order_number,
        claimed_email=context.claimed_email,
    )
    with translation.override(language):
        _decide(context, u, turn)
    return turn


def _decide(context: Context, u: Understanding, turn: Turn) -> None:
    text = context.text
    if context.awaiting == Awaiting.FEEDBACK:
        answer = texts.typed_feedback(text)
        if answer is not None:
            feedback_turn(turn, answer)
            return
    reason = person_first(text, u, context.human_only)
    if reason:
        _handoff(turn, reason)
        return
    sure = u.confidence >= INTENT_SURE
    if sure and u.intent not in INTENTS and _shop_intent_turn(context, u, turn):
        return
    order_intent = _order_intent(context, u)
    if order_intent:
        _order_turn(context, turn, order_intent)
        return
    if texts.looks_like_greeting(text):
        turn.reply = texts.greeting_reply()
        return
    if _help_center_turn(context, u, turn):
        return
    _unsure(turn)


def person_first(text: str, u: Understanding, human_only: frozenset[str]) -> str:
    """The ``HandoffReason`` for which a person, not the assistant, should answer this
    message (asked for a person, strong negative sentiment, a complaint, a human-only
    intent), or ""."""
    lowered = text.lower()
    if u.intent == "contact_human_agent" or any(word in lowered for word in PERSON_WORDS):
        return HandoffReason.ASKED_FOR_PERSON
    if sentiment_of(text).strongly_negative:
        return HandoffReason.NEGATIVE
    sure = u.confidence >= INTENT_SURE
    if u.intent == "complaint" and sure:
        return HandoffReason.COMPLAINT
    if u.intent in human_only and sure:
        return HandoffReason.HUMAN_ONLY
    return ""


def _shop_intent_turn(context: Context, u: Understanding, turn: Turn) -> bool:
    """One of the shop's own intents: its answer in the customer's language (else the
    store's), or a handoff."""
    from storedesk.assistant.models import IntentAction, ShopIntent

    intent = ShopIntent.objects.filter(store=context.store, name=u.intent).first()
    if intent is None:
        return False
    if intent.action == IntentAction.HANDOFF:
        _handoff(turn, HandoffReason.HUMAN_ONLY)
        return True
    answers = intent.answers or {}
    locale = store_locale(context.store, turn.language) or ""
    text = next(
        (answers[code] for code in (locale, context.store.default_locale) if answers.get(code)),
        next(iter(answers.values()), ""),
    )
    if not text:
        return False
    turn.reply = text
    turn.tried.append({"step": "shop_answer", "intent": intent.name})
    return True


def _order_intent(context: Context, u: Understanding) -> str:
    """The order intent this message continues or starts, or ""."""
    order_intents = ORDER_STATUS_INTENTS | ORDER_CHANGE_INTENTS
    if u.intent in order_intents and u.confidence >= INTENT_SURE:
        return u.intent
    # The answer to "send your order number": anything with a number or an address.
    text = context.text
    if (
        context.awaiting == Awaiting.ORDER
        and context.pending_intent
        and (order_lookup.order_numbers_in(text) or order_lookup.email_in(text))
    ):
        return context.pending_intent
    return ""


def _order_turn(context: Context, turn: Turn, intent: str) -> None:
    turn.intent = intent
    order = vouched_order(
        contact=context.conversation.contact, channel=context.channel, text=context.text
    )
    if order is None:
        numbers = order_lookup.order_numbers_in(context.text)
        if not numbers and context.claimed_order_number:
            numbers = [context.claimed_order_number]
        email = order_lookup.email_in(context.text) or context.claimed_email
        turn.claimed_order_number = numbers[0] if numbers else ""
        turn.claimed_email = email
        if not numbers or not email:
            turn.reply = texts.ask_order_details(need_number=not numbers, need_email=not email)
            turn.awaiting, turn.pending_intent = Awaiting.ORDER, intent
            turn.tried.append({"step": "asked_order_details"})
            return
        # One number per attempt: a message listing many numbers must not multiply the
        # guesses the two allowed attempts give.
        order = order_lookup.order_by_number_and_email(
            store_id=context.store.pk, number=numbers[0], email=email
        )
        if order is None:
            turn.identity_failures += 1
            turn.tried.append({"step": "order_not_found", "numbers": numbers[:3]})
            if turn.identity_failures >= MAX_IDENTITY_FAILURES:
                _handoff(turn, HandoffReason.IDENTITY)
                return
            turn.reply = texts.order_not_found()
            turn.awaiting, turn.pending_intent = Awaiting.ORDER, intent
            return
    turn.order = order
    turn.unsure_count = 0
    if intent in ORDER_CHANGE_INTENTS:
        turn.request = context.text
        turn.tried.append({"step": "order_change_collected", "order": order.number})
        _handoff(turn, HandoffReason.ORDER_CHANGE, lead=texts.order_change_collected(order.number))
        return
    turn.reply = order_lookup.order_status_text(order)
    turn.tried.append({"step": "order_status", "order": order.number})


def vouched_order(*, contact, channel: str, text: str):
    """An order of the contact the channel vouches for: the one ``text`` names, else the
    latest (None when it names another number)."""
    vouched = order_lookup.vouched_orders(contact=contact, channel=channel)
    if not vouched:
        return None
    numbers = {n.lstrip("#").upper() for n in order_lookup.order_numbers_in(text)}
    named = [o for o in vouched if o.number.upper() in numbers]
    return named[0] if named else (vouched[0] if not numbers else None)


def public_hits(store, text: str, language: str, *, limit: int) -> list:
    """The help-center search's hits for ``text`` (in the store locale of ``language``
    first), keeping only articles public now in one of the store's locales, as the public
    pages would (the index may lag a change)."""
    from storedesk.helpcenter.search import search_articles

    hits = search_articles(store, text, locale=store_locale(store, language), limit=limit)
    return [
        hit
        for hit in hits
        if hit.article.is_public
        and hit.article.store_id == store.pk
        and hit.translation.locale in store.locales
    ]


def answer_floor(u: Understanding) -> float:
    """The similarity a passage needs to answer this message."""
    return OUT_OF_SCOPE_FLOOR if u.intent == OUT_OF_SCOPE else ANSWER_FLOOR


def _help_center_turn(context: Context, u: Understanding, turn: Turn) -> bool:
    hits = public_hits(context.store, context.text, turn.language, limit=3)
    best = best_for_intent(hits, u)
    score = best.semantic_score if best is not None else None
    floor = answer_floor(u)
    if best is None or score is None or score < floor:
        turn.tried.append(
            {"step": "help_center_no_answer", "best": round(score, 3) if score else None}
        )
        return False
    usable = [best] + [
        hit
        for hit in hits
        if hit is not best and hit.semantic_score is not None and hit.semantic_score >= floor
    ]
    phrased = _phrased(context, turn, usable)
    if phrased is not None:
        best, turn.reply = phrased
    else:
        translation_ = best.translation
        turn.reply = "\n\n".join(
            part
            for part in (
                texts.answer_intro(),
                passage_of(best),
                texts.read_more(translation_.title, article_url(context.store, translation_)),
                texts.ask_feedback(),
            )
            if part
        )
    translation_ = best.translation
    url = article_url(context.store, translation_)
    turn.awaiting = Awaiting.FEEDBACK
    turn.unsure_count = 0
    turn.answer = {
        "article_id": best.article.pk,
        "title": translation_.title,
        "locale": translation_.locale,
        "url": url,
        "score": float(score),
    }
    turn.tried.append(
        {"step": "answered", "article": translation_.title, "score": round(float(score), 3)}
    )
    return True


def _phrased(context: Context, turn: Turn, hits) -> tuple[object, str] | None:
    """With a language model configured: its answer from these hits' passages with the
    cited articles listed, and the first cited hit; None without one or when it fails."""
    from storedesk.assistant.llm import Source, configured_endpoint, phrase_answer

    try:
        if configured_endpoint() is None:
            return None
    except ValueError as exc:  # a malformed setting: answer without the model
        logger.error("%s", exc)
        return None
    hits = hits[:3]
    sources = [
        Source(
            title=hit.translation.title,
            url=article_url(context.store, hit.translation),
            text=passage_of(hit),
        )
        for hit in hits
    ]
    answer = phrase_answer(
        question=context.text,
        sources=sources,
        language=turn.language,
        store_name=context.store.name,
    )
    if answer is None:
        return None
    cited_lines = [f"[{n}] {sources[n - 1].title} {sources[n - 1].url}" for n in answer.cited]
    reply = "\n\n".join([answer.text, "\n".join(cited_lines), texts.ask_feedback()])
    turn.tried.append({"step": "phrased_by_model", "cited": list(answer.cited)})
    return hits[answer.cited[0] - 1], reply


def best_for_intent(hits, u: Understanding):
    """The best hit, or a near-tie whose title the intent model reads as the message's
    intent when the best one's title does not."""
    from storedesk.assistant.understanding import default_model

    if not hits or hits[0].semantic_score is None or u.intent == OUT_OF_SCOPE:
        return hits[0] if hits else None
    top = hits[0].semantic_score
    close = [h for h in hits if h.semantic_score is not None and top - h.semantic_score <= NEAR_TIE]
    if len(close) < 2:
        return hits[0]
    predictions = default_model().predict([h.translation.title for h in close])
    matching = [h for h, p in zip(close, predictions, strict=True) if p.intent == u.intent]
    return matching[0] if matching else hits[0]


def passage_of(hit, limit: int = PASSAGE_CHARS) -> str:
    """The hit's passage (else its article's text), cut at a sentence end within
    ``limit`` characters when it is longer."""
    from storedesk.helpcenter.markdown import render_plain

    text = hit.passage or render_plain(hit.translation.body)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("。"), cut.rfind("\n"))
    return (cut[: end + 1] if end > limit // 2 else cut.rstrip()) + " …"


def article_path(store, translation_) -> str:
    """The public page of an article translation (``/help/<store>/<locale>/a/<slug>/``)."""
    from django.urls import reverse

    return reverse("helpcenter:article", args=[store.slug, translation_.locale, translation_.slug])


def article_url(store, translation_) -> str:
    from django.conf import settings

    return settings.PUBLIC_URL + article_path(store, translation_)


def feedback_turn(turn: Turn, helpful: bool) -> None:
    """The customer's yes (resolve) or no (hand off) to the last answer."""
    turn.feedback = helpful
    if helpful:
        turn.reply = texts.glad()
        turn.resolve = True
    else:
        turn.tried.append({"step": "answer_not_helpful"})
        _handoff(turn, HandoffReason.NOT_HELPFUL)


def _unsure(turn: Turn) -> None:
    turn.unsure_count += 1
    if turn.unsure_count >= MAX_UNSURE:
        _handoff(turn, HandoffReason.UNSURE)
        return
    turn.reply = texts.unsure()


def _handoff(turn: Turn, reason: str, *, lead: str = "") -> None:
    """Hand off; the reply (with business hours) is completed when it is written."""
    turn.handoff = reason
    turn.awaiting = Awaiting.NOTHING
    turn.reply = lead
