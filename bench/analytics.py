"""Analytics at scale: the rollup refresh and the reports on PostgreSQL.

Run from the storedesk virtualenv::

    python bench/analytics.py --conversations 50000   # a quick check, a few minutes
    python bench/analytics.py                         # 1,000,000 conversations
    python bench/analytics.py --skip-generate         # reuse the generated database
    python bench/analytics.py --skip-generate --profile   # also cProfile a refresh and a load

1. Database. ``storedesk_bench_analytics`` at 127.0.0.1:5432 (``--database-url``), dropped
   and created anew unless ``--skip-generate``, migrated with the project's migrations, with
   a temporary ``STOREDESK_HOME``. Nothing else on the server is touched.
2. History (``--conversations``, default 1,000,000, over ``--days`` 365 ending three days
   before today, UTC). Stores, teams, agents, inboxes and tags go through the services; the
   bulk is generated deterministically (``--seed``) and written with PostgreSQL ``COPY``
   (secondary indexes are dropped during the load and built again afterwards, foreign keys
   are not checked row by row): three stores in Zagreb (Monday to Friday 09:00-17:00, its
   business hours), Shanghai and New York; 21 agents (an administrator, a supervisor and 19
   agents in four teams, with shifts in the store's local time); six inboxes (email and chat
   with the assistant for two stores, a web form and an API inbox for the third); 200,000
   contacts; conversations with yearly growth, Black Friday and Christmas peaks, fewer on
   weekends and at night; English, Croatian and Chinese. Each conversation is played out as
   the services would have written it (``storedesk/demo`` writes its history the same way):
   the customer's message, for chats the assistant's answer and its outcome
   (``AssistantSession``: resolved, handed off with a reason, taken over, left), agents
   taking it from the team's queue and replying within their shifts, customers answering,
   escalations to another team, notes, tags, priority changes, pending and snoozed spells,
   resolutions and reopens; every fact on the ``Conversation`` row (``first_response_at``,
   ``resolved_at``, ``reopened_count``, ``waiting_since``, ``message_count``, ...) follows
   from its messages and timeline, and a check over every conversation says so.
3. Measured, in this process, through the product's code:
   - the initial build: ``analytics_refresh()`` over everything (after ``analytics_reset()``
     when facts exist), with the time in SQL, the statements that took it and the rows of
     each analytics table; rollup totals are compared with the source rows;
   - incremental refreshes: a day of new data (the history's mean daily volume of
     conversations with their messages, plus ``--updates`` changes to older conversations:
     replies, resolutions, customer answers, reopens, reassignments, each stamping
     ``updated_at`` as the services do) then ``analytics_refresh()``, three times; and a
     minute of new data (what the every-minute task folds in), three times;
   - each report selector for the 30 days before the data's clock: every store, one store,
     a language filter, a tag filter and a whole year: p50/p95 over ``--runs`` calls and the
     SQL queries of one call;
   - each ``GET /api/v1/reports/<name>`` through Django's test client with an
     administrator's Bearer token, p50/p95;
   - the dashboard as one number, p50/p95 of one load: the six reports (overview, response
     times, resolution, busiest hours, agents, teams) in sequence, and
     ``report_dashboard``, the one selector ``/reports/`` calls, when it exists; and
     ``GET /reports/`` as a signed-in supervisor when the URL exists, twice: as the page
     leaves its cache (reloads between two refreshes read it) and with the cache emptied
     before each load (each computes); and what warming the default dashboard after a
     refresh costs, when the project has it.

The two cores are shared with the database and whatever else runs, so before each timed
phase the script waits (at most ``--quiet-wait`` seconds) for the CPU to be idle and
reports the share of the machine other processes used during the phase. Only 127.0.0.1 is
contacted. Results are printed and written as JSON under ``bench/results/``
(``analytics-<time>.json``). Nothing here asserts: it prints numbers.
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import datetime as dt
import io
import json
import math
import os
import pstats
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

# bench/ingest.py's helpers (this script's directory is first on sys.path when it runs).
from ingest import (
    PG_URL,
    RESULTS_DIR,
    code_origin,
    cpu_ticks,
    log,
    machine_busy_ticks,
    percentile,
    pg_version,
    wait_for_quiet,
)

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DATABASE = "storedesk_bench_analytics"
TARGET_DASHBOARD_MS = 300
TARGET_INCREMENTAL_S = 10
DAY = 86400
N = "\\N"  # NULL in COPY's text format

# --- The shops ------------------------------------------------------------------------------

MON_FRI = frozenset(range(5))
MON_SAT = frozenset(range(6))
EVERY_DAY = frozenset(range(7))

STORES = {
    "jadran": {
        "name": "Jadran Fashion",
        "slug": "bench-jadran",
        "zone": "Europe/Zagreb",
        "default_locale": "hr",
        "locales": ["hr", "en"],
        "languages": (("hr", 0.6), ("en", 0.4)),
        "share": 0.40,
        "hours": {
            "week": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
        },
    },
    "voltway": {
        "name": "Voltway Electronics",
        "slug": "bench-voltway",
        "zone": "Asia/Shanghai",
        "default_locale": "zh-hans",
        "locales": ["zh-hans", "en"],
        "languages": (("zh-hans", 0.7), ("en", 0.3)),
        "share": 0.35,
        "hours": None,
    },
    "northwind": {
        "name": "Northwind Goods",
        "slug": "bench-northwind",
        "zone": "America/New_York",
        "default_locale": "en",
        "locales": ["en"],
        "languages": (("en", 0.9), ("hr", 0.05), ("zh-hans", 0.05)),
        "share": 0.25,
        "hours": None,
    },
}
STORE_KEYS = tuple(STORES)
# key, store, kind, team, share of the store's conversations
INBOXES = (
    ("jadran-email", "jadran", "email", "jadran", 0.55),
    ("jadran-chat", "jadran", "webchat", "jadran", 0.45),
    ("voltway-email", "voltway", "email", "voltway", 0.35),
    ("voltway-chat", "voltway", "webchat", "voltway", 0.65),
    ("northwind-form", "northwind", "webform", "northwind", 0.60),
    ("northwind-api", "northwind", "api", "northwind", 0.40),
)
TEAMS = {
    "jadran": "Jadran support",
    "voltway": "Voltway support",
    "northwind": "Northwind support",
    "escalations": "Escalations",
}
# username, team, shift (first hour, last hour + 1, weekdays) in the store's local time
AGENTS = (
    *((f"bench-jadran{i}", "jadran", (9, 17, MON_FRI)) for i in range(1, 7)),
    *((f"bench-voltway{i}", "voltway", (8, 16, EVERY_DAY)) for i in range(1, 4)),
    *((f"bench-voltway{i}", "voltway", (15, 23, EVERY_DAY)) for i in range(4, 7)),
    *((f"bench-northwind{i}", "northwind", (7, 15, MON_SAT)) for i in range(1, 3)),
    *((f"bench-northwind{i}", "northwind", (14, 22, MON_SAT)) for i in range(3, 5)),
    *((f"bench-escalation{i}", "escalations", (9, 18, MON_FRI)) for i in range(1, 4)),
)
ADMIN = "bench-admin"
SUPERVISOR = "bench-supervisor"
TAGS = (
    ("shipping", 30),
    ("returns", 20),
    ("refund", 15),
    ("damaged", 8),
    ("payment", 8),
    ("vip", 6),
    ("complaint", 5),
    ("wholesale", 3),
)
INTENTS = (
    ("track_order", 24),
    ("check_refund_policy", 10),
    ("get_refund", 9),
    ("track_refund", 7),
    ("delivery_period", 8),
    ("change_shipping_address", 5),
    ("cancel_order", 6),
    ("change_order", 5),
    ("payment_issue", 5),
    ("get_invoice", 4),
    ("recover_password", 3),
    ("complaint", 4),
    ("contact_human_agent", 6),
    ("out_of_scope", 4),
)
HANDOFFS = (
    ("asked_for_person", 30),
    ("unsure", 20),
    ("not_helpful", 15),
    ("human_only", 10),
    ("complaint", 9),
    ("negative", 5),
    ("identity", 5),
    ("order_change", 6),
)
# Agent replies per conversation (rounds of customer message and reply).
ROUNDS = ((1, 22), (2, 28), (3, 22), (4, 13), (5, 8), (6, 5), (8, 2))
# Median delays in seconds: an agent's first reply, later replies, a customer's answer.
FIRST_REPLY = {"webchat": 150, "email": 5400, "webform": 7200, "api": 3600}
NEXT_REPLY = {"webchat": 90, "email": 3600, "webform": 4800, "api": 2400}
CUSTOMER = {"webchat": 75, "email": 7200, "webform": 9000, "api": 5400}
# Local hour weights of new conversations, weekdays and weekends.
HOURS_WEEKDAY = (
    *(0.25, 0.14, 0.09, 0.07, 0.07, 0.1, 0.25, 0.55),
    *(1.0, 1.4, 1.6, 1.6, 1.35, 1.4, 1.5, 1.45),
    *(1.35, 1.25, 1.25, 1.45, 1.55, 1.35, 0.95, 0.5),
)
HOURS_WEEKEND = (
    *(0.35, 0.2, 0.12, 0.08, 0.07, 0.08, 0.15, 0.3),
    *(0.6, 0.9, 1.2, 1.35, 1.35, 1.3, 1.3, 1.3),
    *(1.25, 1.25, 1.3, 1.5, 1.6, 1.4, 1.0, 0.6),
)
WEEKDAY_FACTOR = (1.2, 1.12, 1.05, 1.0, 0.95, 0.7, 0.78)

# --- What people write ----------------------------------------------------------------------

OPENING = {
    "en": (
        "Where is my order %s? It has not arrived yet.",
        "I would like to return the shoes from order %s.",
        "My parcel arrived damaged, order %s.",
        "Can I change the delivery address of order %s?",
        "I was charged twice for order %s.",
        "When will the refund for order %s reach my account?",
        "Do you have this jacket in size M?",
        "The discount code does not work at checkout.",
        "Please cancel order %s.",
        "I need an invoice for order %s.",
    ),
    "hr": (
        "Gdje je moja narudžba %s? Još nije stigla.",
        "Želim vratiti cipele iz narudžbe %s.",
        "Paket je stigao oštećen, narudžba %s.",
        "Mogu li promijeniti adresu dostave za narudžbu %s?",
        "Naplaćeno mi je dvaput za narudžbu %s.",
        "Kada će povrat novca za narudžbu %s biti na računu?",
        "Imate li ovu jaknu u veličini M?",
        "Kod za popust ne radi na blagajni.",
        "Molim otkažite narudžbu %s.",
        "Trebam račun za narudžbu %s.",
    ),
    "zh-hans": (
        "我的订单%s在哪里？还没有收到。",
        "我想退回订单%s里的鞋子。",
        "包裹到的时候坏了，订单号%s。",
        "订单%s可以改收货地址吗？",
        "订单%s被扣了两次款。",
        "订单%s的退款什么时候到账？",
        "这件外套有M码吗？",
        "优惠码结账时用不了。",
        "请取消订单%s。",
        "我需要订单%s的发票。",
    ),
}
FOLLOW_UP = {
    "en": (
        "Thanks, but the tracking still says in transit.",
        "Here is the photo you asked for.",
        "The order number is %s.",
        "Any news on this?",
        "It was delivered to the wrong address.",
    ),
    "hr": (
        "Hvala, ali praćenje i dalje kaže da je u dostavi.",
        "Evo fotografije koju ste tražili.",
        "Broj narudžbe je %s.",
        "Ima li novosti?",
        "Dostavljeno je na krivu adresu.",
    ),
    "zh-hans": (
        "谢谢，但是物流还是显示运输中。",
        "这是您要的照片。",
        "订单号是%s。",
        "有消息了吗？",
        "送错地址了。",
    ),
}
THANKS = {
    "en": ("Thank you, that helps!", "Great, thanks.", "Yes, that answered it."),
    "hr": ("Hvala, to je to!", "Super, hvala.", "Da, to je odgovor."),
    "zh-hans": ("谢谢，解决了！", "好的，谢谢。", "是的，明白了。"),
}
AGENT_REPLY = {
    "en": (
        "Thanks for writing. Order %s left our warehouse yesterday.",
        "I am sorry about that. We are sending a replacement today.",
        "The refund is issued; it takes 3-5 working days.",
        "Could you send us a photo of the damage?",
        "Done, the delivery address is updated.",
    ),
    "hr": (
        "Hvala na poruci. Narudžba %s je jučer otišla iz skladišta.",
        "Žao nam je. Danas šaljemo zamjenu.",
        "Povrat novca je pokrenut; traje 3-5 radnih dana.",
        "Možete li nam poslati fotografiju oštećenja?",
        "Gotovo, adresa dostave je promijenjena.",
    ),
    "zh-hans": (
        "感谢您的留言。订单%s昨天已经从仓库发出。",
        "非常抱歉，我们今天给您补发。",
        "退款已经处理，3-5个工作日到账。",
        "可以发一张破损的照片给我们吗？",
        "好的，收货地址已经改好了。",
    ),
}
ASSISTANT_ANSWER = {
    "en": (
        "You can return items within 30 days. Did this answer your question?",
        "Your order %s is on its way with DHL. Did this answer your question?",
        "Refunds reach your account within 5 working days. Did this answer your question?",
    ),
    "hr": (
        "Artikle možete vratiti u roku od 30 dana. Je li ovo odgovor na vaše pitanje?",
        "Vaša narudžba %s je na putu s GLS-om. Je li ovo odgovor na vaše pitanje?",
        "Povrat novca stiže u roku od 5 radnih dana. Je li ovo odgovor na vaše pitanje?",
    ),
    "zh-hans": (
        "商品可以在30天内退货。这回答了您的问题吗？",
        "您的订单%s已经由顺丰发出。这回答了您的问题吗？",
        "退款会在5个工作日内到账。这回答了您的问题吗？",
    ),
}
NOTE = {
    "en": ("Checked with the warehouse.", "Repeat customer, be generous.", "Waiting for DHL."),
    "hr": ("Provjereno sa skladištem.", "Stalni kupac.", "Čekamo GLS."),
    "zh-hans": ("已经和仓库确认。", "老客户。", "等顺丰回复。"),
}
HANDOFF_NOTE = "Handed over by the assistant."


def _check_texts() -> None:
    for table in (OPENING, FOLLOW_UP, THANKS, AGENT_REPLY, ASSISTANT_ANSWER, NOTE):
        for texts in table.values():
            for text in texts:
                assert not set(text) & set("\t\n\r\\"), text


# --- Time -----------------------------------------------------------------------------------


class Stamps:
    """Epoch seconds → a timestamp literal for COPY (UTC), with the day part cached."""

    def __init__(self):
        self.days: dict[int, str] = {}

    def __call__(self, t: int | None) -> str:
        if t is None:
            return N
        d, s = divmod(t, DAY)
        day = self.days.get(d)
        if day is None:
            day = self.days[d] = (dt.date(1970, 1, 1) + dt.timedelta(days=d)).isoformat()
        h, s = divmod(s, 3600)
        m, s = divmod(s, 60)
        return f"{day} {h:02d}:{m:02d}:{s:02d}+00"


def epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def from_epoch(t: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.UTC)


class Intervals:
    """Sorted, disjoint [start, end) spans of epoch seconds."""

    def __init__(self, spans):
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def contains(self, t: int) -> bool:
        i = bisect.bisect_right(self.starts, t) - 1
        return i >= 0 and t < self.ends[i]

    def next_open(self, t: int) -> int:
        """``t`` when inside a span, else the start of the next span (``t`` past the end)."""
        i = bisect.bisect_right(self.starts, t) - 1
        if i >= 0 and t < self.ends[i]:
            return t
        return self.starts[i + 1] if i + 1 < len(self.starts) else t


def shift_spans(zone: ZoneInfo, shift, first: dt.date, last: dt.date):
    begin, end, weekdays = shift
    day = first
    while day <= last:
        if day.weekday() in weekdays:
            opens = dt.datetime.combine(day, dt.time(begin), zone)
            closes = dt.datetime.combine(day, dt.time(end - 1, 59, 59), zone)
            yield epoch(opens), epoch(closes) + 1
        day += dt.timedelta(days=1)


def black_friday(year: int) -> dt.date:
    first = dt.date(year, 11, 1)
    first_friday = first + dt.timedelta(days=(4 - first.weekday()) % 7)
    return first_friday + dt.timedelta(days=21)


def season(day: dt.date) -> float:
    """Busier around Black Friday, before Christmas and with the returns after it."""
    factor = 1.0
    since = (day - black_friday(day.year)).days
    if -3 <= since <= 4:
        factor *= 1.8
    elif 5 <= since <= 18:
        factor *= 1.3
    elif day.month == 12 and day.day <= 22:
        factor *= 1.25
    if day.month == 12 and 24 <= day.day <= 26:
        factor *= 0.55
    if (day.month == 12 and day.day >= 27) or (day.month == 1 and day.day <= 12):
        factor *= 1.3
    if day.month == 8:
        factor *= 0.85
    return factor


# --- The world as stored --------------------------------------------------------------------


class World:
    """Ids of the fixtures, schedules, and the next free id of every bulk table."""

    def __init__(self, start_t: int, end_t: int):
        from storedesk.accounts.models import Agent, Team
        from storedesk.conversations.models import Tag
        from storedesk.inboxes.models import Inbox
        from storedesk.stores.models import Store

        self.stores = {key: Store.objects.get(slug=spec["slug"]).pk for key, spec in STORES.items()}
        self.store_key = {pk: key for key, pk in self.stores.items()}
        self.zones = {key: ZoneInfo(spec["zone"]) for key, spec in STORES.items()}
        self.teams = {key: Team.objects.get(name=name).pk for key, name in TEAMS.items()}
        self.team_key = {pk: key for key, pk in self.teams.items()}
        self.inboxes = {}
        for key, store, kind, team, share in INBOXES:
            inbox = Inbox.objects.get(store_id=self.stores[store], name=key)
            self.inboxes[key] = (inbox.pk, store, kind, team, share)
        self.inbox_by_id = {v[0]: (key, *v[1:]) for key, v in self.inboxes.items()}
        self.agents = {
            a.username: a.pk for a in Agent.objects.filter(username__startswith="bench-")
        }
        self.members: dict[str, list[int]] = defaultdict(list)
        self.shift = {}
        for username, team, shift in AGENTS:
            self.members[team].append(self.agents[username])
            self.shift[self.agents[username]] = shift
        self.tags = {
            (tag.store_id, tag.name): tag.pk
            for tag in Tag.objects.filter(store_id__in=self.stores.values())
        }
        # Working spans of each agent and each team, per store (shifts are in local time).
        first = from_epoch(start_t).date() - dt.timedelta(days=2)
        last = from_epoch(end_t).date() + dt.timedelta(days=40)
        self.agent_spans: dict[tuple[str, int], Intervals] = {}
        self.team_spans: dict[tuple[str, str], Intervals] = {}
        for store in STORES:
            zone = self.zones[store]
            for team, members in self.members.items():
                spans = []
                for agent in members:
                    own = list(shift_spans(zone, self.shift[agent], first, last))
                    self.agent_spans[(store, agent)] = Intervals(own)
                    spans.extend(own)
                self.team_spans[(store, team)] = Intervals(spans)

    def on_shift(self, store: str, team: str, t: int) -> list[int]:
        return [a for a in self.members[team] if self.agent_spans[(store, a)].contains(t)]


def next_ids(cursor) -> dict[str, int]:
    ids = {}
    for table in TABLES.values():
        cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table[0]}")
        ids[table[0]] = cursor.fetchone()[0]
    return ids


TABLES = {
    "conversation": (
        "conversations_conversation",
        "id, created_at, updated_at, subject, status, priority, language, snoozed_until, "
        "first_response_at, resolved_at, reopened_count, last_customer_message_at, "
        "last_message_at, waiting_since, message_count, preview, assignee_id, contact_id, "
        "inbox_id, store_id, team_id",
    ),
    "message": (
        "conversations_message",
        "id, kind, sender_type, text, html, external_id, client_key, delivery_status, "
        "delivery_error, delivery_attempts, delivery_claimed_at, created_at, sent_at, "
        "conversation_id, inbox_id, sender_agent_id, sender_contact_id, store_id",
    ),
    "activity": (
        "conversations_activityevent",
        "id, kind, data, created_at, actor_id, conversation_id",
    ),
    "session": (
        "assistant_assistantsession",
        "id, created_at, updated_at, state, language, last_intent, pending_intent, awaiting, "
        "unsure_count, claimed_order_number, claimed_email, identity_failures, tried, "
        "reply_count, handoff_reason, handed_off_at, resolved_at, conversation_id, store_id, "
        "verified_order_id",
    ),
    "contact": (
        "contacts_contact",
        "id, created_at, updated_at, name, email, phone, locale, notes, attributes, "
        "dedicated_agent_id, store_id",
    ),
    "identity": (
        "contacts_contactidentity",
        "id, kind, external_id, created_at, contact_id, store_id",
    ),
    "tag_link": ("conversations_conversation_tags", "id, conversation_id, tag_id"),
    "answer": (
        "assistant_assistantanswer",
        "id, locale, url, title, intent, score, helpful, created_at, answered_at, article_id, "
        "message_id, session_id",
    ),
}


class Copier:
    """Lines per table, written with one ``COPY`` each when flushed."""

    def __init__(self, connection):
        self.connection = connection
        self.lines: dict[str, list[str]] = defaultdict(list)
        self.rows: Counter = Counter()

    def add(self, table: str, line: str) -> None:
        self.lines[table].append(line)

    def flush(self) -> None:
        with self.connection.cursor() as cursor:
            for table, lines in self.lines.items():
                if not lines:
                    continue
                name, columns = TABLES[table]
                with cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
                    for start in range(0, len(lines), 20000):
                        copy.write("".join(lines[start : start + 20000]))
                self.rows[table] += len(lines)
                lines.clear()


# --- Playing out a conversation -------------------------------------------------------------


class Cut(Exception):
    """The next step would happen after the data's clock."""


