"""The demo data as a plan: plain objects computed from a seed and a point in time.

Nothing here touches the database, so the same ``(seed, now, suffix)`` always gives an equal
:class:`Plan`. Every random choice comes from one ``random.Random(seed)``, drawn in a fixed
order.

Conversations are simulated step by step with the same rules the conversation services
apply (threading, status transitions, the facts on the conversation), so a demo
conversation looks exactly like one that went through ``message_receive``,
``message_send`` and ``conversation_set_status`` at those times:

* an inbound message reopens a pending, snoozed or resolved conversation and starts the
  wait (``waiting_since``) if nobody was waiting yet; an outbound reply ends the wait and the
  first one sets ``first_response_at``; notes only count;
* a contact has at most one unresolved conversation per inbox, and writing within the
  inbox's reopen window (7 days) after a resolution reopens it instead of starting anew;
* nothing happens after ``now``: threads that would continue later stop there, which
  leaves the recent ones open, pending or snoozed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
import math
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from storedesk.accounts.enums import Role
from storedesk.commerce.connectors import connector_for
from storedesk.commerce.connectors.base import OrderSummary
from storedesk.commerce.connectors.demo.connector import CATALOGUES
from storedesk.conversations.enums import (
    ActivityKind,
    ConversationStatus,
    MessageKind,
    Priority,
    SenderType,
)
from storedesk.demo import content
from storedesk.demo.content import EN, HR, ZH
from storedesk.stores.models import Store

S = ConversationStatus
DAYS = 60  # conversations start within this many days before ``now``
CONVERSATIONS = 1500  # aimed at; a few planned ones do not fit a contact's timeline
REOPEN_WINDOW = timedelta(days=7)  # Inbox.reopen_window_days default
# The status changes conversation_set_status allows.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.OPEN: (S.PENDING, S.SNOOZED, S.RESOLVED),
    S.PENDING: (S.OPEN, S.SNOOZED, S.RESOLVED),
    S.SNOOZED: (S.OPEN, S.PENDING, S.RESOLVED, S.SNOOZED),
    S.RESOLVED: (S.OPEN,),
}
# Relative number of new conversations per local hour: busy mornings and evenings.
HOUR_WEIGHTS = (
    0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.0, 1.8, 3.0, 3.2, 3.0,
    2.6, 2.0, 2.0, 2.1, 2.0, 1.9, 2.2, 3.0, 3.2, 3.0, 2.4, 1.0,
)  # fmt: skip
WEEKDAY_WEIGHTS = (1.15, 1.0, 1.0, 1.0, 0.95, 0.6, 0.5)  # Monday .. Sunday
TAGS = (
    "address-change", "cancellation", "complaint", "damaged", "exchange", "invoice",
    "payment", "product-question", "refund", "shipping", "vip",
)  # fmt: skip


# --- Plan objects ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Ref:
    """A row of the plan (``kind`` agent, team or inbox) whose id is known only once written."""

    kind: str
    key: str


@dataclasses.dataclass(frozen=True)
class StoreSpec:
    key: str  # "fashion" or "electronics"; also the catalogue
    name: str
    slug: str
    default_locale: str
    supported_locales: tuple[str, ...]
    time_zone: str
    commerce_config: dict
    brand_color: str
    languages: tuple[tuple[str, float], ...]  # customers' languages and their shares
    contacts: int


@dataclasses.dataclass(frozen=True)
class TeamSpec:
    key: str
    name: str


@dataclasses.dataclass(frozen=True)
class AgentSpec:
    key: str
    username: str
    first_name: str
    last_name: str
    display_name: str
    email: str
    role: str
    locale: str
    time_zone: str
    languages: tuple[str, ...]  # languages the agent answers customers in
    stores: tuple[str, ...]  # for restricted agents: the only stores they see
    teams: tuple[str, ...]  # the first is the team conversations move to when assigned
    signature_zh: str = ""


@dataclasses.dataclass(frozen=True)
class InboxSpec:
    key: str
    store: str
    kind: str
    name: str
    default_team: str
    config: dict | None


@dataclasses.dataclass(frozen=True)
class ContactSpec:
    key: int
    store: str
    name: str
    first_name: str
    email: str
    phone: str
    locale: str
    dedicated_agent: str | None
    notes: str
    attributes: dict
    orders: tuple[OrderSummary, ...]
    api_id: str = ""  # the shop's customer id, for contacts who wrote through the API
    created_at: datetime | None = None


@dataclasses.dataclass(frozen=True)
class MessageSpec:
    kind: str
    sender_type: str
    agent: str | None  # author of outbound messages and notes
    text: str
    at: datetime
    external_id: str | None = None
    sent_at: datetime | None = None


@dataclasses.dataclass(frozen=True)
class EventSpec:
    kind: str
    at: datetime
    actor: str | None
    data: dict


@dataclasses.dataclass
class ConversationSpec:
    store: str
    inbox: str
    contact: int
    topic: str
    subject: str
    language: str
    created_at: datetime
    order: str = ""  # number of the order it is about
    repeat: bool = False  # the contact wrote about the same thing shortly after a resolution
    status: str = S.OPEN
    priority: int = Priority.NORMAL
    assignee: str | None = None
    team: str | None = None
    tags: list[str] = dataclasses.field(default_factory=list)
    snoozed_until: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    reopened_count: int = 0
    last_customer_message_at: datetime | None = None
    last_message_at: datetime | None = None
    waiting_since: datetime | None = None
    message_count: int = 0
    updated_at: datetime | None = None
    messages: list[MessageSpec] = dataclasses.field(default_factory=list)
    events: list[EventSpec] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Plan:
    seed: int
    now: datetime
    stores: list[StoreSpec]
    teams: list[TeamSpec]
    agents: list[AgentSpec]
    inboxes: list[InboxSpec]
    contacts: list[ContactSpec]
    conversations: list[ConversationSpec]
    tags: tuple[str, ...] = TAGS

    @property
    def opened_at(self) -> datetime:
        """When the shops started using storedesk (before any demo conversation)."""
        return self.now - timedelta(days=DAYS + 30)

    @property
    def order_count(self) -> int:
        return sum(len(contact.orders) for contact in self.contacts)

    @property
    def message_count(self) -> int:
        return sum(len(conversation.messages) for conversation in self.conversations)


# --- Topics ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Topic:
    weight: float
    tags: tuple[str, ...]
    priorities: tuple[tuple[int, float], ...]
    # Order statuses the topic is about, with weights; None: the topic needs no order.
    statuses: tuple[tuple[str, float], ...] | None = None
    # The conversation starts between min_age and max_age days after the order was placed.
    min_age: float = 0
    max_age: float = 0
    ask: float = 0  # chance that the first reply asks for details
    snooze: float = 0  # chance that the agent investigates first and snoozes meanwhile
    catalogues: tuple[str, ...] = ("fashion", "electronics")
    escalate: float = 0  # chance that the conversation goes to the escalations team


P = Priority
TOPICS: dict[str, Topic] = {
    "where_is_order": Topic(
        weight=22,
        statuses=(("shipped", 4), ("paid", 3), ("delivered", 1)),
        min_age=1,
        max_age=30,
        tags=("shipping",),
        snooze=0.35,
        priorities=((P.NORMAL, 85), (P.HIGH, 15)),
    ),
    "delivery_delay": Topic(
        weight=9,
        statuses=(("shipped", 4), ("paid", 2), ("delivered", 1)),
        min_age=5,
        max_age=40,
        tags=("shipping", "complaint"),
        snooze=0.35,
        priorities=((P.NORMAL, 50), (P.HIGH, 42), (P.URGENT, 8)),
        escalate=0.3,
    ),
    "refund_request": Topic(
        weight=12,
        statuses=(("delivered", 3), ("refunded", 3), ("cancelled", 1)),
        min_age=2,
        max_age=60,
        tags=("refund",),
        ask=0.6,
        snooze=0.25,
        priorities=((P.NORMAL, 85), (P.HIGH, 15)),
    ),
    "wrong_size": Topic(
        weight=10,
        statuses=(("delivered", 4), ("refunded", 1)),
        min_age=2,
        max_age=45,
        tags=("exchange",),
        ask=0.75,
        priorities=((P.NORMAL, 90), (P.LOW, 10)),
        catalogues=("fashion",),
    ),
    "damaged_item": Topic(
        weight=7,
        statuses=(("delivered", 4), ("refunded", 1)),
        min_age=2,
        max_age=45,
        tags=("damaged", "complaint"),
        ask=0.75,
        snooze=0.3,
        priorities=((P.NORMAL, 50), (P.HIGH, 45), (P.URGENT, 5)),
        escalate=0.3,
    ),
    "payment_failed": Topic(
        weight=7,
        tags=("payment",),
        ask=0.6,
        priorities=((P.NORMAL, 60), (P.HIGH, 30), (P.URGENT, 10)),
    ),
    "cancel_order": Topic(
        weight=7,
        statuses=(("cancelled", 3), ("paid", 3), ("shipped", 1)),
        min_age=0.05,
        max_age=10,
        tags=("cancellation",),
        priorities=((P.NORMAL, 80), (P.HIGH, 20)),
    ),
    "invoice_request": Topic(
        weight=6,
        statuses=(("delivered", 2), ("shipped", 1), ("paid", 1)),
        min_age=0.5,
        max_age=60,
        tags=("invoice",),
        ask=0.6,
        priorities=((P.LOW, 40), (P.NORMAL, 60)),
    ),
    "product_question": Topic(
        weight=12,
        tags=("product-question",),
        ask=0,
        priorities=((P.LOW, 35), (P.NORMAL, 65)),
    ),
    "address_change": Topic(
        weight=6,
        statuses=(("paid", 4), ("shipped", 1)),
        min_age=0.02,
        max_age=5,
        tags=("address-change",),
        ask=0.7,
        priorities=((P.NORMAL, 80), (P.HIGH, 20)),
    ),
}


# --- The cast ----------------------------------------------------------------------------------


def _stores(suffix: str) -> list[StoreSpec]:
    label = f" ({suffix.lstrip('-')})" if suffix else ""
    return [
        StoreSpec(
            key="fashion",
            name=f"Jadran Fashion{label}",
            slug=f"fashion{suffix}",
            default_locale=EN,
            supported_locales=(EN, HR),
            time_zone="Europe/Zagreb",
            commerce_config={"catalogue": "fashion", "currency": "EUR", "order_prefix": "FA"},
            brand_color="#c2185b",
            languages=((EN, 0.45), (HR, 0.55)),
            contacts=165,
        ),
        StoreSpec(
            key="electronics",
            name=f"Voltway Electronics{label}",
            slug=f"electronics{suffix}",
            default_locale=EN,
            supported_locales=(EN, ZH),
            time_zone="Asia/Shanghai",
            commerce_config={"catalogue": "electronics", "currency": "CNY", "order_prefix": "EL"},
            brand_color="#0b7285",
            languages=((EN, 0.4), (ZH, 0.6)),
            contacts=140,
        ),
    ]


def _teams(suffix: str) -> list[TeamSpec]:
    label = f" ({suffix.lstrip('-')})" if suffix else ""
    return [
        TeamSpec("tier1", f"Tier 1{label}"),
        TeamSpec("escalations", f"Escalations{label}"),
        TeamSpec("bpo", f"Outsourced (Zagreb BPO){label}"),
    ]


# username, first, last, role, locale, time zone, languages, stores, teams, Chinese signature
_AGENTS = (
    ("maja.horvat", "Maja", "Horvat", Role.SUPERVISOR, HR, "Europe/Zagreb", (HR, EN), (),
     ("escalations",), ""),
    ("daniel.brooks", "Daniel", "Brooks", Role.AGENT, EN, "Europe/London", (EN,), (),
     ("tier1", "escalations"), ""),
    ("sarah.miller", "Sarah", "Miller", Role.AGENT, EN, "Europe/Dublin", (EN,), (),
     ("tier1",), ""),
    ("tomislav.babic", "Tomislav", "Babić", Role.AGENT, HR, "Europe/Zagreb", (HR, EN), (),
     ("tier1",), ""),
    ("li.na", "Na", "Li", Role.AGENT, ZH, "Asia/Shanghai", (ZH,), (), ("tier1",), "李娜"),
    ("chen.wei", "Wei", "Chen", Role.AGENT, ZH, "Asia/Shanghai", (ZH, EN), (),
     ("tier1", "escalations"), "陈伟"),
    ("zhou.min", "Min", "Zhou", Role.AGENT, ZH, "Asia/Shanghai", (ZH, EN), (), ("tier1",),
     "周敏"),
    ("ivana.juric", "Ivana", "Jurić", Role.RESTRICTED, HR, "Europe/Zagreb", (HR, EN),
     ("fashion",), ("bpo",), ""),
    ("petar.novak", "Petar", "Novak", Role.RESTRICTED, HR, "Europe/Zagreb", (HR, EN),
     ("fashion",), ("bpo",), ""),
    ("lucija.maric", "Lucija", "Marić", Role.RESTRICTED, HR, "Europe/Zagreb", (HR, EN),
     ("fashion",), ("bpo",), ""),
)  # fmt: skip
SUPERVISOR = "maja.horvat"
# Who answers which customers: (store, language) -> agents and weights.
POOLS: dict[tuple[str, str], tuple[tuple[str, float], ...]] = {
    ("fashion", HR): (
        ("ivana.juric", 3), ("petar.novak", 3), ("lucija.maric", 3), ("tomislav.babic", 2),
        ("maja.horvat", 0.5),
    ),
    ("fashion", EN): (
        ("ivana.juric", 2), ("petar.novak", 2), ("lucija.maric", 2), ("sarah.miller", 2),
        ("daniel.brooks", 1),
    ),
    ("electronics", EN): (
        ("daniel.brooks", 3), ("sarah.miller", 3), ("chen.wei", 1.5), ("zhou.min", 1),
    ),
    ("electronics", ZH): (("li.na", 3), ("chen.wei", 2), ("zhou.min", 3)),
}  # fmt: skip
ESCALATION: dict[tuple[str, str], tuple[str, ...]] = {
    ("fashion", HR): ("maja.horvat",),
    ("fashion", EN): ("maja.horvat", "daniel.brooks"),
    ("electronics", EN): ("daniel.brooks", "chen.wei"),
    ("electronics", ZH): ("chen.wei",),
}


def _agents(suffix: str) -> list[AgentSpec]:
    agents = []
    for username, first, last, role, locale, tz, languages, stores, teams, zh in _AGENTS:
        agents.append(
            AgentSpec(
                key=username,
                username=f"{username}{suffix}",
                first_name=first,
                last_name=last,
                display_name=f"{first} {last}" if locale != ZH else f"{last} {first}",
                email=f"{username}{suffix}@support.example.com",
                role=role,
                locale=locale,
                time_zone=tz,
                languages=languages,
                stores=stores,
                teams=teams,
                signature_zh=zh,
            )
        )
    return agents


def _inboxes(stores: list[StoreSpec]) -> list[InboxSpec]:
    inboxes = []
    for store in stores:
        team = "bpo" if store.key == "fashion" else "tier1"
        inboxes.append(
            InboxSpec(
                key=f"{store.key}-webform",
                store=store.key,
                kind="webform",
                name=f"{store.name} contact form",
                default_team=team,
                config={"from_name": store.name},
            )
        )
        inboxes.append(
            InboxSpec(
                key=f"{store.key}-api",
                store=store.key,
                kind="api",
                name=f"{store.name} app",
                default_team=team,
                config=None,
            )
        )
    return inboxes


# --- Helpers -----------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    table = str.maketrans({"č": "c", "ć": "c", "š": "s", "ž": "z", "đ": "dj"})
    return text.lower().translate(table)


def _seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _format_amount(total: Decimal, currency: str, language: str) -> str:
    if language == ZH and currency == "CNY":
        return f"{total} 元"
    if language == HR:
        return f"{str(total).replace('.', ',')} {currency}"
    return f"{total} {currency}"


def _format_date(day: date, language: str) -> str:
    if language == ZH:
        return f"{day.month}月{day.day}日"
    if language == HR:
        return f"{day.day}. {content.HR_MONTHS[day.month - 1]}"
    return f"{day.day} {content.EN_MONTHS[day.month - 1]}"


def _subject_from(text: str) -> str:
    """What ``message_receive`` makes of a message without a subject: its first line."""
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first_line[:80] + ("…" if len(first_line) > 80 else "")


class _Cut(Exception):
    """The next step of a thread would happen after ``now``."""


class _Thread:
    """One conversation, written step by step with the services' rules."""

    def __init__(self, conversation: ConversationSpec, now: datetime):
        self.c = conversation
        self.now = now
        self.last = conversation.created_at

    def _at(self, at: datetime) -> datetime:
        at = _seconds(max(at, self.last))
        if at > self.now:
            raise _Cut
        self.last = at
        self.c.updated_at = at
        return at

    def _event(self, kind: str, at: datetime, actor: str | None, **data) -> None:
        self.c.events.append(EventSpec(kind=kind, at=at, actor=actor, data=data))

    def inbound(self, at: datetime, text: str, external_id: str) -> datetime:
        c = self.c
        at = self._at(at)
        if not c.messages:
            self._event(ActivityKind.CREATED, at, None, inbox_id=Ref("inbox", c.inbox))
        elif c.status != S.OPEN:
            self._apply_status(at, None, S.OPEN, reason="customer_message")
        c.messages.append(
            MessageSpec(
                kind=MessageKind.INBOUND,
                sender_type=SenderType.CONTACT,
                agent=None,
                text=text,
                at=at,
                external_id=external_id,
            )
        )
        c.last_customer_message_at = at
        c.last_message_at = at
        if c.waiting_since is None:
            c.waiting_since = at
        c.message_count += 1
        return at

    def reply(self, at: datetime, agent: str, text: str, sent_after: int) -> datetime:
        c = self.c
        at = self._at(at)
        c.messages.append(
            MessageSpec(
                kind=MessageKind.OUTBOUND,
                sender_type=SenderType.AGENT,
                agent=agent,
                text=text,
                at=at,
                sent_at=min(at + timedelta(seconds=sent_after), self.now),
            )
        )
        c.message_count += 1
        c.last_message_at = at
        c.waiting_since = None
        if c.first_response_at is None:
            c.first_response_at = at
        return at

    def note(self, at: datetime, agent: str, text: str) -> datetime:
        at = self._at(at)
        self.c.messages.append(
            MessageSpec(
                kind=MessageKind.NOTE,
                sender_type=SenderType.AGENT,
                agent=agent,
                text=text,
                at=at,
            )
        )
        self.c.message_count += 1
        return at

    def status(
        self,
        at: datetime,
        actor: str | None,
        status: str,
        *,
        snooze_until: datetime | None = None,
        reason: str = "",
    ) -> datetime:
        at = self._at(at)
        self._apply_status(at, actor, status, snooze_until=snooze_until, reason=reason)
        return at

    def _apply_status(self, at, actor, status, *, snooze_until=None, reason="") -> None:
        c = self.c
        old = c.status
        assert status in TRANSITIONS[old], (old, status)
        if status == S.SNOOZED:
            assert snooze_until is not None and snooze_until > at
            c.snoozed_until = snooze_until
        else:
            c.snoozed_until = None
        if status == S.RESOLVED:
            c.resolved_at = at
            c.waiting_since = None
        if old == S.RESOLVED and status == S.OPEN:
            c.reopened_count += 1
            c.resolved_at = None
        c.status = status
        data = {"from": str(old), "to": str(status)}
        if reason:
            data["reason"] = reason
        if snooze_until:
            data["snooze_until"] = snooze_until.isoformat()
        self._event(ActivityKind.STATUS, at, actor, **data)

    def assign(
        self, at: datetime, actor: str | None, assignee: str, team: str | None = None
    ) -> datetime:
        c = self.c
        changes = {}
        if c.assignee != assignee:
            changes["assignee_id"] = Ref("agent", assignee)
        if team is not None and c.team != team:
            changes["team_id"] = Ref("team", team)
        if not changes:
            return self.last
        at = self._at(at)
        c.assignee = assignee
        if team is not None:
            c.team = team
        self._event(ActivityKind.ASSIGNED, at, actor, **changes)
        return at

    def tag(self, at: datetime, actor: str | None, names) -> datetime:
        added = sorted(set(names) - set(self.c.tags))
        if not added:
            return self.last
        at = self._at(at)
        self.c.tags = sorted([*self.c.tags, *added])
        self._event(ActivityKind.TAGGED, at, actor, added=added, removed=[])
        return at

    def priority(self, at: datetime, actor: str | None, priority: int) -> datetime:
        if priority == self.c.priority:
            return self.last
        at = self._at(at)
        data = {"from": int(self.c.priority), "to": int(priority)}
        self._event(ActivityKind.PRIORITY, at, actor, **data)
        self.c.priority = priority
        return at


