"""Write the demo plan (:mod:`storedesk.demo.plan`) to the database.

Stores, teams, agents, inboxes and orders go through their services. Contacts,
conversations, messages, timeline entries and tags are written in bulk: the conversation
services stamp every change with the current time, while the demo needs two months of
history, and one insert per table keeps the load within seconds on SQLite.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from storedesk.accounts.models import Agent, Team
from storedesk.accounts.services import agent_create, team_create
from storedesk.commerce.services import order_upsert
from storedesk.contacts.models import Contact, ContactIdentity, IdentityKind
from storedesk.conversations.enums import DeliveryStatus, MessageKind
from storedesk.conversations.models import ActivityEvent, Conversation, Message, Tag
from storedesk.conversations.services import preview_of
from storedesk.demo.plan import Plan, Ref, build_plan, unique_names
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.services import inbox_create
from storedesk.stores.models import Store
from storedesk.stores.services import store_create

DEMO_SLUGS = tuple(unique_names("")["slugs"])  # ("fashion", "electronics")
BATCH = 1000


@dataclasses.dataclass(frozen=True)
class DemoSummary:
    stores: int
    agents: int
    teams: int
    contacts: int
    orders: int
    conversations: int
    messages: int
    articles: int = 0

    def __str__(self) -> str:
        return (
            f"Demo data: {self.stores} stores, {self.agents} agents, {self.teams} teams, "
            f"{self.contacts} contacts, {self.orders} orders, "
            f"{self.conversations} conversations, {self.messages} messages, "
            f"{self.articles} help-center articles"
        )

    @classmethod
    def of(cls, plan: Plan) -> DemoSummary:
        return cls(
            stores=len(plan.stores),
            agents=len(plan.agents),
            teams=len(plan.teams),
            contacts=len(plan.contacts),
            orders=plan.order_count,
            conversations=len(plan.conversations),
            messages=plan.message_count,
        )


def demo_loaded() -> bool:
    """Whether the demo stores exist."""
    return Store.objects.filter(slug__in=DEMO_SLUGS).count() == len(DEMO_SLUGS)


def default_now() -> datetime:
    """The current time truncated to the hour: the demo's default point of reference."""
    return timezone.now().replace(minute=0, second=0, microsecond=0)


def _preview(spec) -> str:
    visible = [m for m in spec.messages if m.kind in (MessageKind.INBOUND, MessageKind.OUTBOUND)]
    return preview_of(visible[-1].text) if visible else ""


def load_demo(*, seed: int = 7, now: datetime | None = None) -> DemoSummary:
    """Create the demo stores with their agents, teams, inboxes, contacts, orders and about
    two months of conversations before ``now`` (default: this hour).

    The same ``seed`` and ``now`` give the same data. If demo data is there already, another
    copy is added whose slugs, usernames and team names end in ``-2`` (``-3``, ...).
    """
    now = default_now() if now is None else now
    if timezone.is_naive(now):
        now = timezone.make_aware(now, UTC)
    with transaction.atomic():
        plan = build_plan(seed=seed, now=now, suffix=_free_suffix())
        _write(plan)
        articles = _load_help_centers(plan)
        transaction.on_commit(_index_history)
    return dataclasses.replace(DemoSummary.of(plan), articles=articles)


def _index_history() -> None:
    """Queue the search indexing of the bulk-written contacts and messages and the analytics
    refresh (the worker does them)."""
    from storedesk.contacts.tasks import index_contacts
    from storedesk.conversations.tasks import index_messages

    for task, model in ((index_contacts, Contact), (index_messages, Message)):
        ids = list(model.objects.order_by("id").values_list("id", flat=True))
        for start in range(0, len(ids), 500):
            task(ids[start : start + 500])
    # The reports show the history at once rather than after the next periodic refresh.
    from storedesk.analytics.tasks import refresh_analytics_now

    refresh_analytics_now()


HELP_CENTERS = Path(__file__).resolve().parent / "fixtures"


def _load_help_centers(plan: Plan) -> int:
    """Each store's help center (``fixtures/helpcenter-<store key>.json``), published; it is
    indexed for search by the worker. Returns the number of articles."""
    from storedesk.helpcenter.services import articles_import

    articles = 0
    for spec in plan.stores:
        items = json.loads((HELP_CENTERS / f"helpcenter-{spec.key}.json").read_text("utf-8"))
        summary = articles_import(store_slug=spec.slug, items=items)
        if summary.errors:
            raise RuntimeError(f"demo help center {spec.key}: {summary.errors}")
        articles += summary.articles_created
    return articles


