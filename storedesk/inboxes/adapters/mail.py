"""Sending a reply by email, shared by the channels that answer customers by mail."""

from email.utils import formataddr

from django.core.mail import EmailMultiAlternatives

from storedesk.inboxes.adapters.base import DeliveryError, OutboundMessage


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
    """Send ``outbound`` to its recipient's email address (text, HTML alternative and
    attachments) through Django's mail backend. Raises ``DeliveryError``: permanent when
    there is no address, temporary when the mail server refuses."""
    if not outbound.recipient.email:
        raise DeliveryError("The contact has no email address.", permanent=True)
    mail = EmailMultiAlternatives(
        subject=subject,
        body=outbound.text,
        from_email=formataddr((from_name, from_address)),
        to=[formataddr((outbound.recipient.name, outbound.recipient.email))],
        headers=headers or {},
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