OPEN, PENDING, SNOOZED, RESOLVED = "open", "pending", "snoozed", "resolved"
TRANSITIONS = {
    OPEN: {PENDING, SNOOZED, RESOLVED},
    PENDING: {OPEN, SNOOZED, RESOLVED},
    SNOOZED: {OPEN, PENDING, RESOLVED, SNOOZED},
    RESOLVED: {OPEN},
}


def weighted(pairs):
    values = [v for v, _ in pairs]
    cumulative = []
    total = 0
    for _, w in pairs:
        total += w
        cumulative.append(total)
    return values, cumulative


class Thread:
    """One conversation, written step by step by the rules of the services."""

    def __init__(self, cid, created, now, store, inbox, contact, team, language):
        self.id = cid
        self.now = now
        self.last = created
        self.created = created
        self.updated = created
        self.store = store  # key
        self.inbox = inbox  # (pk, store key, kind, team key, share)
        self.contact = contact
        self.team = team  # key
        self.assignee = None
        self.language = language
        self.status = OPEN
        self.priority = 1
        self.snoozed_until = None
        self.first_response = None
        self.resolved = None
        self.reopened = 0
        self.last_customer = None
        self.last_message = None
        self.waiting = None
        self.count = 0
        self.preview = ""
        self.subject = ""
        # (t, kind, sender type, agent, text, sent at, (assistant session, answer index))
        self.messages: list[tuple] = []
        self.events: list[tuple] = []  # (t, kind, actor, data)
        self.tags: list[str] = []
        self.session: dict | None = None

    def at(self, t: int) -> int:
        t = max(t, self.last)
        if t > self.now:
            raise Cut
        self.last = self.updated = t
        return t

    def event(self, t, kind, actor, **data):
        self.events.append((t, kind, actor, data))

    def inbound(self, t: int, text: str) -> int:
        t = self.at(t)
        if self.count:
            if self.status != OPEN:
                self._status(t, None, OPEN, "customer_message")
        else:
            self.event(t, "created", None, inbox_id=self.inbox[0])
            self.subject = text[:80]
        self.messages.append((t, "inbound", "contact", None, text, None, None))
        self.last_customer = self.last_message = t
        if self.waiting is None:
            self.waiting = t
        self.count += 1
        self.preview = text
        return t

    def reply(self, t: int, agent, text: str, sender: str = "agent", answer=None) -> int:
        t = self.at(t)
        self.messages.append((t, "outbound", sender, agent, text, min(t + 3, self.now), answer))
        self.count += 1
        self.last_message = t
        self.waiting = None
        self.preview = text
        if sender == "agent" and self.first_response is None:
            self.first_response = t
        return t

    def note(self, t: int, agent, text: str, sender: str = "agent") -> int:
        t = self.at(t)
        self.messages.append((t, "note", sender, agent, text, None, None))
        self.count += 1
        return t

    def set_status(self, t: int, actor, status: str, reason: str = "", snooze_until=None) -> int:
        t = self.at(t)
        self._status(t, actor, status, reason, snooze_until)
        return t

    def _status(self, t, actor, status, reason="", snooze_until=None) -> None:
        old = self.status
        assert status in TRANSITIONS[old], (old, status)
        self.snoozed_until = snooze_until if status == SNOOZED else None
        if status == RESOLVED:
            self.resolved = t
            self.waiting = None
        if old == RESOLVED and status == OPEN:
            self.reopened += 1
            self.resolved = None
        self.status = status
        data = {"from": old, "to": status}
        if reason:
            data["reason"] = reason
        if snooze_until:
            data["snooze_until"] = from_epoch(snooze_until).isoformat()
        self.event(t, "status", actor, **data)

    def assign(self, t: int, actor, assignee, team=None, team_id=None) -> int:
        changes = {}
        if assignee != self.assignee:
            changes["assignee_id"] = assignee
        if team is not None and team != self.team:
            changes["team_id"] = team_id
        if not changes:
            return self.last
        t = self.at(t)
        self.assignee = assignee
        if team is not None:
            self.team = team
        self.event(t, "assigned", actor, **changes)
        return t


