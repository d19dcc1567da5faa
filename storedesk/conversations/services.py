"""The chokepoints of conversations.

Every inbound message of every channel enters through :func:`message_receive`; every reply
leaves through :func:`message_send` (delivered later by :func:`message_deliver` in a task);
every status change goes through :func:`conversation_set_status`. Each writes the facts
analytics needs and emits its events after commit.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from storedesk.accounts.models import Agent, Team
from storedesk.accounts.selectors import can_see_store
from storedesk.contacts.models import Contact
from storedesk.contacts.services import contact_identify_outcome
from storedesk.conversations.attachments import attachment_store, check_attachments
from storedesk.conversations.enums import (
    ActivityKind,
    ConversationStatus,
    DeliveryStatus,
    MessageKind,
    Priority,
    SenderType,
)
from storedesk.conversations.events import (
    ConversationAssigned,
    ConversationContactChanged,
    ConversationCreated,
    ConversationPriorityChanged,
    ConversationStatusChanged,
    ConversationTagged,
    MessageCreated,
    MessageDeliveryChanged,
)
from storedesk.conversations.models import ActivityEvent, Conversation, Message, Tag
from storedesk.core.errors import InvalidTransition, ValidationError
from storedesk.core.events import emit
from storedesk.core.html import sanitize_html
from storedesk.core.text import storable
from storedesk.inboxes.adapters import adapter_for
from storedesk.inboxes.adapters.base import (
    DeliveryError,
    InboundMessage,
    OutboundAttachment,
    OutboundMessage,
    Recipient,
)
from storedesk.inboxes.models import Inbox

logger = logging.getLogger(__name__)

S = ConversationStatus
# Allowed status changes (from -> to). Anything else raises InvalidTransition.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.PENDING, S.SNOOZED, S.RESOLVED}),
    S.PENDING: frozenset({S.OPEN, S.SNOOZED, S.RESOLVED}),
    S.SNOOZED: frozenset({S.OPEN, S.PENDING, S.RESOLVED, S.SNOOZED}),
    S.RESOLVED: frozenset({S.OPEN}),
}
MAX_TEXT_CHARS = 100_000
MAX_DELIVERY_ATTEMPTS = 5
# What receiving a message may change on its conversation (status fields for a reopen).
RECEIVE_UPDATES = [
    "status",
    "snoozed_until",
    "resolved_at",
    "reopened_count",
    "last_customer_message_at",
    "last_message_at",
    "waiting_since",
    "message_count",
    "preview",
    "updated_at",
]
DELIVERY_LEASE = timedelta(minutes=5)


def _activity(conversation: Conversation, kind: str, actor: Agent | None, at: datetime, **data):
    ActivityEvent.objects.create(
        conversation=conversation, kind=kind, actor=actor, data=data, created_at=at
    )


def _lock(conversation_id: int) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation_id)


# --- Inbound -------------------------------------------------------------------------------


def message_receive(*, inbox: Inbox, inbound: InboundMessage) -> Message:
    """Store an inbound customer message and thread it into a conversation.

    Identifies (or creates) the contact, then appends to the contact's current conversation in
    this inbox, reopens a resolved one within ``inbox.reopen_window_days``, or starts a new one.
    Idempotent on ``(inbox, inbound.external_id)``: a repeat returns the stored message and
    emits nothing. Emits ``ConversationCreated`` (when new), ``ConversationStatusChanged``
    (when reopened) and ``MessageCreated``.
    """
    return message_receive_outcome(inbox=inbox, inbound=inbound)[0]


def message_receive_outcome(*, inbox: Inbox, inbound: InboundMessage) -> tuple[Message, bool]:
    """:func:`message_receive`, also telling whether the message was new (``False`` for a
    repeat of a known ``external_id``)."""
    if len(inbound.text) > MAX_TEXT_CHARS:
        raise ValidationError(f"At most {MAX_TEXT_CHARS} characters.", field="text")
    if not (inbound.text.strip() or inbound.html.strip() or inbound.attachments):
        raise ValidationError("The message is empty.", field="text")
    check_attachments(inbound.attachments)
    try:
        with transaction.atomic():
            return _receive(inbox, inbound), True
    except IntegrityError:
        # The unique (inbox, external_id) constraint refused a repeat, stored earlier or by a
        # concurrent delivery that committed first; the transaction left nothing behind.
        # Repeats are rare, so they pay for the rollback instead of every message paying
        # for a look-up first.
        if inbound.external_id:
            existing = Message.objects.filter(inbox=inbox, external_id=inbound.external_id).first()
            if existing is not None:
                return existing, False
        raise


def _receive(inbox: Inbox, inbound: InboundMessage) -> Message:
    inbound = dataclasses.replace(
        inbound,
        text=storable(inbound.text),
        html=storable(inbound.html),
        subject=storable(inbound.subject),
        sender=dataclasses.replace(
            inbound.sender,
            name=storable(inbound.sender.name),
            external_id=storable(inbound.sender.external_id),
            email=storable(inbound.sender.email),
            phone=storable(inbound.sender.phone),
        ),
    )
    now = timezone.now()
    at = min(inbound.received_at or now, now)
    # One contact's messages are threaded one at a time (row lock on the contact), so two
    # simultaneous messages never open two conversations.
    new_contact = False
    if inbound.contact_id is not None:
        contact = Contact.objects.select_for_update().get(
            pk=inbound.contact_id, store_id=inbox.store_id
        )
    else:
        contact, new_contact = contact_identify_outcome(
            store=inbox.store, sender=inbound.sender, lock=True
        )
    conversation, created = _conversation_for(inbox, contact, inbound, at, new_contact)
    message = Message.objects.create(
        conversation=conversation,
        store_id=conversation.store_id,
        inbox=inbox,
        kind=MessageKind.INBOUND,
        sender_type=SenderType.CONTACT,
        sender_contact=contact,
        text=inbound.text,
        html=sanitize_html(inbound.html),
        external_id=inbound.external_id,
        delivery_status=DeliveryStatus.RECEIVED,
        created_at=at,
    )
    for attachment in inbound.attachments:
        attachment_store(
            message=message,
            filename=attachment.filename,
            content=attachment.content,
            content_type=attachment.content_type,
            content_id=attachment.content_id,
        )
    old_status = conversation.status
    reopened = not created and old_status != S.OPEN
    if not created:  # a new conversation was inserted with this message's values
        if reopened:
            _apply_status(conversation, S.OPEN, actor=None, at=now, reason="customer_message")
        conversation.last_customer_message_at = max(conversation.last_customer_message_at or at, at)
        conversation.last_message_at = max(conversation.last_message_at or at, at)
        if conversation.waiting_since is None:
            conversation.waiting_since = at
        # The row is locked (select_for_update; SQLite serialises writers), so a plain
        # increment is safe and saves a query.
        conversation.message_count += 1
        conversation.preview = preview_of(inbound.text) or conversation.preview
        conversation.save(update_fields=RECEIVE_UPDATES)
    if created:
        emit(
            ConversationCreated(
                conversation_id=conversation.pk,
                store_id=conversation.store_id,
                inbox_id=inbox.pk,
                contact_id=contact.pk,
                channel=inbox.kind,
            )
        )
    if reopened:
        emit(
            ConversationStatusChanged(
                conversation_id=conversation.pk,
                store_id=conversation.store_id,
                old_status=old_status,
                new_status=S.OPEN,
            )
        )
    emit(
        MessageCreated(
            conversation_id=conversation.pk,
            store_id=conversation.store_id,
            message_id=message.pk,
            kind=message.kind,
            channel=inbox.kind,
        )
    )
    return message


def _conversation_for(
    inbox: Inbox, contact: Contact, inbound: InboundMessage, at: datetime, new_contact: bool
) -> tuple[Conversation, bool]:
    """The conversation ``inbound`` belongs to, and whether it is new. A new one is inserted
    already counting the message, so the caller need not update it again."""
    if new_contact:  # nothing to thread into
        return _conversation_start(inbox, contact, inbound, at), True
    candidates = Conversation.objects.select_for_update().filter(inbox=inbox, contact=contact)
    if inbound.conversation_id is not None:
        threaded = candidates.filter(pk=inbound.conversation_id).first()
        if threaded is None and inbound.contact_id is not None:
            # A verified sender may continue a conversation of another inbox of the store.
            threaded = (
                Conversation.objects.select_for_update()
                .filter(pk=inbound.conversation_id, store_id=inbox.store_id, contact=contact)
                .first()
            )
        if threaded is not None:
            return threaded, False
    latest = candidates.order_by("-id").first()
    if latest is not None:
        if latest.status != S.RESOLVED:
            return latest, False
        window = timedelta(days=inbox.reopen_window_days)
        if inbox.reopen_window_days and latest.resolved_at and latest.resolved_at >= at - window:
            return latest, False
    return _conversation_start(inbox, contact, inbound, at), True


def _conversation_start(
    inbox: Inbox, contact: Contact, inbound: InboundMessage, at: datetime
) -> Conversation:
    subject = inbound.subject.strip() or _subject_from(inbound.text)
    conversation = Conversation.objects.create(
        store_id=inbox.store_id,
        inbox=inbox,
        contact=contact,
        subject=subject[:300],
        language=(inbound.language or contact.locale)[:16],
        team=inbox.default_team,
        assignee=contact.dedicated_agent if _may_assign(contact) else None,
        status=S.OPEN,
        priority=Priority.NORMAL,
        created_at=at,
        last_customer_message_at=at,
        last_message_at=at,
        waiting_since=at,
        message_count=1,
        preview=preview_of(inbound.text),
    )
    _activity(conversation, ActivityKind.CREATED, None, at, inbox_id=inbox.pk)
    return conversation


def _may_assign(contact: Contact) -> bool:
    agent = contact.dedicated_agent
    return agent is not None and agent.is_active and can_see_store(agent, contact.store_id)


def preview_of(text: str) -> str:
    """One line of at most 200 characters summarising a message for lists."""
    return " ".join(text.split())[:200]


def _subject_from(text: str) -> str:
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first_line[:80] + ("…" if len(first_line) > 80 else "")


# --- Outbound and notes ---------------------------------------------------------------------


def message_send(
    *,
    conversation: Conversation,
    author: Agent | None,
    text: str,
    html: str = "",
    attachments=(),
    client_key: str | None = None,
    sender_type: str = SenderType.AGENT,
) -> Message:
    """Queue a reply to the customer; a task delivers it through the inbox's adapter.

    Idempotent on ``client_key`` within the conversation. Sets ``first_response_at`` on the
    first agent reply and clears ``waiting_since``. Emits ``MessageCreated``; delivery later
    emits ``MessageDeliveryChanged``.
    """
    return _message_add(
        conversation=conversation,
        author=author,
        kind=MessageKind.OUTBOUND,
        text=text,
        html=html,
        attachments=attachments,
        client_key=client_key,
        sender_type=sender_type,
    )


def note_add(
    *,
    conversation: Conversation,
    author: Agent | None,
    text: str,
    attachments=(),
    client_key: str | None = None,
    sender_type: str = SenderType.AGENT,
) -> Message:
    """Add an internal note (never delivered to the customer). Emits ``MessageCreated``."""
    return _message_add(
        conversation=conversation,
        author=author,
        kind=MessageKind.NOTE,
        text=text,
        html="",
        attachments=attachments,
        client_key=client_key,
        sender_type=sender_type,
    )


def _message_add(
    *, conversation, author, kind, text, html, attachments, client_key, sender_type
) -> Message:
    text = storable(text or "")
    html = storable(html or "")
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(f"At most {MAX_TEXT_CHARS} characters.", field="text")
    if not (text.strip() or html.strip() or attachments):
        raise ValidationError("The message is empty.", field="text")
    check_attachments(attachments)
    if client_key:
        existing = Message.objects.filter(conversation=conversation, client_key=client_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            locked = _lock(conversation.pk)
            now = timezone.now()
            message = Message.objects.create(
                conversation=locked,
                store_id=locked.store_id,
                inbox_id=locked.inbox_id,
                kind=kind,
                sender_type=sender_type,
                sender_agent=author,
                text=text,
                html=sanitize_html(html),
                client_key=client_key or None,
                delivery_status=(
                    DeliveryStatus.QUEUED
                    if kind == MessageKind.OUTBOUND
                    else DeliveryStatus.NOT_APPLICABLE
                ),
                created_at=now,
            )
            for attachment in attachments:
                attachment_store(
                    message=message,
                    filename=attachment.filename,
                    content=attachment.content,
                    content_type=attachment.content_type,
                )
            updates = {"message_count": F("message_count") + 1, "updated_at": now}
            if kind == MessageKind.OUTBOUND:
                updates.update(last_message_at=now, waiting_since=None)
                if text.strip():
                    updates["preview"] = preview_of(text)
                if locked.first_response_at is None and sender_type == SenderType.AGENT:
                    updates["first_response_at"] = now
            Conversation.objects.filter(pk=locked.pk).update(**updates)
            emit(
                MessageCreated(
                    conversation_id=locked.pk,
                    store_id=locked.store_id,
                    message_id=message.pk,
                    kind=kind,
                )
            )
    except IntegrityError:
        if client_key:
            existing = Message.objects.filter(
                conversation=conversation, client_key=client_key
            ).first()
            if existing is not None:
                return existing
        raise
    return message


def message_deliver(*, message_id: int) -> str:
    """Deliver one queued outbound message through its inbox's adapter.

    Claims the message first (a lease), so concurrent workers and the sweep never send it
    twice. Returns the resulting delivery status: ``sent``, ``failed``, ``queued`` (a retry is
    due) or the unchanged status if there was nothing to do.
    """
    now = timezone.now()
    claimed = Message.objects.filter(
        Q(delivery_claimed_at__isnull=True) | Q(delivery_claimed_at__lt=now - DELIVERY_LEASE),
        pk=message_id,
        kind=MessageKind.OUTBOUND,
        delivery_status=DeliveryStatus.QUEUED,
    ).update(delivery_claimed_at=now, delivery_attempts=F("delivery_attempts") + 1)
    message = Message.objects.select_related(
        "conversation", "conversation__contact", "inbox", "inbox__store", "sender_agent"
    ).get(pk=message_id)
    if not claimed:
        return message.delivery_status
    try:
        result = adapter_for(message.inbox).deliver(_outbound_for(message))
    except DeliveryError as exc:
        permanent = exc.permanent or message.delivery_attempts >= MAX_DELIVERY_ATTEMPTS
        return _delivery_failed(message, exc.reason, permanent=permanent)
    except Exception as exc:  # an adapter bug must not lose the message: retry, then fail
        logger.exception("delivery of message %s crashed", message_id)
        permanent = message.delivery_attempts >= MAX_DELIVERY_ATTEMPTS
        return _delivery_failed(message, f"Internal error: {exc}", permanent=permanent)
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            delivery_status=DeliveryStatus.SENT,
            sent_at=timezone.now(),
            delivery_error="",
            delivery_claimed_at=None,
            external_id=result.external_id or message.external_id,
        )
        emit(
            MessageDeliveryChanged(
                conversation_id=message.conversation_id,
                store_id=message.store_id,
                message_id=message.pk,
                delivery_status=DeliveryStatus.SENT,
            )
        )
    return DeliveryStatus.SENT


def _delivery_failed(message: Message, reason: str, *, permanent: bool) -> str:
    status = DeliveryStatus.FAILED if permanent else DeliveryStatus.QUEUED
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            delivery_status=status, delivery_error=reason[:2000], delivery_claimed_at=None
        )
        if permanent:
            _activity(
                message.conversation,
                ActivityKind.DELIVERY_FAILED,
                None,
                timezone.now(),
                message_id=message.pk,
                reason=reason[:500],
            )
            emit(
                MessageDeliveryChanged(
                    conversation_id=message.conversation_id,
                    store_id=message.store_id,
                    message_id=message.pk,
                    delivery_status=status,
                )
            )
    return status


def message_mark_bounced(*, message: Message, reason: str) -> bool:
    """A sent reply came back undeliverable (a bounce): mark it ``failed`` with the reason.
    Returns False if it was not a sent outbound message. Emits ``MessageDeliveryChanged``."""
    if message.kind != MessageKind.OUTBOUND or message.delivery_status == DeliveryStatus.FAILED:
        return False
    _delivery_failed(message, f"Bounced: {reason}" if reason else "Bounced", permanent=True)
    return True


def retry_delay_seconds(attempts: int) -> int:
    """Back-off before delivery attempt ``attempts + 1``: 30 s, 1 min, 2 min, 4 min, ..."""
    return min(30 * 2 ** max(attempts - 1, 0), 3600)


def _outbound_for(message: Message) -> OutboundMessage:
    conversation = message.conversation
    contact = conversation.contact
    thread_ids = tuple(
        Message.objects.filter(conversation=conversation, external_id__isnull=False)
        .exclude(pk=message.pk)
        .order_by("created_at", "id")
        .values_list("external_id", flat=True)
    )
    return OutboundMessage(
        message_id=message.pk,
        conversation_id=conversation.pk,
        subject=conversation.subject,
        text=message.text,
        html=message.html,
        recipient=Recipient(
            contact_id=contact.pk,
            name=contact.name,
            email=contact.email,
            phone=contact.phone,
            identities=tuple(contact.identities.values_list("kind", "external_id")),
        ),
        sender_name=str(message.sender_agent) if message.sender_agent else "",
        signature=message.sender_agent.signature if message.sender_agent else "",
        attachments=tuple(
            OutboundAttachment(filename=a.filename, path=a.file.path, content_type=a.content_type)
            for a in message.attachments.all()
        ),
        thread_external_ids=thread_ids,
        automatic=message.sender_type == SenderType.ASSISTANT,
    )


def messages_due_for_delivery(*, now: datetime | None = None) -> list[int]:
    """Ids of queued outbound messages that no worker holds and that are due: not claimed
    for over a minute since creation, or with an expired lease."""
    now = now or timezone.now()
    return list(
        Message.objects.filter(
            Q(delivery_claimed_at__isnull=True, created_at__lt=now - timedelta(minutes=1))
            | Q(delivery_claimed_at__lt=now - DELIVERY_LEASE),
            kind=MessageKind.OUTBOUND,
            delivery_status=DeliveryStatus.QUEUED,
        )
        .order_by("id")
        .values_list("id", flat=True)[:1000]
    )


# --- Status, assignment, tags ---------------------------------------------------------------


def _apply_status(
    conversation: Conversation,
    status: str,
    *,
    actor: Agent | None,
    at: datetime,
    snooze_until: datetime | None = None,
    reason: str = "",
) -> str:
    """Change the status fields of a locked conversation (no save, no event)."""
    old = conversation.status
    if status not in TRANSITIONS.get(old, ()):
        raise InvalidTransition(f"Cannot change status from {old} to {status}.", field="status")
    if status == S.SNOOZED:
        if snooze_until is None or snooze_until <= at:
            raise ValidationError("Snoozing needs a time in the future.", field="snooze_until")
        conversation.snoozed_until = snooze_until
    else:
        conversation.snoozed_until = None
    if status == S.RESOLVED:
        conversation.resolved_at = at
        conversation.waiting_since = None
    if old == S.RESOLVED and status == S.OPEN:
        conversation.reopened_count += 1
        conversation.resolved_at = None
    conversation.status = status
    data = {"from": old, "to": status}
    if reason:
        data["reason"] = reason
    if snooze_until:
        data["snooze_until"] = snooze_until.isoformat()
    _activity(conversation, ActivityKind.STATUS, actor, at, **data)
    return old


def conversation_set_status(
    *,
    conversation: Conversation,
    status: str,
    actor: Agent | None,
    snooze_until: datetime | None = None,
    reason: str = "",
) -> Conversation:
    """Move the conversation to ``status`` following ``TRANSITIONS``.

    Resolving stamps ``resolved_at``; reopening a resolved conversation counts in
    ``reopened_count``; snoozing needs ``snooze_until`` in the future. Setting the current
    status again is a no-op (except snoozed, which moves the wake-up time). Emits
    ``ConversationStatusChanged``.
    """
    if status not in S.values:
        raise ValidationError(f"Unknown status {status!r}.", field="status")
    with transaction.atomic():
        locked = _lock(conversation.pk)
        if locked.status == status and status != S.SNOOZED:
            return locked
        old = _apply_status(
            locked,
            status,
            actor=actor,
            at=timezone.now(),
            snooze_until=snooze_until,
            reason=reason,
        )
        locked.save()
        emit(
            ConversationStatusChanged(
                conversation_id=locked.pk,
                store_id=locked.store_id,
                old_status=old,
                new_status=status,
            )
        )
    return locked


def conversations_wake_snoozed(*, now: datetime | None = None) -> int:
    """Reopen snoozed conversations whose time has come. Returns how many."""
    now = now or timezone.now()
    due = Conversation.objects.filter(status=S.SNOOZED, snoozed_until__lte=now)
    count = 0
    for conversation_id in due.values_list("id", flat=True)[:1000]:
        conversation = Conversation(pk=conversation_id)
        try:
            conversation_set_status(
                conversation=conversation, status=S.OPEN, actor=None, reason="snooze_ended"
            )
            count += 1
        except InvalidTransition:
            continue  # changed meanwhile
    return count


def conversation_mark_waiting(*, conversation: Conversation, since: datetime) -> None:
    """The customer is waiting for the team again since ``since`` (e.g. the assistant
    handed the conversation to a person after replying itself). Keeps an earlier wait."""
    Conversation.objects.filter(pk=conversation.pk, waiting_since__isnull=True).update(
        waiting_since=since, updated_at=timezone.now()
    )


class _Unset:
    pass


UNSET = _Unset()


def conversation_assign(
    *,
    conversation: Conversation,
    actor: Agent | None,
    assignee: Agent | None | _Unset = UNSET,
    team: Team | None | _Unset = UNSET,
) -> Conversation:
    """Set the assignee and/or team (``None`` clears, ``UNSET`` keeps). The assignee must be an
    active agent who may see the conversation's store. Emits ``ConversationAssigned`` when
    something changed."""
    if isinstance(assignee, Agent) and (
        not assignee.is_active or not can_see_store(assignee, conversation.store_id)
    ):
        raise ValidationError(
            "This agent cannot work on this store's conversations.", field="assignee_id"
        )
    with transaction.atomic():
        locked = _lock(conversation.pk)
        changes = {}
        if not isinstance(assignee, _Unset) and locked.assignee_id != getattr(assignee, "pk", None):
            locked.assignee = assignee
            changes["assignee_id"] = getattr(assignee, "pk", None)
        if not isinstance(team, _Unset) and locked.team_id != getattr(team, "pk", None):
            locked.team = team
            changes["team_id"] = getattr(team, "pk", None)
        if not changes:
            return locked
        locked.save()
        _activity(locked, ActivityKind.ASSIGNED, actor, timezone.now(), **changes)
        emit(
            ConversationAssigned(
                conversation_id=locked.pk,
                store_id=locked.store_id,
                assignee_id=locked.assignee_id,
                team_id=locked.team_id,
            )
        )
    return locked


def conversation_tag(
    *, conversation: Conversation, actor: Agent | None, add=(), remove=()
) -> list[str]:
    """Add and remove tags by name (case-insensitive; new names create store tags). Returns
    the conversation's tag names. Emits ``ConversationTagged`` when something changed."""
    add_names = {Tag.normalise(n) for n in add} - {""}
    remove_names = {Tag.normalise(n) for n in remove} - {""}
    with transaction.atomic():
        locked = _lock(conversation.pk)
        current = set(locked.tags.values_list("name", flat=True))
        added = sorted(add_names - current)
        removed = sorted((remove_names & current) - add_names)
        for name in added:
            tag, _ = Tag.objects.get_or_create(store_id=locked.store_id, name=name)
            locked.tags.add(tag)
        if removed:
            locked.tags.remove(*Tag.objects.filter(store_id=locked.store_id, name__in=removed))
        if added or removed:
            Conversation.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
            _activity(
                locked, ActivityKind.TAGGED, actor, timezone.now(), added=added, removed=removed
            )
            emit(
                ConversationTagged(
                    conversation_id=locked.pk,
                    store_id=locked.store_id,
                    added=tuple(added),
                    removed=tuple(removed),
                )
            )
    return sorted((current | set(added)) - set(removed))


