"""The contract between storedesk and a channel.

An adapter turns a channel's payload into an :class:`InboundMessage` (which the caller passes
to ``conversations.services.message_receive``) and delivers an :class:`OutboundMessage`. It
knows nothing about the database beyond the inbox it is given.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import ClassVar

import pydantic


@dataclasses.dataclass(frozen=True)
class SenderRef:
    """Who wrote an inbound message, as the channel knows them.

    ``identity_kind``/``external_id`` identify the contact within the store (for example
    ``("email", "ana@example.com")``); name, email, phone and locale fill a new contact.
    ``email_verified=False`` (an address someone typed into a form) keeps ``email`` for
    replies only: it never finds, or joins, the contact who owns that address.
    """

    identity_kind: str
    external_id: str
    name: str = ""
    email: str = ""
    phone: str = ""
    locale: str = ""
    email_verified: bool = True


@dataclasses.dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content: bytes
    content_type: str = ""
    content_id: str = ""


@dataclasses.dataclass(frozen=True)
class InboundMessage:
    sender: SenderRef
    text: str
    html: str = ""
    subject: str = ""
    # The channel's message id; receiving the same id twice in one inbox stores one message.
    external_id: str | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    received_at: datetime | None = None
    # A conversation the channel threaded this message into (e.g. an email reply). Used only
    # if it belongs to the same inbox and contact.
    conversation_id: int | None = None
    language: str = ""
    # A contact the channel has verified as the sender, used instead of identifying one by
    # ``sender``; ``conversation_id`` may then be of another inbox of the same store. Only
    # for proof such as a reply from the very address storedesk wrote to, through its
    # signed reply address (a chat answered by email continues in the chat).
    contact_id: int | None = None


@dataclasses.dataclass(frozen=True)
class OutboundAttachment:
    filename: str
    path: str
    content_type: str


@dataclasses.dataclass(frozen=True)
class Recipient:
    contact_id: int
    name: str
    email: str
    phone: str
    identities: tuple[tuple[str, str], ...]


@dataclasses.dataclass(frozen=True)
class OutboundMessage:
    message_id: int
    conversation_id: int
    subject: str
    text: str
    html: str
    recipient: Recipient
    sender_name: str
    attachments: tuple[OutboundAttachment, ...] = ()
    # The sending agent's plain-text signature; channels that send mail append it.
    signature: str = ""
    # External ids of earlier messages in the conversation, oldest first (for threading).
    thread_external_ids: tuple[str, ...] = ()
    # Written by the assistant, not a person (mail channels mark it as an automatic reply).
    automatic: bool = False


@dataclasses.dataclass(frozen=True)
class DeliveryResult:
    external_id: str | None = None


class DeliveryError(Exception):
    """Delivery failed. ``permanent`` failures are not retried (e.g. no address to send to)."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class InboundRejected(Exception):
    """The payload is not a message this adapter can accept. ``field`` names the culprit."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ChannelAdapter:
    """Base class of channel adapters; register subclasses with ``@register``."""

    kind: ClassVar[str]
    label: ClassVar[str]
    # Validates ``Inbox.config``; unknown keys are rejected.
    Config: ClassVar[type[pydantic.BaseModel]]

    def __init__(self, inbox):
        self.inbox = inbox
        self.config = self.Config.model_validate(inbox.config or {})

    @classmethod
    def default_config(cls) -> dict:
        """Config for a new inbox when the caller gives none (may generate secrets)."""
        return cls.Config().model_dump(mode="json")

    def parse(self, payload: dict) -> InboundMessage:
        raise NotImplementedError

    def deliver(self, outbound: OutboundMessage) -> DeliveryResult:
        raise NotImplementedError

    def process_payload(self, payload) -> None:
        """Turn a stored ``InboundPayload`` into a message (channels that store raw input
        first). Must be idempotent and must record the outcome on the payload (its row and
        the ``status`` of the instance passed in)."""
        raise NotImplementedError