class Generator:
    """Plays out conversations and writes their rows through a ``Copier``."""

    def __init__(self, world: World, copier: Copier, ids: dict, seed: int):
        self.w = world
        self.copier = copier
        self.ids = ids
        self.rng = random.Random(seed)
        self.ts = Stamps()
        self.pending_messages: list[tuple] = []
        self.pending_events: list[tuple] = []
        self.stats: Counter = Counter()
        self.rounds = weighted(ROUNDS)
        self.intents = weighted(INTENTS)
        self.handoffs = weighted(HANDOFFS)
        self.tag_names = weighted(TAGS)

    # Helpers

    def pick(self, table):
        values, cumulative = table
        return self.rng.choices(values, cum_weights=cumulative)[0]

    def text(self, table, language: str) -> str:
        text = self.rng.choice(table[language])
        if "%s" in text:
            text = text % f"#{self.rng.randint(100000, 999999)}"
        return text

    def lognormal(self, median: float, sigma: float = 1.0, cap: float = 5 * DAY) -> int:
        return int(min(self.rng.lognormvariate(math.log(median), sigma), cap)) + 1

    def agent_time(self, th: Thread, after: int, median: float, team: str | None = None) -> int:
        spans = self.w.team_spans[(th.store, team or th.team)]
        t = spans.next_open(after) + self.lognormal(median)
        if not spans.contains(t):
            t = spans.next_open(t) + self.lognormal(min(median, 900))
        return t

    def customer_time(self, th: Thread, after: int) -> int:
        return after + self.lognormal(CUSTOMER[th.inbox[2]], 1.1, cap=4 * DAY)

    def replier(self, th: Thread, t: int) -> int:
        if th.assignee is not None and self.w.agent_spans[(th.store, th.assignee)].contains(t):
            return th.assignee
        present = self.w.on_shift(th.store, th.team, t)
        return self.rng.choice(present or self.w.members[th.team])

    # The conversation

    def play(self, th: Thread) -> None:
        rng = self.rng
        try:
            th.inbound(th.created, self.text(OPENING, th.language))
            if th.inbox[2] == "webchat" and rng.random() < 0.7 and self.assistant(th):
                return
            self.agents(th)
        except Cut:
            pass

    def assistant(self, th: Thread) -> bool:
        """The assistant's part; True when it ends the conversation."""
        rng = self.rng
        intent = self.pick(self.intents)
        session = th.session = {
            "created": None,
            "state": "active",
            "intent": intent,
            "reason": "",
            "handed_off": None,
            "resolved": None,
            "replies": 0,
            "ratings": {},  # answer index → (helpful, when)
        }
        t = self.answer(th, th.last + rng.randint(2, 6))
        session["created"] = t
        outcome = rng.choices(("resolved", "handed_off", "taken_over", "left"), (32, 45, 10, 13))[0]
        if outcome == "resolved":
            t = th.inbound(self.customer_time(th, t), self.text(THANKS, th.language))
            session["ratings"][0] = (True, t)
            session["state"], session["resolved"] = "resolved", t
            th.set_status(t + 1, None, RESOLVED, reason="assistant")
            return True
        if outcome == "left":
            # Nobody answered the assistant's question; an agent closes it later.
            t = self.agent_time(th, t, 6 * 3600)
            th.set_status(t, self.replier(th, t), RESOLVED)
            return True
        if outcome == "taken_over":
            session["take_over"] = True
            return False
        if rng.random() < 0.5:
            t = th.inbound(self.customer_time(th, t), self.text(FOLLOW_UP, th.language))
            t = self.answer(th, t + rng.randint(2, 6))
        t = th.inbound(self.customer_time(th, t), self.text(FOLLOW_UP, th.language))
        reason = "complaint" if intent == "complaint" else self.pick(self.handoffs)
        if reason == "not_helpful":
            session["ratings"][session["replies"] - 1] = (False, t)
        t = th.at(t + 2)
        session.update(state="handed_off", reason=reason, handed_off=t)
        present = self.w.on_shift(th.store, th.team, t)
        if present:
            th.assign(t, None, rng.choice(present))
        th.note(t, None, HANDOFF_NOTE, "assistant")
        th.waiting = th.last_customer
        return False

    def answer(self, th: Thread, t: int) -> int:
        session = th.session
        text = self.text(ASSISTANT_ANSWER, th.language)
        t = th.reply(t, None, text, "assistant", answer=(session, session["replies"]))
        session["replies"] += 1
        return t

    def agents(self, th: Thread) -> None:
        rng = self.rng
        rounds = self.pick(self.rounds)
        escalate = rounds >= 2 and rng.random() < 0.06
        agent = None
        t = th.last
        for i in range(rounds):
            median = FIRST_REPLY if th.first_response is None else NEXT_REPLY
            t = self.agent_time(th, th.last, median[th.inbox[2]])
            agent = self.replier(th, t)
            if th.assignee is None:
                th.assign(t - rng.randint(5, 60), agent, agent)
            if escalate and i == 1:
                team = "escalations"
                to = rng.choice(self.w.members[team])
                th.assign(t, agent, to, team, self.w.teams[team])
                t = self.agent_time(th, t, 3 * 3600)
                agent = self.replier(th, t)
            if i == 0:
                if rng.random() < 0.35:
                    names = {self.pick(self.tag_names) for _ in range(rng.choice((1, 1, 1, 2)))}
                    th.at(t)
                    th.tags = sorted(names)
                    th.event(t, "tagged", agent, added=th.tags, removed=[])
                if rng.random() < 0.08:
                    th.at(t)
                    th.event(t, "priority", agent, **{"from": 1, "to": 2})
                    th.priority = 2
            if rng.random() < 0.06:
                th.note(t, agent, self.text(NOTE, th.language))
            if th.session and th.session.get("take_over") and th.session["state"] == "active":
                th.session["state"] = "taken_over"
            t = th.reply(t, agent, self.text(AGENT_REPLY, th.language))
            if i < rounds - 1:
                t = th.inbound(self.customer_time(th, t), self.text(FOLLOW_UP, th.language))
        self.close(th, agent, t)
        reopen = 0.08
        while th.status == RESOLVED and rng.random() < reopen:
            reopen = 0.15
            t = th.inbound(
                th.last + self.lognormal(DAY, 1.2, cap=6 * DAY), self.text(FOLLOW_UP, th.language)
            )
            t = self.agent_time(th, t, NEXT_REPLY[th.inbox[2]])
            agent = self.replier(th, t)
            t = th.reply(t, agent, self.text(AGENT_REPLY, th.language))
            th.set_status(t + rng.randint(0, 120), agent, RESOLVED)

    def close(self, th: Thread, agent, t: int) -> None:
        rng = self.rng
        p = rng.random()
        if p < 0.60:  # answered and resolved at once
            th.set_status(t + rng.randint(0, 120), agent, RESOLVED)
        elif p < 0.78:  # pending: waiting for the customer
            t = th.set_status(t + rng.randint(0, 60), agent, PENDING)
            q = rng.random()
            if q < 0.5:
                t = th.inbound(self.customer_time(th, t), self.text(THANKS, th.language))
                t = self.agent_time(th, t, 3600)
                th.set_status(t, self.replier(th, t), RESOLVED)
            elif q < 0.97:
                t = self.agent_time(th, t + 2 * DAY + rng.randint(0, 2 * DAY), 1800)
                th.set_status(t, self.replier(th, t), RESOLVED)
            # else: nobody ever closed it
        elif p < 0.80:  # snoozed until a delivery is due, then back and resolved
            until = t + rng.randint(2 * DAY, 5 * DAY)
            t = th.set_status(t + rng.randint(0, 60), agent, SNOOZED, snooze_until=until)
            t = th.set_status(until, None, OPEN, reason="snooze_ended")
            t = self.agent_time(th, t, 3600)
            th.set_status(t, self.replier(th, t), RESOLVED)
        elif p < 0.995:  # the customer confirms, then the agent resolves
            t = th.inbound(self.customer_time(th, t), self.text(THANKS, th.language))
            t = self.agent_time(th, t, 1800)
            th.set_status(t, self.replier(th, t), RESOLVED)
        # else: left open and forgotten

    # Rows

    def write(self, th: Thread) -> None:
        """The conversation's row now; its messages and events when flushed (in time order)."""
        ts, w = self.ts, self.w
        store_id = w.stores[th.store]
        assignee = N if th.assignee is None else th.assignee
        preview = " ".join(th.preview.split())[:200]
        self.copier.add(
            "conversation",
            f"{th.id}\t{ts(th.created)}\t{ts(th.updated)}\t{th.subject}\t{th.status}\t"
            f"{th.priority}\t{th.language}\t{ts(th.snoozed_until)}\t{ts(th.first_response)}\t"
            f"{ts(th.resolved)}\t{th.reopened}\t{ts(th.last_customer)}\t{ts(th.last_message)}\t"
            f"{ts(th.waiting)}\t{th.count}\t{preview}\t{assignee}\t{th.contact}\t"
            f"{th.inbox[0]}\t{store_id}\t{w.teams[th.team]}\n",
        )
        context = (th.id, th.inbox[0], store_id, th.contact)
        for message in th.messages:
            self.pending_messages.append((message[0], context, message))
        for event in th.events:
            self.pending_events.append((event[0], th.id, event))
        for name in th.tags:
            self.copier.add(
                "tag_link", f"{self.next('tag_link')}\t{th.id}\t{w.tags[(store_id, name)]}\n"
            )
        s = th.session
        if s is not None and s["created"] is not None:
            state = s["state"]
            s["id"] = self.next("session")
            s["language"] = th.language
            self.copier.add(
                "session",
                f"{s['id']}\t{ts(s['created'])}\t{ts(th.updated)}\t{state}\t"
                f"{th.language}\t{s['intent']}\t{s['intent'] if state == 'handed_off' else ''}\t"
                f"\t0\t\t\t0\t[]\t{s['replies']}\t{s['reason']}\t{ts(s['handed_off'])}\t"
                f"{ts(s['resolved'])}\t{th.id}\t{store_id}\t{N}\n",
            )
            self.stats[f"session_{state}"] += 1
        self.stats["conversations"] += 1
        self.stats[f"status_{th.status}"] += 1

    def answer_row(self, message_id: int, t: int, answer) -> None:
        session, index = answer
        helpful, when = session["ratings"].get(index, (None, None))
        self.copier.add(
            "answer",
            f"{self.next('answer')}\t{session['language']}\t\t\t{session['intent']}\t"
            f"{round(0.82 + self.rng.random() * 0.1, 3)}\t"
            f"{N if helpful is None else 't' if helpful else 'f'}\t{self.ts(t)}\t"
            f"{self.ts(when)}\t{N}\t{message_id}\t{session['id']}\n",
        )

    def next(self, table: str) -> int:
        name = TABLES[table][0]
        value = self.ids[name]
        self.ids[name] = value + 1
        return value

    def flush_before(self, limit: int | None) -> None:
        """Write the messages and events that happened before ``limit`` (all when None), in
        time order, so their ids grow with time as they would in use."""
        ts = self.ts
        for attribute in ("pending_messages", "pending_events"):
            pending = getattr(self, attribute)
            pending.sort(key=lambda item: item[0])
            if limit is None:
                cut = len(pending)
            else:
                cut = bisect.bisect_left(pending, limit, key=lambda item: item[0])
            ready, rest = pending[:cut], pending[cut:]
            setattr(self, attribute, rest)
            if attribute == "pending_messages":
                for _, (cid, inbox, store, contact), m in ready:
                    t, kind, sender, agent, text, sent, answer = m
                    mid = self.next("message")
                    if answer is not None and "id" in answer[0]:
                        self.answer_row(mid, t, answer)
                    inbound = kind == "inbound"
                    status = "received" if inbound else "sent" if kind == "outbound" else "n/a"
                    self.copier.add(
                        "message",
                        f"{mid}\t{kind}\t{sender}\t{text}\t\t{f'bench-{mid}' if inbound else N}\t"
                        f"{N}\t{status}\t"
                        f"\t{1 if kind == 'outbound' else 0}\t{N}\t{ts(t)}\t{ts(sent)}\t{cid}\t"
                        f"{inbox}\t{N if agent is None else agent}\t"
                        f"{contact if inbound else N}\t{store}\n",
                    )
            else:
                for t, cid, (_, kind, actor, data) in ready:
                    payload = json.dumps(data, separators=(", ", ": "))
                    self.copier.add(
                        "activity",
                        f"{self.next('activity')}\t{kind}\t{payload}\t{ts(t)}\t"
                        f"{N if actor is None else actor}\t{cid}\n",
                    )


