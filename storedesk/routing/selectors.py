from django.db.models import Q, QuerySet

from storedesk.accounts.selectors import visible_store_ids
from storedesk.core.errors import NotFound
from storedesk.routing.models import CannedReply


def canned_reply_list(*, actor, store_id: int | None = None) -> QuerySet[CannedReply]:
    """Replies the actor may use: global ones plus those of visible stores (optionally only
    those usable in ``store_id``)."""
    replies = CannedReply.objects.select_related("store")
    store_ids = visible_store_ids(actor)
    if store_ids is not None:
        replies = replies.filter(Q(store__isnull=True) | Q(store_id__in=store_ids))
    if store_id is not None:
        replies = replies.filter(Q(store__isnull=True) | Q(store_id=store_id))
    return replies.order_by("title", "id")


def access_canned_reply(*, actor, id: int) -> CannedReply:
    reply = canned_reply_list(actor=actor).filter(pk=id).first()
    if reply is None:
        raise NotFound("Canned reply not found.")
    return reply
