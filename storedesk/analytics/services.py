"""The one place analytics rows are written: conversation facts, then the rollups of the
local days they touch.

Analytics does not react to events one by one: ``analytics_refresh`` (every minute, and
after the demo loads) folds in every conversation whose ``updated_at`` moved since its
watermark. Every state change of a conversation stamps ``updated_at``, so nothing is
missed, a lost run loses nothing (the next one catches up), and no task is queued on the
path of each message. Facts and rollups are recomputed from the source rows, never
incremented, so a refresh may run twice over the same conversations.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q
from django.db.models.functions import ExtractHour
from django.utils import timezone

from storedesk.analytics import buckets
from storedesk.analytics.models import (
    ROLLUP_FORMAT,
    AgentHourRollup,
    ConversationFact,
    ConversationSignal,
    ConversationTopic,
    DailyRollup,
    IssueDailyRollup,
    RefreshState,
    RepeatContact,
    TagDailyRollup,
    Topic,
)
from storedesk.analytics.rollup_services import (
    CREATED_FIELDS,
    day_tags,
    db_day,
    issue_rollups_refresh,
    issue_rows,
    replace_day_rows,
    topic_days,
)
from storedesk.analytics.signal_services import repeats_detect, signals_compute_pending
from storedesk.analytics.topic_services import topics_assign, topics_cluster, topics_due
from storedesk.analytics.totals import COUNTS, pack_distributions
from storedesk.assistant.models import (
    AssistantAnswer,
    AssistantSession,
    HandoffReason,
    SessionState,
)
from storedesk.conversations.enums import MessageKind, SenderType
from storedesk.conversations.models import Conversation, Message
from storedesk.stores.hours import business_seconds_between
from storedesk.stores.models import Store

# Conversations folded per transaction.
BATCH = 2000
# A conversation changed in a transaction that committed late carries an ``updated_at``
# slightly before the watermark; this much is read again every time.
OVERLAP = dt.timedelta(minutes=2)
# A refresh claims the work for this long; a crashed one is taken over after it.
LEASE = dt.timedelta(minutes=10)
# A conversation whose dimensions changed re-counts its messages on at most this many days.
MAX_MESSAGE_DAYS = 92
# Rollups of an earlier format are rebuilt this many store-days at a time, for at most this
# long per refresh (about 0.2 s a store-day at a million conversations), so an upgrade never
# holds up the every-minute refresh for long.
UPGRADE_BATCH = 20
UPGRADE_SECONDS = 30.0

DIMENSIONS = ("inbox_id", "channel", "team_id", "agent_id", "language")
# Tags that mark a complaint (beside the intent the first message or the assistant read).
COMPLAINT_TAGS = frozenset(
    {"complaint", "complaints", "pritužba", "pritužbe", "reklamacija", "投诉"}
)


@dataclasses.dataclass
class RefreshOutcome:
    conversations: int = 0
    days: int = 0
    seconds: float = 0.0
    signals: int = 0  # conversations whose first message was read this time
    clustered: int = 0  # stores whose topics were clustered again
    skipped: bool = False  # another refresh holds the lease

    @property
    def changed(self) -> bool:
        """Whether facts, rollups or topics may have changed (reports computed before may
        be out of date)."""
        return bool(self.conversations or self.signals or self.clustered)


# --- Facts ----------------------------------------------------------------------------------


class _StoreClock:
    """A store's time zone and business hours, looked up once per refresh."""

    def __init__(self, store: Store):
        self.store = store
        self.zone = ZoneInfo(store.time_zone or "UTC")

    def local(self, at: dt.datetime | None) -> dt.datetime | None:
        return at.astimezone(self.zone) if at is not None else None

    def day(self, at: dt.datetime | None) -> dt.date | None:
        return at.astimezone(self.zone).date() if at is not None else None

    def day_bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(day, dt.time.min, self.zone)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, self.zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def durations(self, start, end) -> tuple[int | None, int | None]:
        if start is None or end is None:
            return None, None
        calendar = max(0, int((end - start).total_seconds()))
        business = int(business_seconds_between(self.store, start, end))
        return calendar, business


def _clocks(store_ids: Iterable[int]) -> dict[int, _StoreClock]:
    return {store.pk: _StoreClock(store) for store in Store.objects.filter(pk__in=set(store_ids))}


