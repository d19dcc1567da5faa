"""Reports on what customers write about: customers back with the same issue, and the
topics, intents and tags of their conversations with the share of complaints. They read
conversation facts with their repeat and topic links, scoped like every other report."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Max

from storedesk.analytics.filters import ReportFilters, dimension_q, require_reports
from storedesk.analytics.issue_counts import (
    IssueCounts,
    of_kind,
    period_issue_counts,
    topic_series,
)
from storedesk.analytics.models import IssueKind, RepeatContact, Topic
from storedesk.analytics.selectors import (
    period_counts,
    period_of,
    repeat_window,
    scoped_facts,
)
from storedesk.analytics.totals import change, rate
from storedesk.conversations.models import Tag

MAX_LISTED = 100
MAX_TOPICS = 20
EXAMPLES = 3


def _in_period(actor, filters: ReportFilters):
    return scoped_facts(actor, filters).filter(created_day__range=(filters.start, filters.end))


def _started(counts: Counter) -> dict:
    """Conversations started in a period, and how many of them were complaints and had
    strong negative sentiment, from its rollup counts (``selectors.period_counts``)."""
    return {
        "n": counts["created"],
        "complaints": counts["complaints"],
        "negative": counts["negative"],
    }


def _period_started(actor, filters: ReportFilters, started) -> tuple[dict, dict]:
    """``_started`` of the period and of the previous one (``started``: their rollup counts,
    when the caller has them)."""
    if started is None:
        started = (period_counts(actor, filters), period_counts(actor, filters.previous()))
    return _started(started[0]), _started(started[1])


def _repeat_list(actor, filters: ReportFilters, window: int) -> list[dict]:
    """The most recent repeat contacts started in the period (at most ``MAX_LISTED``): read
    newest first from their own index; joined with the facts only for the filters'
    dimensions."""
    store_only = ReportFilters(filters.start, filters.end, filters.store_id)
    repeats = RepeatContact.objects.filter(
        dimension_q(actor, store_only),
        created_day__range=(filters.start, filters.end),
        seconds_after__lte=window * 86400,
    )
    if filters != store_only:
        repeats = repeats.filter(
            conversation_id__in=_in_period(actor, filters).values("conversation_id")
        )
    listed = []
    for link in repeats.select_related(
        "conversation", "conversation__contact", "conversation__inbox", "earlier"
    ).order_by("-created_at", "-conversation_id")[:MAX_LISTED]:
        c, e = link.conversation, link.earlier
        listed.append(
            {
                "conversation_id": c.pk,
                "subject": c.subject,
                "contact_id": c.contact_id,
                "contact_name": c.contact.name,
                "channel": c.inbox.kind,
                "created_at": c.created_at.isoformat(),
                "earlier_id": e.pk,
                "earlier_subject": e.subject,
                "days_after": round(link.seconds_after / 86400, 1),
                "reason": link.reason,
                "detail": link.detail,
                "similarity": link.similarity,
            }
        )
    return listed


def report_repeat_contacts(
    *,
    actor,
    filters: ReportFilters,
    window_days: int | None = None,
    issues: tuple[IssueCounts, IssueCounts] | None = None,
    started: tuple[Counter, Counter] | None = None,
):
    """Conversations started in the period by a customer whose similar issue (same intent,
    a shared tag or similar words) was resolved at most ``window_days`` before (default
    ``settings.REPEAT_WINDOW_DAYS``), across channels: count, rate among all conversations
    started, the previous period, the reasons, and the most recent ones.

    ``issues`` (``issue_counts.period_issue_counts``) and ``started`` (the two periods'
    rollup counts) spare the queries when the caller has them."""
    require_reports(actor)
    window = repeat_window(window_days)
    current, previous = issues or period_issue_counts(actor, filters)
    this, before = _period_started(actor, filters, started)
    by_reason = {
        reason: shares[0]
        for reason, shares in of_kind(current, IssueKind.REPEAT, window=window).items()
    }
    found = sum(by_reason.values())
    previous_found = sum(
        shares[0] for shares in of_kind(previous, IssueKind.REPEAT, window=window).values()
    )
    current_rate = rate(found, this["n"])
    previous_rate = rate(previous_found, before["n"])
    return {
        "period": period_of(filters),
        "window_days": window,
        "conversations": this["n"],
        "repeats": found,
        "repeat_rate": current_rate,
        "previous": {
            "conversations": before["n"],
            "repeats": previous_found,
            "repeat_rate": previous_rate,
        },
        "change": change(current_rate, previous_rate),
        "by_reason": by_reason,
        "list": _repeat_list(actor, filters, window),
    }


def _examples(actor, filters: ReportFilters, topic_ids: list[int]) -> dict[int, list]:
    """The most recent conversations of each topic (at most ``EXAMPLES``)."""
    examples: dict[int, list] = defaultdict(list)
    for topic_id, conversation_id, subject in (
        _in_period(actor, filters)
        .filter(conversation__topic_link__topic_id__in=topic_ids)
        .order_by("-created_at")
        .values_list(
            "conversation__topic_link__topic_id", "conversation_id", "conversation__subject"
        )[: MAX_TOPICS * 20]
    ):
        if len(examples[topic_id]) < EXAMPLES:
            examples[topic_id].append({"conversation_id": conversation_id, "subject": subject})
    return examples


def _top(counts: dict[str, list], limit: int) -> list[tuple[str, list]]:
    """The ``limit`` keys with the most conversations (ties by key)."""
    return sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))[:limit]


def _tag_rows(counts: IssueCounts) -> list[dict]:
    """Conversations per tag name (a store's tags of the same name, together)."""
    per_tag = of_kind(counts, IssueKind.TAG)
    names = dict(Tag.objects.filter(pk__in=[int(key) for key in per_tag]).values_list("pk", "name"))
    by_name: dict[str, list[int]] = {}
    for key, shares in per_tag.items():
        name = names.get(int(key))
        if name is not None:
            total = by_name.setdefault(name, [0, 0, 0])
            total[0] += shares[0]
    return [{"tag": name, "conversations": shares[0]} for name, shares in _top(by_name, 15)]


def report_complaints(
    *,
    actor,
    filters: ReportFilters,
    issues: tuple[IssueCounts, IssueCounts] | None = None,
    started: tuple[Counter, Counter] | None = None,
) -> dict:
    """What customers wrote about in the period: topics found by clustering (label, words,
    conversations, the previous period's count and the change, complaint and negative
    shares, a count per day and recent examples), the intents read from first messages and
    the tags, plus the complaint and negative-sentiment share of all conversations. Topics
    are ordered by complaints, then size. ``issues`` and ``started`` as for
    ``report_repeat_contacts``."""
    require_reports(actor)
    current, previous = issues or period_issue_counts(actor, filters)
    totals, previous_totals = _period_started(actor, filters, started)
    counts = of_kind(current, IssueKind.TOPIC)
    previous_counts = of_kind(previous, IssueKind.TOPIC)
    order = [
        int(key)
        for key in sorted(counts, key=lambda t: (-counts[t][1], -counts[t][0], int(t)))[:MAX_TOPICS]
    ]
    topics = {t.pk: t for t in Topic.objects.filter(pk__in=order)}
    order = [topic_id for topic_id in order if topic_id in topics]  # re-clustered meanwhile
    series = topic_series(actor, filters, order)
    examples = _examples(actor, filters, order)
    days = filters.day_list()
    topic_rows = []
    for topic_id in order:
        topic = topics[topic_id]
        n, complaints, negative = counts[str(topic_id)]
        before = previous_counts.get(str(topic_id), [0])[0]
        topic_rows.append(
            {
                "topic_id": topic_id,
                "label": topic.label,
                "terms": topic.terms,
                "intent": topic.intent,
                "conversations": n,
                "previous": before,
                "change": change(n, before),
                "complaints": complaints,
                "complaint_share": rate(complaints, n),
                "negative": negative,
                "series": [series[topic_id].get(day, 0) for day in days],
                "examples": examples[topic_id],
            }
        )
    intents = [
        {"intent": intent, "conversations": n, "complaints": complaints, "negative": negative}
        for intent, (n, complaints, negative) in _top(of_kind(current, IssueKind.INTENT), 15)
    ]
    clustered = Topic.objects.aggregate(at=Max("created_at"))["at"]
    return {
        "period": period_of(filters),
        "conversations": totals["n"],
        "complaints": totals["complaints"],
        "complaint_share": rate(totals["complaints"], totals["n"]),
        "negative": totals["negative"],
        "negative_share": rate(totals["negative"], totals["n"]),
        "previous": {
            "conversations": previous_totals["n"],
            "complaints": previous_totals["complaints"],
            "complaint_share": rate(previous_totals["complaints"], previous_totals["n"]),
            "negative": previous_totals["negative"],
        },
        "topics": topic_rows,
        "intents": intents,
        "tags": _tag_rows(current),
        "clustered_at": clustered.isoformat() if clustered else None,
    }


def conversation_repeat_links(*, actor, conversation) -> dict:
    """For the conversation page: the resolved conversation this one may repeat, and the
    later ones that may repeat it (within ``settings.REPEAT_WINDOW_DAYS``; only what
    ``actor`` may see). Two queries."""
    from storedesk.accounts.selectors import scope_to_stores

    seconds = repeat_window(None) * 86400
    links = scope_to_stores(RepeatContact.objects.all(), actor).filter(seconds_after__lte=seconds)
    earlier = links.filter(conversation_id=conversation.pk).select_related("earlier").first()
    later = list(
        links.filter(earlier_id=conversation.pk)
        .select_related("conversation")
        .order_by("conversation__created_at")[:5]
    )
    return {"repeats": earlier, "repeated_by": later}
