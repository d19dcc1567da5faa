"""The ``email`` channel: mail to the inbox's address (SMTP receiver; IMAP polling comes
next). Inbound mail is stored raw first (``InboundPayload``) and processed in a task."""

from email.utils import make_msgid

import pydantic
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from storedesk.inboxes.adapters import register
from storedesk.inboxes.adapters.base import (
    ChannelAdapter,
    DeliveryResult,
    OutboundMessage,
)
from storedesk.inboxes.adapters.email.tokens import reply_address, subject_tag
from storedesk.inboxes.adapters.mail import reply_subject, send_reply_mail

MAX_REFERENCES = 20


class EmailInboxConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    address: str
    from_name: str = ""

    @pydantic.field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip().lower()
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("not a valid email address") from None
        return value


@register
class EmailAdapter(ChannelAdapter):
    kind = "email"
    label = "Email"
    Config = EmailInboxConfig

    def deliver(self, outbound: OutboundMessage) -> DeliveryResult:
        """Send the reply by SMTP with a new Message-ID and In-Reply-To/References of the
        thread, so the customer's mail client and our threading keep it together."""
        address = self.config.address
        message_id = make_msgid(domain=address.rsplit("@", 1)[-1])
        headers = {
            "Message-ID": message_id,
            "Reply-To": reply_address(address, outbound.conversation_id),
        }
        thread = [i for i in outbound.thread_external_ids if i.startswith("<")]
        if thread:
            headers["In-Reply-To"] = thread[-1]
            headers["References"] = " ".join(thread[-MAX_REFERENCES:])
        subject = reply_subject(outbound.subject or self.inbox.store.name)
        tag = subject_tag(outbound.conversation_id)
        if tag not in subject:
            subject = f"{subject} {tag}"
        send_reply_mail(
            outbound,
            subject=subject,
            from_name=self.config.from_name or self.inbox.store.name,
            from_address=address,
            headers=headers,
        )
        return DeliveryResult(external_id=message_id)

    def process_payload(self, payload) -> None:
        from storedesk.inboxes.adapters.email.inbound import email_process

        email_process(payload=payload)