def _free_suffix() -> str:
    """The suffix of the next copy: empty for the first, else the first free "-N"."""
    number = 1
    while True:
        suffix = f"-{number}" if number > 1 else ""
        names = unique_names(suffix)
        taken = (
            Store.objects.filter(slug__in=names["slugs"]).exists()
            or Team.objects.filter(name__in=names["teams"]).exists()
            or Agent.objects.filter(username__in=names["usernames"]).exists()
        )
        if not taken:
            return suffix
        number += 1


def _resolve(value, ids: dict[Ref, int]):
    if isinstance(value, Ref):
        return ids[value]
    if isinstance(value, dict):
        return {key: _resolve(item, ids) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_resolve(item, ids) for item in value]
    return value


def _bulk_create(model, objects: list) -> None:
    """``bulk_create`` that leaves every object with its primary key on every backend."""
    model.objects.bulk_create(objects, batch_size=BATCH)
    if objects and objects[0].pk is None:  # SQLite before 3.35 returns no ids
        ids = list(model.objects.order_by("-pk").values_list("pk", flat=True)[: len(objects)])
        for obj, pk in zip(objects, reversed(ids), strict=True):
            obj.pk = pk


def _write(plan: Plan) -> None:
    ids: dict[Ref, int] = {}

    stores: dict[str, Store] = {}
    for spec in plan.stores:
        stores[spec.key] = store_create(
            name=spec.name,
            slug=spec.slug,
            default_locale=spec.default_locale,
            supported_locales=spec.supported_locales,
            time_zone=spec.time_zone,
            commerce_platform="demo",
            commerce_config=dict(spec.commerce_config),
            brand_color=spec.brand_color,
        )

    teams: dict[str, Team] = {}
    for spec in plan.teams:
        teams[spec.key] = team_create(name=spec.name)
        ids[Ref("team", spec.key)] = teams[spec.key].pk

    agents: dict[str, Agent] = {}
    for spec in plan.agents:
        agent = agent_create(
            username=spec.username,
            password=None,
            role=spec.role,
            email=spec.email,
            display_name=spec.display_name,
            stores=[stores[key] for key in spec.stores],
            teams=[teams[key] for key in spec.teams],
        )
        agent.first_name = spec.first_name
        agent.last_name = spec.last_name
        agent.locale = spec.locale
        agent.time_zone = spec.time_zone
        agent.date_joined = plan.opened_at
        agent.save(update_fields=["first_name", "last_name", "locale", "time_zone", "date_joined"])
        agents[spec.key] = agent
        ids[Ref("agent", spec.key)] = agent.pk

    inboxes: dict[str, Inbox] = {}
    for spec in plan.inboxes:
        inboxes[spec.key] = inbox_create(
            store=stores[spec.store],
            kind=spec.kind,
            name=spec.name,
            config=spec.config,
            default_team=teams[spec.default_team],
        )
        ids[Ref("inbox", spec.key)] = inboxes[spec.key].pk
    # An email address per store, so `storedesk smtpd` receives mail out of the box.
    for store in stores.values():
        inbox_create(
            store=store,
            kind="email",
            name=f"{store.name} email",
            config={"address": f"support@{store.slug}.example", "from_name": store.name},
        )
        # And a chat widget per store; /demo-shop/ embeds the first one.
        inbox_create(
            store=store,
            kind="webchat",
            name=f"{store.name} chat",
            config={
                # The assistant answers first and hands over to the team.
                "assistant": {"enabled": True},
                "prechat_fields": ["name", "email"],
                "greeting": {
                    "en": f"Hi! This is {store.name}. How can we help?",
                    "hr": f"Bok! Ovdje {store.name}. Kako vam možemo pomoći?",
                    "zh-hans": f"您好！这里是 {store.name}，有什么可以帮您？",
                },
            },
        )

    # The shops have been using storedesk since before the first demo conversation.
    opened = {"created_at": plan.opened_at, "updated_at": plan.opened_at}
    Store.objects.filter(pk__in=[store.pk for store in stores.values()]).update(**opened)
    Team.objects.filter(pk__in=[team.pk for team in teams.values()]).update(**opened)
    Inbox.objects.filter(pk__in=[inbox.pk for inbox in inboxes.values()]).update(**opened)

    contacts = _write_contacts(plan, stores, agents)

    for spec, contact in zip(plan.contacts, contacts, strict=True):
        for summary in spec.orders:
            order_upsert(store=stores[spec.store], summary=summary, contact=contact)

    _write_conversations(plan, stores, agents, inboxes, teams, contacts, ids)


