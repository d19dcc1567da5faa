"""Turning a stored raw email into a message (run by the ``process_payload`` task)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connection

from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.services import message_mark_bounced, message_receive
from storedesk.core.errors import DomainError
from storedesk.inboxes.adapters.base import InboundAttachment, InboundMessage, SenderRef
from storedesk.inboxes.adapters.email.parsing import parse_email, split_reply
from storedesk.inboxes.adapters.email.tokens import (
    conversation_from_addresses,
    conversation_from_subject,
)
from storedesk.inboxes.models import InboundPayload, PayloadStatus

logger = logging.getLogger(__name__)


# A sender who writes more than this into one inbox within the window is treated as a mail
# loop or flood: the rest is kept (as payloads) but opens nothing.
SENDER_LIMIT = 20
SENDER_WINDOW = timedelta(minutes=10)


def _flooding(payload: InboundPayload, sender: str) -> bool:
    # Hand-written SQL: this runs for every mail, and building the ORM query cost more CPU
    # than running it. It counts at most SENDER_LIMIT rows, through the payload_sender index.
    table = InboundPayload._meta.db_table
    since = connection.ops.adapt_datetimefield_value(payload.received_at - SENDER_WINDOW)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} "  # noqa: S608 (table name only)
            "WHERE inbox_id = %s AND sender = %s AND received_at >= %s AND status = %s "
            "AND id <> %s LIMIT %s) AS recent",
            [payload.inbox_id, sender, since, PayloadStatus.PROCESSED, payload.pk, SENDER_LIMIT],
        )
        (count,) = cursor.fetchone()
    return count >= SENDER_LIMIT


def _finish(payload: InboundPayload, status: str, problems, *, error: str = "", message=None):
    payload.status = status
    InboundPayload.objects.filter(pk=payload.pk).update(
        status=status,
        problems=list(problems),
        error=error[:2000],
        message=message,
        sender=payload.sender,
    )


def email_process(*, payload: InboundPayload) -> None:
    """Parse the raw mail and hand it to ``message_receive``; record the outcome on the
    payload. Never raises: any failure leaves the payload ``failed`` with the reason."""
    try:
        _process(payload)
    except Exception as exc:
        logger.exception("inbound email %s failed", payload.pk)
        _finish(payload, PayloadStatus.FAILED, [], error=f"{type(exc).__name__}: {exc}")


def _recipients(payload: InboundPayload, parsed) -> list[str]:
    """Every address the mail was for: the SMTP envelope's and its To and Cc."""
    return [payload.envelope.get("rcpt_to", ""), *(a.address for a in (*parsed.to, *parsed.cc))]


def _thread_hint(payload: InboundPayload, parsed) -> int | None:
    """The conversation this mail answers, by (in order) its In-Reply-To/References, our
    signed reply address among the recipients, or a ``[#id]`` subject tag. Only a hint:
    ``message_receive`` uses it only if the sender is that conversation's contact."""
    thread_ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if thread_ids:
        known = (
            Message.objects.filter(inbox=payload.inbox, external_id__in=thread_ids)
            .order_by("-id")
            .values_list("conversation_id", flat=True)
            .first()
        )
        if known is not None:
            return known
    return conversation_from_addresses(_recipients(payload, parsed)) or conversation_from_subject(
        parsed.subject
    )


def _verified_continuation(payload: InboundPayload, parsed) -> tuple[int, int] | None:
    """``(conversation id, contact id)`` when this mail answers, through our signed reply
    address, a conversation of *another* inbox of the store (a chat answered by email) and
    comes from the very address we wrote to: then it continues that conversation."""
    conversation_id = conversation_from_addresses(_recipients(payload, parsed))
    if conversation_id is None:
        return None
    conversation = (
        Conversation.objects.filter(pk=conversation_id, store_id=payload.inbox.store_id)
        .exclude(inbox_id=payload.inbox_id)
        .select_related("contact")
        .first()
    )
    if conversation is None or not conversation.contact.email:
        return None
    if conversation.contact.email.strip().lower() != parsed.sender.address:
        return None
    return conversation.pk, conversation.contact_id


def _process(payload: InboundPayload) -> None:
    inbox = payload.inbox
    parsed = parse_email(bytes(payload.raw))
    problems = list(parsed.problems)
    if parsed.bounce:
        bounced = (
            Message.objects.filter(inbox=inbox, external_id__in=parsed.bounced_message_ids)
            .select_related("conversation")
            .first()
            if parsed.bounced_message_ids
            else None
        )
        if bounced is not None and message_mark_bounced(
            message=bounced, reason=parsed.bounce_reason
        ):
            _finish(payload, PayloadStatus.PROCESSED, problems, message=bounced)
        else:
            _finish(payload, PayloadStatus.IGNORED, problems, error="delivery status notification")
        return
    if parsed.auto_submitted:
        _finish(payload, PayloadStatus.IGNORED, problems, error="automatic reply or list mail")
        return
    if parsed.sender is None:
        _finish(payload, PayloadStatus.FAILED, problems, error="no trustworthy sender address")
        return
    if parsed.sender.address == inbox.config.get("address", "").lower():
        _finish(payload, PayloadStatus.IGNORED, problems, error="sent from our own address")
        return
    # Saved with the outcome (``_finish``): the flood count only reads processed payloads.
    payload.sender = parsed.sender.address
    if _flooding(payload, parsed.sender.address):
        _finish(
            payload,
            PayloadStatus.IGNORED,
            problems,
            error=f"more than {SENDER_LIMIT} messages from this sender in {SENDER_WINDOW}; "
            "likely a mail loop",
        )
        return
    continuation = _verified_continuation(payload, parsed)
    conversation_id, contact_id = continuation or (_thread_hint(payload, parsed), None)
    visible, _quoted = split_reply(parsed.text)
    inbound = InboundMessage(
        sender=SenderRef(
            identity_kind="email",
            external_id=parsed.sender.address,
            name=parsed.sender.name,
            email=parsed.sender.address,
        ),
        text=visible or parsed.text,
        html=parsed.html,
        subject=parsed.subject,
        external_id=parsed.message_id or f"sha256:{parsed.content_hash}",
        attachments=tuple(
            InboundAttachment(
                filename=a.filename,
                content=a.content,
                content_type=a.content_type,
                content_id=a.content_id,
            )
            for a in parsed.attachments
        ),
        received_at=parsed.date,
        conversation_id=conversation_id,
        contact_id=contact_id,
    )
    try:
        message = message_receive(inbox=inbox, inbound=inbound)
    except DomainError as exc:
        _finish(payload, PayloadStatus.FAILED, problems, error=exc.message)
        return
    if conversation_id is not None and message.conversation_id != conversation_id:
        # The headers point at a conversation of another customer (a forwarded thread, a
        # colleague replying, or someone fishing for it): never joined, but shown.
        problems.append(
            f"refers to conversation #{conversation_id} of another customer; "
            "kept in a conversation of its own"
        )
    _finish(payload, PayloadStatus.PROCESSED, problems, message=message)
