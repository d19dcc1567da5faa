"""The ``email`` channel: mail to the inbox's address, received by the SMTP receiver
(``storedesk smtpd``) or fetched from a mailbox by IMAP polling (``imap.py``). Inbound mail
is stored raw first (``InboundPayload``) and processed in a task."""

import ssl
from email.utils import make_msgid
from typing import ClassVar, Literal

import pydantic
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from storedesk.assistant.config import AssistantInboxConfig
from storedesk.inboxes.adapters import register
from storedesk.inboxes.adapters.base import (
    ChannelAdapter,
    DeliveryResult,
    OutboundMessage,
)
from storedesk.inboxes.adapters.email.tokens import reply_address, subject_tag
from storedesk.inboxes.adapters.mail import automatic_headers, reply_subject, send_reply_mail

MAX_REFERENCES = 20
IMAP_DEFAULT_PORTS = {"ssl": 993, "starttls": 143}


def _no_control_characters(value: str) -> str:
    # Credentials and names go into IMAP commands: a CR/LF would end the command early.
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters or line breaks")
    return value


# The secret each kind of sign-in needs.
_AUTH_NEEDING = {"password": "password", "access_token": "xoauth2"}


class ImapConfig(pydantic.BaseModel):
    """Where and how to fetch the inbox's mail by IMAP. TLS is always used and the server's
    certificate always verified (against the system's CAs, or ``ca_cert`` when given); there
    is deliberately no plaintext option and no way to turn verification off."""

    model_config = pydantic.ConfigDict(extra="forbid")

    host: str = pydantic.Field(min_length=1, max_length=253)
    # None means the default of ``security``: 993 (ssl) or 143 (starttls).
    port: int | None = pydantic.Field(None, ge=1, le=65535)
    security: Literal["ssl", "starttls"] = "ssl"
    username: str = pydantic.Field(min_length=1, max_length=320)
    auth: Literal["password", "xoauth2"] = "password"
    # Validated even when omitted: which of the two is required depends on ``auth``.
    password: str = pydantic.Field("", max_length=1024, validate_default=True)
    access_token: str = pydantic.Field("", max_length=8192, validate_default=True)
    folder: str = pydantic.Field("INBOX", min_length=1, max_length=255)
    enabled: bool = True
    # PEM text of the CA (or self-signed certificate) that signed the server's certificate.
    ca_cert: str = pydantic.Field("", max_length=65536)
    poll_interval_seconds: int = pydantic.Field(60, ge=30, le=86400)

    @pydantic.field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip().lower()
        if not value or any(c.isspace() or c in "/@" for c in value):
            raise ValueError("a host name or IP address only (no scheme, port or path)")
        return _no_control_characters(value)

    @pydantic.field_validator("username", "folder")
    @classmethod
    def _plain_text(cls, value: str) -> str:
        return _no_control_characters(value)

    @pydantic.field_validator("password", "access_token")
    @classmethod
    def _secret(cls, value: str, info: pydantic.ValidationInfo) -> str:
        auth = _AUTH_NEEDING[info.field_name]
        if info.data.get("auth") == auth and not value:
            raise ValueError(f'required when auth is "{auth}"')
        return _no_control_characters(value)

    @pydantic.field_validator("ca_cert")
    @classmethod
    def _ca_cert(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                ssl.create_default_context(cadata=value)
            except (ssl.SSLError, ValueError):
                raise ValueError("not a PEM certificate (-----BEGIN CERTIFICATE-----...)") from None
        return value

    @pydantic.model_validator(mode="after")
    def _default_port(self) -> "ImapConfig":
        if self.port is None:
            self.port = IMAP_DEFAULT_PORTS[self.security]
        return self


class EmailInboxConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    # Dotted paths of secrets: never shown by the API, and kept by ``inbox_update`` when an
    # update leaves them out (see ``services._keep_secrets``).
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("imap.password", "imap.access_token")

    address: str
    from_name: str = ""
    imap: ImapConfig | None = None
    # The assistant replies to a new request with articles (storedesk.assistant.suggestions).
    assistant: AssistantInboxConfig = pydantic.Field(default_factory=AssistantInboxConfig)

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
            **automatic_headers(outbound),
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
