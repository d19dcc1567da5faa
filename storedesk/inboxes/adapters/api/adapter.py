"""The ``api`` channel: an integrating system posts customer messages through the REST API.

Replies are either fetched by the integration through the API, or, when ``webhook_url`` is
configured, pushed to it as a signed JSON POST (see ``storedesk.core.webhooks``).
"""

import base64
import binascii
import secrets

import pydantic

from storedesk.core import webhooks
from storedesk.inboxes.adapters import register
from storedesk.inboxes.adapters.base import (
    ChannelAdapter,
    DeliveryError,
    DeliveryResult,
    InboundAttachment,
    InboundMessage,
    InboundRejected,
    OutboundMessage,
    SenderRef,
)


class ApiInboxConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    webhook_url: pydantic.HttpUrl | None = None
    webhook_secret: str = pydantic.Field(default_factory=lambda: secrets.token_urlsafe(32))


@register
class ApiAdapter(ChannelAdapter):
    kind = "api"
    label = "API"
    Config = ApiInboxConfig

    def parse(self, payload: dict) -> InboundMessage:
        """``payload``: ``{"contact": {"external_id"?, "email"?, "name"?, "phone"?,
        "locale"?}, "text", "html"?, "subject"?, "external_id"?, "attachments"?:
        [{"filename", "content_base64", "content_type"?}]}`` (already schema-checked)."""
        contact = payload["contact"]
        if contact.get("external_id"):
            identity = ("api", str(contact["external_id"]))
        elif contact.get("email"):
            identity = ("email", contact["email"].strip().lower())
        elif contact.get("phone"):
            identity = ("phone", contact["phone"].strip())
        else:
            raise InboundRejected(
                "The contact needs an external_id, an email or a phone.", field="contact"
            )
        attachments = []
        for index, item in enumerate(payload.get("attachments") or ()):
            try:
                content = base64.b64decode(item["content_base64"], validate=True)
            except (binascii.Error, ValueError):
                raise InboundRejected(
                    "Not valid base64.", field=f"attachments.{index}.content_base64"
                ) from None
            attachments.append(
                InboundAttachment(
                    filename=item["filename"],
                    content=content,
                    content_type=item.get("content_type") or "",
                )
            )
        return InboundMessage(
            sender=SenderRef(
                identity_kind=identity[0],
                external_id=identity[1],
                name=contact.get("name") or "",
                email=contact.get("email") or "",
                phone=contact.get("phone") or "",
                locale=contact.get("locale") or "",
            ),
            text=payload.get("text") or "",
            html=payload.get("html") or "",
            subject=payload.get("subject") or "",
            external_id=payload.get("external_id") or None,
            attachments=tuple(attachments),
        )

    def deliver(self, outbound: OutboundMessage) -> DeliveryResult:
        if self.config.webhook_url is None:
            # The integration reads replies through GET /conversations/{id}/messages.
            return DeliveryResult()
        payload = {
            "event": "message.outbound",
            "message_id": outbound.message_id,
            "conversation_id": outbound.conversation_id,
            "contact": {
                "id": outbound.recipient.contact_id,
                "identities": [list(pair) for pair in outbound.recipient.identities],
            },
            "text": outbound.text,
            "html": outbound.html,
            "sender_name": outbound.sender_name,
        }
        try:
            webhooks.post_signed(str(self.config.webhook_url), self.config.webhook_secret, payload)
        except webhooks.WebhookError as exc:
            raise DeliveryError(exc.reason, permanent=exc.permanent) from exc
        return DeliveryResult()
