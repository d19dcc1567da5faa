"""An SMTP receiver for the addresses of email inboxes (MX or forwarding setups).

Recipients are checked at RCPT time (unknown addresses get 550); the raw message is stored
durably (``inbound_payload_store``) before ``250`` is answered, so an accepted message is
never lost; processing happens in a task.
"""

from __future__ import annotations

import time

from asgiref.sync import sync_to_async

from storedesk.inboxes.adapters.email.tokens import base_address
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.services import inbound_payload_store

DEFAULT_SIZE_LIMIT = 40 * 1024 * 1024


def inbox_for_address(address: str) -> Inbox | None:
    """The active email inbox whose address is ``address`` (case-insensitive; a ``+tag``
    such as our signed reply addresses is ignored)."""
    address = base_address(address)
    if not address or len(address) > 254:
        return None
    return (
        Inbox.objects.select_related("store")
        .filter(kind="email", is_active=True, config__address=address)
        .first()
    )


def store_for_recipients(
    raw: bytes, mail_from: str, recipients: list[str], *, lookup=inbox_for_address
) -> int:
    """Store the message once per distinct inbox among ``recipients``. Returns how many."""
    stored = 0
    seen = set()
    for recipient in recipients:
        inbox = lookup(recipient)
        if inbox is None or inbox.pk in seen:
            continue
        seen.add(inbox.pk)
        inbound_payload_store(
            inbox=inbox, raw=raw, envelope={"mail_from": mail_from, "rcpt_to": recipient}
        )
        stored += 1
    return stored


class StoredeskHandler:
    """aiosmtpd handler: accept only our inboxes' addresses, store before answering.

    An address is looked up at most once per ``CACHE_SECONDS`` (a busy receiver otherwise
    spends a large share of its time on the same query, twice per mail: at RCPT and DATA);
    a new or deactivated inbox is seen within that time."""

    CACHE_SECONDS = 10.0
    CACHE_SIZE = 10_000

    def __init__(self):
        self._inboxes: dict[str, tuple[float, Inbox | None]] = {}

    def _cached(self, address: str):
        hit = self._inboxes.get(base_address(address))
        if hit is not None and time.monotonic() - hit[0] < self.CACHE_SECONDS:
            return hit
        return None

    def _lookup(self, address: str) -> Inbox | None:
        hit = self._cached(address)
        if hit is not None:
            return hit[1]
        inbox = inbox_for_address(address)
        if len(self._inboxes) >= self.CACHE_SIZE:
            self._inboxes.clear()
        self._inboxes[base_address(address)] = (time.monotonic(), inbox)
        return inbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        hit = self._cached(address)
        inbox = hit[1] if hit is not None else await sync_to_async(self._lookup)(address)
        if inbox is None:
            return "550 5.1.1 No mailbox here by that name"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        try:
            await sync_to_async(store_for_recipients)(
                raw, envelope.mail_from or "", list(envelope.rcpt_tos), lookup=self._lookup
            )
        except Exception:
            # Not stored: say so, and the sending server will try again later.
            return "451 4.3.0 Temporary failure storing the message, try again later"
        return "250 Message accepted for delivery"


def make_controller(host: str, port: int, *, size_limit: int = DEFAULT_SIZE_LIMIT):
    from aiosmtpd.controller import Controller

    return Controller(
        StoredeskHandler(),
        hostname=host,
        port=port,
        data_size_limit=size_limit,
        server_hostname="storedesk",
    )
