"""A small, hand-checked history: a store in Zagreb open Monday to Friday 09:00-17:00, over
the weekend clocks went back (2026-10-25, CEST → CET), and four conversations whose every
number the tests work out by hand.

| # | lang | created (local)  | first reply      | resolved         | notes                  |
|---|------|------------------|------------------|------------------|------------------------|
| A | en   | Fri 23 Oct 16:00 | Mon 26 Oct 10:00 | Mon 26 Oct 12:00 | over weekend and DST   |
| B | hr   | Mon 26 Oct 09:30 | Mon 26 Oct 09:40 | Mon 26 Oct 10:30 | one reply              |
| C | zh   | Mon 26 Oct 20:00 | —                | —                | still open             |
| D | hr   | Tue 27 Oct 09:00 | Tue 27 Oct 09:20 | Tue 27 Oct 11:00 | reopened, two replies  |
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from storedesk.accounts.enums import Role
from storedesk.conversations.enums import (
    ConversationStatus,
    DeliveryStatus,
    MessageKind,
    SenderType,
)
from storedesk.conversations.models import Conversation, Message
from storedesk.core.testing import (
    AgentFactory,
    ContactFactory,
    StoreFactory,
    TeamFactory,
    make_inbox,
)

ZAGREB = ZoneInfo("Europe/Zagreb")
HOURS = {
    "week": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
}


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of October 2026 in Zagreb."""
    return dt.datetime(2026, 10, day, hour, minute, tzinfo=ZAGREB)


@dataclasses.dataclass
class History:
    store: object
    other_store: object
    email: object
    chat: object
    team: object
    ana: object
    ivo: object
    supervisor: object
    conversations: dict


def write_conversation(
    *,
    inbox,
    contact,
    language,
    created,
    replies=(),
    resolved=None,
    reopened=0,
    assignee=None,
    team=None,
    later_messages=(),
):
    """A conversation and its messages as the services would have left them: the
    customer's message at ``created``, each (agent, moment) in ``replies``, more customer
    messages at ``later_messages``."""
    first = replies[0][1] if replies else None
    conversation = Conversation.objects.create(
        store=inbox.store,
        inbox=inbox,
        contact=contact,
        subject="Question",
        language=language,
        status=ConversationStatus.RESOLVED if resolved else ConversationStatus.OPEN,
        assignee=assignee,
        team=team,
        created_at=created,
        first_response_at=first,
        resolved_at=resolved,
        reopened_count=reopened,
        last_customer_message_at=created,
        last_message_at=max([created, *[at for _, at in replies], *later_messages]),
        message_count=1 + len(replies) + len(later_messages),
    )
    for at in (created, *later_messages):
        Message.objects.create(
            conversation=conversation,
            store=inbox.store,
            inbox=inbox,
            kind=MessageKind.INBOUND,
            sender_type=SenderType.CONTACT,
            sender_contact=contact,
            text="Hello",
            delivery_status=DeliveryStatus.RECEIVED,
            created_at=at,
        )
    for agent, at in replies:
        Message.objects.create(
            conversation=conversation,
            store=inbox.store,
            inbox=inbox,
            kind=MessageKind.OUTBOUND,
            sender_type=SenderType.AGENT,
            sender_agent=agent,
            text="Hi",
            delivery_status=DeliveryStatus.SENT,
            created_at=at,
        )
    return conversation


@pytest.fixture
def history(db):
    store = StoreFactory(slug="zagreb", time_zone="Europe/Zagreb", business_hours=HOURS)
    other_store = StoreFactory(slug="elsewhere")
    email = make_inbox(store, "api", "Email-like")
    chat = make_inbox(store, "webform", "Form")
    team = TeamFactory(name="Front line")
    ana = AgentFactory(username="ana", first_name="Ana")
    ivo = AgentFactory(username="ivo", first_name="Ivo")
    supervisor = AgentFactory(username="lead", role=Role.SUPERVISOR)
    contact = ContactFactory(store=store)
    a = write_conversation(
        inbox=email,
        contact=contact,
        language="en",
        created=local(23, 16),
        replies=[(ana, local(26, 10))],
        resolved=local(26, 12),
        assignee=ana,
        team=team,
    )
    b = write_conversation(
        inbox=chat,
        contact=ContactFactory(store=store),
        language="hr",
        created=local(26, 9, 30),
        replies=[(ivo, local(26, 9, 40))],
        resolved=local(26, 10, 30),
        assignee=ivo,
        team=team,
    )
    c = write_conversation(
        inbox=chat, contact=ContactFactory(store=store), language="zh", created=local(26, 20)
    )
    d = write_conversation(
        inbox=email,
        contact=ContactFactory(store=store),
        language="hr",
        created=local(27, 9),
        replies=[(ana, local(27, 9, 20)), (ana, local(27, 10, 40))],
        resolved=local(27, 11),
        reopened=1,
        assignee=ana,
        later_messages=[local(27, 10, 30)],
    )
    # Another store's conversation on the same days: never counted for the first store.
    write_conversation(
        inbox=make_inbox(other_store, "api", "Elsewhere"),
        contact=ContactFactory(store=other_store),
        language="en",
        created=local(26, 11),
        replies=[(ivo, local(26, 11, 5))],
        resolved=local(26, 11, 30),
        assignee=ivo,
    )
    return History(
        store=store,
        other_store=other_store,
        email=email,
        chat=chat,
        team=team,
        ana=ana,
        ivo=ivo,
        supervisor=supervisor,
        conversations={"A": a, "B": b, "C": c, "D": d},
    )