def conversation_set_priority(
    *, conversation: Conversation, actor: Agent | None, priority: int
) -> Conversation:
    """Change the priority. Emits ``ConversationPriorityChanged`` when it changed."""
    if priority not in Priority.values:
        raise ValidationError("Unknown priority.", field="priority")
    with transaction.atomic():
        locked = _lock(conversation.pk)
        if locked.priority != priority:
            _activity(
                locked,
                ActivityKind.PRIORITY,
                actor,
                timezone.now(),
                **{"from": locked.priority, "to": priority},
            )
            locked.priority = priority
            locked.save(update_fields=["priority", "updated_at"])
            emit(
                ConversationPriorityChanged(
                    conversation_id=locked.pk, store_id=locked.store_id, priority=priority
                )
            )
    return locked


def conversations_move_to_contact(*, source: Contact, target: Contact, actor: Agent | None):
    """Re-home ``source``'s conversations and messages onto ``target`` (contact merge).
    Call inside the merge's transaction. Emits ``ConversationContactChanged`` per
    conversation."""
    now = timezone.now()
    for conversation in Conversation.objects.filter(contact=source).select_for_update():
        conversation.contact = target
        conversation.save(update_fields=["contact", "updated_at"])
        _activity(
            conversation,
            ActivityKind.MERGED_CONTACT,
            actor,
            now,
            from_contact_id=source.pk,
            to_contact_id=target.pk,
        )
        emit(
            ConversationContactChanged(
                conversation_id=conversation.pk,
                store_id=conversation.store_id,
                contact_id=target.pk,
            )
        )
    Message.objects.filter(sender_contact=source).update(sender_contact=target)