# --- Contacts -------------------------------------------------------------------------------


class Contacts:
    """Customers per store; a few write often, most once or twice."""

    def __init__(
        self, rng: random.Random, existing: dict[str, list[tuple[int, str]]], next_id: int
    ):
        self.rng = rng
        self.pool = existing  # store key → [(contact id, locale)]
        self.next_id = next_id
        self.first_seen: dict[int, int] = {}
        self.locale: dict[int, str] = {}
        self.new: list[tuple[int, str, str, int]] = []  # (id, store key, locale, created)

    def pick(self, store: str, t: int, new_share: float) -> tuple[int, str | None]:
        rng = self.rng
        pool = self.pool[store]
        if not pool or rng.random() < new_share:
            contact = self.next_id
            self.next_id += 1
            languages = STORES[store]["languages"]
            locale = rng.choices([lang for lang, _ in languages], [w for _, w in languages])[0]
            pool.append((contact, locale))
            self.new.append((contact, store, locale, t))
            return contact, locale
        contact, locale = pool[int(len(pool) * rng.random() ** 1.8)]
        return contact, locale


def write_contacts(copier: Copier, world: World, rows, ts: Stamps, ids: dict) -> None:
    for contact, store, locale, created in rows:
        store_id = world.stores[store]
        email = f"customer{contact}@{STORES[store]['slug']}.example"
        copier.add(
            "contact",
            f"{contact}\t{ts(created)}\t{ts(created)}\tCustomer {contact}\t{email}\t\t{locale}\t"
            f"\t{{}}\t{N}\t{store_id}\n",
        )
        identity = ids["contacts_contactidentity"]
        ids["contacts_contactidentity"] = identity + 1
        copier.add(
            "identity", f"{identity}\temail\t{email}\t{ts(created)}\t{contact}\t{store_id}\n"
        )


# --- Setting up -----------------------------------------------------------------------------


