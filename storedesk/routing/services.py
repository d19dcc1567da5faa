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


def conversation_route(*, conversation, actor=None, now=None):
    """Give a conversation to a person (used when the assistant hands off).

    The customer's dedicated agent first, when they may work on the store; otherwise the
    inbox's team, and within it the member available to chat (toggle on, workspace seen in
    the last minutes) with the fewest open conversations; if nobody is available it waits
    in the team's queue. An assignee who may still work on it is kept. Returns the
    conversation as routed.
    """
    from storedesk.accounts.selectors import can_see_store
    from storedesk.conversations.services import conversation_assign

    current = conversation.assignee
    if current is not None and current.is_active and can_see_store(current, conversation.store_id):
        return conversation
    dedicated = conversation.contact.dedicated_agent
    if (
        dedicated is not None
        and dedicated.is_active
        and can_see_store(dedicated, conversation.store_id)
    ):
        return conversation_assign(conversation=conversation, actor=actor, assignee=dedicated)
    team = conversation.team or conversation.inbox.default_team
    if team is None:
        return conversation
    agent = least_busy_available_member(team=team, store_id=conversation.store_id, now=now)
    return conversation_assign(
        conversation=conversation,
        actor=actor,
        team=team,
        **({"assignee": agent} if agent is not None else {}),
    )


def least_busy_available_member(*, team, store_id: int, now=None):
    """The team member who may work on the store, is available to chat now and has the
    fewest open or pending conversations (ties: the lower id)."""
    from django.db.models import Count
    from django.utils import timezone

    from storedesk.accounts.selectors import can_see_store
    from storedesk.conversations.enums import ConversationStatus
    from storedesk.conversations.models import Conversation
    from storedesk.inboxes.adapters.webchat.service import AGENT_WINDOW

    recent = (now or timezone.now()) - AGENT_WINDOW
    members = [
        agent
        for agent in team.members.filter(is_active=True, available=True, last_seen_at__gte=recent)
        if can_see_store(agent, store_id)
    ]
    if not members:
        return None
    load = dict(
        Conversation.objects.filter(
            assignee__in=members,
            status__in=[ConversationStatus.OPEN, ConversationStatus.PENDING],
        )
        .values_list("assignee_id")
        .annotate(count=Count("id"))
    )
    return min(members, key=lambda agent: (load.get(agent.pk, 0), agent.pk))
