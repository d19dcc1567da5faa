"""Agents' search by meaning over customers' messages: how many of the messages about the
issue searched for it finds, and how much of what it finds is about that issue.

Run from the storedesk virtualenv::

    python bench/message_meaning.py            # about 30 s on one core
    python bench/message_meaning.py --sweep    # also other floors and margins

Data: ``bench/data/message_search_eval.json``, written for this project: 10 issues of one
shop, each raised by three customers (in English, Croatian and Chinese) and searched for by
3-4 agent searches in those languages; and 4 searches about nothing in the data. The
messages go through the product (``message_receive`` into a fresh SQLite database, then
``messages_embed_pending``); each search through ``conversations_similar`` with the
product's floor and margin. Recall: the issue's messages found, of 3 per search. Precision:
found messages about the searched issue, of all found.

With 10 messages per language, each language is centred on its own (the product needs
``MIN_VECTORS_TO_CENTER`` per language; this run lowers it to 10).
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