def _facts_for(conversation_ids: list[int], clocks: dict[int, _StoreClock], now):
    """The fact rows of these conversations, computed from the source rows (5 queries)."""
    conversations = list(
        Conversation.objects.filter(pk__in=conversation_ids).values(
            "id",
            "store_id",
            "inbox_id",
            "inbox__kind",
            "contact_id",
            "team_id",
            "assignee_id",
            "language",
            "status",
            "created_at",
            "first_response_at",
            "resolved_at",
            "reopened_count",
            "last_message_at",
        )
    )
    messages = Message.objects.filter(conversation_id__in=conversation_ids)
    counts: dict[int, Counter] = defaultdict(Counter)
    for row in messages.values("conversation_id", "kind", "sender_type").annotate(n=Count("id")):
        counts[row["conversation_id"]][(row["kind"], row["sender_type"])] = row["n"]
    first_replies = (
        messages.filter(kind=MessageKind.OUTBOUND, sender_type=SenderType.AGENT)
        .values("conversation_id")
        .annotate(first=Min("id"))
        .values_list("first", flat=True)
    )
    responders = dict(
        Message.objects.filter(pk__in=list(first_replies)).values_list(
            "conversation_id", "sender_agent_id"
        )
    )
    sessions = {
        row["conversation_id"]: row
        for row in AssistantSession.objects.filter(conversation_id__in=conversation_ids).values(
            "conversation_id", "state", "handoff_reason", "last_intent", "pending_intent"
        )
    }
    answers: dict[int, Counter] = defaultdict(Counter)
    for conversation_id, helpful in AssistantAnswer.objects.filter(
        session__conversation_id__in=conversation_ids, helpful__isnull=False
    ).values_list("session__conversation_id", "helpful"):
        answers[conversation_id]["rated"] += 1
        answers[conversation_id]["helpful"] += helpful
    complaint_tagged = set(
        Conversation.tags.through.objects.filter(
            conversation_id__in=conversation_ids, tag__name__in=COMPLAINT_TAGS
        ).values_list("conversation_id", flat=True)
    )
    # What the first message was read as (intent, strongly negative), once computed.
    signals = {
        row[0]: row[1:]
        for row in ConversationSignal.objects.filter(
            conversation_id__in=conversation_ids
        ).values_list("conversation_id", "intent", "negative")
    }
    facts = []
    for c in conversations:
        clock = clocks[c["store_id"]]
        created_local = clock.local(c["created_at"])
        frt, frt_business = clock.durations(c["created_at"], c["first_response_at"])
        resolution, resolution_business = clock.durations(c["created_at"], c["resolved_at"])
        n = counts[c["id"]]
        session = sessions.get(c["id"])
        signal_intent, signal_negative = signals.get(c["id"], ("", False))
        intent = (session["pending_intent"] or session["last_intent"]) if session else ""
        intent = intent or signal_intent
        reason = session["handoff_reason"] if session else ""
        facts.append(
            ConversationFact(
                conversation_id=c["id"],
                store_id=c["store_id"],
                inbox_id=c["inbox_id"],
                channel=c["inbox__kind"],
                contact_id=c["contact_id"],
                team_id=c["team_id"],
                agent_id=c["assignee_id"],
                language=c["language"],
                status=c["status"],
                created_at=c["created_at"],
                created_day=created_local.date(),
                created_hour=created_local.hour,
                first_response_at=c["first_response_at"],
                first_response_day=clock.day(c["first_response_at"]),
                first_response_seconds=frt,
                first_response_business_seconds=frt_business,
                first_response_bucket=_bucket(frt),
                first_response_business_bucket=_bucket(frt_business),
                first_responder_id=responders.get(c["id"]),
                resolved_at=c["resolved_at"],
                resolved_day=clock.day(c["resolved_at"]),
                resolution_seconds=resolution,
                resolution_business_seconds=resolution_business,
                resolution_bucket=_bucket(resolution),
                resolution_business_bucket=_bucket(resolution_business),
                reopened_count=c["reopened_count"],
                messages_in=n[(MessageKind.INBOUND, SenderType.CONTACT)],
                agent_replies=n[(MessageKind.OUTBOUND, SenderType.AGENT)],
                assistant_replies=n[(MessageKind.OUTBOUND, SenderType.ASSISTANT)],
                last_message_at=c["last_message_at"],
                last_message_day=clock.day(c["last_message_at"]),
                assistant_state=session["state"] if session else "",
                handoff_reason=reason,
                intent=intent[:40],
                complaint=intent == "complaint"
                or reason == HandoffReason.COMPLAINT
                or c["id"] in complaint_tagged,
                negative=reason == HandoffReason.NEGATIVE or signal_negative,
                answers_rated=answers[c["id"]]["rated"],
                answers_helpful=answers[c["id"]]["helpful"],
                refreshed_at=now,
            )
        )
    return facts