def setup_django(database_url: str) -> None:
    os.environ["STOREDESK_DATABASE_URL"] = database_url
    os.environ["STOREDESK_HOME"] = tempfile.mkdtemp(prefix="storedesk-bench-analytics-")
    os.environ["STOREDESK_ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ["DJANGO_SETTINGS_MODULE"] = "storedesk.config.settings"
    os.environ.setdefault("STOREDESK_LOG_LEVEL", "WARNING")
    os.environ.pop("STOREDESK_REDIS_URL", None)
    import django

    django.setup()


def admin_url(database_url: str) -> str:
    return database_url.rsplit("/", 1)[0] + "/postgres"


def database_name(database_url: str) -> str:
    return database_url.rsplit("/", 1)[1]


def recreate_database(database_url: str) -> None:
    import psycopg

    name = database_name(database_url)
    assert name != "test", "the test suite's database is not for benchmarks"
    with psycopg.connect(admin_url(database_url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def read_meta(database_url: str) -> dict | None:
    import psycopg

    with psycopg.connect(admin_url(database_url), autocommit=True) as connection:
        row = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [database_name(database_url)],
        ).fetchone()
    if row is None or not row[0]:
        return None
    try:
        return json.loads(row[0])
    except ValueError:
        return None


def write_meta(database_url: str, meta: dict) -> None:
    import psycopg

    text = json.dumps(meta).replace("'", "''")
    with psycopg.connect(admin_url(database_url), autocommit=True) as connection:
        connection.execute(f"COMMENT ON DATABASE \"{database_name(database_url)}\" IS '{text}'")


def create_fixtures() -> None:
    from storedesk.accounts.services import agent_create, team_create
    from storedesk.conversations.models import Tag
    from storedesk.inboxes.services import inbox_create
    from storedesk.stores.services import store_create

    stores = {}
    for key, spec in STORES.items():
        extra = {"business_hours": spec["hours"]} if spec["hours"] else {}
        stores[key] = store_create(
            name=spec["name"],
            slug=spec["slug"],
            default_locale=spec["default_locale"],
            supported_locales=spec["locales"],
            time_zone=spec["zone"],
            **extra,
        )
    teams = {key: team_create(name=name) for key, name in TEAMS.items()}
    agent_create(username=ADMIN, password=None, role="admin", is_superuser=True)
    agent_create(username=SUPERVISOR, password=None, role="supervisor")
    for username, team, _shift in AGENTS:
        agent_create(
            username=username,
            password=None,
            display_name=username.removeprefix("bench-").capitalize(),
            teams=[teams[team]],
        )
    for key, store, kind, team, _share in INBOXES:
        slug = STORES[store]["slug"]
        config = {
            "email": {"address": f"support@{slug}.example", "from_name": STORES[store]["name"]},
            "webchat": {"assistant": {"enabled": True}},
            "webform": {"from_name": STORES[store]["name"]},
            "api": None,
        }[kind]
        inbox_create(
            store=stores[store], kind=kind, name=key, config=config, default_team=teams[team]
        )
    Tag.objects.bulk_create(
        [Tag(store=store, name=name) for store in stores.values() for name, _ in TAGS]
    )


BULK_TABLES = [table for table, _ in TABLES.values()]


def drop_secondary_indexes(cursor) -> list[str]:
    """Drop the bulk tables' indexes that back no constraint; return their definitions."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [BULK_TABLES],
    )
    rows = cursor.fetchall()
    for name, _ in rows:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _, definition in rows]


def plan_arrivals(
    rng: random.Random, total: int, start_t: int, end_t: int
) -> list[tuple[int, str]]:
    """When each conversation starts and in which store: seasonal days, weekdays, hours."""
    days = (end_t - start_t) / DAY
    weights = []
    for store, spec in STORES.items():
        zone = ZoneInfo(spec["zone"])
        day = from_epoch(start_t).astimezone(zone).date()
        last = from_epoch(end_t - 1).astimezone(zone).date()
        while day <= last:
            progress = (epoch(dt.datetime.combine(day, dt.time(12), zone)) - start_t) / DAY / days
            w = spec["share"] * (0.8 + 0.4 * progress) * season(day) * WEEKDAY_FACTOR[day.weekday()]
            weights.append((store, day, w * rng.lognormvariate(0, 0.07)))
            day += dt.timedelta(days=1)
    scale = total / sum(w for _, _, w in weights)
    counts = [(store, day, w * scale) for store, day, w in weights]
    floors = [int(c) for _, _, c in counts]
    remainder = total - sum(floors)
    by_fraction = sorted(range(len(counts)), key=lambda i: counts[i][2] - floors[i], reverse=True)
    for i in by_fraction[:remainder]:
        floors[i] += 1
    hours = list(range(24))
    weekday_cum = weighted(list(zip(hours, HOURS_WEEKDAY, strict=True)))[1]
    weekend_cum = weighted(list(zip(hours, HOURS_WEEKEND, strict=True)))[1]
    arrivals = []
    for (store, day, _), n in zip(counts, floors, strict=True):
        zone = ZoneInfo(STORES[store]["zone"])
        midnight = epoch(dt.datetime.combine(day, dt.time(), zone))
        cumulative = weekend_cum if day.weekday() >= 5 else weekday_cum
        for _ in range(n):
            for _attempt in range(20):
                hour = rng.choices(hours, cum_weights=cumulative)[0]
                t = midnight + hour * 3600 + rng.randrange(3600)
                if start_t <= t < end_t:
                    break
            else:
                t = rng.randrange(max(start_t, midnight), min(end_t, midnight + DAY))
            arrivals.append((t, store))
    arrivals.sort()
    return arrivals


def play_arrivals(
    gen: Generator,
    contacts: Contacts,
    arrivals,
    now: int,
    new_contacts: float,
    flush_every: int = DAY,
    on_progress=None,
) -> None:
    """Play out conversations starting at ``arrivals`` (sorted), cut at ``now``; rows are
    written at each ``flush_every`` boundary (what happened before it), the rest stays
    pending for the caller's last ``flush_before(None)``."""
    rng = gen.rng
    w = gen.w
    inbox_choice = {}
    for store in STORES:
        keys = [key for key, s, *_ in INBOXES if s == store]
        inbox_choice[store] = ([w.inboxes[key] for key in keys], [w.inboxes[k][4] for k in keys])
    boundary = None
    for index, (t, store) in enumerate(arrivals):
        if boundary is None or t >= boundary:
            if boundary is not None:
                gen.flush_before(boundary)
                gen.copier.flush()
            boundary = (t // flush_every + 1) * flush_every
        if on_progress is not None and index and index % 100_000 == 0:
            on_progress(index)
        options, shares = inbox_choice[store]
        inbox = rng.choices(options, shares)[0]
        contact, locale = contacts.pick(store, t, new_contacts)
        languages = STORES[store]["languages"]
        language = locale
        if language is None or rng.random() < 0.1:
            language = rng.choices([lang for lang, _ in languages], [x for _, x in languages])[0]
        cid = gen.next("conversation")
        th = Thread(cid, t, now, store, inbox, contact, inbox[3], language)
        gen.play(th)
        gen.write(th)


def generate(args, database_url: str) -> dict:
    """Create, migrate and fill the database; return its metadata."""
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    recreate_database(database_url)
    setup_django(database_url)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    create_fixtures()
    connection.close()
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end_t = epoch(today) - 3 * DAY
    start_t = end_t - args.days * DAY
    world = World(start_t, end_t + 40 * DAY)
    rng = random.Random(args.seed)
    _check_texts()
    log(f"planning {args.conversations:,} conversations over {args.days} days")
    arrivals = plan_arrivals(rng, args.conversations, start_t, end_t)
    timings = {}
    with psycopg.connect(database_url) as pg:
        pg.execute("SET session_replication_role = replica")  # no row-by-row foreign key checks
        pg.execute("SET maintenance_work_mem = '1GB'")
        with pg.cursor() as cursor:
            definitions = drop_secondary_indexes(cursor)
            ids = next_ids(cursor)
        pg.commit()
        copier = Copier(pg)
        gen = Generator(world, copier, ids, args.seed + 1)
        contacts_per_store = {
            store: int(args.contacts * spec["share"]) for store, spec in STORES.items()
        }
        # Contact ids are reserved per store up front; a contact's row is written with the
        # time of its first conversation (or a time before the history for those who never wrote).
        next_contact = ids["contacts_contact"]
        reserved = {}
        for store, n in contacts_per_store.items():
            reserved[store] = list(range(next_contact, next_contact + n))
            next_contact += n
        contacts = Contacts(random.Random(args.seed + 2), {s: [] for s in STORES}, next_contact)
        pool_locale = {}
        for store, contact_ids in reserved.items():
            for cid in contact_ids:
                languages = STORES[store]["languages"]
                pool_locale[cid] = rng.choices(
                    [lang for lang, _ in languages], [x for _, x in languages]
                )[0]
            contacts.pool[store] = [(cid, pool_locale[cid]) for cid in contact_ids]
        begin = time.perf_counter()
        log("playing out conversations and writing them with COPY")
        play_arrivals(
            gen,
            contacts,
            arrivals,
            end_t,
            0.0,
            on_progress=lambda n: log(f"  {n:,} conversations written"),
        )
        gen.flush_before(None)
        copier.flush()
        pg.commit()
        first_seen = {}
        with pg.cursor() as cursor:
            cursor.execute(
                "SELECT contact_id, min(created_at) FROM conversations_conversation "
                "GROUP BY contact_id"
            )
            for contact_id, created in cursor:
                first_seen[contact_id] = epoch(created)
        rows = []
        for store, contact_ids in reserved.items():
            for cid in contact_ids:
                created = first_seen.get(cid) or start_t - rng.randrange(1, 365) * DAY
                rows.append((cid, store, pool_locale[cid], created))
        write_contacts(copier, world, rows, gen.ts, ids)
        copier.flush()
        pg.commit()
        timings["generate_and_copy_s"] = round(time.perf_counter() - begin, 1)
        log(f"rows written: {dict(copier.rows)}")
        begin = time.perf_counter()
        log(f"building {len(definitions)} indexes")
        with pg.cursor() as cursor:
            for definition in definitions:
                cursor.execute(definition)
            for table in BULK_TABLES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        pg.commit()
        timings["indexes_s"] = round(time.perf_counter() - begin, 1)
        pg.autocommit = True
        begin = time.perf_counter()
        pg.execute("VACUUM (ANALYZE)")
        timings["vacuum_analyze_s"] = round(time.perf_counter() - begin, 1)
    meta = {
        "complete": True,
        "seed": args.seed,
        "conversations": args.conversations,
        "contacts": args.contacts,
        "days": args.days,
        "history_start": start_t,
        "clock": end_t,
        "rows": dict(copier.rows),
        "stats": dict(gen.stats),
        "timings": timings,
        "total_s": round(time.perf_counter() - started, 1),
    }
    write_meta(database_url, meta)
    return meta


# --- New data: a day or a minute ------------------------------------------------------------


def window_arrivals(rng: random.Random, n: int, start_t: int, end_t: int) -> list[tuple[int, str]]:
    """``n`` conversation starts within [start, end), by store share and local hour."""
    stores = list(STORES)
    shares = [STORES[s]["share"] for s in stores]
    peak = max(max(HOURS_WEEKDAY), max(HOURS_WEEKEND))
    arrivals = []
    while len(arrivals) < n:
        store = rng.choices(stores, shares)[0]
        t = rng.randrange(start_t, end_t)
        local = from_epoch(t).astimezone(ZoneInfo(STORES[store]["zone"]))
        hours = HOURS_WEEKEND if local.weekday() >= 5 else HOURS_WEEKDAY
        if end_t - start_t <= 3600 or rng.random() < hours[local.hour] / peak:
            arrivals.append((t, store))
    arrivals.sort()
    return arrivals


def change_older(pg, gen: Generator, count: int, start_t: int, end_t: int) -> Counter:
    """Changes to ``count`` older conversations within [start, end): agents reply and
    resolve, customers answer and reopen, supervisors reassign. Each change writes its
    messages and events and updates the conversation's facts and ``updated_at``."""
    rng = gen.rng
    w = gen.w
    done: Counter = Counter()
    if count <= 0:
        return done
    fields = (
        "id, store_id, inbox_id, contact_id, team_id, assignee_id, language, status, "
        "first_response_at, resolved_at, reopened_count, last_customer_message_at, "
        "last_message_at, waiting_since, message_count, preview, updated_at, created_at, "
        "snoozed_until"
    )
    with pg.cursor() as cursor:
        cursor.execute(
            f"SELECT {fields} FROM conversations_conversation WHERE status <> 'resolved' "
            "AND created_at >= %s AND updated_at < %s ORDER BY random() LIMIT %s",
            [from_epoch(start_t - 14 * DAY), from_epoch(start_t), count],
        )
        unresolved = cursor.fetchall()
        cursor.execute(
            f"SELECT {fields} FROM conversations_conversation WHERE status = 'resolved' "
            "AND resolved_at >= %s AND updated_at < %s ORDER BY random() LIMIT %s",
            [from_epoch(start_t - 7 * DAY), from_epoch(start_t), count],
        )
        resolved = cursor.fetchall()
    plan = []
    for _ in range(count):
        kind = rng.choices(("reply_resolve", "customer", "reopen", "reassign"), (40, 20, 25, 15))[0]
        source = resolved if kind == "reopen" else unresolved
        if source:
            plan.append((kind, source.pop()))
    updates = []
    for kind, row in plan:
        (
            cid,
            store_id,
            inbox_id,
            contact,
            team_id,
            assignee,
            language,
            status,
            first,
            resolved_at,
            reopened,
            last_in,
            last_msg,
            waiting,
            count_,
            preview,
            updated,
            created,
            snoozed,
        ) = row
        key, store, channel, _team, _share = w.inbox_by_id[inbox_id]
        inbox = w.inboxes[key]
        th = Thread(
            cid,
            epoch(created),
            end_t,
            store,
            inbox,
            contact,
            w.team_key.get(team_id, _team),
            language,
        )
        th.assignee, th.status, th.reopened, th.count, th.preview = (
            assignee,
            status,
            reopened,
            count_,
            preview,
        )
        th.first_response = first and epoch(first)
        th.resolved = resolved_at and epoch(resolved_at)
        th.last_customer = last_in and epoch(last_in)
        th.last_message = last_msg and epoch(last_msg)
        th.waiting = waiting and epoch(waiting)
        th.snoozed_until = snoozed and epoch(snoozed)
        th.messages, th.events = [], []
        th.subject = "-"  # kept as it is
        th.last = max(epoch(updated), start_t) + rng.randrange(max(1, (end_t - start_t) // 2))
        try:
            if kind == "reply_resolve":
                t = gen.agent_time(th, th.last, 1800)
                agent = gen.replier(th, t)
                if th.assignee is None:
                    th.assign(t - 30, agent, agent)
                t = th.reply(t, agent, gen.text(AGENT_REPLY, language))
                th.set_status(t + rng.randint(0, 120), agent, RESOLVED)
            elif kind == "customer":
                th.inbound(th.last, gen.text(FOLLOW_UP, language))
            elif kind == "reopen":
                t = th.inbound(th.last, gen.text(FOLLOW_UP, language))
                if rng.random() < 0.5:
                    t = gen.agent_time(th, t, NEXT_REPLY[channel])
                    agent = gen.replier(th, t)
                    th.reply(t, agent, gen.text(AGENT_REPLY, language))
            else:
                team = "escalations" if rng.random() < 0.4 else th.team
                to = rng.choice([a for a in w.members[team] if a != th.assignee] or w.members[team])
                th.assign(th.last, w.agents[SUPERVISOR], to, team, w.teams[team])
        except Cut:
            pass
        if not th.messages and not th.events:
            continue
        done[kind] += 1
        context = (cid, inbox_id, store_id, contact)
        for message in th.messages:
            gen.pending_messages.append((message[0], context, message))
        for event in th.events:
            gen.pending_events.append((event[0], cid, event))
        ts = from_epoch
        updates.append(
            (
                th.status,
                th.assignee,
                w.teams[th.team],
                th.resolved and ts(th.resolved),
                th.reopened,
                th.first_response and ts(th.first_response),
                th.last_customer and ts(th.last_customer),
                th.last_message and ts(th.last_message),
                th.waiting and ts(th.waiting),
                th.count,
                " ".join(th.preview.split())[:200],
                th.snoozed_until and ts(th.snoozed_until),
                ts(th.updated),
                cid,
            )
        )
    with pg.cursor() as cursor:
        cursor.executemany(
            "UPDATE conversations_conversation SET status = %s, assignee_id = %s, team_id = %s, "
            "resolved_at = %s, reopened_count = %s, first_response_at = %s, "
            "last_customer_message_at = %s, last_message_at = %s, waiting_since = %s, "
            "message_count = %s, preview = %s, snoozed_until = %s, updated_at = %s WHERE id = %s",
            updates,
        )
    return done


def add_window(
    database_url: str,
    world: World,
    seed: int,
    start_t: int,
    end_t: int,
    conversations: int,
    changes: int,
) -> dict:
    """New conversations in [start, end) and changes to older ones, committed."""
    import psycopg

    with psycopg.connect(database_url) as pg:
        with pg.cursor() as cursor:
            ids = next_ids(cursor)
            cursor.execute("SELECT id, store_id, locale FROM contacts_contact")
            existing = defaultdict(list)
            for contact, store_id, locale in cursor:
                existing[world.store_key[store_id]].append((contact, locale))
        copier = Copier(pg)
        gen = Generator(world, copier, ids, seed)
        contacts = Contacts(random.Random(seed + 1), existing, ids["contacts_contact"])
        arrivals = window_arrivals(gen.rng, conversations, start_t, end_t)
        play_arrivals(gen, contacts, arrivals, end_t, 0.35, flush_every=10**12)
        changed = change_older(pg, gen, changes, start_t, end_t)
        gen.flush_before(None)
        write_contacts(copier, world, contacts.new, gen.ts, ids)
        copier.flush()
        with pg.cursor() as cursor:
            for table in BULK_TABLES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        pg.commit()
    return {"rows": dict(copier.rows), "changed": dict(changed), "new_contacts": len(contacts.new)}


# --- Checks ---------------------------------------------------------------------------------

CONSISTENCY_SQL = """
WITH m AS (
    SELECT conversation_id,
           count(*) AS n,
           min(created_at) FILTER (WHERE kind = 'outbound' AND sender_type = 'agent')
               AS first_reply,
           max(created_at) FILTER (WHERE kind IN ('inbound', 'outbound')) AS last_message,
           max(created_at) FILTER (WHERE kind = 'inbound') AS last_inbound,
           max(created_at) AS latest
    FROM conversations_message GROUP BY conversation_id
), reopens AS (
    SELECT conversation_id, count(*) AS n FROM conversations_activityevent
    WHERE kind = 'status' AND data->>'from' = 'resolved' AND data->>'to' = 'open'
    GROUP BY conversation_id
)
SELECT count(*),
       count(*) FILTER (WHERE m.conversation_id IS NULL),
       count(*) FILTER (WHERE c.message_count <> m.n),
       count(*) FILTER (WHERE c.first_response_at IS DISTINCT FROM m.first_reply),
       count(*) FILTER (WHERE c.last_message_at IS DISTINCT FROM m.last_message),
       count(*) FILTER (WHERE c.last_customer_message_at IS DISTINCT FROM m.last_inbound),
       count(*) FILTER (WHERE (c.status = 'resolved') <> (c.resolved_at IS NOT NULL)),
       count(*) FILTER (WHERE c.reopened_count <> coalesce(r.n, 0)),
       count(*) FILTER (WHERE c.updated_at < m.latest),
       count(*) FILTER (WHERE c.waiting_since IS NOT NULL AND c.status = 'resolved')
FROM conversations_conversation c
LEFT JOIN m ON m.conversation_id = c.id
LEFT JOIN reopens r ON r.conversation_id = c.id
"""
CONSISTENCY_NAMES = (
    "conversations",
    "without_messages",
    "message_count_wrong",
    "first_response_at_wrong",
    "last_message_at_wrong",
    "last_customer_message_at_wrong",
    "resolved_at_wrong",
    "reopened_count_wrong",
    "updated_at_before_last_message",
    "resolved_but_waiting",
)


def consistency(database_url: str) -> dict:
    import psycopg

    with psycopg.connect(database_url) as pg:
        pg.execute("SET work_mem = '256MB'")
        row = pg.execute(CONSISTENCY_SQL).fetchone()
    return dict(zip(CONSISTENCY_NAMES, row, strict=True))


def table_rows() -> dict:
    from django.db import connection

    tables = (
        "conversations_conversation",
        "conversations_message",
        "conversations_activityevent",
        "assistant_assistantsession",
        "contacts_contact",
        "conversations_conversation_tags",
        "analytics_conversationfact",
        "analytics_dailyrollup",
        "analytics_tagdailyrollup",
        "analytics_issuedailyrollup",
        "analytics_agenthourrollup",
        "analytics_repeatcontact",
        "analytics_conversationtopic",
    )
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        counts["database_bytes"] = cursor.fetchone()[0]
    return counts


def rollup_checks() -> dict:
    """Rollup totals against the rows they summarise."""
    from django.db import connection

    sql = {
        "created": (
            "SELECT sum(created) FROM analytics_dailyrollup",
            "SELECT count(*) FROM conversations_conversation",
        ),
        "resolved": (
            "SELECT sum(resolved) FROM analytics_dailyrollup",
            "SELECT count(*) FROM conversations_conversation WHERE resolved_at IS NOT NULL",
        ),
        "first_responses": (
            "SELECT sum(first_responses) FROM analytics_dailyrollup",
            "SELECT count(*) FROM conversations_conversation WHERE first_response_at IS NOT NULL",
        ),
        "messages_in": (
            "SELECT sum(messages_in) FROM analytics_dailyrollup",
            "SELECT count(*) FROM conversations_message WHERE kind = 'inbound'",
        ),
        "agent_replies": (
            "SELECT sum(replies) FROM analytics_agenthourrollup",
            "SELECT count(*) FROM conversations_message WHERE kind = 'outbound' "
            "AND sender_type = 'agent' AND sender_agent_id IS NOT NULL",
        ),
    }
    result = {}
    with connection.cursor() as cursor:
        for name, (rollup, source) in sql.items():
            cursor.execute(rollup)
            got = cursor.fetchone()[0] or 0
            cursor.execute(source)
            expected = cursor.fetchone()[0]
            result[name] = {"rollups": int(got), "source": expected}
    return result


# --- Measuring ------------------------------------------------------------------------------


def normalise_sql(sql: str) -> str:
    sql = re.sub(r"^SELECT .*? FROM", "SELECT … FROM", sql, flags=re.S)
    sql = re.sub(r"\((?:%s, )*%s\)(?:, \((?:%s, )*%s\))+", "(…), …", sql)
    sql = re.sub(r"(?:%s, )+%s", "%s, …", sql)
    return sql[:220]


class SqlLog:
    """Counts and times every statement run through Django's connection."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0
        self.by: dict[str, list] = defaultdict(lambda: [0, 0.0])
        self.slowest: tuple[float, str, object] | None = None

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.count += 1
            self.seconds += elapsed
            entry = self.by[normalise_sql(sql)]
            entry[0] += 1
            entry[1] += elapsed
            if sql.lstrip().upper().startswith("SELECT") and (
                self.slowest is None or elapsed > self.slowest[0]
            ):
                self.slowest = (elapsed, sql, params)

    def top(self, n: int = 6) -> list[dict]:
        ordered = sorted(self.by.items(), key=lambda item: -item[1][1])[:n]
        return [{"sql": sql, "calls": c, "seconds": round(s, 3)} for sql, (c, s) in ordered]


def explain(sql: str, params) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0][:300] for row in cursor.fetchall()]


class Interference:
    """CPU used during a phase by processes other than this one and its database session."""

    def __init__(self, backend_pid: int | None):
        self.exclude = {os.getpid()} | ({backend_pid} if backend_pid else set())

    def __enter__(self):
        self.busy = machine_busy_ticks()
        self.ticks = cpu_ticks()
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        after = cpu_ticks()
        busy = machine_busy_ticks() - self.busy
        own = sum(
            after[pid][2] - self.ticks.get(pid, (None, None, 0))[2]
            for pid in self.exclude
            if pid in after
        )
        seconds = max(time.monotonic() - self.started, 1e-6)
        hz = os.sysconf("SC_CLK_TCK")
        cores = os.cpu_count() or 1
        self.other_percent = round(100 * max(0, busy - own) / hz / seconds / cores, 1)
        self.own_percent = round(100 * own / hz / seconds / cores, 1)


def backend_pid() -> int | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def summary(samples_ms: list[float]) -> dict:
    return {
        "p50_ms": round(percentile(samples_ms, 50), 1),
        "p95_ms": round(percentile(samples_ms, 95), 1),
        "mean_ms": round(statistics.mean(samples_ms), 1),
        "max_ms": round(max(samples_ms), 1),
        "runs": len(samples_ms),
    }


def timed_refresh(now_t: int, label: str, explain_slowest: bool = False) -> dict:
    from django.db import connection

    from storedesk.analytics.services import analytics_refresh

    sql = SqlLog()
    with Interference(backend_pid()) as load, connection.execute_wrapper(sql):
        started = time.perf_counter()
        outcome = analytics_refresh(now=from_epoch(now_t), signal_seconds=0)
        seconds = time.perf_counter() - started
    result = {
        "label": label,
        "seconds": round(seconds, 2),
        "conversations": outcome.conversations,
        "days": outcome.days,
        "skipped": outcome.skipped,
        "sql_seconds": round(sql.seconds, 2),
        "queries": sql.count,
        "top_sql": sql.top(),
        "other_cpu_percent": load.other_percent,
    }
    if explain_slowest and sql.slowest is not None:
        result["slowest_select_ms"] = round(sql.slowest[0] * 1000, 1)
        result["slowest_select_plan"] = explain(sql.slowest[1], sql.slowest[2])
    return result


def refresh_progress(database_url: str, stop: threading.Event) -> None:
    """Log, every minute, how far a long refresh has got (its own connection)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as pg:
        while not stop.wait(60):
            row = pg.execute(
                "SELECT relname, n_tup_ins FROM pg_stat_user_tables WHERE relname IN "
                "('analytics_conversationfact', 'analytics_dailyrollup') ORDER BY relname"
            ).fetchall()
            log("  refresh: " + ", ".join(f"{name} {n:,} inserted" for name, n in row))


def count_queries(function) -> int:
    from django.db import connection

    sql = SqlLog()
    with connection.execute_wrapper(sql):
        function()
    return sql.count


def selector_functions(dashboard_only: bool = False):
    """The six reports one dashboard load calls, then the other report selectors."""
    from storedesk.analytics import selectors

    functions = {
        "overview": selectors.report_overview,
        "response_times": selectors.report_response_times,
        "resolution": selectors.report_resolution,
        "busiest_hours": selectors.report_busiest_hours,
        "agents": selectors.report_agents,
        "teams": selectors.report_teams,
    }
    if not dashboard_only:
        try:
            from storedesk.analytics import issue_selectors
        except ImportError:
            return functions
        for name in ("report_repeat_contacts", "report_complaints"):
            if hasattr(issue_selectors, name):
                functions[name.removeprefix("report_")] = getattr(issue_selectors, name)
    return functions


def measure_selectors(actor, scopes: dict, runs: int) -> dict:
    results = {}
    for scope, (filters, scope_runs) in scopes.items():
        n = min(runs, scope_runs)
        rows = {}
        for name, report in selector_functions().items():

            def call(report=report, filters=filters):
                return report(actor=actor, filters=filters)

            try:
                call()  # warm
            except Exception as exc:  # the code under test may be mid-change
                rows[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                log(f"  {name} ({scope}) failed: {rows[name]['error']}")
                continue
            queries = count_queries(call)
            samples = []
            for _ in range(n):
                started = time.perf_counter()
                call()
                samples.append((time.perf_counter() - started) * 1000)
            rows[name] = {**summary(samples), "queries": queries}
        results[scope] = rows
    return results


def dashboard_loads(actor) -> dict:
    """One dashboard load: the six reports in sequence (as the API serves them), and the
    single selector the dashboard page calls when there is one."""
    from storedesk.analytics import selectors

    functions = list(selector_functions(dashboard_only=True).values())

    def six(filters):
        for report in functions:
            report(actor=actor, filters=filters)

    loads = {"six reports": six}
    if hasattr(selectors, "report_dashboard"):
        loads["report_dashboard"] = lambda filters: selectors.report_dashboard(
            actor=actor, filters=filters
        )
    return loads


def measure_dashboard(load, scopes: dict, runs: int) -> dict:
    from django.db import connection

    results = {}
    for scope, (filters, scope_runs) in scopes.items():
        n = min(runs, scope_runs)
        try:
            load(filters)
        except Exception as exc:
            results[scope] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            continue
        sql = SqlLog()
        with connection.execute_wrapper(sql):
            load(filters)
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            load(filters)
            samples.append((time.perf_counter() - started) * 1000)
        results[scope] = {
            **summary(samples),
            "queries": sql.count,
            "sql_ms_one_load": round(sql.seconds * 1000, 1),
            "top_sql": sql.top(4),
        }
        if sql.slowest is not None:
            results[scope]["slowest_select_ms"] = round(sql.slowest[0] * 1000, 1)
            results[scope]["slowest_select_plan"] = explain(sql.slowest[1], sql.slowest[2])
    return results


def measure_api(token: str, query: dict, runs: int) -> dict:
    from urllib.parse import urlencode

    from django.test import Client

    from storedesk.analytics.api import REPORTS

    client = Client(raise_request_exception=False)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    results = {}
    for name in REPORTS:
        path = f"/api/v1/reports/{name}?{urlencode(query)}"
        response = client.get(path, **headers)
        if response.status_code != 200:
            results[name] = {"error": f"HTTP {response.status_code}: {response.content[:200]!r}"}
            continue
        queries = count_queries(lambda path=path: client.get(path, **headers))
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(path, **headers)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        results[name] = {**summary(samples), "queries": queries, "bytes": len(response.content)}
    return results


def measure_page(supervisor, query: dict, runs: int, *, cold: bool = False) -> dict | None:
    """``GET /reports/`` as ``supervisor``, ``runs`` times. The page keeps its numbers in
    the cache until the next refresh: by default every timed load but the first is a
    cache read; with ``cold`` the cache is emptied before each load, so each computes."""
    from urllib.parse import urlencode

    from django.core.cache import cache
    from django.test import Client
    from django.urls import Resolver404, resolve

    try:
        resolve("/reports/")
    except Resolver404:
        return None
    client = Client(raise_request_exception=False)
    client.force_login(supervisor)
    path = f"/reports/?{urlencode(query)}"
    response = client.get(path)
    if response.status_code != 200:
        return {"path": path, "error": f"HTTP {response.status_code}"}
    if cold:
        cache.clear()
    queries = count_queries(lambda: client.get(path))
    samples = []
    for _ in range(runs):
        if cold:
            cache.clear()
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "path": path,
        "cache": "emptied before each load" if cold else "as the page leaves it",
        **summary(samples),
        "queries": queries,
        "bytes": len(response.content),
    }


def measure_warm(runs: int) -> dict | None:
    """What the refresh task spends warming the default dashboard after a refresh that
    changed something (``analytics.dashboard.dashboard_warm``), when the project has it."""
    from django.core.cache import cache

    try:
        from storedesk.analytics.dashboard import dashboard_warm
    except ImportError:
        return None
    samples = []
    for _ in range(runs):
        cache.clear()
        started = time.perf_counter()
        dashboard_warm()
        samples.append((time.perf_counter() - started) * 1000)
    return summary(samples)


def profile(function, label: str, stamp: str) -> dict:
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(function)
    seconds = time.perf_counter() - started
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"analytics-{stamp}-{label}.prof"
    profiler.dump_stats(path)
    out = {}
    for order in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(order).print_stats(18)
        out[order] = buffer.getvalue().splitlines()
    return {"seconds": round(seconds, 2), "file": str(path), "stats": out}


# --- The run --------------------------------------------------------------------------------


def measure_signals(now_t: int, seconds: float) -> dict:
    """What reading first messages costs: per conversation, and one refresh as the worker
    runs it while signals are pending (with its time budget)."""
    from storedesk.analytics import signal_services
    from storedesk.analytics.services import analytics_refresh

    now = from_epoch(now_t)
    result: dict = {"budget_s": seconds}
    try:
        pending = signal_services.signals_pending(now=now, limit=10**7)
        result["pending"] = len(pending)
        started = time.perf_counter()  # loads the embedder, trains the intent model
        signal_services.signals_compute(conversation_ids=pending[:5], now=now)
        result["warm_up_s"] = round(time.perf_counter() - started, 1)
        batch = pending[5:105]
        started = time.perf_counter()
        signal_services.signals_compute(conversation_ids=batch, now=now)
        per = (time.perf_counter() - started) * 1000 / max(1, len(batch))
        result["ms_per_conversation"] = round(per, 1)
        with Interference(backend_pid()) as load:
            started = time.perf_counter()
            outcome = analytics_refresh(now=now, signal_seconds=seconds)
            result["refresh_s"] = round(time.perf_counter() - started, 2)
        result["refresh_signals"] = outcome.signals
        result["refresh_days"] = outcome.days
        result["other_cpu_percent"] = load.other_percent
        result["catch_up_minutes"] = round(result["pending"] * per / 1000 / seconds, 0)
    except Exception as exc:  # the code under test may be mid-change
        result["error"] = f"{type(exc).__name__}: {exc}"[:300]
    return result


def _cell(r: dict) -> str:
    if "error" in r:
        return "error"
    return f"{r['p50_ms']:7.1f}/{r['p95_ms']:7.1f} ({r['queries']:2d}q)"


def print_report(report: dict) -> None:
    rows = report["rows"]
    print()
    print(
        f"storedesk analytics — {rows['conversations_conversation']:,} conversations, "
        f"{rows['conversations_message']:,} messages, "
        f"{rows['conversations_activityevent']:,} activity events "
        f"(PostgreSQL {report['postgres']}, {report['cpu_count']} cores)"
    )
    build = report["build"]
    if build:
        print(
            f"initial build: {build['seconds']:.1f} s for {build['conversations']:,} conversations "
            f"({build['conversations_per_s']:,.0f}/s), {build['days']} store-days; "
            f"SQL {build['sql_seconds']:.1f} s in {build['queries']:,} queries; "
            f"other processes {build['other_cpu_percent']} %"
        )
        print(f"  rows: {build['rows']}")
    for label, results in report["incremental"].items():
        for r in results:
            print(
                f"incremental ({label}): {r['seconds']:7.2f} s — "
                f"{r['conversations']:,} conversations, "
                f"{r['days']} store-days, SQL {r['sql_seconds']:.2f} s / {r['queries']:,} queries; "
                f"other {r['other_cpu_percent']} %"
            )
    print(f"signals: {report.get('signals')}")
    print()
    print("p50/p95 ms (queries of one call)")
    print(f"{'report':16}" + "".join(f"{scope[:26]:>28}" for scope in report["selectors"]))
    names = list(dict.fromkeys(n for rows in report["selectors"].values() for n in rows))
    for name in names:
        cells = [_cell(rows.get(name, {"error": ""})) for rows in report["selectors"].values()]
        print(f"{name:16}" + "".join(f"{c:>28}" for c in cells))
    print()
    for name, scopes in report["dashboard"].items():
        print(f"dashboard load: {name}")
        for scope, r in scopes.items():
            if "error" in r:
                print(f"  {scope:28} {r['error']}")
                continue
            print(
                f"  {scope:28} p50 {r['p50_ms']:8.1f} ms  p95 {r['p95_ms']:8.1f} ms  "
                f"({r['queries']} queries, SQL {r['sql_ms_one_load']} ms of one load)"
            )
    print()
    for name, r in report["api"].items():
        print(f"GET /api/v1/reports/{name:16} {_cell(r)}")
    if report["page"] is not None:
        print(f"GET /reports/ (supervisor): {_cell(report['page'])}")
        if report.get("page_cold"):
            print(f"GET /reports/, cache emptied before each load: {_cell(report['page_cold'])}")
    else:
        print("GET /reports/: no such page")
    if report.get("dashboard_warm"):
        warm = report["dashboard_warm"]
        print(f"warming the default dashboard: p50 {warm['p50_ms']} ms, p95 {warm['p95_ms']} ms")


ANALYTICS_TABLES = (
    "analytics_conversationfact",
    "analytics_dailyrollup",
    "analytics_tagdailyrollup",
    "analytics_issuedailyrollup",
    "analytics_agenthourrollup",
    "analytics_repeatcontact",
    "analytics_conversationtopic",
)
# Topics per store, as a clustering of a store's recent conversations gives about.
TOPICS_PER_STORE = 35


def write_topics(seed: int) -> dict:
    """Topics as a clustering leaves them: each store's most recent conversations (as many
    as a clustering samples) linked to one of ``TOPICS_PER_STORE`` topics, their sizes
    falling off like real ones. Written directly rather than clustered: clustering needs
    every first message embedded (26.6 ms each, hours for these), and the reports only read
    the topics and their links."""
    from django.utils import timezone

    from storedesk.analytics.models import ConversationTopic, Topic
    from storedesk.analytics.topic_services import MAX_SAMPLE
    from storedesk.conversations.models import Conversation
    from storedesk.stores.models import Store

    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(TOPICS_PER_STORE)]
    now = timezone.now()
    links = 0
    for store in Store.objects.order_by("pk"):
        ids = list(
            Conversation.objects.filter(store=store)
            .order_by("-created_at")
            .values_list("id", flat=True)[:MAX_SAMPLE]
        )
        topics = Topic.objects.bulk_create(
            Topic(
                store=store,
                label=f"topic {rank + 1}",
                terms=[f"word{rank + 1}"],
                centroid=b"",
                clustered_from=len(ids),
                created_at=now,
            )
            for rank in range(TOPICS_PER_STORE)
        )
        chosen = rng.choices(topics, weights, k=len(ids))
        ConversationTopic.objects.bulk_create(
            (
                ConversationTopic(conversation_id=pk, topic=topic, store=store, similarity=0.9)
                for pk, topic in zip(ids, chosen, strict=True)
            ),
            batch_size=5000,
        )
        for topic, size in Counter(chosen).items():
            Topic.objects.filter(pk=topic.pk).update(size=size)
        links += len(ids)
    return {"topics": TOPICS_PER_STORE * Store.objects.count(), "links": links}


def vacuum_analytics() -> None:
    """Autovacuum is off on the measuring machine: analyze what a refresh rewrote, as it
    would shortly after."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ANALYTICS_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=None, help="default: conversations / 5")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--updates", type=int, default=300, help="older conversations changed per day"
    )
    parser.add_argument("--increments", type=int, default=3)
    parser.add_argument("--signal-seconds", type=float, default=20)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--skip-generate", action="store_true", help="reuse the generated database")
    parser.add_argument(
        "--skip-build", action="store_true", help="keep the facts of an earlier run"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one more day's refresh and one load"
    )
    parser.add_argument("--quiet-wait", type=float, default=90)
    parser.add_argument("--database-url", default=f"{PG_URL}/{DATABASE}")
    args = parser.parse_args(argv)
    if args.contacts is None:
        args.contacts = max(1000, args.conversations // 5)
    assert database_name(args.database_url) != "test"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    started = time.perf_counter()

    if args.skip_generate:
        meta = read_meta(args.database_url)
        if not meta or not meta.get("complete"):
            sys.exit("no complete generated database: run without --skip-generate first")
        setup_django(args.database_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        if not args.skip_build:
            # Analytics tables hold only derived rows: build them from the current schema.
            call_command("migrate", "analytics", "zero", verbosity=0)
            call_command("migrate", verbosity=0)
    else:
        log(
            f"generating {args.conversations:,} conversations "
            f"into {database_name(args.database_url)}"
        )
        meta = generate(args, args.database_url)
        log(f"generated in {meta['total_s']} s: {meta['timings']}")
    report: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "code": code_origin(REPO_DIR),
        "postgres": pg_version(),
        "cpu_count": os.cpu_count(),
        "args": vars(args),
        "generation": {k: v for k, v in meta.items() if k != "complete"},
    }

    # Import every module measured now, so the whole run measures one version of the code.
    from django.urls import get_resolver

    import storedesk.analytics.api  # noqa: F401
    import storedesk.analytics.selectors  # noqa: F401

    get_resolver().url_patterns  # noqa: B018 - imports every view
    selector_functions()

    from storedesk.accounts.models import Agent
    from storedesk.accounts.services import api_token_create
    from storedesk.analytics.filters import ReportFilters
    from storedesk.analytics.models import ConversationFact
    from storedesk.analytics.services import analytics_refresh, analytics_reset

    clock = meta["clock"]
    world = World(meta["history_start"], clock + (args.increments + 40) * DAY)
    if not args.skip_generate or meta.get("checked") is None:
        log("checking the facts of every conversation against its messages and timeline")
        report["consistency_generated"] = consistency(args.database_url)
        log(f"  {report['consistency_generated']}")
        meta["checked"] = report["consistency_generated"]
        write_meta(args.database_url, meta)

    # 1. The initial build.
    report["build"] = None
    if not args.skip_build:
        if ConversationFact.objects.exists():
            analytics_reset()
        report["topics"] = write_topics(args.seed)
        log(f"topics written: {report['topics']}")
        vacuum_analytics()
        log(f"waiting for a quiet machine (at most {args.quiet_wait:.0f} s)")
        wait_for_quiet(args.quiet_wait)
        log("initial build: analytics_refresh() over every conversation")
        stop = threading.Event()
        watcher = threading.Thread(
            target=refresh_progress, args=(args.database_url, stop), daemon=True
        )
        watcher.start()
        try:
            build = timed_refresh(clock, "initial build")
        finally:
            stop.set()
        build["conversations_per_s"] = round(build["conversations"] / build["seconds"], 1)
        vacuum_analytics()
        build["rows"] = {k: v for k, v in table_rows().items() if k.startswith("analytics_")}
        build["checks"] = rollup_checks()
        report["build"] = build
        log(
            f"  {build['seconds']} s, {build['conversations']:,} conversations, "
            f"{build['days']} store-days"
        )
        log(f"  rollups against sources: {build['checks']}")

    # 2. Incremental refreshes: a day's new data, then a minute's.
    daily = round(meta["conversations"] / meta["days"])
    report["incremental"] = {"day": [], "minute": []}
    windows = [("day", DAY, daily, args.updates)] * args.increments
    windows += [("minute", 60, max(1, round(daily / 1440)), 1)] * args.increments
    if args.profile:
        windows.append(("profiled day", DAY, daily, args.updates))
    for label, length, n, changes in windows:
        added = add_window(
            args.database_url,
            world,
            args.seed + 100 + clock // 60,
            clock,
            clock + length,
            n,
            changes,
        )
        clock += length
        meta["clock"] = clock
        write_meta(args.database_url, meta)
        wait_for_quiet(min(args.quiet_wait, 30))
        if label == "profiled day":
            report["profile_refresh"] = profile(
                lambda clock=clock: analytics_refresh(now=from_epoch(clock), signal_seconds=0),
                "refresh",
                stamp,
            )
            continue
        number = len(report["incremental"][label]) + 1
        result = timed_refresh(clock, f"{label} {number}", explain_slowest=label == "day")
        result["added"] = added
        report["incremental"][label].append(result)
        log(
            f"incremental ({label}): {result['seconds']} s, "
            f"{result['conversations']} conversations, "
            f"{result['days']} store-days; added {added}"
        )
    report["consistency_end"] = consistency(args.database_url)
    log(f"facts against messages after the increments: {report['consistency_end']}")

    # 3. Reading first messages (signals), within the refresh's time budget.
    if args.signal_seconds > 0:
        log("signals: first messages read within the refresh's budget")
        report["signals"] = measure_signals(clock, args.signal_seconds)
        log(f"  {report['signals']}")

    # 4. Reports.
    admin = Agent.objects.get(username=ADMIN)
    supervisor = Agent.objects.get(username=SUPERVISOR)
    end = (from_epoch(clock) - dt.timedelta(days=1)).date()
    start = end - dt.timedelta(days=29)
    jadran = world.stores["jadran"]
    scopes = {
        "30 days, every store": (ReportFilters(start, end), args.runs),
        "30 days, one store": (ReportFilters(start, end, store_id=jadran), args.runs),
        "30 days, language zh-hans": (ReportFilters(start, end, language="zh-hans"), args.runs),
        "30 days, tag shipping": (ReportFilters(start, end, tag="shipping"), 5),
        "365 days, every store": (ReportFilters(end - dt.timedelta(days=364), end), 5),
    }
    log(f"waiting for a quiet machine (at most {args.quiet_wait:.0f} s)")
    wait_for_quiet(args.quiet_wait)
    log(f"report selectors, {start} to {end}")
    with Interference(backend_pid()) as load:
        report["selectors"] = measure_selectors(admin, scopes, args.runs)
    report["selectors_other_cpu_percent"] = load.other_percent
    report["dashboard"] = {}
    for name, function in dashboard_loads(admin).items():
        log(f"dashboard loads: {name}")
        with Interference(backend_pid()) as load:
            report["dashboard"][name] = measure_dashboard(function, scopes, args.runs)
        report[f"dashboard_other_cpu_percent ({name})"] = load.other_percent
    log("API endpoints and the reports page")
    _token, secret = api_token_create(agent=admin, name="bench")
    query = {"start": start.isoformat(), "end": end.isoformat()}
    with Interference(backend_pid()) as load:
        report["api"] = measure_api(secret, query, args.runs)
        report["page"] = measure_page(supervisor, query, args.runs)
        report["page_cold"] = measure_page(supervisor, query, args.runs, cold=True)
        report["dashboard_warm"] = measure_warm(max(3, args.runs // 4))
    report["api_other_cpu_percent"] = load.other_percent
    if args.profile:
        filters = scopes["30 days, every store"][0]
        for name, function in dashboard_loads(admin).items():
            report[f"profile_dashboard ({name})"] = profile(
                lambda function=function: function(filters), name.replace(" ", "-"), stamp
            )
    report["rows"] = table_rows()
    report["total_s"] = round(time.perf_counter() - started, 1)

    print_report(report)
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"analytics-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    log(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
