"""The assistant in email and web-form inboxes: the one place its suggestions are written.

:func:`assistant_suggest` runs (in a task) after the first message of a new request in an
inbox where the assistant suggests (``config.suggest_config_of``): if ``suggestions.suggest``
finds articles (or the sender's order), it replies once with them and a link with which
the customer closes the request. The request stays with the team: it keeps waiting for
them, the reply does not count as their first response, and nothing is handed off.

:func:`suggestion_solved` takes the customer's click on that link: the request is resolved
by the assistant (no person needed), with an internal note saying so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.utils import timezone, translation

from storedesk.assistant import texts
from storedesk.assistant.config import suggest_config_of
from storedesk.assistant.models import AssistantAnswer, AssistantSession, Awaiting, SessionState
from storedesk.assistant.services import agent_replied
from storedesk.assistant.suggestions import Suggestion, suggest
from storedesk.conversations.enums import ConversationStatus, MessageKind, SenderType
from storedesk.conversations.models import Conversation, Message
from storedesk.core.errors import NotFound

logger = logging.getLogger(__name__)
SOLVED_SALT = "storedesk.assistant.solved"
# The closing link works this long: a request older than this is long answered.
SOLVED_MAX_AGE = 30 * 86400
# Requests still open (or waiting on the customer) can be closed by the link.
CLOSABLE = (ConversationStatus.OPEN, ConversationStatus.PENDING, ConversationStatus.SNOOZED)


def _client_key(message_id: int) -> str:
    return f"assistant-suggest:{message_id}"


def assistant_suggest(*, message_id: int) -> str:
    """Suggest what may answer customer message ``message_id``. Returns "off", "skipped"
    (not inbound, not the request's first message, suggested already, no text), "silent"
    (a person replied already), "none" (nothing to suggest, or a person should answer
    first), "failed" (logged; the request is the team's as ever) or "suggested". Safe to
    run twice."""
    message = (
        Message.objects.select_related("inbox", "inbox__store", "conversation__contact")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.kind != MessageKind.INBOUND:
        return "skipped"
    config = suggest_config_of(message.inbox)
    if config is None:
        return "off"
    conversation = message.conversation
    text = message.text.strip()
    if not text or not _first_of_request(conversation, message):
        return "skipped"
    if agent_replied(conversation):
        return "silent"
    try:
        suggestion = suggest(
            store=message.inbox.store,
            conversation=conversation,
            channel=message.inbox.kind,
            text=text,
            human_only=frozenset(config.human_only_intents),
        )
    except Exception:
        logger.exception("the assistant could not suggest for conversation %s", conversation.pk)
        return "failed"
    if not suggestion.articles and suggestion.order is None:
        return "none"
    return _write(conversation.pk, message, suggestion)


def _first_of_request(conversation: Conversation, message: Message) -> bool:
    """``message`` opened the conversation, and the assistant has no part in it yet."""
    if Message.objects.filter(
        conversation=conversation, kind=MessageKind.INBOUND, id__lt=message.pk
    ).exists():
        return False
    return not AssistantSession.objects.filter(conversation=conversation).exists()


def _write(conversation_id: int, message: Message, suggestion: Suggestion) -> str:
    from storedesk.conversations.services import conversation_mark_waiting, message_send

    now = timezone.now()
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("store")
            .get(pk=conversation_id)
        )
        if AssistantSession.objects.filter(conversation=conversation).exists():
            return "skipped"
        if agent_replied(conversation):
            return "silent"
        if conversation.status not in CLOSABLE:
            return "skipped"  # closed meanwhile: nobody waits for suggestions
        with translation.override(suggestion.language):
            reply = message_send(
                conversation=conversation,
                author=None,
                text=suggestion_text(conversation.store, suggestion, message.pk, now),
                sender_type=SenderType.ASSISTANT,
                client_key=_client_key(message.pk),
            )
        # A reply clears the wait; the customer is still waiting for a person.
        conversation_mark_waiting(conversation=conversation, since=message.created_at)
        step = {"step": "suggested", "articles": [a.title for a in suggestion.articles]}
        if suggestion.order is not None:
            step["order"] = suggestion.order.number
        session = AssistantSession.objects.create(
            conversation=conversation,
            store_id=conversation.store_id,
            language=suggestion.language,
            last_intent=suggestion.intent,
            awaiting=Awaiting.FEEDBACK,
            tried=[step],
            reply_count=1,
            verified_order=suggestion.order,
        )
        best = suggestion.articles[0] if suggestion.articles else None
        AssistantAnswer.objects.create(
            session=session,
            message=reply,
            article_id=best.article_id if best else None,
            locale=best.locale if best else "",
            url=best.url if best else "",
            title=best.title[:300] if best else "",
            intent=suggestion.intent,
            score=best.score if best else None,
        )
    return "suggested"


def suggestion_text(store, suggestion: Suggestion, message_id: int, now) -> str:
    """The reply, in the active language: the order's status or the articles (title,
    passage, link), when the team is back if it is away, and the closing link."""
    from django.conf import settings
    from django.urls import reverse

    from storedesk.assistant.orders import order_status_text
    from storedesk.assistant.services import away_text

    if suggestion.order is not None:
        parts = [texts.order_intro(), order_status_text(suggestion.order)]
    else:
        parts = [texts.suggestions_intro()]
        parts += [
            f"{n}. {a.title}\n{a.snippet}\n{a.url}"
            for n, a in enumerate(suggestion.articles, start=1)
        ]
    away = away_text(store, now, texts.away_mail)
    if away:
        parts.append(away)
    link = settings.PUBLIC_URL + reverse("assistant-solved", args=[solved_token(message_id)])
    parts.append(texts.suggestions_close(link))
    return "\n\n".join(parts)


# --- The closing link -----------------------------------------------------------------------


def solved_token(message_id: int) -> str:
    """The signed, unguessable part of the closing link for the request whose first
    message is ``message_id``."""
    return signing.dumps(message_id, salt=SOLVED_SALT)


@dataclass(frozen=True)
class SolvedLink:
    """What a closing link points at: the request and the suggestion the customer read."""

    conversation: Conversation
    session: AssistantSession
    answer: AssistantAnswer

    @property
    def closable(self) -> bool:
        return (
            self.session.state == SessionState.ACTIVE
            and self.conversation.status in CLOSABLE
            and self.answer.helpful is None
        )


def solved_link(token: str) -> SolvedLink:
    """The request a closing link names. Raises ``NotFound`` for a forged, expired or
    unknown link (all alike: the page says the link does not work)."""
    try:
        message_id = int(signing.loads(token, salt=SOLVED_SALT, max_age=SOLVED_MAX_AGE))
    except (signing.BadSignature, TypeError, ValueError):
        raise NotFound("This link does not work.") from None
    answer = (
        AssistantAnswer.objects.select_related("session", "message__conversation__store", "article")
        .filter(message__client_key=_client_key(message_id), session__isnull=False)
        .first()
    )
    if answer is None:
        raise NotFound("This link does not work.")
    return SolvedLink(answer.message.conversation, answer.session, answer)


def suggestion_solved(*, token: str) -> str:
    """The customer says the suggestion answered their request: resolve it (resolved by
    the assistant) with a note for the team. Returns "resolved", or "ignored" when the
    request is closed already or a person took it (nothing changes). Raises ``NotFound``
    for a link that does not work."""
    from storedesk.conversations.services import conversation_set_status, note_add

    link = solved_link(token)
    now = timezone.now()
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("store")
            .get(pk=link.conversation.pk)
        )
        session = AssistantSession.objects.select_for_update().get(pk=link.session.pk)
        answer = AssistantAnswer.objects.get(pk=link.answer.pk)
        if not SolvedLink(conversation, session, answer).closable:
            return "ignored"
        answer.helpful, answer.answered_at = True, now
        answer.save(update_fields=["helpful", "answered_at"])
        session.state, session.resolved_at, session.awaiting = (
            SessionState.RESOLVED,
            now,
            Awaiting.NOTHING,
        )
        session.tried = [*session.tried, {"step": "closed_by_customer"}]
        session.save(update_fields=["state", "resolved_at", "awaiting", "tried", "updated_at"])
        with translation.override(conversation.store.default_locale):
            note = texts.closed_by_customer(answer.title)
        note_add(
            conversation=conversation,
            author=None,
            text=note,
            sender_type=SenderType.ASSISTANT,
            client_key=f"assistant-solved:{answer.pk}",
        )
        conversation_set_status(
            conversation=conversation,
            status=ConversationStatus.RESOLVED,
            actor=None,
            reason="assistant",
        )
    return "resolved"
