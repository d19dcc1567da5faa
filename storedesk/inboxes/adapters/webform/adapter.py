"""The ``webform`` channel: a contact form (storedesk's hosted page or the shop's own form
posting to the public endpoint). Replies go to the customer by email."""

import pydantic
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from storedesk.assistant.config import AssistantInboxConfig
from storedesk.inboxes.adapters import register
from storedesk.inboxes.adapters.base import (
    ChannelAdapter,
    DeliveryResult,
    InboundMessage,
    InboundRejected,
    OutboundMessage,
    SenderRef,
)
from storedesk.inboxes.adapters.mail import automatic_headers, reply_subject, send_reply_mail

MAX_FIELD = {"name": 200, "email": 254, "subject": 300, "message": 20_000, "order_number": 60}


class WebformConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    # Origins allowed to post the form from a shop's own page (CORS); empty: hosted page only.
    allowed_origins: list[str] = []
    from_email: str = ""
    from_name: str = ""
    success_message: str = "Thank you! We have received your message and will reply by email."
    # The assistant replies to a new request with articles (storedesk.assistant.suggestions).
    assistant: AssistantInboxConfig = pydantic.Field(default_factory=AssistantInboxConfig)


@register
class WebformAdapter(ChannelAdapter):
    kind = "webform"
    label = "Contact form"
    Config = WebformConfig

    def parse(self, payload: dict) -> InboundMessage:
        """``payload``: form fields ``name``, ``email`` (required), ``subject``, ``message``
        (required), ``order_number``."""
        fields = {}
        for key, limit in MAX_FIELD.items():
            value = str(payload.get(key) or "").strip()
            if len(value) > limit:
                raise InboundRejected(f"At most {limit} characters.", field=key)
            fields[key] = value
        if not fields["email"]:
            raise InboundRejected("Your email address is required.", field="email")
        try:
            validate_email(fields["email"])
        except DjangoValidationError:
            raise InboundRejected("This is not a valid email address.", field="email") from None
        if not fields["message"]:
            raise InboundRejected("Please write your message.", field="message")
        text = fields["message"]
        if fields["order_number"]:
            text = f"{text}\n\nOrder number: {fields['order_number']}"
        email = fields["email"].lower()
        return InboundMessage(
            sender=SenderRef(
                identity_kind="email", external_id=email, name=fields["name"], email=email
            ),
            text=text,
            subject=fields["subject"],
        )

    def deliver(self, outbound: OutboundMessage) -> DeliveryResult:
        send_reply_mail(
            outbound,
            subject=reply_subject(outbound.subject or f"your message to {self.inbox.store.name}"),
            from_name=self.config.from_name or self.inbox.store.name,
            from_address=self.config.from_email or settings.DEFAULT_FROM_EMAIL,
            headers=automatic_headers(outbound),
        )
        return DeliveryResult()
