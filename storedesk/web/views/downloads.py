"""Responses that hand stored customer bytes to a browser without ever rendering them."""

from django.http import HttpResponse

from storedesk.inboxes.review import raw_download


def raw_payload_response(payload) -> HttpResponse:
    """``payload``'s raw bytes as a download: ``attachment`` disposition, ``nosniff`` and a
    sandbox CSP, so hostile content cannot run on this origin even if opened."""
    filename, content_type = raw_download(payload)
    response = HttpResponse(bytes(payload.raw), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
