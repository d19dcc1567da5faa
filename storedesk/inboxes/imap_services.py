"""Scheduling IMAP polls and recording how they went (``MailboxState``).

A poll runs under a lease: :func:`mailbox_claim` takes it with one atomic UPDATE that
succeeds only when no other worker holds an unexpired lease, so two workers never poll one
mailbox at once (however many schedulers run). The periodic task claims due mailboxes and
enqueues one :func:`mailbox_poll` per claim; :func:`mailbox_poll_now` polls at once (the
``storedesk imap poll`` command). The outcome is recorded and the lease released together.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pydantic
from django.db.models import Q
from django.utils import timezone

from storedesk.core.errors import Conflict, ValidationError
from storedesk.inboxes.adapters.email.imap import LeaseLost, PollResult, imap_config, imap_poll
from storedesk.inboxes.models import Inbox, MailboxState

# A lease older than this is abandoned (a worker died mid-poll). Each stored message renews
# it, and a poll stops fetching after imap.POLL_TIME_BUDGET, well within it.
LEASE = timedelta(minutes=10)
# Back-off after failures doubles from the poll interval up to this.
MAX_BACKOFF_SECONDS = 30 * 60
DEFAULT_INTERVAL = 60


def polled_inbox_ids() -> list[int]:
    """Active email inboxes with IMAP polling enabled."""
    return list(
        Inbox.objects.filter(kind="email", is_active=True, config__imap__enabled=True)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _lease_free(now: datetime) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE)


def _due(now: datetime) -> Q:
    return Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)


def mailbox_claim(inbox_id: int, *, due_only: bool = True) -> str | None:
    """Take the lease on the inbox's mailbox; returns its token, or None when another
    worker holds it (or, with ``due_only``, when the mailbox is not due yet)."""
    MailboxState.objects.get_or_create(inbox_id=inbox_id)
    now = timezone.now()
    token = secrets.token_hex(16)
    rows = MailboxState.objects.filter(_lease_free(now), inbox_id=inbox_id)
    if due_only:
        rows = rows.filter(_due(now))
    return token if rows.update(claimed_at=now, lease_token=token) else None


def mailboxes_claim_due() -> list[tuple[int, str]]:
    """Claim every polled mailbox that is due and free; returns ``(inbox_id, token)``
    pairs, one poll to run for each."""
    inbox_ids = polled_inbox_ids()
    known = set(
        MailboxState.objects.filter(inbox_id__in=inbox_ids).values_list("inbox_id", flat=True)
    )
    MailboxState.objects.bulk_create(
        [MailboxState(inbox_id=i) for i in inbox_ids if i not in known], ignore_conflicts=True
    )
    now = timezone.now()
    due = MailboxState.objects.filter(_due(now), _lease_free(now), inbox_id__in=inbox_ids)
    claims = []
    for inbox_id in due.order_by("next_poll_at", "id").values_list("inbox_id", flat=True):
        token = mailbox_claim(inbox_id)  # may lose the race to another scheduler: fine
        if token:
            claims.append((inbox_id, token))
    return claims


def mailbox_release(inbox_id: int, lease_token: str) -> None:
    MailboxState.objects.filter(inbox_id=inbox_id, lease_token=lease_token).update(
        claimed_at=None, lease_token=""
    )


def backoff_seconds(failures: int, interval: int) -> int:
    """Delay before the next poll after ``failures`` consecutive failures: the poll
    interval, doubled with each further failure, at most 30 minutes (or the interval)."""
    return min(interval * 2 ** max(failures - 1, 0), max(MAX_BACKOFF_SECONDS, interval))


def _record(inbox_id: int, lease_token: str, result: PollResult, interval: int) -> None:
    """Store the outcome and release the lease (only while still holding it)."""
    now = timezone.now()
    rows = MailboxState.objects.filter(inbox_id=inbox_id, lease_token=lease_token)
    common = {"last_polled_at": now, "claimed_at": None, "lease_token": ""}
    if result.ok:
        # A remaining backlog is due at once (the next scheduler run picks it up).
        next_poll = now if result.more else now + timedelta(seconds=interval)
        rows.update(
            **common,
            last_success_at=now,
            last_error="",
            consecutive_failures=0,
            next_poll_at=next_poll,
        )
        return
    state = rows.first()
    if state is None:
        return
    failures = state.consecutive_failures + 1
    rows.update(
        **common,
        last_error=result.error[:2000],
        consecutive_failures=failures,
        next_poll_at=now + timedelta(seconds=backoff_seconds(failures, interval)),
    )


def mailbox_poll(*, inbox_id: int, lease_token: str) -> PollResult | None:
    """Poll the inbox's mailbox under a lease taken by :func:`mailbox_claim`, record the
    outcome and release the lease. Returns None when there was nothing to do: the lease is
    no longer ours, or the inbox is gone, inactive or no longer polled by IMAP."""
    inbox = Inbox.objects.select_related("store").filter(pk=inbox_id).first()
    try:
        config = imap_config(inbox) if inbox is not None else None
    except pydantic.ValidationError as exc:
        # Saved settings are validated; this is a schema that changed under them.
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        error = f"The IMAP settings are invalid (config.{field}: {first['msg']}); save them again."
        result = PollResult(ok=False, error=error)
        _record(inbox_id, lease_token, result, DEFAULT_INTERVAL)
        return result
    if config is None or not config.enabled or not inbox.is_active:
        mailbox_release(inbox_id, lease_token)
        return None
    try:
        result = imap_poll(inbox, lease_token=lease_token)
    except LeaseLost:
        return None  # another worker took over; it records the outcome
    _record(inbox_id, lease_token, result, config.poll_interval_seconds)
    return result


def mailbox_poll_now(*, inbox: Inbox) -> PollResult:
    """Poll the inbox's mailbox at once, whatever its schedule (for admins). Raises
    ``ValidationError`` when the inbox is not polled by IMAP and ``Conflict`` when another
    worker is polling it right now."""
    config = imap_config(inbox)
    if config is None:
        raise ValidationError("This inbox has no IMAP settings.", field="config.imap")
    if not config.enabled:
        raise ValidationError(
            "IMAP polling is disabled for this inbox.", field="config.imap.enabled"
        )
    if not inbox.is_active:
        raise ValidationError("This inbox is inactive.", field="is_active")
    token = mailbox_claim(inbox.pk, due_only=False)
    if token is None:
        raise Conflict("Another worker is polling this mailbox right now; try again shortly.")
    result = mailbox_poll(inbox_id=inbox.pk, lease_token=token)
    if result is None:
        raise Conflict("Another worker took over polling this mailbox.")
    return result
