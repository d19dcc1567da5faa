"""Topics: what customers write about, found without anyone labelling it.

Every few hours (inside the analytics refresh, which holds its lease) each store's first
messages of the last ``TOPIC_DAYS`` days are clustered by their embeddings (k-means, k
growing with the square root of their number); each cluster of at least
``MIN_TOPIC_SIZE`` conversations becomes a ``Topic`` labelled by the words that set it
apart from the other clusters (class-based tf-idf over the analyzed terms, shown in the
form customers wrote them, from messages in the store's own language when there are
enough). Between two clusterings a new conversation joins the nearest topic when it is
close enough. Topics and their links are written only here.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import Counter, defaultdict

import numpy as np
from django.db import transaction
from django.db.models import Count, Max

from storedesk.analytics.models import ConversationSignal, ConversationTopic, Topic
from storedesk.analytics.signal_services import GENERIC_INTENTS
from storedesk.stores.models import Store

TOPIC_DAYS = 90
# The most recent conversations clustered per store (older ones of the period join the
# nearest topic).
MAX_SAMPLE = 20_000
# Fewer conversations than this make no topics.
MIN_SIGNALS = 20
MIN_TOPIC_SIZE = 3
MAX_TOPICS = 40
RECLUSTER_EVERY = dt.timedelta(hours=6)
# How close (cosine) to a topic's centre a conversation must be to join it afterwards.
JOIN_FLOOR = 0.86
LABEL_TERMS = 3
# How much the intent a first message was read as weighs beside its embedding (a one-hot
# block of this length, beside the unit-length embedding): the multilingual embedding puts
# one request in two languages further apart than two requests in one language, the
# intent does not, so topics gather a request across languages.
INTENT_WEIGHT = 0.7

# Words that say nothing about a topic, left out of labels beside the search analyzer's
# stopwords (analyzed like the messages, so compared as stems and folded spellings).
_LABEL_WORDS = {
    "en": (
        "about after again all also am any anyone anything ask back because been before can "
        "cannot can't could day did do does done don't from get going got had has have haven't "
        "hello help hi how i i'd i'm i've isn't it's just know let like many may me more much "
        "must my need now one only our please possible really should since so some still "
        "supposed tell thank thanks than too up us use very want was we week what when where "
        "why which who would yet you your yes ok okay right january february march april "
        "june july august september october november december monday tuesday wednesday "
        "thursday friday saturday sunday today yesterday tomorrow"
    ),
    "hr": (
        "bi bih bio bismo bok dobar dan gdje hvala imam još kad kada kako koji koja koje mogu "
        "može možete molim moj moja moje mojoj nije nisam što sve već vas vam zašto želim "
        "želio željela trebala trebao jako siječanj veljača ožujak travanj svibanj lipanj "
        "srpanj kolovoz rujan listopad studeni prosinac danas jučer sutra"
    ),
    "zh-hans": (
        "您好 你好 请问 谢谢 一下 可以 怎么 什么 为什么 还 没 没有 有 吗 呢 能 要 想 现在 已经 "
        "一个 的话 能帮 今天 昨天 明天"
    ),
}


@functools.cache
def _label_stopwords() -> frozenset[str]:
    from storedesk.search.analyzers import analyze

    return frozenset(
        term for language, words in _LABEL_WORDS.items() for term in analyze(words, language)
    )


def _matrix(rows) -> np.ndarray:
    return np.stack([np.frombuffer(bytes(raw), "<f4") for raw in rows])


def _language_centred(vectors: np.ndarray, locales: list[str]) -> np.ndarray:
    """Each language's mean subtracted from its vectors (and rows made unit length again).
    A multilingual embedding keeps a direction per language: without it, one request
    asked in two languages falls into two clusters."""
    centred = vectors.copy()
    for locale in set(locales):
        rows = [i for i, value in enumerate(locales) if value == locale]
        if len(rows) >= MIN_TOPIC_SIZE:
            centred[rows] -= vectors[rows].mean(axis=0)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return centred / np.where(norms == 0, 1, norms)


def _with_intents(vectors: np.ndarray, intents: list[str]) -> np.ndarray:
    """The embeddings with a weighted one-hot block of the (non-generic) intent."""
    names = sorted({i for i in intents if i not in GENERIC_INTENTS})
    if not names:
        return vectors
    column = {name: j for j, name in enumerate(names)}
    block = np.zeros((len(intents), len(names)), dtype=vectors.dtype)
    for i, intent in enumerate(intents):
        if intent in column:
            block[i, column[intent]] = INTENT_WEIGHT
    return np.hstack([vectors, block])


def topics_due(*, now) -> list[int]:
    """Stores with enough embedded conversations whose topics are missing, older than
    ``RECLUSTER_EVERY``, or clustered from fewer than two thirds of what there is to
    cluster now (e.g. while a new installation's history is still being read)."""
    since = now - dt.timedelta(days=TOPIC_DAYS)
    counts = dict(
        ConversationSignal.objects.filter(created_at__gte=since)
        .exclude(vector=b"")
        .values("store_id")
        .annotate(n=Count("conversation_id"))
        .values_list("store_id", "n")
    )
    clustered = {
        row["store_id"]: row
        for row in Topic.objects.values("store_id").annotate(
            at=Max("created_at"), n=Max("clustered_from")
        )
    }

    def due(store_id: int, n: int) -> bool:
        if n < MIN_SIGNALS:
            return False
        last = clustered.get(store_id)
        if last is None:
            return True
        grown = min(n, MAX_SAMPLE) * 2 > last["n"] * 3
        return last["at"] < now - RECLUSTER_EVERY or grown

    return sorted(store_id for store_id, n in counts.items() if due(store_id, n))


def _cluster_count(n: int) -> int:
    return max(2, min(MAX_TOPICS, round(math.sqrt(n / 3))))


def _kmeans(vectors: np.ndarray, k: int) -> np.ndarray:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if len(vectors) > 5000:
        model = MiniBatchKMeans(n_clusters=k, random_state=0, n_init=3, batch_size=2048)
    else:
        model = KMeans(n_clusters=k, random_state=0, n_init=4)
    return model.fit_predict(vectors)


def _surface_forms(rows, members, locale_of) -> dict[str, Counter]:
    """For each analyzed term, how often each written form of it occurs in ``members``."""
    from storedesk.search.analyzers import tokens_with_offsets

    forms: dict[str, Counter] = defaultdict(Counter)
    for i in members:
        text = rows[i]["text"]
        for term, start, end in tokens_with_offsets(text, locale_of(i)):
            forms[term][text[start:end].lower()] += 1
    return forms


def _labels(rows, clusters: dict[int, list[int]], default_locale: str):
    """Each cluster's most telling terms and a label of their most common written forms.

    A term's weight in a cluster is the share of the cluster's conversations using it times
    its rarity over all conversations (log N / df), so words every topic uses sink; words
    used by fewer than two of the cluster's conversations, or by under a tenth of them,
    never label it. Messages in the store's default language are preferred when a cluster
    has enough of them.
    """

    def chosen(members):
        own = [i for i in members if rows[i]["locale"] == default_locale]
        return own if len(own) >= MIN_TOPIC_SIZE else members

    terms_of = [
        {t for t in row["terms"].split() if len(t) > 1 and not t.isdigit()} - _label_stopwords()
        for row in rows
    ]
    document_frequency = Counter()
    for terms in terms_of:
        document_frequency.update(terms)
    total = len(rows)
    result = {}
    for label, members in clusters.items():
        used = chosen(members)
        counts = Counter()
        for i in used:
            counts.update(terms_of[i])
        floor = max(2, math.ceil(len(used) / 10))
        scored = sorted(
            (
                (n / len(used) * math.log(total / document_frequency[term]), term)
                for term, n in counts.items()
                if n >= floor
            ),
            reverse=True,
        )
        terms = [term for _, term in scored[:6]]
        forms = _surface_forms(rows, used, lambda i: rows[i]["locale"])
        words = [forms[t].most_common(1)[0][0] if forms.get(t) else t for t in terms]
        result[label] = (words, " · ".join(words[:LABEL_TERMS]))
    return result


def topics_cluster(*, store_id: int, now) -> int:
    """Re-cluster one store's conversations of the last ``TOPIC_DAYS`` days into topics,
    replacing its previous ones. Returns the number of topics."""
    store = Store.objects.get(pk=store_id)
    rows = list(
        ConversationSignal.objects.filter(
            store_id=store_id, created_at__gte=now - dt.timedelta(days=TOPIC_DAYS)
        )
        .exclude(vector=b"")
        .order_by("-created_at")
        .values("conversation_id", "vector", "terms", "text", "locale", "intent")[:MAX_SAMPLE]
    )
    topics, links = [], []
    if len(rows) >= MIN_SIGNALS:
        vectors = _matrix(row["vector"] for row in rows)
        features = _with_intents(
            _language_centred(vectors, [row["locale"] for row in rows]),
            [row["intent"] for row in rows],
        )
        assignment = _kmeans(features, _cluster_count(len(rows)))
        clusters = defaultdict(list)
        for i, label in enumerate(assignment):
            clusters[int(label)].append(i)
        clusters = {k: v for k, v in clusters.items() if len(v) >= MIN_TOPIC_SIZE}
        labels = _labels(rows, clusters, store.default_locale)
        for label, members in clusters.items():
            centre = vectors[members].mean(axis=0)
            centre /= np.linalg.norm(centre) or 1.0
            intents = Counter(rows[i]["intent"] for i in members if rows[i]["intent"])
            top_intent, top_count = (intents.most_common(1) or [("", 0)])[0]
            words, text = labels[label]
            topic = Topic(
                store_id=store_id,
                label=(text or top_intent or "—")[:200],
                terms=words,
                centroid=centre.astype("<f4").tobytes(),
                size=len(members),
                clustered_from=len(rows),
                intent=top_intent
                if top_intent not in GENERIC_INTENTS and top_count * 2 >= len(members)
                else "",
                created_at=now,
            )
            topics.append(topic)
            similarity = vectors[members] @ centre
            links.append(
                [
                    (rows[i]["conversation_id"], float(s))
                    for i, s in zip(members, similarity, strict=True)
                ]
            )
    with transaction.atomic():
        Topic.objects.filter(store_id=store_id).delete()
        Topic.objects.bulk_create(topics)
        ConversationTopic.objects.bulk_create(
            [
                ConversationTopic(
                    conversation_id=conversation_id,
                    topic=topic,
                    store_id=store_id,
                    similarity=round(similarity, 4),
                )
                for topic, members in zip(topics, links, strict=True)
                for conversation_id, similarity in members
            ],
            batch_size=1000,
        )
    return len(topics)


def topics_assign(*, conversation_ids: list[int]) -> int:
    """Link these conversations (with an embedded first message and no topic yet) to the
    nearest topic of their store when within ``JOIN_FLOOR``. Returns how many joined."""
    signals = list(
        ConversationSignal.objects.filter(
            conversation_id__in=conversation_ids, conversation__topic_link__isnull=True
        )
        .exclude(vector=b"")
        .values_list("conversation_id", "store_id", "vector")
    )
    by_store = defaultdict(list)
    for row in signals:
        by_store[row[1]].append(row)
    links = []
    for store_id, rows in by_store.items():
        topics = list(Topic.objects.filter(store_id=store_id).only("pk", "centroid"))
        if not topics:
            continue
        centres = _matrix(t.centroid for t in topics)
        scores = _matrix(raw for _, _, raw in rows) @ centres.T
        for (conversation_id, _, _), row in zip(rows, scores, strict=True):
            best = int(np.argmax(row))
            if row[best] >= JOIN_FLOOR:
                links.append(
                    ConversationTopic(
                        conversation_id=conversation_id,
                        topic=topics[best],
                        store_id=store_id,
                        similarity=round(float(row[best]), 4),
                    )
                )
    ConversationTopic.objects.bulk_create(links, ignore_conflicts=True)
    return len(links)