def _bucket(seconds: int | None) -> int | None:
    return None if seconds is None else buckets.bucket_of(seconds)


def _dims(fact) -> tuple:
    if isinstance(fact, dict):
        return tuple(fact[d] for d in DIMENSIONS)
    return tuple(getattr(fact, d) for d in DIMENSIONS)


def _days_touched(old: dict | None, new: ConversationFact | None) -> set[dt.date]:
    """The local days whose rollups change when ``old`` becomes ``new``."""
    days: set[dt.date] = set()
    for fact in (old, new):
        if fact is None:
            continue
        get = fact.get if isinstance(fact, dict) else lambda name, f=fact: getattr(f, name)
        days.update(
            d
            for d in (get("created_day"), get("first_response_day"), get("resolved_day"))
            if d is not None
        )
    if new is None or new.last_message_day is None:
        return days
    # Messages count on the day they were written: the days since the last refresh saw the
    # conversation, or all of its days when it now counts under other dimensions.
    if old is None or _dims(old) != _dims(new) or old["last_message_day"] is None:
        first = new.created_day
    else:
        first = old["last_message_day"]
    first = max(first, new.last_message_day - dt.timedelta(days=MAX_MESSAGE_DAYS))
    span = (new.last_message_day - first).days
    days.update(first + dt.timedelta(days=i) for i in range(span + 1))
    return days


def facts_refresh(*, conversation_ids: list[int], now=None) -> set[tuple[int, dt.date]]:
    """Recompute the facts of these conversations (idempotent) and return the
    ``(store id, local day)`` pairs whose rollups must be recomputed."""
    now = now or timezone.now()
    ids = list(dict.fromkeys(conversation_ids))
    if not ids:
        return set()
    fields = ("conversation_id", "store_id", "created_day", "first_response_day")
    fields += ("resolved_day", "last_message_day", *DIMENSIONS)
    with transaction.atomic():
        old = {
            row["conversation_id"]: row
            for row in ConversationFact.objects.filter(conversation_id__in=ids).values(*fields)
        }
        store_ids = set(
            Conversation.objects.filter(pk__in=ids).values_list("store_id", flat=True)
        ) | {row["store_id"] for row in old.values()}
        facts = _facts_for(ids, _clocks(store_ids), now)
        ConversationFact.objects.filter(conversation_id__in=ids).delete()
        ConversationFact.objects.bulk_create(facts, batch_size=500)
    touched: set[tuple[int, dt.date]] = set()
    new = {fact.conversation_id: fact for fact in facts}
    for conversation_id in ids:
        before, after = old.get(conversation_id), new.get(conversation_id)
        store_id = after.store_id if after else before["store_id"] if before else None
        if store_id is not None:
            touched.update((store_id, day) for day in _days_touched(before, after))
    return touched


# --- Rollups --------------------------------------------------------------------------------


class _Counts:
    """The counts of one rollup row being counted (``COUNTS``, as attributes)."""

    __slots__ = COUNTS

    def __init__(self):
        for name in COUNTS:
            setattr(self, name, 0)


class _DayRows:
    """The rollup rows of one store-day being counted, by key (the dimensions, and for tag
    rollups the tag id after them), with their distributions."""

    def __init__(self, model, store_id: int, day: dt.date):
        self.model, self.store_id, self.day = model, store_id, day
        self.rows: dict[tuple, _Counts] = {}
        self.distributions: dict[tuple, dict[str, Counter]] = defaultdict(
            lambda: defaultdict(Counter)
        )

    def row(self, key: tuple) -> tuple[_Counts, dict[str, Counter]]:
        """The counts of ``key`` (created on first use) and its distributions."""
        found = self.rows.get(key)
        if found is None:
            found = self.rows[key] = _Counts()
        return found, self.distributions[key]

    def columns(self) -> tuple[str, ...]:
        tag = ("tag",) if self.model is TagDailyRollup else ()
        return ("store", "day", *DIMENSIONS, *tag, *COUNTS, "distributions")

    def finished(self) -> tuple:
        """``(model, columns, rows)`` for ``rollup_services.replace_day_rows``."""
        day = db_day(self.day)
        rows = [
            (
                self.store_id,
                day,
                *key,
                *(getattr(counts, name) for name in COUNTS),
                pack_distributions(self.distributions.get(key, {})),
            )
            for key, counts in self.rows.items()
        ]
        return self.model, self.columns(), rows