def _write_contacts(plan: Plan, stores, agents) -> list[Contact]:
    contacts = [
        Contact(
            store=stores[spec.store],
            name=spec.name,
            email=spec.email,
            phone=spec.phone,
            locale=spec.locale,
            dedicated_agent=agents[spec.dedicated_agent] if spec.dedicated_agent else None,
            notes=spec.notes,
            attributes=dict(spec.attributes),
        )
        for spec in plan.contacts
    ]
    _bulk_create(Contact, contacts)
    # auto_now_add stamped the current time on insert; give them their history.
    for spec, contact in zip(plan.contacts, contacts, strict=True):
        contact.created_at = contact.updated_at = spec.created_at
    Contact.objects.bulk_update(contacts, ["created_at", "updated_at"], batch_size=BATCH)

    identities = []
    for spec, contact in zip(plan.contacts, contacts, strict=True):
        pairs = [(IdentityKind.EMAIL, spec.email)]
        if spec.phone:
            pairs.append((IdentityKind.PHONE, spec.phone))
        if spec.api_id:
            pairs.append((IdentityKind.API, spec.api_id))
        identities.extend(
            ContactIdentity(store=contact.store, contact=contact, kind=kind, external_id=value)
            for kind, value in pairs
        )
    ContactIdentity.objects.bulk_create(identities, batch_size=BATCH)
    return contacts


def _write_conversations(plan: Plan, stores, agents, inboxes, teams, contacts, ids) -> None:
    tags = [Tag(store=store, name=name) for store in stores.values() for name in plan.tags]
    _bulk_create(Tag, tags)
    tag_ids = {(tag.store_id, tag.name): tag.pk for tag in tags}

    conversations = [
        Conversation(
            store=stores[spec.store],
            inbox=inboxes[spec.inbox],
            contact=contacts[spec.contact],
            subject=spec.subject,
            status=spec.status,
            priority=spec.priority,
            assignee=agents[spec.assignee] if spec.assignee else None,
            team=teams[spec.team] if spec.team else None,
            language=spec.language,
            snoozed_until=spec.snoozed_until,
            first_response_at=spec.first_response_at,
            resolved_at=spec.resolved_at,
            reopened_count=spec.reopened_count,
            last_customer_message_at=spec.last_customer_message_at,
            last_message_at=spec.last_message_at,
            waiting_since=spec.waiting_since,
            message_count=spec.message_count,
            preview=_preview(spec),
        )
        for spec in plan.conversations
    ]
    _bulk_create(Conversation, conversations)
    for spec, conversation in zip(plan.conversations, conversations, strict=True):
        conversation.created_at = spec.created_at
        conversation.updated_at = spec.updated_at
    Conversation.objects.bulk_update(conversations, ["created_at", "updated_at"], batch_size=BATCH)

    messages, events, links = [], [], []
    Link = Conversation.tags.through
    for spec, conversation in zip(plan.conversations, conversations, strict=True):
        for message in spec.messages:
            messages.append(
                Message(
                    conversation=conversation,
                    store_id=conversation.store_id,
                    inbox_id=conversation.inbox_id,
                    kind=message.kind,
                    sender_type=message.sender_type,
                    sender_contact_id=(
                        conversation.contact_id if message.kind == MessageKind.INBOUND else None
                    ),
                    sender_agent_id=agents[message.agent].pk if message.agent else None,
                    text=message.text,
                    external_id=message.external_id,
                    delivery_status={
                        MessageKind.INBOUND: DeliveryStatus.RECEIVED,
                        MessageKind.OUTBOUND: DeliveryStatus.SENT,
                    }.get(message.kind, DeliveryStatus.NOT_APPLICABLE),
                    delivery_attempts=1 if message.kind == MessageKind.OUTBOUND else 0,
                    created_at=message.at,
                    sent_at=message.sent_at,
                )
            )
        for event in spec.events:
            events.append(
                ActivityEvent(
                    conversation=conversation,
                    kind=event.kind,
                    actor_id=agents[event.actor].pk if event.actor else None,
                    data=_resolve(event.data, ids),
                    created_at=event.at,
                )
            )
        for name in spec.tags:
            links.append(
                Link(conversation_id=conversation.pk, tag_id=tag_ids[(conversation.store_id, name)])
            )
    Message.objects.bulk_create(messages, batch_size=BATCH)
    ActivityEvent.objects.bulk_create(events, batch_size=BATCH)
    Link.objects.bulk_create(links, batch_size=BATCH)
