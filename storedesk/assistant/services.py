"""The assistant as a participant in conversations: the one place its turns are written.

:func:`assistant_respond` runs (in a task) after a customer message in an inbox with the
assistant on; :func:`assistant_feedback` takes the customer's yes/no to an answer. Replies go
through ``message_send`` with ``sender_type=assistant``; a handoff routes the conversation
(``routing.services.conversation_route``), leaves an internal note for the agent and puts
the conversation back in the team's waiting list.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format

from storedesk.assistant import texts
from storedesk.assistant.config import assistant_config_of
from storedesk.assistant.models import (
    AssistantAnswer,
    AssistantSession,
    Awaiting,
    HandoffReason,
    SessionState,
)
from storedesk.assistant.turns import Context, Turn, decide, feedback_turn
from storedesk.conversations.enums import ConversationStatus, MessageKind, SenderType
from storedesk.conversations.models import Conversation, Message
from storedesk.core.errors import NotFound
from storedesk.stores.hours import is_open, next_opening

logger = logging.getLogger(__name__)
# A session keeps at most this many steps of what was tried (for the handoff note).
MAX_TRIED = 20


def assistant_respond(*, message_id: int) -> str:
    """The assistant's turn after customer message ``message_id``. Returns what happened:
    "off", "skipped" (not the latest message, or not inbound), "silent" (a person has the
    conversation) or "replied" / "handed_off" / "resolved". Safe to run twice: a message
    already answered is skipped."""
    message = (
        Message.objects.select_related("inbox", "inbox__store", "conversation__contact")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.kind != MessageKind.INBOUND:
        return "skipped"
    config = assistant_config_of(message.inbox)
    if config is None:
        return "off"
    conversation = message.conversation
    session = AssistantSession.objects.filter(conversation=conversation).first()
    if session is not None and session.state in (SessionState.HANDED_OFF, SessionState.TAKEN_OVER):
        return "silent"
    if _answered_already(conversation, message) or _newer_inbound(conversation, message):
        return "skipped"
    if agent_replied(conversation):
        _session_mark(conversation, SessionState.TAKEN_OVER)
        return "silent"
    text = message.text.strip()
    if not text:  # a file alone: a person looks at it
        turn = Turn(language=_language(session, conversation), intent="", confidence=0.0)
        turn.handoff = HandoffReason.UNSURE
        turn.tried.append({"step": "attachment_only"})
    else:
        turn = _decided_or_handed_off(
            session,
            conversation,
            Context(
                store=message.inbox.store,
                conversation=conversation,
                channel=message.inbox.kind,
                text=text,
                claimed_email=(session.claimed_email if session else "")
                or _claimed_email(conversation),
                claimed_order_number=session.claimed_order_number if session else "",
                language=_language(session, conversation),
                awaiting=session.awaiting if session else Awaiting.NOTHING,
                pending_intent=session.pending_intent if session else "",
                unsure_count=session.unsure_count if session else 0,
                identity_failures=session.identity_failures if session else 0,
                human_only=frozenset(config.human_only_intents),
            ),
        )
    return _write(conversation.pk, message, turn)


def _decided_or_handed_off(session, conversation, context: Context) -> Turn:
    """The turn :func:`decide` chooses; if deciding fails (a search or model error), a
    handoff, so the customer is never left without an answer."""
    try:
        return decide(context)
    except Exception:
        logger.exception("the assistant could not decide on conversation %s", conversation.pk)
        turn = Turn(language=_language(session, conversation), intent="", confidence=0.0)
        turn.handoff = HandoffReason.UNSURE
        turn.tried.append({"step": "assistant_error"})
        return turn


def assistant_feedback(*, conversation_id: int, message_id: int, helpful: bool) -> str:
    """The customer answered "Did this answer your question?" for the assistant's answer
    ``message_id`` in their conversation. Yes resolves the conversation; no hands off.
    Only the latest unanswered answer counts (a repeat click does nothing)."""
    answer = (
        AssistantAnswer.objects.select_related("session", "message__conversation")
        .filter(message_id=message_id, message__conversation_id=conversation_id)
        .first()
    )
    if answer is None:
        raise NotFound("No such answer.")
    session = answer.session
    if answer.helpful is not None or session.state != SessionState.ACTIVE:
        return "ignored"
    if answer.message.conversation.status not in (
        ConversationStatus.OPEN,
        ConversationStatus.PENDING,
    ):
        return "ignored"  # closed by a person meanwhile: a click is not a new message
    if session.answers.filter(pk__gt=answer.pk).exists():
        return "ignored"  # a later answer is the one being asked about
    turn = Turn(
        language=session.language or _language(None, answer.message.conversation),
        intent=session.last_intent,
        confidence=1.0,
        unsure_count=session.unsure_count,
        identity_failures=session.identity_failures,
    )
    with translation.override(turn.language):
        feedback_turn(turn, helpful)
    return _write(conversation_id, None, turn, answer_id=answer.pk)


# --- Reading ------------------------------------------------------------------------------


def _answered_already(conversation: Conversation, message: Message) -> bool:
    """The assistant already took its turn for ``message`` (its reply carries the
    message's id in its client key)."""
    return Message.objects.filter(
        conversation=conversation, client_key=f"assistant:{message.pk}"
    ).exists()


def _newer_inbound(conversation: Conversation, message: Message) -> bool:
    """A later customer message exists: its own turn answers both."""
    return Message.objects.filter(
        conversation=conversation, kind=MessageKind.INBOUND, id__gt=message.pk
    ).exists()


def agent_replied(conversation: Conversation) -> bool:
    """An agent (a person) has replied to the customer in this conversation."""
    return Message.objects.filter(
        conversation=conversation, kind=MessageKind.OUTBOUND, sender_type=SenderType.AGENT
    ).exists()


def _claimed_email(conversation: Conversation) -> str:
    from storedesk.inboxes.models import ChatVisitor

    visitor_email = (
        ChatVisitor.objects.filter(conversation=conversation)
        .exclude(email="")
        .values_list("email", flat=True)
        .first()
    )
    return (visitor_email or conversation.contact.email or "").lower()


def _language(session: AssistantSession | None, conversation: Conversation) -> str:
    return (session.language if session else "") or conversation.language or ""


# --- Writing ------------------------------------------------------------------------------


def _session_mark(conversation: Conversation, state: str) -> None:
    AssistantSession.objects.filter(conversation=conversation, state=SessionState.ACTIVE).update(
        state=state, updated_at=timezone.now()
    )


def _write(conversation_id: int, message: Message | None, turn: Turn, answer_id=None) -> str:
    from storedesk.conversations.services import conversation_set_status, message_send

    now = timezone.now()
    with transaction.atomic():
        conversation = (
            # Only the conversation row is locked (PostgreSQL cannot lock the nullable side
            # of the dedicated agent's outer join).
            Conversation.objects.select_for_update(of=("self",))
            .select_related("store", "inbox", "contact__dedicated_agent")
            .get(pk=conversation_id)
        )
        session, _created = AssistantSession.objects.get_or_create(
            conversation=conversation,
            defaults={"store_id": conversation.store_id, "language": turn.language},
        )
        if session.state in (SessionState.HANDED_OFF, SessionState.TAKEN_OVER):
            return "silent"  # a person took it while the assistant was thinking
        if agent_replied(conversation):
            session.state = SessionState.TAKEN_OVER
            session.save(update_fields=["state", "updated_at"])
            return "silent"
        if message is not None and (
            _answered_already(conversation, message) or _newer_inbound(conversation, message)
        ):
            return "skipped"  # the newer message's turn answers both
        if (
            answer_id is not None
            and session.answers.filter(pk=answer_id, helpful__isnull=False).exists()
        ):
            return "ignored"
        if turn.handoff:
            turn.reply = _handoff_reply(conversation.store, turn, now)
        elif not turn.reply.strip():  # nothing to say is not understanding
            with translation.override(turn.language):
                turn.reply = texts.unsure()
        with translation.override(turn.language):
            reply = message_send(
                conversation=conversation,
                author=None,
                text=turn.reply,
                sender_type=SenderType.ASSISTANT,
                client_key=(
                    f"assistant:{message.pk}"
                    if message is not None
                    else f"assistant-feedback:{answer_id}"
                ),
            )
        if turn.answer is not None:
            AssistantAnswer.objects.create(
                session=session,
                message=reply,
                article_id=turn.answer["article_id"],
                locale=turn.answer["locale"],
                url=turn.answer["url"],
                title=turn.answer["title"][:300],
                intent=turn.intent,
                score=turn.answer["score"],
            )
        if turn.feedback is not None:
            _record_feedback(session, turn.feedback, answer_id, now)
        _update_session(session, turn, now)
        if turn.resolve:
            conversation_set_status(
                conversation=conversation,
                status=ConversationStatus.RESOLVED,
                actor=None,
                reason="assistant",
            )
            return "resolved"
        if turn.handoff:
            _handoff(conversation, session, turn, message, now)
            return "handed_off"
    return "replied"


def _record_feedback(session, helpful: bool, answer_id, now) -> None:
    answers = session.answers.filter(helpful__isnull=True)
    if answer_id is not None:
        answers = answers.filter(pk=answer_id)
    else:
        latest = answers.order_by("-pk").values_list("pk", flat=True).first()
        answers = answers.filter(pk=latest)
    answers.update(helpful=helpful, answered_at=now)


def _update_session(session: AssistantSession, turn: Turn, now) -> None:
    session.language = turn.language or session.language
    if turn.intent:
        session.last_intent = turn.intent
    session.awaiting = turn.awaiting
    session.pending_intent = turn.pending_intent
    session.unsure_count = turn.unsure_count
    session.identity_failures = turn.identity_failures
    session.claimed_order_number = turn.claimed_order_number[:60]
    session.claimed_email = turn.claimed_email[:254]
    if turn.order is not None:
        session.verified_order = turn.order
    session.tried = (session.tried + turn.tried)[-MAX_TRIED:]
    session.reply_count += 1
    if turn.resolve:
        session.state, session.resolved_at = SessionState.RESOLVED, now
    elif turn.handoff:
        session.state, session.handoff_reason, session.handed_off_at = (
            SessionState.HANDED_OFF,
            turn.handoff,
            now,
        )
    elif session.state == SessionState.RESOLVED:  # the customer came back with more
        session.state = SessionState.ACTIVE
    session.save()


def _handoff_reply(store, turn: Turn, now) -> str:
    """The lead (if any), then "passing you to a colleague", and outside business hours
    when a person will answer (in the store's time zone, in the customer's language)."""
    with translation.override(turn.language):
        parts = [turn.reply] if turn.reply else []
        parts.append(texts.handing_off())
        away = away_text(store, now, texts.away_until)
        if away:
            parts.append(away)
    return "\n\n".join(parts)


def away_text(store, now, until) -> str:
    """Outside the store's business hours, when the team is next in (``until`` phrases
    the time, in the store's time zone, in the active language); "" while it is open."""
    if is_open(store, now):
        return ""
    opening = next_opening(store, now)
    if opening is None:
        return texts.away_no_hours()
    local = timezone.localtime(opening, _zone(store))
    when = f"{date_format(local, 'l')} {date_format(local, 'SHORT_DATETIME_FORMAT')}"
    return until(f"{when} ({store.time_zone})")


def _zone(store):
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(store.time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _handoff(conversation, session, turn: Turn, message, now) -> None:
    from storedesk.conversations.services import (
        conversation_mark_waiting,
        conversation_set_status,
        note_add,
    )
    from storedesk.routing.services import conversation_route

    if conversation.status not in (ConversationStatus.OPEN, ConversationStatus.PENDING):
        # A person must see it: a closed or snoozed conversation is opened again.
        conversation = conversation_set_status(
            conversation=conversation,
            status=ConversationStatus.OPEN,
            actor=None,
            reason="assistant",
        )
    routed = conversation_route(conversation=conversation)
    with translation.override(conversation.store.default_locale):
        note = handoff_note(session, turn)
    note_add(
        conversation=routed,
        author=None,
        text=note,
        sender_type=SenderType.ASSISTANT,
        client_key=f"assistant-note:{message.pk}" if message is not None else None,
    )
    since = message.created_at if message is not None else now
    conversation_mark_waiting(conversation=routed, since=since)


def handoff_note(session: AssistantSession, turn: Turn) -> str:
    """The internal note an agent reads on handoff: why, language, intent, what the
    assistant tried, the order found (in the active language)."""
    from django.utils.translation import gettext as _

    from storedesk.assistant.models import HandoffReason as Reason

    lines = [
        _("Handed over by the assistant. Reason: %(reason)s.")
        % {"reason": Reason(turn.handoff).label},
        _("Language: %(language)s") % {"language": _language_name(turn.language)},
    ]
    if turn.intent:
        lines.append(
            _("Intent: %(intent)s (confidence %(confidence).2f)")
            % {"intent": turn.intent, "confidence": turn.confidence}
        )
    steps = [_step_text(step) for step in session.tried]
    if steps:
        lines.append(_("Tried:"))
        lines += [f"- {step}" for step in steps]
    order = turn.order or session.verified_order
    if order is not None:
        lines.append(
            _("Order: %(number)s (%(status)s), verified")
            % {"number": order.number, "status": order.get_status_display()}
        )
    else:
        lines.append(_("Order: none verified"))
    if turn.request:
        lines.append(_("Request: %(text)s") % {"text": turn.request[:500]})
    return "\n".join(lines)


def _language_name(code: str) -> str:
    from django.utils.translation import get_language_info

    try:
        return f"{get_language_info(code)['name_translated']} ({code})"
    except KeyError:
        return code or "?"


def _step_text(step: dict) -> str:
    from django.utils.translation import gettext as _

    kind = step.get("step")
    if kind == "answered":
        return _("answered from the article “%(title)s” (similarity %(score)s)") % {
            "title": step.get("article", ""),
            "score": step.get("score"),
        }
    if kind == "answer_not_helpful":
        return _("the customer said the answer did not help")
    if kind == "help_center_no_answer":
        return _("found no article that answers it")
    if kind == "asked_order_details":
        return _("asked for the order number and email address")
    if kind == "order_not_found":
        return _("an order number and email address did not match")
    if kind == "order_status":
        return _("gave the status of order %(number)s") % {"number": step.get("order", "")}
    if kind == "order_change_collected":
        return _("took a change request for order %(number)s") % {"number": step.get("order", "")}
    if kind == "shop_answer":
        return _("gave the shop's answer for “%(intent)s”") % {"intent": step.get("intent", "")}
    if kind == "phrased_by_model":
        return _("the language model phrased the answer from the articles")
    if kind == "assistant_error":
        return _("the assistant failed to process the message")
    if kind == "attachment_only":
        return _("the customer sent a file")
    return str(kind)
