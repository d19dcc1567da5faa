"""The ``email`` channel: mail to the inbox's address (SMTP receiver; IMAP polling comes
next). Inbound mail is stored raw first (``InboundPayload``) and processed in a task."""

from email.utils import formataddr, make_msgid

import pydantic
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email

from storedesk.inboxes.adapters import register
from storedesk.inboxes.adapters.base import (
    ChannelAdapter,
    DeliveryError,
    DeliveryResult,
    OutboundMessage,
)
from storedesk.inboxes.adapters.email.tokens import reply_address, subject_tag

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
        if not outbound.recipient.email:
            raise DeliveryError("The contact has no email address.", permanent=True)
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
        subject = outbound.subject or self.inbox.store.name
        if not subject.lower().startswith("re:"):
            subject = f"Re: {subject}"
        tag = subject_tag(outbound.conversation_id)
        if tag not in subject:
            subject = f"{subject} {tag}"
        mail = EmailMultiAlternatives(
            subject=subject,
            body=outbound.text,
            from_email=formataddr((self.config.from_name or self.inbox.store.name, address)),
            to=[formataddr((outbound.recipient.name, outbound.recipient.email))],
            headers=headers,
        )
        if outbound.html:
            mail.attach_alternative(outbound.html, "text/html")
        for attachment in outbound.attachments:
            with open(attachment.path, "rb") as handle:
                mail.attach(attachment.filename, handle.read(), attachment.content_type)
        try:
            mail.send(fail_silently=False)
        except OSError as exc:
            raise DeliveryError(f"Mail server refused the reply: {exc}") from exc
        return DeliveryResult(external_id=message_id)

    def process_payload(self, payload) -> None:
        from storedesk.inboxes.adapters.email.inbound import email_process

        email_process(payload=payload)
