"""Reviewing raw channel input: what was received, what could not be read, and the original.

Every payload an inbox receives is kept (``InboundPayload``). Messages show only the part a
customer wrote (quotes trimmed, HTML sanitised); this module gives agents the full original
of a message and admins the received input that did not become a message (failed, ignored
as an auto-reply or bounce) or that was read with problems, with the raw bytes downloadable
and a way to process a failed payload again once the cause is fixed.
"""

from __future__ import annotations

import dataclasses

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from storedesk.accounts.services import audit_log
from storedesk.core.errors import ValidationError
from storedesk.core.events import emit
from storedesk.inboxes.events import InboundPayloadStored
from storedesk.inboxes.models import InboundPayload, PayloadStatus

# The views of the received-mail list, by what an admin is looking for.
PAYLOAD_FILTERS = ("attention", "failed", "ignored", "flagged", "all")


@dataclasses.dataclass(frozen=True)
class MessageSource:
    """Where an inbound message came from: its stored payload and what reading it found."""

    payload_id: int
    problems: tuple[str, ...]


def message_sources(message_ids) -> dict[int, MessageSource]:
    """The payload behind each of ``message_ids`` that has one (one query), by message id.
    Messages that arrived without a stored payload (API, chat) are absent."""
    ids = [i for i in message_ids if i]
    if not ids:
        return {}
    rows = (
        InboundPayload.objects.filter(message_id__in=ids)
        .order_by("id")
        .values_list("message_id", "id", "problems")
    )
    # A message can be matched by several payloads (the same mail by SMTP and IMAP): the
    # first one received is the original.
    sources: dict[int, MessageSource] = {}
    for message_id, payload_id, problems in rows:
        sources.setdefault(message_id, MessageSource(payload_id, tuple(problems or ())))
    return sources


def message_payload(*, message) -> InboundPayload | None:
    """The first payload stored for ``message`` (the caller has checked access to it)."""
    return InboundPayload.objects.filter(message=message).order_by("id").first()


def payload_list(*, inbox, view: str = "attention", limit: int = 100) -> QuerySet:
    """Received payloads of ``inbox``, newest first, without their raw bytes.

    ``view``: ``attention`` (failed, plus read with problems), ``failed``, ``ignored``,
    ``flagged`` (read with problems) or ``all``.
    """
    if view not in PAYLOAD_FILTERS:
        raise ValidationError(f"Unknown view {view!r}.", field="view")
    payloads = InboundPayload.objects.filter(inbox=inbox).defer("raw")
    flagged = ~Q(problems=[])
    if view == "attention":
        payloads = payloads.filter(Q(status=PayloadStatus.FAILED) | flagged)
    elif view == "failed":
        payloads = payloads.filter(status=PayloadStatus.FAILED)
    elif view == "ignored":
        payloads = payloads.filter(status=PayloadStatus.IGNORED)
    elif view == "flagged":
        payloads = payloads.filter(flagged)
    return payloads.select_related("message").order_by("-received_at", "-id")[:limit]


def payload_counts(*, inbox) -> dict[str, int]:
    """How many payloads of ``inbox`` failed and how many were read with problems."""
    return InboundPayload.objects.filter(inbox=inbox).aggregate(
        failed=Count("id", filter=Q(status=PayloadStatus.FAILED)),
        flagged=Count("id", filter=~Q(problems=[])),
    )


def payload_reprocess(*, payload: InboundPayload, actor) -> InboundPayload:
    """Process a ``failed`` payload again (after the cause was fixed, e.g. a contact limit
    raised or a bug repaired). Processing is idempotent, so a payload that had produced a
    message cannot produce a second one."""
    if payload.status != PayloadStatus.FAILED:
        raise ValidationError("Only failed input can be processed again.", field="status")
    with transaction.atomic():
        updated = InboundPayload.objects.filter(pk=payload.pk, status=PayloadStatus.FAILED).update(
            status=PayloadStatus.PENDING, attempts=0, error="", problems=[]
        )
        if updated:
            audit_log(actor=actor, action="inbound_payload.reprocessed", target=payload)
            emit(InboundPayloadStored(payload_id=payload.pk, inbox_id=payload.inbox_id))
    payload.refresh_from_db()
    return payload


def payload_sender_guess(payload: InboundPayload) -> str:
    """Who sent ``payload`` as far as is known (for lists): the parsed sender, else the
    SMTP envelope sender."""
    return payload.sender or str((payload.envelope or {}).get("mail_from", ""))


@dataclasses.dataclass(frozen=True)
class Original:
    """A payload as its sender wrote it: headers, the full text (quotes and signature kept)
    and what reading it found."""

    headers: tuple[tuple[str, str], ...]
    text: str
    problems: tuple[str, ...]


def raw_download(payload: InboundPayload) -> tuple[str, str]:
    """The file name and content type under which ``payload``'s raw bytes are downloaded."""
    if payload.inbox.kind == "email":
        return f"message-{payload.pk}.eml", "message/rfc822"
    return f"payload-{payload.pk}.txt", "text/plain; charset=utf-8"


def payload_original(payload: InboundPayload) -> Original:
    """Read ``payload`` again in full. Email is parsed (never raises); other channels' raw
    input is shown as text."""
    raw = bytes(payload.raw)
    if payload.inbox.kind != "email":
        return Original(
            headers=(),
            text=raw.decode("utf-8", errors="replace"),
            problems=tuple(payload.problems or ()),
        )
    from storedesk.inboxes.adapters.email.parsing import parse_email

    parsed = parse_email(raw)

    def addresses(items) -> str:
        return ", ".join(f"{a.name} <{a.address}>" if a.name else a.address for a in items)

    headers = [
        ("From", addresses([parsed.sender]) if parsed.sender else payload_sender_guess(payload)),
        ("To", addresses(parsed.to)),
        ("Cc", addresses(parsed.cc)),
        ("Subject", parsed.subject),
        ("Date", parsed.date.isoformat() if parsed.date else ""),
        ("Message-ID", parsed.message_id or ""),
    ]
    return Original(
        headers=tuple((name, value) for name, value in headers if value),
        text=parsed.text,
        problems=tuple(dict.fromkeys([*(payload.problems or ()), *parsed.problems])),
    )