# --- The generator -----------------------------------------------------------------------------


class _Generator:
    def __init__(self, seed: int, now: datetime, suffix: str):
        self.rng = random.Random(seed)
        self.seed = seed
        self.now = now
        self.stores = _stores(suffix)
        self.store_by_key = {store.key: store for store in self.stores}
        self.teams = _teams(suffix)
        self.agents = _agents(suffix)
        self.agent_by_key = {agent.key: agent for agent in self.agents}
        self.inboxes = _inboxes(self.stores)
        self.inbox_by_key = {inbox.key: inbox for inbox in self.inboxes}
        self.zones = {store.key: ZoneInfo(store.time_zone) for store in self.stores}
        self.external_ids = 0
        self.day_weights = {store.key: self._day_weights(store) for store in self.stores}

    # Random helpers

    def weighted(self, pairs):
        values = [value for value, _ in pairs]
        weights = [weight for _, weight in pairs]
        return self.rng.choices(values, weights=weights)[0]

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    def lognormal_minutes(self, median: float, sigma: float, low: float, high: float) -> float:
        return min(max(self.rng.lognormvariate(math.log(median), sigma), low), high)

    def pick(self, options):
        return options[self.rng.randrange(len(options))]

    # Time

    def _day_weights(self, store: StoreSpec) -> list[tuple[int, float]]:
        today = self.now.astimezone(ZoneInfo(store.time_zone)).date()
        weights = []
        for back in range(DAYS):
            day = today - timedelta(days=back)
            # Slightly busier lately: the shops are growing.
            weights.append((back, WEEKDAY_WEIGHTS[day.weekday()] * (1.3 - 0.3 * back / DAYS)))
        return weights

    def start_time(self, store: str) -> datetime:
        zone = self.zones[store]
        today = self.now.astimezone(zone).date()
        while True:
            back = self.weighted(self.day_weights[store])
            hour = self.weighted(list(enumerate(HOUR_WEIGHTS)))
            day = today - timedelta(days=back)
            local = datetime(
                day.year,
                day.month,
                day.day,
                hour,
                self.rng.randrange(60),
                self.rng.randrange(60),
                tzinfo=zone,
            )
            moment = local.astimezone(UTC)
            if self.now - timedelta(days=DAYS) <= moment <= self.now - timedelta(minutes=10):
                return moment

    def _opening(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """The moment itself during support hours, else when support opens next."""
        local = moment.astimezone(zone)
        for _ in range(3):
            start, end = (8, 21) if local.weekday() < 5 else (9, 17)
            if local.hour < start:
                return local.replace(hour=start, minute=0, second=0).astimezone(UTC)
            if local.hour < end:
                return moment
            following = local.date() + timedelta(days=1)
            local = datetime(following.year, following.month, following.day, 0, tzinfo=zone)
        return moment

    def agent_time(self, after: datetime, store: str, median: float = 35) -> datetime:
        """When an agent acts on something that happened at ``after``."""
        earliest = after + timedelta(minutes=1)
        base = self._opening(earliest, self.zones[store])
        if base > earliest:
            base += self.minutes(0, 45)  # the overnight queue is worked through
        delay = self.lognormal_minutes(median, 0.9, 1, 360)
        if self.chance(0.06):
            delay += self.rng.uniform(120, 1200)  # a busy day
        return _seconds(base + timedelta(minutes=delay))

    def customer_time(self, after: datetime, store: str, median: float = 90) -> datetime:
        """When a customer writes again after ``after``."""
        moment = after + timedelta(minutes=self.lognormal_minutes(median, 1.1, 2, 2880))
        zone = self.zones[store]
        local = moment.astimezone(zone)
        if local.hour < 7:
            moment = local.replace(hour=7, minute=0, second=0).astimezone(UTC)
            moment += self.minutes(0, 150)
        return _seconds(moment)

    # Contacts

    def contacts(self) -> list[ContactSpec]:
        contacts: list[ContactSpec] = []
        for store in self.stores:
            emails: set[str] = set()
            phones: set[str] = set()
            numbers: set[str] = set()
            probe = Store(slug=store.slug, commerce_config=store.commerce_config)
            connector = connector_for(probe)
            for _ in range(store.contacts):
                language = self.weighted(store.languages)
                name, first_name, local_parts = self.person(language)
                domain = self.pick(content.EMAIL_DOMAINS[language])
                email = f"{self.pick(local_parts)}@{domain}"
                while True:
                    if email not in emails:
                        orders = connector.orders_for_customer(email, now=self.now)
                        if not any(order.number in numbers for order in orders):
                            break
                    email = f"{email.split('@')[0]}{self.rng.randrange(10, 100)}@{domain}"
                emails.add(email)
                numbers.update(order.number for order in orders)
                phone = ""
                if self.chance(0.4):
                    phone = self.phone(language)
                    while phone in phones:
                        phone = self.phone(language)
                    phones.add(phone)
                attributes = {}
                if self.chance(0.3):
                    attributes["loyalty_tier"] = self.weighted(
                        (("bronze", 5), ("silver", 3), ("gold", 1))
                    )
                if self.chance(0.5):
                    attributes["newsletter"] = self.chance(0.6)
                contacts.append(
                    ContactSpec(
                        key=len(contacts),
                        store=store.key,
                        name=name,
                        first_name=first_name,
                        email=email,
                        phone=phone,
                        locale=language,
                        dedicated_agent=None,
                        notes="",
                        attributes=attributes,
                        orders=tuple(orders),
                    )
                )
        # A few key customers have their own agent.
        for store in self.stores:
            mine = [contact for contact in contacts if contact.store == store.key]
            for contact in self.rng.sample(mine, 5):
                pool = [
                    (agent, weight)
                    for agent, weight in POOLS[(store.key, contact.locale)]
                    if agent != SUPERVISOR
                ]
                agent = self.weighted(pool)
                attributes = {**contact.attributes, "loyalty_tier": "gold"}
                contacts[contact.key] = dataclasses.replace(
                    contact,
                    dedicated_agent=agent,
                    attributes=attributes,
                    notes=(
                        f"Key customer: {self.agent_by_key[agent].display_name} looks after "
                        "this account."
                    ),
                )
        return contacts

    def person(self, language: str) -> tuple[str, str, list[str]]:
        """A name, the name to greet with, and email local parts that fit them."""
        number = self.rng.randrange(1, 99)
        if language == ZH:
            surname, surname_pinyin = self.pick(content.ZH_SURNAMES)
            given, given_pinyin = self.pick(content.ZH_GIVEN_NAMES)
            parts = [
                f"{surname_pinyin}{given_pinyin}{number}",
                f"{given_pinyin}.{surname_pinyin}",
                f"{surname_pinyin}.{given_pinyin}",
            ]
            return f"{surname}{given}", f"{surname}{given}", parts
        if language == HR:
            first, last = self.pick(content.HR_FIRST_NAMES), self.pick(content.HR_LAST_NAMES)
        else:
            first, last = self.pick(content.EN_FIRST_NAMES), self.pick(content.EN_LAST_NAMES)
        a, b = _ascii(first), _ascii(last)
        parts = [f"{a}.{b}", f"{a}{b}{number}", f"{a[0]}.{b}", f"{a}{number}", f"{a}_{b}"]
        return f"{first} {last}", first, parts

    def phone(self, language: str) -> str:
        if language == HR:
            return f"+385{self.pick(('91', '92', '95', '98', '99'))}{self.rng.randrange(10**7):07d}"
        if language == ZH:
            return f"+861{self.pick(('3', '5', '8'))}{self.rng.randrange(10**9):09d}"
        # The UK range reserved for drama and examples.
        return f"+447700900{self.rng.randrange(1000):03d}"

    # Conversations

    def conversations(self, contacts: list[ContactSpec]) -> list[ConversationSpec]:
        per_contact = self.allocation(len(contacts))
        conversations: list[ConversationSpec] = []
        for contact, count in zip(contacts, per_contact, strict=True):
            conversations.extend(self.timeline(contact, count))
        conversations.sort(key=lambda conversation: conversation.created_at)
        return conversations

    def allocation(self, contacts: int) -> list[int]:
        """How many conversations each contact starts: at least one, some start many."""
        weights = [self.rng.lognormvariate(0, 0.6) for _ in range(contacts)]
        counts = [1] * contacts
        # About one in eight planned conversations does not fit its contact's timeline.
        planned = round(CONVERSATIONS * 1.17)
        for index in self.rng.choices(range(contacts), weights=weights, k=planned - contacts):
            counts[index] += 1
        return [min(count, 12) for count in counts]

    def timeline(self, contact: ContactSpec, count: int) -> list[ConversationSpec]:
        """The contact's conversations in time order, obeying the threading rules."""
        store = contact.store
        preferred = f"{store}-{'webform' if self.chance(0.55) else 'api'}"
        other_of = {f"{store}-webform": f"{store}-api", f"{store}-api": f"{store}-webform"}
        latest: dict[str, ConversationSpec] = {}
        queue = []
        for index in range(count):
            start, topic, order = self.episode(contact)
            queue.append((start, index, topic, order, None))
        heapq.heapify(queue)
        sequence = count
        replans = 0
        result = []

        def free(inbox: str, at: datetime) -> bool:
            last = latest.get(inbox)
            return last is None or (
                last.status == S.RESOLVED and last.resolved_at + REOPEN_WINDOW < at
            )

        while queue:
            start, _, topic, order, repeat_of = heapq.heappop(queue)
            if repeat_of is not None:
                inbox = other_of[repeat_of.inbox]
                if not free(inbox, start):
                    continue
            else:
                inbox = preferred if self.chance(0.8) else other_of[preferred]
                if not free(inbox, start):
                    inbox = other_of[inbox]
                if not free(inbox, start):
                    # Both inboxes are busy: the customer writes a few days later.
                    resolved = [
                        last.resolved_at + REOPEN_WINDOW
                        for last in latest.values()
                        if last.status == S.RESOLVED
                    ]
                    if not resolved or min(resolved) >= self.now - timedelta(hours=1):
                        continue
                    replans += 1
                    if replans > 2 * count:
                        continue
                    start, topic, order = self.episode(contact, after=min(resolved))
                    sequence += 1
                    heapq.heappush(queue, (start, sequence, topic, order, None))
                    continue
            conversation = self.conversation(contact, inbox, start, topic, order, repeat_of)
            latest[inbox] = conversation
            result.append(conversation)
            if repeat_of is None and conversation.status == S.RESOLVED and self.chance(0.1):
                # Not really solved: the customer writes again through the other channel.
                again = _seconds(
                    conversation.resolved_at + timedelta(days=self.rng.uniform(0.2, 6.5))
                )
                if again <= self.now - timedelta(minutes=30):
                    sequence += 1
                    heapq.heappush(queue, (again, sequence, topic, order, conversation))
        return result

    def episode(
        self, contact: ContactSpec, after: datetime | None = None
    ) -> tuple[datetime, str, OrderSummary | None]:
        """When the contact writes (after ``after``), about what, and which order: most
        conversations are about an order, a while after it was placed."""
        catalogue = self.store_by_key[contact.store].commerce_config["catalogue"]
        earliest = max(self.now - timedelta(days=DAYS), after or self.now - timedelta(days=DAYS))
        latest = self.now - timedelta(minutes=10)
        options = []
        for order in contact.orders:
            for key, topic in TOPICS.items():
                if topic.statuses is None or catalogue not in topic.catalogues:
                    continue
                weight = dict(topic.statuses).get(order.status, 0)
                low = max(order.placed_at + timedelta(days=topic.min_age), earliest)
                high = min(order.placed_at + timedelta(days=topic.max_age), latest)
                if weight and low < high:
                    options.append(((key, order, low, high), topic.weight * weight))
        if options and self.chance(0.78):
            key, order, low, high = self.weighted(options)
            return self.time_between(contact.store, low, high), key, order
        key = self.weighted(
            [
                (key, topic.weight)
                for key, topic in TOPICS.items()
                if topic.statuses is None and catalogue in topic.catalogues
            ]
        )
        if after is not None:
            return self.time_between(contact.store, earliest, latest), key, None
        return self.start_time(contact.store), key, None

    def time_between(self, store: str, low: datetime, high: datetime) -> datetime:
        """A moment between ``low`` and ``high``, preferring busy hours and weekdays."""
        zone = self.zones[store]
        span = (high - low).total_seconds()
        top = max(HOUR_WEIGHTS) * max(WEEKDAY_WEIGHTS)
        for _ in range(40):
            moment = low + timedelta(seconds=self.rng.uniform(0, span))
            local = moment.astimezone(zone)
            weight = HOUR_WEIGHTS[local.hour] * WEEKDAY_WEIGHTS[local.weekday()]
            if self.rng.random() * top < weight:
                break
        return _seconds(moment)

    def conversation(
        self,
        contact: ContactSpec,
        inbox_key: str,
        start: datetime,
        topic_key: str,
        order: OrderSummary | None,
        repeat_of: ConversationSpec | None,
    ) -> ConversationSpec:
        rng = self.rng
        store = self.store_by_key[contact.store]
        inbox = self.inbox_by_key[inbox_key]
        language = contact.locale
        catalogue = store.commerce_config["catalogue"]
        topic = TOPICS[topic_key]
        texts = content.TEXTS[language][topic_key]
        generic = content.GENERIC[language]
        variant = rng.randrange(2)

        def field(name: str) -> tuple[str, ...]:
            return texts.get(f"{name}@{catalogue}") or texts[name]

        values = self.values(store, language, order, start)
        if topic_key == "product_question":
            values["item"] = self.pick(CATALOGUES[catalogue])[1]

        def say(name: str, index: int | None = None) -> str:
            options = field(name)
            chosen = options[index % len(options)] if index is not None else self.pick(options)
            return chosen.format(**values)

        opening = say("open", variant)
        if repeat_of is not None:
            first_line, _, rest = opening.partition("\n")
            opening = f"{first_line}\n{self.pick(generic['repeat'])} {rest}".rstrip()
        if inbox.kind == "webform" and order is not None and self.chance(0.5):
            opening = f"{opening}\n\nOrder number: {order.number}"  # the form's own field
        if inbox.kind == "webform" and self.chance(0.85):
            subject = say("subject")
            if repeat_of is not None:
                subject = self.pick(generic["repeat_subject"]).format(subject=subject)
        else:
            subject = _subject_from(opening)
        conversation = ConversationSpec(
            store=store.key,
            inbox=inbox.key,
            contact=contact.key,
            topic=topic_key,
            subject=subject[:300],
            language=language,
            created_at=start,
            order=order.number if order else "",
            repeat=repeat_of is not None,
            team=inbox.default_team,
            assignee=contact.dedicated_agent,
        )
        thread = _Thread(conversation, self.now)
        with contextlib.suppress(_Cut):
            self.script(thread, contact, store, topic_key, topic, opening, say, variant)
        return conversation

    def values(
        self, store: StoreSpec, language: str, order: OrderSummary | None, at: datetime
    ) -> dict:
        if order is None:
            return dict.fromkeys(
                ("order", "item", "amount", "carrier", "tracking", "tracking_url", "placed"), ""
            ) | {"days": 0}
        placed_local = order.placed_at.astimezone(self.zones[store.key]).date()
        return {
            "order": order.number,
            "item": order.line_items[0].name if order.line_items else "",
            "amount": _format_amount(order.total, order.currency, language),
            "carrier": order.carrier,
            "tracking": order.tracking_number,
            "tracking_url": order.tracking_url,
            "placed": _format_date(placed_local, language),
            "days": max((at - order.placed_at).days, 1),
        }

    def next_external_id(self) -> str:
        self.external_ids += 1
        return f"demo-{self.external_ids}"

    def script(self, thread, contact, store, topic_key, topic, opening, say, variant) -> None:
        """Play one conversation; raises _Cut when it reaches ``now``."""
        conversation = thread.c
        language = contact.locale
        generic = content.GENERIC[language]
        key = store.key
        agents = self.agent_by_key
        order = self.order_of(contact, conversation.order)
        has_tracking = order is not None and bool(order.carrier)

        def reply_text(agent: str, body: str) -> str:
            spec = agents[agent]
            greeting = self.pick(generic["greeting"]).format(
                first=contact.first_name, name=contact.name
            )
            signature = spec.signature_zh if language == ZH and spec.signature_zh else None
            signoff = self.pick(generic["signoff"]).format(
                agent=signature or spec.display_name, store=store.name
            )
            return f"{greeting}\n\n{body}\n\n{signoff}"

        def reply(at: datetime, agent: str, body: str) -> datetime:
            return thread.reply(at, agent, reply_text(agent, body), self.rng.randrange(2, 90))

        def note(at: datetime, agent: str, key_: str) -> datetime:
            notes = content.NOTES[agents[agent].locale]
            return thread.note(at, agent, notes.get(key_) or content.NOTES[EN][key_])

        def inbound(at: datetime, text: str) -> datetime:
            return thread.inbound(at, text, self.next_external_id())

        def solve_text() -> str:
            if topic_key in ("where_is_order", "delivery_delay") and not has_tracking:
                return say("solve_unshipped")
            if topic_key == "cancel_order" and order and order.status in ("shipped", "delivered"):
                return say("solve_shipped")
            if topic_key == "product_question":
                return say("solve", variant)
            return say("solve")

        # The course of the conversation.
        pool = POOLS[(key, language)]
        agent = conversation.assignee or self.weighted(pool)
        self_assign = self.chance(0.7)
        never_assigned = conversation.assignee is None and self.chance(0.05)
        nudge = self.chance(0.2)
        priority = self.weighted(topic.priorities)
        tagged = self.chance(0.85)
        mode = "direct"
        if self.chance(topic.ask):
            mode = "ask"
        elif self.chance(topic.snooze):
            mode = "snooze"
        escalate = self.chance(topic.escalate) or priority == P.URGENT
        escalation_agent = self.pick(ESCALATION[(key, language)])
        with_note = self.chance(0.25)
        pending_after_ask = self.chance(0.6)
        silent_customer = self.chance(0.08)
        stale_close = self.chance(0.6)
        follow_up = self.chance(0.2)
        ending = self.weighted((("resolve", 88), ("snooze", 5), ("open", 4), ("pending", 3)))
        thanks = self.chance(0.55)
        reopen = self.chance(0.12)
        reopen_escalate = self.chance(0.3)
        reopen_complaint = self.chance(0.5)
        snooze_days = self.rng.randint(2, 6)
        follow_up_days = self.rng.uniform(2, 8)

        created = inbound(conversation.created_at, opening)
        first_reply_at = self.agent_time(created, key)
        if nudge and first_reply_at - created > timedelta(minutes=30):
            gap = (first_reply_at - created).total_seconds() / 60
            inbound(created + self.minutes(10, gap * 0.8), self.pick(generic["nudge"]))
        if not never_assigned and conversation.assignee is None:
            lead = min(self.rng.uniform(1, 12), (first_reply_at - created).total_seconds() / 120)
            team = agents[agent].teams[0]
            thread.assign(
                first_reply_at - timedelta(minutes=lead),
                agent if self_assign else SUPERVISOR,
                agent,
                team=team,
            )
        thread.priority(first_reply_at, agent, priority)
        if tagged:
            names = list(topic.tags)
            if contact.dedicated_agent:
                names.append("vip")
            thread.tag(first_reply_at, agent, names)

        def escalate_to_team(t: datetime) -> tuple[datetime, str]:
            t = note(t + self.minutes(2, 20), agent, "escalation")
            t = thread.assign(t + self.minutes(0.5, 3), agent, escalation_agent, "escalations")
            return t, escalation_agent

        escalate = escalate and escalation_agent != agent
        if mode == "ask":
            t = reply(first_reply_at, agent, say("ask"))
            if escalate:
                t, agent = escalate_to_team(t)
            if pending_after_ask:
                t = thread.status(t + self.minutes(0.5, 3), agent, S.PENDING)
            if silent_customer:
                if stale_close:
                    later = self.agent_time(t + timedelta(days=self.rng.uniform(3, 6)), key)
                    t = reply(later, agent, self.pick(generic["stale_close"]))
                    thread.status(t + self.minutes(0.5, 5), agent, S.RESOLVED)
                return
            t = inbound(self.customer_time(t, key), say("info"))
            t = reply(self.agent_time(t, key), agent, solve_text())
        elif mode == "snooze":
            t = reply(first_reply_at, agent, self.pick(generic["snooze"]).format(days=snooze_days))
            if escalate:
                t, agent = escalate_to_team(t)
            until = _seconds(t + timedelta(days=snooze_days))
            t = thread.status(t + self.minutes(0.5, 3), agent, S.SNOOZED, snooze_until=until)
            t = thread.status(until, None, S.OPEN, reason="snooze_ended")
            t = reply(self.agent_time(t, key), agent, solve_text())
        else:
            t = reply(first_reply_at, agent, solve_text())
            if escalate:
                t, agent = escalate_to_team(t)
        if with_note:
            t = note(t + self.minutes(1, 30), agent, topic_key)
        if follow_up:
            question = self.rng.randrange(len(generic["follow_up"]))
            t = inbound(self.customer_time(t, key, median=30), generic["follow_up"][question])
            answer = generic["follow_up_reply"][question]
            t = reply(self.agent_time(t, key, median=20), agent, answer)

        if ending == "open":
            return  # the customer has yet to confirm
        if ending == "pending":
            thread.status(t + self.minutes(1, 10), agent, S.PENDING)
            return
        if ending == "snooze":
            # The agent checks back later (a delivery, a refund to show up).
            until = _seconds(t + timedelta(days=follow_up_days))
            t = thread.status(t + self.minutes(1, 10), agent, S.SNOOZED, snooze_until=until)
            t = thread.status(until, None, S.OPEN, reason="snooze_ended")
            t = self.agent_time(t, key, median=60)
        elif thanks:
            t = inbound(self.customer_time(t, key, median=45), self.pick(generic["thanks"]))
            t = self.agent_time(t, key, median=20)
        else:
            t = t + self.minutes(1, 90)
        t = thread.status(t, agent, S.RESOLVED)

        if reopen:
            t = inbound(
                # Within the reopen window, so message_receive would reopen it.
                self.customer_time(t + timedelta(days=self.rng.uniform(0.15, 4.5)), key),
                say("reopen"),
            )
            if reopen_escalate and escalation_agent != agent:
                t, agent = escalate_to_team(t)
            t = reply(self.agent_time(t, key), agent, say("reopen_reply"))
            if reopen_complaint:
                thread.tag(t, agent, ["complaint"])
            thread.status(t + self.minutes(5, 180), agent, S.RESOLVED)

    def order_of(self, contact: ContactSpec, number: str) -> OrderSummary | None:
        return next((order for order in contact.orders if order.number == number), None)

    # Everything

    def plan(self) -> Plan:
        contacts = self.contacts()
        conversations = self.conversations(contacts)
        first_seen: dict[int, datetime] = {}
        api_users: set[int] = set()
        for conversation in conversations:
            if conversation.contact not in first_seen:
                first_seen[conversation.contact] = conversation.created_at
            if conversation.inbox.endswith("-api"):
                api_users.add(conversation.contact)
        for index, contact in enumerate(contacts):
            moments = [order.placed_at for order in contact.orders]
            if contact.key in first_seen:
                moments.append(first_seen[contact.key])
            earliest = min(moments, default=self.now)
            created_at = _seconds(earliest - timedelta(days=self.rng.uniform(0.05, 20)))
            store = self.store_by_key[contact.store]
            prefix = store.commerce_config["order_prefix"].lower()
            contacts[index] = dataclasses.replace(
                contact,
                created_at=created_at,
                api_id=f"{prefix}-customer-{100000 + contact.key}"
                if contact.key in api_users
                else "",
            )
        return Plan(
            seed=self.seed,
            now=self.now,
            stores=self.stores,
            teams=self.teams,
            agents=self.agents,
            inboxes=self.inboxes,
            contacts=contacts,
            conversations=conversations,
        )


def unique_names(suffix: str) -> dict[str, list[str]]:
    """The names one copy of the demo needs to itself: store slugs, team names and agent
    usernames."""
    return {
        "slugs": [store.slug for store in _stores(suffix)],
        "teams": [team.name for team in _teams(suffix)],
        "usernames": [agent.username for agent in _agents(suffix)],
    }


def build_plan(*, seed: int = 7, now: datetime, suffix: str = "") -> Plan:
    """The demo data for ``seed`` and ``now``; ``suffix`` distinguishes a second copy (its
    slugs, usernames and team names end with it)."""
    return _Generator(seed, now, suffix).plan()
