from django.db.models import QuerySet

from storedesk.accounts.selectors import scope_to_stores
from storedesk.core.errors import NotFound
from storedesk.inboxes.models import Inbox


def inbox_list(*, actor, store_id: int | None = None) -> QuerySet[Inbox]:
    inboxes = scope_to_stores(Inbox.objects.select_related("store"), actor)
    if store_id is not None:
        inboxes = inboxes.filter(store_id=store_id)
    return inboxes.order_by("store_id", "name", "id")


def access_inbox(*, actor, id: int) -> Inbox:
    inbox = scope_to_stores(Inbox.objects.select_related("store"), actor).filter(pk=id).first()
    if inbox is None:
        raise NotFound("Inbox not found.")
    return inbox


def inbox_by_public_token(token: str, *, kind: str) -> Inbox:
    """The active inbox of ``kind`` with this public token (for unauthenticated channels)."""
    inbox = (
        Inbox.objects.select_related("store")
        .filter(public_token=token, kind=kind, is_active=True)
        .first()
    )
    if inbox is None:
        raise NotFound("Inbox not found.")
    return inbox
