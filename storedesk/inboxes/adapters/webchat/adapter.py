"""The ``webchat`` channel: the chat widget on a shop's pages.

Visitors talk over a websocket (``consumer.py``); their messages go through
``message_receive`` and agents' replies come back through :meth:`WebchatAdapter.deliver`:
pushed live to the visitor's open windows, and sent by email when the visitor has left and
gave an address.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

import pydantic
from django.conf import settings

from storedesk.assistant.config import AssistantInboxConfig
from storedesk.inboxes.adapters import register
from storedesk.inboxes.adapters.base import (
    ChannelAdapter,
    DeliveryResult,
    OutboundMessage,
)

PrechatField = Literal["name", "email", "order_number"]
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _origin(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin like https://shop.example")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{value!r}: only scheme, host and port, no path")
    return f"{parts.scheme}://{parts.netloc.lower()}"


class WebchatInboxConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    # Shop pages allowed to embed the widget (Content-Security-Policy frame-ancestors).
    # storedesk's own pages (the demo shop) are always allowed.
    allowed_origins: list[str] = []
    # The launcher and header colour (#rrggbb); empty: the store's brand colour.
    colour: str = pydantic.Field("", pattern=r"^(#[0-9a-fA-F]{6})?$")
    # Shown when the chat opens and when nobody is available, by language code; a missing
    # language falls back to the store's default language, then to a built-in text.
    greeting: dict[str, str] = {}
    away_message: dict[str, str] = {}
    # Asked before the first message; ``prechat_required`` must be among them.
    prechat_fields: list[PrechatField] = []
    prechat_required: list[PrechatField] = []
    # Send agents' replies by email when the visitor has left and gave an address.
    email_when_away: bool = True
    max_upload_bytes: int = pydantic.Field(MAX_UPLOAD_BYTES, ge=0, le=MAX_UPLOAD_BYTES)
    # The assistant answers first (see storedesk.assistant.config).
    assistant: AssistantInboxConfig = pydantic.Field(default_factory=AssistantInboxConfig)

    @pydantic.field_validator("allowed_origins")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(_origin(v) for v in values))

    @pydantic.field_validator("greeting", "away_message")
    @classmethod
    def _texts(cls, values: dict[str, str]) -> dict[str, str]:
        for locale, text in values.items():
            if len(locale) > 16 or len(text) > 1000:
                raise ValueError("at most 1000 characters per language")
        return values

    @pydantic.model_validator(mode="after")
    def _required_are_asked(self):
        missing = set(self.prechat_required) - set(self.prechat_fields)
        if missing:
            raise ValueError(f"required but not asked: {', '.join(sorted(missing))}")
        return self


@register
class WebchatAdapter(ChannelAdapter):
    kind = "webchat"
    label = "Live chat"
    Config = WebchatInboxConfig

    def deliver(self, outbound: OutboundMessage) -> DeliveryResult:
        """Push the reply to the visitor's open chat windows; when none has been seen for a
        while, email it (if allowed and an address is known) from the store's email inbox
        address with its signed per-conversation Reply-To. A visitor who comes back
        sees every reply in the widget either way."""
        from storedesk.inboxes.adapters.webchat import service

        present = service.push_to_visitors(outbound.conversation_id, outbound.message_id)
        if present or not self.config.email_when_away:
            return DeliveryResult(external_id=f"webchat:{outbound.message_id}")
        if not outbound.recipient.email:
            return DeliveryResult(external_id=f"webchat:{outbound.message_id}")
        from storedesk.inboxes.adapters.mail import reply_subject, send_reply_mail

        address, headers = service.reply_sender(self.inbox.store, outbound.conversation_id)
        send_reply_mail(
            outbound,
            subject=reply_subject(outbound.subject or self.inbox.store.name),
            from_name=self.inbox.store.name,
            from_address=address or settings.DEFAULT_FROM_EMAIL,
            headers=headers,
        )
        # The mail's Message-ID: an answer quoting it threads back here.
        return DeliveryResult(external_id=headers["Message-ID"])
