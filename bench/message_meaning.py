"""Agents' search by meaning over customers' messages: how many of the messages about the
issue searched for it finds, and how much of what it finds is about that issue.

Run from the storedesk virtualenv::

    python bench/message_meaning.py            # about 30 s on one core
    python bench/message_meaning.py --sweep    # also other floors and margins
    python bench/message_meaning.py --speed    # search time over 3 x 50,000 vectors, ~2 min

Data: ``bench/data/message_search_eval.json``, written for this project: 10 issues of one
shop, each raised by three customers (in English, Croatian and Chinese) and searched for by
3-4 agent searches in those languages; and 4 searches about nothing in the data. The
messages go through the product (``message_receive`` into a fresh SQLite database, then
``messages_embed_pending``); each search through ``conversations_similar`` with the
product's floor and margin. Recall: the issue's messages found, of 3 per search. Precision:
found messages about the searched issue, of all found.

With 10 messages per language, each language is centred on its own (the product needs
``MIN_VECTORS_TO_CENTER`` per language; this run lowers it to 10).

``--speed`` then times ``conversations_similar`` where it is slowest: three stores, each
with a full window (``vectors.WINDOW``) of embedded messages (random unit vectors written
with ``bulk_create``: the time does not depend on what they say), searched together. The
first search of a process reads the vectors from the database; later ones read only what
was added since.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

DATA = Path(__file__).parent / "data" / "message_search_eval.json"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweep", action="store_true", help="also other floors and margins")
    parser.add_argument("--speed", action="store_true", help="also time a search at scale")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    home = tempfile.mkdtemp(prefix="storedesk-meaning-")
    sys.path.insert(0, str(Path(__file__).parent))
    from search_quality import setup_django, store_for

    setup_django(Path(home))
    from storedesk.conversations import search_index
    from storedesk.conversations.services import message_receive
    from storedesk.core.testing import inbound, make_inbox
    from storedesk.search import vectors

    vectors.MIN_VECTORS_TO_CENTER = 10
    data = json.loads(DATA.read_text())
    store = store_for("meaning", "Meaning", "en", ["en", "hr", "zh-hans"])
    issue_of = {}
    for issue in data["issues"]:
        for n, text in enumerate(issue["messages"]):
            inbox = make_inbox(store, "api", f"API {issue['id']} {n}")
            email = f"{issue['id']}-{n}@example.com"
            message = message_receive(inbox=inbox, inbound=inbound(text, email=email))
            issue_of[message.conversation_id] = issue["id"]
    embedded = search_index.messages_embed_pending(seconds=600)
    print(f"{embedded} messages embedded")

    settings = [(search_index.SIMILAR_FLOOR, search_index.SIMILAR_MARGIN)]
    if args.sweep:
        settings += [(f, m) for f in (0.84, 0.85, 0.86) for m in (0.03, 0.04, 0.06, 1.0)]
    print("floor  margin  recall  precision  wrong/search  unrelated found")
    for floor, margin in dict.fromkeys(settings):
        search_index.SIMILAR_FLOOR, search_index.SIMILAR_MARGIN = floor, margin
        found = wrong = searches = 0
        for issue in data["issues"]:
            for query in issue["searches"]:
                hits = search_index.conversations_similar(query, store_ids=[store.pk])
                found += sum(issue_of[pk] == issue["id"] for pk, _ in hits)
                wrong += sum(issue_of[pk] != issue["id"] for pk, _ in hits)
                searches += 1
        unrelated = [
            len(search_index.conversations_similar(q, store_ids=[store.pk]))
            for q in data["unrelated_searches"]
        ]
        precision = found / (found + wrong) if found + wrong else 0.0
        print(
            f"{floor:.2f}   {margin:.2f}    {found / (3 * searches):.3f}   {precision:.3f}"
            f"      {wrong / searches:.2f}          {unrelated}"
        )
    if args.speed:
        search_index.SIMILAR_FLOOR = settings[0][0]
        search_index.SIMILAR_MARGIN = settings[0][1]
        time_at_scale([q for issue in data["issues"] for q in issue["searches"]])
    return 0


def time_at_scale(queries: list[str], stores: int = 3) -> None:
    import time

    import numpy as np
    from django.db import transaction
    from search_quality import store_for

    from storedesk.conversations.search_index import conversations_similar
    from storedesk.search import vectors
    from storedesk.search.embedders import get_embedder
    from storedesk.search.models import DocumentKind, SearchDocument, SearchPassage

    embedder = get_embedder()
    rng = np.random.default_rng(7)
    store_ids = []
    for n in range(stores):
        store = store_for(f"scale-{n}", f"Scale {n}", "en", ["en", "hr", "zh-hans"])
        store_ids.append(store.pk)
        started = time.monotonic()
        for start in range(0, vectors.WINDOW, 5000):
            with transaction.atomic():
                documents = SearchDocument.objects.bulk_create(
                    SearchDocument(
                        store_id=store.pk,
                        kind=DocumentKind.MESSAGE,
                        object_id=10_000_000 * (n + 1) + start + i,
                        parent_id=10_000_000 * (n + 1) + start + i,
                        locale=("en", "hr", "zh-hans")[i % 3],
                        analyzer="simple",
                    )
                    for i in range(5000)
                )
                matrix = rng.normal(size=(len(documents), 384)).astype(np.float32)
                matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
                SearchPassage.objects.bulk_create(
                    SearchPassage(
                        document=document,
                        store_id=store.pk,
                        kind=DocumentKind.MESSAGE,
                        text="",
                        vector=vector.tobytes(),
                        embedder=embedder.name,
                    )
                    for document, vector in zip(documents, matrix, strict=True)
                )
        seconds = time.monotonic() - started
        print(f"store {n + 1}: {vectors.WINDOW:,} vectors written in {seconds:.1f} s")
    vectors.clear_cache()
    started = time.monotonic()
    conversations_similar(queries[0], store_ids=store_ids)
    seconds = time.monotonic() - started
    print(f"first search (reads {stores} x {vectors.WINDOW:,} vectors): {seconds:.2f} s")
    for query in queries:
        embedder.query(query)  # embeddings timed apart
    timings, embedding = [], []
    for _ in range(3):
        for query in queries:
            started = time.monotonic()
            embedder.query(query)
            embedding.append(time.monotonic() - started)
            started = time.monotonic()
            conversations_similar(query, store_ids=store_ids)
            timings.append(time.monotonic() - started)
    ms = np.array(timings) * 1000
    print(
        f"search over {stores} x {vectors.WINDOW:,} vectors, {len(ms)} searches: "
        f"p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms "
        f"(of which embedding the search p50 {np.percentile(embedding, 50) * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    sys.exit(main())
