from django.db.models import QuerySet
from django.utils import timezone

from storedesk.accounts.selectors import scope_to_stores
from storedesk.core.errors import NotFound
from storedesk.core.queries import unique_row
from storedesk.inboxes.models import InboundPayload, Inbox, MailboxState


def inbox_list(*, actor, store_id: int | None = None) -> QuerySet[Inbox]:
    inboxes = scope_to_stores(Inbox.objects.select_related("store"), actor)
    if store_id is not None:
        inboxes = inboxes.filter(store_id=store_id)
    return inboxes.order_by("store_id", "name", "id")


def access_inbox(*, actor, id: int) -> Inbox:
    inbox = unique_row(scope_to_stores(Inbox.objects.select_related("store"), actor).filter(pk=id))
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


def mailbox_status(inbox: Inbox) -> dict | None:
    """How IMAP polling of an email inbox's mailbox stands, for the settings page (the
    caller has authorised access to ``inbox``). None for inboxes of other kinds.

    Keys: ``configured`` (IMAP settings present), ``enabled`` (the scheduler polls it: IMAP
    enabled and the inbox active), ``host``, ``port``, ``security``, ``username``,
    ``folder``, ``auth`` (no secrets), ``last_polled_at``, ``last_success_at``,
    ``last_error`` (empty after a success), ``consecutive_failures``, ``next_poll_at``
    (None: due now), ``polling`` (a worker holds the lease now), ``uidvalidity``,
    ``last_uid``, and ``truncated``: the latest (up to 10) messages larger than the size
    limit, stored truncated, as dicts of ``payload_id``, ``uid``, ``size``, ``received_at``.
    Two queries.
    """
    from storedesk.inboxes.imap_services import LEASE

    if inbox.kind != "email":
        return None
    imap = (inbox.config or {}).get("imap") or {}
    state = MailboxState.objects.filter(inbox=inbox).first()
    now = timezone.now()
    truncated = (
        InboundPayload.objects.filter(inbox=inbox, envelope__truncated=True)
        .order_by("-id")
        .values("id", "envelope", "received_at")[:10]
    )
    return {
        "configured": bool(imap),
        "enabled": bool(imap and imap.get("enabled", True) and inbox.is_active),
        # Where and as whom it polls; never the password or token.
        **{k: imap.get(k) for k in ("host", "port", "security", "username", "folder", "auth")},
        "last_polled_at": state.last_polled_at if state else None,
        "last_success_at": state.last_success_at if state else None,
        "last_error": state.last_error if state else "",
        "consecutive_failures": state.consecutive_failures if state else 0,
        "next_poll_at": state.next_poll_at if state else None,
        "polling": bool(state and state.claimed_at and state.claimed_at > now - LEASE),
        "uidvalidity": state.uidvalidity if state else None,
        "last_uid": state.last_uid if state else 0,
        "truncated": [
            {
                "payload_id": row["id"],
                "uid": row["envelope"].get("uid"),
                "size": row["envelope"].get("size"),
                "received_at": row["received_at"],
            }
            for row in truncated
        ],
    }


def config_without_secrets(inbox) -> dict:
    """The inbox's config with the adapter's secrets (``Config.SECRET_FIELDS``, dotted
    paths) left out, for showing and editing; saving it back keeps the stored secrets."""
    import copy

    from storedesk.inboxes.adapters import adapter_class

    config = copy.deepcopy(inbox.config or {})
    for path in getattr(adapter_class(inbox.kind).Config, "SECRET_FIELDS", ()):
        *parents, leaf = path.split(".")
        node = config
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    return config
