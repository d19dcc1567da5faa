"""Attachment download: the only way attachment files leave the server."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from storedesk.conversations.attachments import ACTIVE_CONTENT_TYPES
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
    content_type = attachment.content_type
    if content_type in ACTIVE_CONTENT_TYPES or content_type.startswith("text/html"):
        content_type = "application/octet-stream"
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
