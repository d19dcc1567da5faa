"""Agent assist: for the conversation an agent has open, the help-center articles that
answer the customer's latest question and reply drafts to start from, each one click from
the composer.

Drafts come from three places, best first by how close their source is to the question:
- **similar resolved conversations**: the first reply a person sent in a resolved
  conversation of the store that began with a close question (found by shared words, then
  checked by embedding similarity);
- **canned replies** whose title and text are close to the question (variables filled in);
- **the best article**: its passage, greeting the customer, with the link.

Reads only; nothing is stored. The caller must have access-checked the conversation.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np
from django.utils import translation
from django.utils.translation import gettext as _

from storedesk.conversations.enums import ConversationStatus, MessageKind, SenderType
from storedesk.conversations.models import Message

MAX_ARTICLES = 3
# A past question or canned reply at least this similar to the customer's is a good start
# (multilingual-e5 scores close paraphrases 0.88-0.95, loosely related texts 0.78-0.84).
DRAFT_FLOOR = 0.86
QUESTION_CHARS = 600
SIMILAR_CANDIDATES = 8


@dataclass(frozen=True)
class ArticleSuggestion:
    title: str
    locale: str
    path: str  # the public page, to be made absolute by the caller
    passage: str
    score: float


@dataclass(frozen=True)
class Draft:
    source: str  # "conversation" | "canned" | "article"
    label: str  # where it comes from, for the agent
    text: str
    score: float


@dataclass(frozen=True)
class Assistance:
    question: str  # the customer's words the suggestions answer ("" when none yet)
    articles: list[ArticleSuggestion]
    drafts: list[Draft]


def assistance_for(conversation, *, agent, base_url: str = "") -> Assistance:
    """Suggestions for ``conversation`` (already access-checked for ``agent``)."""
    question = latest_question(conversation)
    if not question:
        return Assistance(question="", articles=[], drafts=[])
    from storedesk.search.embedders import get_embedder

    embedder = get_embedder()
    vector = embedder.query(question) if embedder is not None else None
    articles = _articles(conversation, question)
    drafts = [
        *_from_similar_conversations(conversation, question, vector, embedder),
        *_from_canned_replies(conversation, agent, vector, embedder),
    ]
    if articles:
        drafts.append(_from_article(conversation, articles[0], base_url))
    drafts.sort(key=lambda draft: -draft.score)
    return Assistance(question=question, articles=articles, drafts=drafts[:3])


def latest_question(conversation) -> str:
    """The customer's latest messages since the team's last reply, joined (at most
    ``QUESTION_CHARS``)."""
    last_reply = (
        Message.objects.filter(conversation=conversation, kind=MessageKind.OUTBOUND)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    inbound = Message.objects.filter(conversation=conversation, kind=MessageKind.INBOUND)
    if last_reply is not None:
        later = inbound.filter(id__gt=last_reply)
        if later.exists():
            inbound = later
    texts = list(inbound.order_by("-id").values_list("text", flat=True)[:3])
    text = " ".join(" ".join(t.split()) for t in reversed(texts) if t.strip())
    return text[-QUESTION_CHARS:]


def _articles(conversation, question: str) -> list[ArticleSuggestion]:
    from storedesk.assistant.turns import PASSAGE_CHARS, article_path
    from storedesk.helpcenter.search import search_articles

    store = conversation.store
    hits = search_articles(store, question, locale=_locale(conversation), limit=6)
    found = []
    for hit in hits:
        if not hit.article.is_public or hit.article.store_id != store.pk:
            continue
        passage = hit.passage or hit.snippet
        found.append(
            ArticleSuggestion(
                title=hit.translation.title,
                locale=hit.translation.locale,
                path=article_path(store, hit.translation),
                passage=_plain(passage)[:PASSAGE_CHARS],
                score=float(hit.semantic_score or hit.score),
            )
        )
    return found[:MAX_ARTICLES]


def _plain(text: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _from_similar_conversations(conversation, question, vector, embedder) -> list[Draft]:
    """The first human reply of resolved conversations that started with a close question
    (not one that speaks of that customer's own data)."""
    from storedesk.conversations.models import Conversation

    if vector is None:
        return []
    candidates = _similar_resolved(conversation, question)
    if not candidates:
        return []
    first_questions = {}
    for conversation_id, text in (
        Message.objects.filter(conversation_id__in=candidates, kind=MessageKind.INBOUND)
        .order_by("id")
        .values_list("conversation_id", "text")
    ):
        first_questions.setdefault(conversation_id, text)
    replies = {}
    for conversation_id, text in (
        Message.objects.filter(
            conversation_id__in=candidates,
            kind=MessageKind.OUTBOUND,
            sender_type=SenderType.AGENT,
        )
        .exclude(text="")
        .order_by("id")
        .values_list("conversation_id", "text")
    ):
        replies.setdefault(conversation_id, text)
    names = dict(Conversation.objects.filter(pk__in=candidates).values_list("pk", "contact__name"))
    scored = []
    for conversation_id in candidates:
        if conversation_id not in replies or not first_questions.get(conversation_id):
            continue
        reply = _without_other_customer(
            replies[conversation_id], names.get(conversation_id) or "", conversation
        )
        if reply is None:
            continue
        replies[conversation_id] = reply
        asked = first_questions[conversation_id][:QUESTION_CHARS]
        score = float(np.dot(vector, embedder.query(asked)))
        if score >= DRAFT_FLOOR:
            scored.append((score, conversation_id))
    scored.sort(reverse=True)
    return [
        Draft(
            source="conversation",
            label=_("Reply in the similar resolved conversation #%(id)s") % {"id": cid},
            text=replies[cid],
            score=score,
        )
        for score, cid in scored[:2]
    ]


# What makes another customer's reply theirs: an address, a link (tracking), a number of
# four or more digits (order, tracking, phone).
_PERSONAL = re.compile(r"@|https?://|www\.|\d{4,}", re.IGNORECASE)


def _without_other_customer(reply: str, their_name: str, conversation) -> str | None:
    """``reply`` made fit for this customer: None when it holds the other customer's data;
    their first name replaced by this customer's."""
    if _PERSONAL.search(reply):
        return None
    first = their_name.split()[0] if their_name.split() else ""
    if first and len(first) > 1:
        mine = conversation.contact.first_name or ""
        reply = re.sub(rf"\b{re.escape(first)}\b", mine, reply).replace(" ,", ",")
        reply = re.sub(r"\s+([,.!?])", r"\1", reply)
    return reply


def _similar_resolved(conversation, question: str) -> list[int]:
    """Resolved conversations of the store sharing at least two words with the question,
    best match first."""
    from storedesk.conversations.models import Conversation
    from storedesk.search.analyzers import query_words
    from storedesk.search.lexical import ranked_parents
    from storedesk.search.models import DocumentKind

    # A word's lookup terms count as one word (信用卡 is looked up as 信用 + 用卡).
    words = dict(query_words(question, _locale(conversation)))
    lookups = list(words.values())[:8]
    if len(lookups) < 2:
        groups = lookups
    else:
        groups = [a + b for i, a in enumerate(lookups) for b in lookups[i + 1 :]]
    if not groups:
        return []
    ranked = ranked_parents(
        kind=DocumentKind.MESSAGE,
        store_ids=[conversation.store_id],
        term_groups=groups,
        limit=SIMILAR_CANDIDATES * 4,
    )
    ranked = [pk for pk in ranked if pk != conversation.pk]
    resolved = set(
        Conversation.objects.filter(
            pk__in=ranked, store_id=conversation.store_id, status=ConversationStatus.RESOLVED
        ).values_list("pk", flat=True)
    )
    return [pk for pk in ranked if pk in resolved][:SIMILAR_CANDIDATES]


_canned_vectors: dict[tuple[int, str], np.ndarray] = {}
_canned_lock = threading.Lock()


def _canned_vector(reply, embedder) -> np.ndarray:
    """A canned reply's embedding, kept per process until the reply changes."""
    key = (reply.pk, reply.updated_at.isoformat())
    with _canned_lock:
        found = _canned_vectors.get(key)
    if found is None:
        found = embedder.passages([f"{reply.title}\n{reply.body}"[:2000]])[0]
        with _canned_lock:
            if len(_canned_vectors) > 5000:
                _canned_vectors.clear()
            _canned_vectors[key] = found
    return found


def verified_order(conversation):
    """The order a suggested draft may speak of: one the customer proved to the assistant,
    or one the channel vouches for (never one matched by an address typed into a form)."""
    from storedesk.assistant.models import AssistantSession
    from storedesk.assistant.orders import vouched_orders

    session = (
        AssistantSession.objects.filter(conversation=conversation)
        .select_related("verified_order")
        .first()
    )
    if session is not None and session.verified_order is not None:
        return session.verified_order
    orders = vouched_orders(contact=conversation.contact, channel=conversation.inbox.kind)
    return orders[0] if orders else None


def _from_canned_replies(conversation, agent, vector, embedder) -> list[Draft]:
    from storedesk.core.errors import DomainError
    from storedesk.routing.canned import canned_context, canned_render
    from storedesk.routing.selectors import canned_reply_list

    if vector is None:
        return []
    scored = []
    for reply in canned_reply_list(actor=agent, store_id=conversation.store_id)[:200]:
        score = float(np.dot(vector, _canned_vector(reply, embedder)))
        if score >= DRAFT_FLOOR:
            scored.append((score, reply))
    if not scored:
        return []
    scored.sort(key=lambda item: -item[0])
    order = verified_order(conversation)
    context = canned_context(conversation=conversation, agent=agent, order=order)
    drafts = []
    for score, reply in scored[:2]:
        try:
            text = canned_render(reply.body, context)
        except DomainError:
            continue  # a broken template is reported where it is edited
        drafts.append(
            Draft(
                source="canned",
                label=_("Canned reply: %(title)s") % {"title": reply.title},
                text=text,
                score=score,
            )
        )
    return drafts


def _locale(conversation) -> str:
    """The store locale of the conversation's language, else the store's default."""
    from storedesk.assistant.turns import store_locale

    store = conversation.store
    return store_locale(store, conversation.language) or store.default_locale


def _from_article(conversation, article: ArticleSuggestion, base_url: str) -> Draft:
    name = conversation.contact.first_name
    with translation.override(_locale(conversation)):
        greeting = _("Hi %(name)s,") % {"name": name} if name else _("Hi,")
        text = "\n\n".join(
            [greeting, article.passage, f"{article.title}: {base_url}{article.path}"]
        )
    return Draft(
        source="article",
        label=_("From the article “%(title)s”") % {"title": article.title},
        text=text,
        # An article is a fallback: a close past reply or canned reply is more to the point.
        score=min(article.score, DRAFT_FLOOR - 0.01),
    )
