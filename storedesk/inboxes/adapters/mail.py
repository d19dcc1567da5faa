"""Sending a reply by email, shared by the channels that answer customers by mail."""

from email.utils import formataddr

from django.core.mail import EmailMultiAlternatives

from storedesk.core.html import text_to_html
from storedesk.inboxes.adapters.base import DeliveryError, OutboundMessage

# RFC 3676 signature separator: mail clients recognise it and fold or trim what follows.
SIGNATURE_SEPARATOR = "-- \n"


def reply_bodies(outbound: OutboundMessage) -> tuple[str, str]:
    """The reply's plain-text and HTML bodies, each with the agent's signature. The HTML is
    the stored (sanitised) HTML when the reply has one, else the text made into HTML."""
    text = outbound.text.rstrip()
    html = outbound.html or text_to_html(text)
    signature = outbound.signature.strip()
    if signature:
        text = f"{text}\n\n{SIGNATURE_SEPARATOR}{signature}"
        html = f'{html}\n<div class="signature">-- <br>{text_to_html(signature)}</div>'
    return text + "\n", html


def automatic_headers(outbound: OutboundMessage) -> dict[str, str]:
    """RFC 3834 headers for a reply no person wrote (the assistant's): other systems'
    auto-responders and our own receiver leave it unanswered, so two robots never write to
    each other in a loop."""
    if not outbound.automatic:
        return {}
    return {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}


def reply_subject(subject: str) -> str:
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def send_reply_mail(
    outbound: OutboundMessage,
    *,
    subject: str,
    from_name: str,
    from_address: str,
    headers: dict | None = None,
) -> None:
    """Send ``outbound`` to its recipient's email address (text, HTML alternative, the
    agent's signature and attachments) through Django's mail backend. Raises
    ``DeliveryError``: permanent when there is no address, temporary when the mail server
    refuses."""
    if not outbound.recipient.email:
        raise DeliveryError("The contact has no email address.", permanent=True)
    text, html = reply_bodies(outbound)
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=formataddr((from_name, from_address)),
        to=[formataddr((outbound.recipient.name, outbound.recipient.email))],
        headers=headers or {},
    )
    mail.attach_alternative(html, "text/html")
    for attachment in outbound.attachments:
        with open(attachment.path, "rb") as handle:
            mail.attach(attachment.filename, handle.read(), attachment.content_type)
    try:
        mail.send(fail_silently=False)
    except OSError as exc:
        raise DeliveryError(f"Mail server refused the reply: {exc}") from exc
