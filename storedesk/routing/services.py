from django.db import transaction

from storedesk.accounts.services import audit_log
from storedesk.core.errors import ValidationError
from storedesk.routing.canned import canned_body_check
from storedesk.routing.models import CannedReply


def canned_reply_save(
    *, actor, title: str, body: str, store=None, reply: CannedReply | None = None
) -> CannedReply:
    """Create (``reply=None``) or update a canned reply. The body must be a valid template."""
    title = title.strip()
    if not title:
        raise ValidationError("Give the reply a title.", field="title")
    if not body.strip():
        raise ValidationError("Write the reply.", field="body")
    canned_body_check(body)
    with transaction.atomic():
        if reply is None:
            reply = CannedReply(created_by=actor)
        reply.title, reply.body, reply.store = title[:120], body, store
        reply.save()
        audit_log(actor=actor, action="canned_reply.saved", target=reply)
    return reply


def canned_reply_delete(*, actor, reply: CannedReply) -> None:
    with transaction.atomic():
        audit_log(actor=actor, action="canned_reply.deleted", target=reply)
        reply.delete()
