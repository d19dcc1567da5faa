"""Reports on what customers write about: customers back with the same issue, and the
topics, intents and tags of their conversations with the share of complaints. They read
conversation facts with their repeat and topic links, scoped like every other report."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Max, Q

from storedesk.analytics.filters import ReportFilters, require_reports
from storedesk.analytics.models import RepeatContact, Topic
from storedesk.analytics.selectors import (
    period_counts,
    period_of,
    repeat_window,
    scoped_facts,
)
from storedesk.analytics.totals import change, rate
from storedesk.conversations.models import Conversation

MAX_LISTED = 100
MAX_TOPICS = 20
EXAMPLES = 3


def _in_period(actor, filters: ReportFilters):
    return scoped_facts(actor, filters).filter(created_day__range=(filters.start, filters.end))


def _started(actor, filters: ReportFilters) -> dict:
    """Conversations started in the period, and how many of them were complaints and had
    strong negative sentiment (summed from the rollups)."""
    counts = period_counts(actor, filters)
    return {
        "n": counts["created"],
        "complaints": counts["complaints"],
        "negative": counts["negative"],
    }


def _repeats(actor, filters: ReportFilters, window: int):
    facts = _in_period(actor, filters)
    repeats = RepeatContact.objects.filter(
        conversation_id__in=facts.values("conversation_id"), seconds_after__lte=window * 86400
    )
    return facts, repeats


def report_repeat_contacts(*, actor, filters: ReportFilters, window_days: int | None = None):
    """Conversations started in the period by a customer whose similar issue (same intent,
    a shared tag or similar words) was resolved at most ``window_days`` before (default
    ``settings.REPEAT_WINDOW_DAYS``), across channels: count, rate among all conversations
    started, the previous period, the reasons, and the most recent ones."""
    require_reports(actor)
    window = repeat_window(window_days)
    _facts, repeats = _repeats(actor, filters, window)
    conversations, found = _started(actor, filters)["n"], repeats.count()
    _previous_facts, previous_repeats = _repeats(actor, filters.previous(), window)
    previous_conversations = _started(actor, filters.previous())["n"]
    previous_found = previous_repeats.count()
    by_reason = dict(
        repeats.values("reason").annotate(n=Count("conversation_id")).values_list("reason", "n")
    )
    listed = []
    for link in repeats.select_related(
        "conversation", "conversation__contact", "conversation__inbox", "earlier"
    ).order_by("-conversation__created_at")[:MAX_LISTED]:
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
    current_rate = rate(found, conversations)
    previous_rate = rate(previous_found, previous_conversations)
    return {
        "period": period_of(filters),
        "window_days": window,
        "conversations": conversations,
        "repeats": found,
        "repeat_rate": current_rate,
        "previous": {
            "conversations": previous_conversations,
            "repeats": previous_found,
            "repeat_rate": previous_rate,
        },
        "change": change(current_rate, previous_rate),
        "by_reason": by_reason,
        "list": listed,
    }


_SHARES = {
    "n": Count("conversation_id"),
    "complaints": Count("conversation_id", filter=Q(complaint=True)),
    "negative": Count("conversation_id", filter=Q(negative=True)),
}


def _topic_counts(facts) -> dict[int, dict]:
    return {
        row["conversation__topic_link__topic_id"]: row
        for row in facts.exclude(conversation__topic_link=None)
        .values("conversation__topic_link__topic_id")
        .annotate(**_SHARES)
    }


def report_complaints(*, actor, filters: ReportFilters) -> dict:
    """What customers wrote about in the period: topics found by clustering (label, words,
    conversations, the previous period's count and the change, complaint and negative
    shares, a count per day and recent examples), the intents read from first messages and
    the tags, plus the complaint and negative-sentiment share of all conversations. Topics
    are ordered by complaints, then size."""
    require_reports(actor)
    facts = _in_period(actor, filters)
    totals = _started(actor, filters)
    previous_totals = _started(actor, filters.previous())
    counts = _topic_counts(facts)
    previous_counts = _topic_counts(_in_period(actor, filters.previous()))
    order = sorted(counts, key=lambda t: (-counts[t]["complaints"], -counts[t]["n"]))[:MAX_TOPICS]
    topics = {t.pk: t for t in Topic.objects.filter(pk__in=order)}
    series: dict[int, dict] = defaultdict(dict)
    for row in (
        facts.filter(conversation__topic_link__topic_id__in=order)
        .values("conversation__topic_link__topic_id", "created_day")
        .annotate(n=Count("conversation_id"))
    ):
        series[row["conversation__topic_link__topic_id"]][row["created_day"]] = row["n"]
    examples: dict[int, list] = defaultdict(list)
    for topic_id, conversation_id, subject in (
        facts.filter(conversation__topic_link__topic_id__in=order)
        .order_by("-created_at")
        .values_list(
            "conversation__topic_link__topic_id", "conversation_id", "conversation__subject"
        )[: MAX_TOPICS * 20]
    ):
        if len(examples[topic_id]) < EXAMPLES:
            examples[topic_id].append({"conversation_id": conversation_id, "subject": subject})
    days = filters.day_list()
    topic_rows = []
    for topic_id in order:
        topic, row = topics.get(topic_id), counts[topic_id]
        if topic is None:
            continue  # re-clustered meanwhile
        before = previous_counts.get(topic_id, {}).get("n", 0)
        topic_rows.append(
            {
                "topic_id": topic_id,
                "label": topic.label,
                "terms": topic.terms,
                "intent": topic.intent,
                "conversations": row["n"],
                "previous": before,
                "change": change(row["n"], before),
                "complaints": row["complaints"],
                "complaint_share": rate(row["complaints"], row["n"]),
                "negative": row["negative"],
                "series": [series[topic_id].get(day, 0) for day in days],
                "examples": examples[topic_id],
            }
        )
    intents = [
        {
            "intent": row["intent"],
            "conversations": row["n"],
            "complaints": row["complaints"],
            "negative": row["negative"],
        }
        for row in facts.exclude(intent="").values("intent").annotate(**_SHARES).order_by("-n")[:15]
    ]
    tags = [
        {"tag": name, "conversations": n}
        for name, n in Conversation.tags.through.objects.filter(
            conversation_id__in=facts.values("conversation_id")
        )
        .values("tag__name")
        .annotate(n=Count("conversation_id"))
        .order_by("-n", "tag__name")
        .values_list("tag__name", "n")[:15]
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
        "tags": tags,
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
