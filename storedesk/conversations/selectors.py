"""Reads for conversations. Every query is store-scoped through ``accounts.selectors``."""

from __future__ import annotations

import dataclasses

from django.db.models import Count, Prefetch, Q, QuerySet

from storedesk.accounts.selectors import scope_to_stores, visible_store_ids
from storedesk.contacts.search_index import contacts_matching
from storedesk.conversations.models import (
    ActivityEvent,
    Attachment,
    Conversation,
    Message,
    Tag,
)
from storedesk.conversations.search_index import conversations_matching
from storedesk.core.errors import NotFound, ValidationError
from storedesk.core.pagination import SortKey, paginate

SORTS: dict[str, tuple[SortKey, ...]] = {
    # Waiting longest first; conversations nobody waits on come last.
    "waiting": (SortKey("waiting_since", kind="datetime", nullable=True), SortKey("id")),
    "newest": (SortKey("created_at", True, "datetime"), SortKey("id", True)),
    "oldest": (SortKey("created_at", kind="datetime"), SortKey("id")),
    "updated": (SortKey("updated_at", True, "datetime"), SortKey("id", True)),
    "priority": (
        SortKey("priority", True),
        SortKey("waiting_since", kind="datetime", nullable=True),
        SortKey("id"),
    ),
}


@dataclasses.dataclass(frozen=True)
class ConversationFilters:
    status: tuple[str, ...] = ()
    assignee_id: int | None = None
    unassigned: bool = False
    team_id: int | None = None
    inbox_id: int | None = None
    inbox_kind: str = ""
    store_id: int | None = None
    contact_id: int | None = None
    tag: str = ""
    language: str = ""
    priority: int | None = None
    q: str = ""


def _base(actor) -> QuerySet[Conversation]:
    return scope_to_stores(Conversation.objects.all(), actor)


def conversation_list(
    *,
    actor,
    filters: ConversationFilters,
    sort: str = "waiting",
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Conversation], str | None]:
    """One page of the conversations ``actor`` may see, and the next page's cursor.
    Costs two queries whatever the page size (rows, then their tags)."""
    if sort not in SORTS:
        raise ValidationError(f"Sort by one of: {', '.join(SORTS)}.", field="sort")
    conversations = _base(actor)
    f = filters
    if f.status:
        conversations = conversations.filter(status__in=f.status)
    if f.unassigned:
        conversations = conversations.filter(assignee__isnull=True)
    elif f.assignee_id is not None:
        conversations = conversations.filter(assignee_id=f.assignee_id)
    for field in ("team_id", "inbox_id", "store_id", "contact_id", "priority"):
        value = getattr(f, field)
        if value is not None:
            conversations = conversations.filter(**{field: value})
    if f.inbox_kind:
        conversations = conversations.filter(inbox__kind=f.inbox_kind)
    if f.language:
        conversations = conversations.filter(language=f.language)
    if f.tag:
        conversations = conversations.filter(tags__name=Tag.normalise(f.tag))
    q = f.q.replace("\x00", "")  # PostgreSQL refuses NUL even in a query parameter
    if q:
        # Words in any message (the search index, scoped to the actor's stores inside its
        # query), or part of the subject or the contact's name or address.
        store_ids = visible_store_ids(actor)
        matching = conversations_matching(q, store_ids=store_ids)
        customers = contacts_matching(q, store_ids=store_ids)
        conversations = conversations.filter(
            Q(pk__in=matching)
            | Q(contact_id__in=customers)
            | Q(subject__icontains=q)
            | Q(contact__name__icontains=q)
            | Q(contact__email__icontains=q)
        )
    conversations = conversations.select_related(
        "inbox", "contact", "assignee", "team"
    ).prefetch_related("tags")
    return paginate(conversations, SORTS[sort], cursor=cursor, limit=limit)


ACTIVE_STATUSES = ("open", "pending", "snoozed")


def conversation_counts(*, actor) -> dict:
    """Live counts for the inbox navigation in one grouped query over the active
    conversations (covered by the ``conv_counts`` index): the standard views, and open
    conversations per team, per inbox and per store. Resolved conversations are not counted
    (the number only grows and nobody works from it)."""
    groups = (
        _base(actor)
        .filter(status__in=ACTIVE_STATUSES)
        .order_by()
        .values("status", "store_id", "inbox_id", "team_id", "assignee_id")
        .annotate(n=Count("id"))
    )
    views = dict.fromkeys(("mine", "unassigned", "open", "pending", "snoozed"), 0)
    per = {"teams": {}, "inboxes": {}, "stores": {}}
    for group in groups:
        status, n = group["status"], group["n"]
        views[status] += n
        if group["assignee_id"] == actor.pk and status in ("open", "pending"):
            views["mine"] += n
        if status != "open":
            continue
        if group["assignee_id"] is None:
            views["unassigned"] += n
        for key, field in (("teams", "team_id"), ("inboxes", "inbox_id"), ("stores", "store_id")):
            if group[field] is not None:
                per[key][group[field]] = per[key].get(group[field], 0) + n
    return {"views": views, **per}


def contact_conversations(*, actor, contact_id: int, exclude_id: int | None = None, limit=20):
    """The contact's other conversations (every channel), newest first."""
    rows = _base(actor).filter(contact_id=contact_id).select_related("inbox")
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    return list(rows.order_by("-created_at", "-id")[:limit])


def conversations_by_ids(*, actor, ids) -> list[Conversation]:
    """These conversations (the ones ``actor`` may see), in the order of ``ids``, with their
    contact, store and inbox loaded: the rows behind a list of ids found elsewhere (a
    report's drill-down)."""
    ids = list(ids)
    rows = _base(actor).filter(pk__in=ids).select_related("contact", "store", "inbox")
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def access_conversation(*, actor, id: int) -> Conversation:
    """The conversation ``id`` if ``actor`` may see it; :class:`NotFound` otherwise."""
    conversation = (
        _base(actor)
        .select_related("inbox", "contact", "assignee", "team", "store")
        .prefetch_related("tags")
        .filter(pk=id)
        .first()
    )
    if conversation is None:
        raise NotFound("Conversation not found.")
    return conversation


def message_list(
    *, conversation: Conversation, after_id: int | None = None, limit: int = 100
) -> tuple[list[Message], int | None]:
    """Messages of a conversation (already access-checked), oldest first, with attachments.
    Returns the page and the ``after_id`` of the next page."""
    messages = (
        Message.objects.filter(conversation=conversation)
        .select_related("sender_contact", "sender_agent")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("id")
    )
    if after_id is not None:
        messages = messages.filter(id__gt=after_id)
    rows = list(messages[: limit + 1])
    next_after = rows[limit - 1].pk if len(rows) > limit else None
    return rows[:limit], next_after


def activity_list(*, conversation: Conversation) -> list[ActivityEvent]:
    return list(conversation.activity.select_related("actor").order_by("created_at", "id"))


def access_attachment(*, actor, id: int) -> Attachment:
    attachment = (
        scope_to_stores(Attachment.objects.select_related("message"), actor).filter(pk=id).first()
    )
    if attachment is None:
        raise NotFound("Attachment not found.")
    return attachment
