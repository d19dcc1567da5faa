"""Attachment download and signed inline images: the only ways attachment files leave the
server."""

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import FileResponse, Http404
from django.urls import reverse

from storedesk.conversations.attachments import ACTIVE_CONTENT_TYPES
from storedesk.conversations.models import Attachment
from storedesk.conversations.selectors import access_attachment
from storedesk.core.api import BearerTokenAuth
from storedesk.core.errors import NotFound


def _actor(request):
    if request.user.is_authenticated:
        return request.user
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return BearerTokenAuth().authenticate(request, header[7:].strip())
    return None


def attachment_download(request, attachment_id: int):
    """Serve an attachment to an agent who may see its store (session or Bearer token).

    Always ``Content-Disposition: attachment`` with ``nosniff``; active content (HTML, SVG,
    XML, JS) is served as ``application/octet-stream`` so it never renders on our origin.
    """
    actor = _actor(request)
    if actor is None:
        return login_required(lambda r: None)(request)
    try:
        attachment = access_attachment(actor=actor, id=attachment_id)
    except NotFound:
        raise Http404 from None
    return attachment_response(attachment)


# Raster types a browser shows as an image and never executes (SVG is excluded on purpose).
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
INLINE_URL_MAX_AGE = 3600
_INLINE_SALT = "storedesk.inline-attachment"


def inline_image_url(attachment) -> str | None:
    """A signed, expiring URL that shows ``attachment`` as an image, or None when it is not a
    safe raster image. For email bodies in a sandboxed frame: the frame's requests carry no
    session cookie, so the signature is the permission (granted by an access-checked page)."""
    if attachment.content_type not in INLINE_IMAGE_TYPES:
        return None
    token = signing.TimestampSigner(salt=_INLINE_SALT).sign(str(attachment.pk))
    return reverse("attachment-inline", args=[token])


def attachment_inline(request, token: str):
    """Serve an inline image by a token from :func:`inline_image_url` (404 once expired)."""
    try:
        attachment_id = signing.TimestampSigner(salt=_INLINE_SALT).unsign(
            token, max_age=INLINE_URL_MAX_AGE
        )
        attachment = Attachment.objects.get(pk=int(attachment_id))
    except (signing.BadSignature, Attachment.DoesNotExist, ValueError):
        raise Http404 from None
    if attachment.content_type not in INLINE_IMAGE_TYPES:
        raise Http404
    # No Cross-Origin-Resource-Policy: the sandboxed frame that shows it has an opaque
    # origin, so even "same-origin" would block it. The signature is the permission.
    return attachment_response(attachment, inline=True, cache="private, max-age=3600")


def attachment_response(attachment, *, inline: bool = False, cache: str = "private, no-store"):
    """An attachment's file, never rendered as active content on this origin: HTML, SVG,
    XML and JS go out as ``application/octet-stream``; ``inline`` applies to raster images
    only (everything else is a download); ``nosniff`` and a sandbox CSP always."""
    content_type = attachment.content_type
    if content_type in ACTIVE_CONTENT_TYPES or content_type.startswith("text/html"):
        content_type = "application/octet-stream"
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not (inline and content_type in INLINE_IMAGE_TYPES),
        filename=attachment.filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = cache
    return response