def _daily_rows(store_id: int, day: dt.date, clock: _StoreClock) -> tuple[tuple, tuple, tuple]:
    """The store-day's daily, tag and issue rollup rows, counted from the facts (and, for
    daily rows, the day's messages), each as ``(model, columns, rows)``."""
    plain = _DayRows(DailyRollup, store_id, day)
    tagged = _DayRows(TagDailyRollup, store_id, day)
    tags = day_tags(store_id, day, counted=True)

    def targets(f, *, tags_only: bool = False):
        dims = _dims(f)
        if not tags_only:
            yield plain.row(dims)
        for tag_id in tags.get(f["conversation_id"], ()):
            yield tagged.row((*dims, tag_id))

    facts = ConversationFact.objects.filter(store_id=store_id)
    created = list(
        facts.filter(created_day=day).values(
            *CREATED_FIELDS,
            "team_id",
            "agent_id",
            "created_hour",
            "resolved_at",
            "assistant_state",
            "handoff_reason",
            "answers_rated",
            "answers_helpful",
            "messages_in",
            "agent_replies",
            "assistant_replies",
        )
    )
    week_hour = day.weekday() * 24
    for f in created:
        for r, hists in targets(f):
            if f["handoff_reason"]:
                hists["handoffs"][f["handoff_reason"]] += 1
            hists["created_hours"][week_hour + f["created_hour"]] += 1
            r.created += 1
            r.created_resolved += f["resolved_at"] is not None
            r.assistant_handled += bool(f["assistant_state"])
            r.assistant_resolved += f["assistant_state"] == SessionState.RESOLVED
            r.complaints += f["complaint"]
            r.negative += f["negative"]
            r.answers_rated += f["answers_rated"]
            r.answers_helpful += f["answers_helpful"]
        # Tag rollups count a conversation's messages on the day it started, as its fact
        # keeps them (daily rollups count each message on its own day, below).
        for r, _hists in targets(f, tags_only=True):
            r.messages_in += f["messages_in"]
            r.agent_replies += f["agent_replies"]
            r.assistant_replies += f["assistant_replies"]
    for f in facts.filter(first_response_day=day).values(
        "conversation_id",
        *DIMENSIONS,
        "first_response_seconds",
        "first_response_business_seconds",
        "first_response_bucket",
        "first_response_business_bucket",
    ):
        for r, hists in targets(f):
            hists["first_response_hist"][f["first_response_bucket"]] += 1
            hists["first_response_business_hist"][f["first_response_business_bucket"]] += 1
            r.first_responses += 1
            r.first_response_seconds += f["first_response_seconds"]
            r.first_response_business_seconds += f["first_response_business_seconds"]
    for f in facts.filter(resolved_day=day).values(
        "conversation_id",
        *DIMENSIONS,
        "resolution_seconds",
        "resolution_business_seconds",
        "reopened_count",
        "agent_replies",
        "resolution_bucket",
        "resolution_business_bucket",
    ):
        for r, hists in targets(f):
            hists["resolution_hist"][f["resolution_bucket"]] += 1
            hists["resolution_business_hist"][f["resolution_business_bucket"]] += 1
            r.resolved += 1
            r.resolution_seconds += f["resolution_seconds"]
            r.resolution_business_seconds += f["resolution_business_seconds"]
            r.resolved_reopened += f["reopened_count"] > 0
            r.one_touch += f["agent_replies"] == 1 and f["reopened_count"] == 0
    for (dims, measure), n in _message_counts(store_id, day, clock).items():
        r, _hists = plain.row(dims)
        setattr(r, measure, getattr(r, measure) + n)
    return (
        plain.finished(),
        tagged.finished(),
        issue_rows(store_id, day, created, tags),
    )


_MESSAGE_MEASURES = {
    (MessageKind.INBOUND, SenderType.CONTACT): "messages_in",
    (MessageKind.OUTBOUND, SenderType.AGENT): "agent_replies",
    (MessageKind.OUTBOUND, SenderType.ASSISTANT): "assistant_replies",
}


