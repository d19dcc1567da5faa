"""What each conversation is about (``ConversationSignal``) and whether a customer came back
with the same issue (``RepeatContact``). Both are written only here, inside the analytics
refresh (which holds its lease), and both can be recomputed at any time.

A signal costs an embedding and an intent prediction of the first customer message (about
20-40 ms on one CPU core), so the refresh computes them within a time budget, newest
conversations first, and catches up over the following runs.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

import numpy as np
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from storedesk.analytics.models import (
    ConversationFact,
    ConversationSignal,
    RepeatContact,
    RepeatReason,
)
from storedesk.conversations.enums import MessageKind
from storedesk.conversations.models import Conversation, Message

# Conversations older than this get no signal (repeats look back 30 days, topics 90).
SIGNAL_DAYS = 120
# A repeat is a new conversation started at most this long after a resolution; reports
# choose a shorter window (7 days by default).
MAX_REPEAT_DAYS = 30
# Two first messages this similar (query embeddings of multilingual-e5-small) say the same
# thing: measured paraphrases across en/hr/zh score 0.87-0.96, different requests of the
# same shop 0.77-0.88 (docs/analytics.md).
REPEAT_TEXT_FLOOR = 0.90
# A tag both conversations share counts when their first messages are at least this
# similar (when both are embedded): tags also name customers ("vip") and broad areas
# ("shipping"), and two different requests of one shop score up to 0.83-0.88.
REPEAT_TAG_FLOOR = 0.85
# Intents that say nothing about the issue itself.
GENERIC_INTENTS = frozenset({"", "out_of_scope", "contact_human_agent", "complaint"})


def signals_pending(*, now, limit: int) -> list[int]:
    """Conversations of the last ``SIGNAL_DAYS`` days with facts but no signal, newest
    first."""
    return list(
        ConversationFact.objects.filter(
            created_at__gte=now - dt.timedelta(days=SIGNAL_DAYS),
            conversation__analytics_signal__isnull=True,
        )
        .order_by("-created_at")
        .values_list("conversation_id", flat=True)[:limit]
    )


def _first_messages(conversation_ids: list[int]) -> dict[int, str]:
    firsts = (
        Message.objects.filter(conversation_id__in=conversation_ids, kind=MessageKind.INBOUND)
        .values("conversation_id")
        .annotate(first=Min("id"))
        .values_list("first", flat=True)
    )
    return dict(Message.objects.filter(pk__in=list(firsts)).values_list("conversation_id", "text"))


def _locale(text: str, language: str, store) -> str:
    from storedesk.search.language import detected_locale, matching_locale

    locales = store.locales
    found = matching_locale(language, locales) if language else None
    return found or detected_locale(text, locales) or store.default_locale


def signals_compute(*, conversation_ids: list[int], now=None) -> list[int]:
    """Compute (or recompute) the signals of these conversations; returns the ids done."""
    from storedesk.assistant.features import MAX_CHARS
    from storedesk.assistant.sentiment import sentiment_of
    from storedesk.assistant.understanding import model_for_store
    from storedesk.search.analyzers import analyze
    from storedesk.search.embedders import get_embedder

    now = now or timezone.now()
    texts = _first_messages(conversation_ids)
    conversations = Conversation.objects.filter(pk__in=conversation_ids).select_related("store")
    embedder = get_embedder()
    signals = []
    for conversation in conversations:
        text = " ".join(texts.get(conversation.pk, "").split())
        vector = embedder.query(text[:MAX_CHARS]) if embedder is not None and text else None
        intent, confidence = "", None
        if text:
            model = model_for_store(conversation.store_id)
            vectors = None if vector is None else vector[np.newaxis, :]
            if vectors is not None or model.featurizer.embed is None:
                prediction = model.predict([text], vectors=vectors)[0]
                intent, confidence = prediction.intent, prediction.confidence
        locale = _locale(text, conversation.language, conversation.store)
        signals.append(
            ConversationSignal(
                conversation_id=conversation.pk,
                store_id=conversation.store_id,
                created_at=conversation.created_at,
                locale=locale,
                text=text[:500],
                terms=" ".join(analyze(text[:2000], locale)[:100]),
                vector=b"" if vector is None else np.asarray(vector, "<f4").tobytes(),
                intent=intent[:40],
                intent_confidence=confidence,
                negative=bool(text) and sentiment_of(text).strongly_negative,
                computed_at=now,
            )
        )
    with transaction.atomic():
        ConversationSignal.objects.filter(conversation_id__in=conversation_ids).delete()
        ConversationSignal.objects.bulk_create(signals, batch_size=500)
    return [signal.conversation_id for signal in signals]


def signals_compute_pending(*, now, seconds: float, batch: int = 50) -> list[int]:
    """Compute pending signals, newest first, for about ``seconds``; returns the ids. Does
    nothing while the intent model is still being trained (a new installation's first
    minute or two): the next refresh tries again."""
    from storedesk.assistant.understanding import default_model_ready

    if not default_model_ready():
        return []
    deadline = time.monotonic() + seconds
    done: list[int] = []
    while time.monotonic() < deadline:
        pending = signals_pending(now=now, limit=batch)
        if not pending:
            break
        done += signals_compute(conversation_ids=pending, now=now)
    return done


def _vector(raw) -> np.ndarray | None:
    return np.frombuffer(bytes(raw), "<f4") if raw else None


def _shared_reason(later: dict, earlier: dict, tags: dict, vectors: dict):
    """Why ``later`` looks like ``earlier``'s issue again: (reason, detail, similarity), or
    None."""
    later_id, earlier_id = later["conversation_id"], earlier["conversation_id"]
    a, b = vectors.get(later_id), vectors.get(earlier_id)
    similarity = round(float(np.dot(a, b)), 4) if a is not None and b is not None else None
    if later["intent"] not in GENERIC_INTENTS and later["intent"] == earlier["intent"]:
        return RepeatReason.INTENT, later["intent"], similarity
    shared = sorted(tags.get(later_id, set()) & tags.get(earlier_id, set()))
    if shared and (similarity is None or similarity >= REPEAT_TAG_FLOOR):
        return RepeatReason.TAG, shared[0], similarity
    if similarity is not None and similarity >= REPEAT_TEXT_FLOOR:
        return RepeatReason.TEXT, "", similarity
    return None


def repeats_detect(*, conversation_ids: list[int], now=None) -> int:
    """Decide for each of these conversations whether it repeats an issue its contact had
    resolved shortly before (the most recent such conversation wins); replaces earlier
    decisions. Returns how many are repeats."""
    now = now or timezone.now()
    ids = list(dict.fromkeys(conversation_ids))
    fields = ("conversation_id", "store_id", "contact_id", "created_at", "resolved_at", "intent")
    later = list(
        ConversationFact.objects.filter(conversation_id__in=ids).values(*fields, "created_day")
    )
    found = []
    if later:
        window = dt.timedelta(days=MAX_REPEAT_DAYS)
        earliest = min(f["created_at"] for f in later) - window
        candidates = defaultdict(list)
        for f in ConversationFact.objects.filter(
            contact_id__in={f["contact_id"] for f in later},
            resolved_at__isnull=False,
            resolved_at__gte=earliest,
        ).values(*fields):
            candidates[f["contact_id"]].append(f)
        involved = set(ids) | {f["conversation_id"] for group in candidates.values() for f in group}
        tags = defaultdict(set)
        for conversation_id, name in Conversation.tags.through.objects.filter(
            conversation_id__in=involved
        ).values_list("conversation_id", "tag__name"):
            tags[conversation_id].add(name)
        vectors = {
            pk: _vector(raw)
            for pk, raw in ConversationSignal.objects.filter(
                conversation_id__in=involved
            ).values_list("conversation_id", "vector")
        }
        for f in later:
            earlier = sorted(
                (
                    e
                    for e in candidates[f["contact_id"]]
                    if e["conversation_id"] != f["conversation_id"]
                    and e["created_at"] < f["created_at"]
                    and f["created_at"] - window <= e["resolved_at"] <= f["created_at"]
                ),
                key=lambda e: e["resolved_at"],
                reverse=True,
            )
            for e in earlier:
                shared = _shared_reason(f, e, tags, vectors)
                if shared is not None:
                    reason, detail, similarity = shared
                    found.append(
                        RepeatContact(
                            conversation_id=f["conversation_id"],
                            earlier_id=e["conversation_id"],
                            store_id=f["store_id"],
                            created_at=f["created_at"],
                            created_day=f["created_day"],
                            seconds_after=int((f["created_at"] - e["resolved_at"]).total_seconds()),
                            reason=reason,
                            detail=detail[:60],
                            similarity=similarity,
                            detected_at=now,
                        )
                    )
                    break
    with transaction.atomic():
        RepeatContact.objects.filter(conversation_id__in=ids).delete()
        RepeatContact.objects.bulk_create(found, batch_size=500)
    return len(found)