def _day_messages(store_id: int, day: dt.date, clock: _StoreClock):
    start, end = clock.day_bounds(day)
    return Message.objects.filter(
        store_id=store_id,
        created_at__gte=start,
        created_at__lt=end,
        kind__in=(MessageKind.INBOUND, MessageKind.OUTBOUND),
    )


def _fact_dims(conversation_ids: list[int]) -> dict[int, tuple]:
    """The dimensions of these conversations' facts. On PostgreSQL the ids go as one array
    parameter: an ``IN`` list of a day's few thousand ids cost more to build and parse than
    to run, and a join with the messages let the planner scan every fact."""
    if connection.vendor != "postgresql":
        facts = ConversationFact.objects.filter(conversation_id__in=conversation_ids)
        return {row[0]: row[1:] for row in facts.values_list("conversation_id", *DIMENSIONS)}
    quote = connection.ops.quote_name
    fact = ConversationFact._meta
    dims = ", ".join(quote(fact.get_field(name).column) for name in DIMENSIONS)
    sql = (
        f"SELECT conversation_id, {dims} FROM {quote(fact.db_table)} "  # noqa: S608
        "WHERE conversation_id = ANY(%s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [conversation_ids])
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _message_counts(store_id: int, day: dt.date, clock: _StoreClock) -> Counter:
    """Messages written that local day, per (conversation dimensions, measure): counted
    per conversation in the database, then added up under each conversation's dimensions."""
    per_conversation = list(
        _day_messages(store_id, day, clock)
        .values_list("conversation_id", "kind", "sender_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    dims = _fact_dims(list({row[0] for row in per_conversation}))
    result: Counter = Counter()
    for conversation_id, kind, sender_type, n in per_conversation:
        measure = _MESSAGE_MEASURES.get((kind, sender_type))
        if measure and conversation_id in dims:
            result[(dims[conversation_id], measure)] += n
    return result


def _agent_hour_rows(store_id: int, day: dt.date, clock: _StoreClock) -> tuple:
    """Each agent's replies per local hour of the store-day, counted in the database, as
    ``(model, columns, rows)`` for ``rollup_services.replace_day_rows``."""
    counts = (
        _day_messages(store_id, day, clock)
        .filter(kind=MessageKind.OUTBOUND, sender_type=SenderType.AGENT)
        .exclude(sender_agent_id=None)
        .values_list("sender_agent_id", ExtractHour("created_at", tzinfo=clock.zone))
        .annotate(n=Count("id"))
        .order_by()
    )
    columns = ("store", "day", "hour", "weekday", "agent_id", "replies")
    on = db_day(day)
    rows = [(store_id, on, hour, day.weekday(), agent_id, n) for agent_id, hour, n in counts]
    return AgentHourRollup, columns, rows


def rollups_refresh(*, days: Iterable[tuple[int, dt.date]]) -> int:
    """Recompute the rollup rows of these ``(store id, local day)`` pairs from the facts and
    messages; each day is replaced in its own transaction. Returns how many days."""
    pairs = sorted(set(days))
    clocks = _clocks(store_id for store_id, _ in pairs)
    for store_id, day in pairs:
        clock = clocks.get(store_id)
        if clock is None:
            continue  # the store is gone, and its rollups with it
        tables = (*_daily_rows(store_id, day, clock), _agent_hour_rows(store_id, day, clock))
        replace_day_rows(store_id, day, tables)
    return len(pairs)


# --- The refresh ----------------------------------------------------------------------------


def _claim(now) -> tuple[RefreshState, str] | None:
    RefreshState.objects.get_or_create(pk=1)
    token = uuid.uuid4().hex
    claimed = RefreshState.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=1
    ).update(lease_until=now + LEASE, lease_token=token)
    if not claimed:
        return None
    return RefreshState.objects.get(pk=1), token


def analytics_refresh(
    *, now=None, batch: int = BATCH, signal_seconds: float | None = None
) -> RefreshOutcome:
    """Fold every conversation changed since the last refresh into facts and rollups, then
    spend up to ``signal_seconds`` (default ``settings.ANALYTICS_SIGNAL_SECONDS``; 0 skips
    it) reading what new conversations are about: signals, repeat contacts and topics.

    The first run (or one after ``analytics_reset``) covers every conversation. Only one
    refresh runs at a time (a lease on ``RefreshState``); a second caller returns at once
    with ``skipped``. Idempotent: running it again changes nothing.
    """
    started = time.monotonic()
    now = now or timezone.now()
    if signal_seconds is None:
        signal_seconds = settings.ANALYTICS_SIGNAL_SECONDS
    claimed = _claim(now)
    if claimed is None:
        return RefreshOutcome(skipped=True)
    state, token = claimed
    outcome = RefreshOutcome()
    try:
        touched: set[tuple[int, dt.date]] = set()
        for ids in _changed_batches(state.watermark, now, batch):
            touched |= facts_refresh(conversation_ids=ids, now=now)
            repeats_detect(conversation_ids=ids, now=now)
            outcome.conversations += len(ids)
        outcome.days = rollups_refresh(days=touched)
        if state.rollup_format < ROLLUP_FORMAT:
            outcome.days += _rollups_upgrade(started + UPGRADE_SECONDS)
        # The reports are up to date from here; what follows refines them.
        if signal_seconds > 0:
            computed = signals_compute_pending(now=now, seconds=signal_seconds)
            touched = set()
            for start in range(0, len(computed), batch):
                ids = computed[start : start + batch]
                touched |= facts_refresh(conversation_ids=ids, now=now)
                repeats_detect(conversation_ids=ids, now=now)
            # Topics before the rollups: the new conversations' days are rebuilt with their
            # topics; a clustering moves the topics of the store's other days too.
            regrouped: set[tuple[int, dt.date]] = set()
            for store_id in topics_due(now=now):
                regrouped |= topic_days(store_id)
                topics_cluster(store_id=store_id, now=now)
                regrouped |= topic_days(store_id)
                outcome.clustered += 1
            topics_assign(conversation_ids=computed)
            rollups_refresh(days=touched)
            issue_rollups_refresh(days=regrouped - touched)
            outcome.signals = len(computed)
    finally:
        outcome.seconds = time.monotonic() - started
        RefreshState.objects.filter(pk=1, lease_token=token).update(
            lease_until=None, lease_token=""
        )
    changed = {"version": F("version") + 1} if outcome.changed else {}
    RefreshState.objects.filter(pk=1).update(
        watermark=now,
        refreshed_at=timezone.now(),
        last_duration_ms=int(outcome.seconds * 1000),
        last_conversations=outcome.conversations,
        **changed,
    )
    return outcome


def _rollups_upgrade(deadline: float) -> int:
    """Rebuild the store-days whose rollups were written before ``ROLLUP_FORMAT`` (newest
    first: the reports most read) until ``deadline`` (``time.monotonic()``); once none is
    left, record the format, and reports read distributions from the rollups. Returns how
    many store-days were rebuilt."""
    rebuilt = 0
    while time.monotonic() < deadline:
        days = list(
            DailyRollup.objects.filter(distributions__isnull=True)
            .values_list("store_id", "day")
            .order_by("-day", "store_id")
            .distinct()[:UPGRADE_BATCH]
        )
        if not days:
            RefreshState.objects.filter(pk=1).update(rollup_format=ROLLUP_FORMAT)
            break
        rebuilt += rollups_refresh(days=days)
    return rebuilt


def _changed_batches(watermark, now, batch: int):
    """Ids of the conversations changed since ``watermark`` (all when None) up to ``now``,
    in batches, oldest change first."""
    changed = Conversation.objects.order_by("updated_at", "id").filter(updated_at__lte=now)
    if watermark is not None:
        changed = changed.filter(updated_at__gte=watermark - OVERLAP)
    after = None
    while True:
        page = changed
        if after is not None:
            page = page.filter(Q(updated_at__gt=after[0]) | Q(updated_at=after[0], id__gt=after[1]))
        rows = list(page.values_list("updated_at", "id")[:batch])
        if not rows:
            return
        yield [pk for _, pk in rows]
        after = rows[-1]


def analytics_reset() -> None:
    """Forget every fact and rollup; the next refresh rebuilds them all."""
    with transaction.atomic():
        for model in (
            AgentHourRollup,
            IssueDailyRollup,
            TagDailyRollup,
            DailyRollup,
            RepeatContact,
            ConversationTopic,
            Topic,
            ConversationSignal,
            ConversationFact,
        ):
            model.objects.all().delete()
        RefreshState.objects.update_or_create(
            pk=1, defaults={"watermark": None, "lease_until": None, "lease_token": ""}
        )
