"""The assistant's first reply in a chat, end to end: what it does with each question of
the project's help-center sets, and how long the customer waits.

Run from the storedesk virtualenv::

    python bench/assistant_turns.py                    # own + heldout queries, ~4 minutes
    python bench/assistant_turns.py --queries heldout
    python bench/assistant_turns.py --mail             # the suggestions of an email inbox

The help center of ``bench/data/helpcenter_eval.json`` (English, Chinese, Croatian) is
published into a fresh SQLite database (as ``bench/search_quality.py`` does) with a chat
inbox that has the assistant on. Each query is written by a new chat visitor
(``visitor_message``), and the assistant's turn runs inline (huey immediate), as it would
in a worker: understanding, the decision (search, orders, handoff rules) and the writes.

Per language it reports, for the answerable queries: the share answered with the expected
article, answered with another one, asked for the order number (order questions), handed
off or asked to rephrase; for the queries the help center does not answer: the share it
(wrongly) answered. Then, for higher answer floors, how those shares would change.
Latency: from the visitor's message to the assistant's reply stored, p50 and p95 (one
thread).

``--mail``: the same queries as new requests in an email inbox with the assistant on, each
from a new address (``message_receive``; the suggestions run inline and the reply is
"sent" to Django's in-memory mail box). Per language: for the answerable queries, the
share whose suggestions put the expected article first, include it lower, miss it, or
that got no suggestion (nothing close enough, or a person should answer first); for the
unanswerable ones, the share that got suggestions anyway. Latency: from the message
received to the suggestions stored and sent.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from search_quality import load_own, log, setup_django  # noqa: E402

QUERY_SETS = {
    "own": BENCH_DIR / "data" / "helpcenter_eval.json",
    "heldout": BENCH_DIR / "data" / "helpcenter_eval_heldout.json",
}


def outcome_of(conversation_id: int, expected: str | None) -> tuple[str, float | None]:
    """What the assistant did with the query, and the similarity of the article it
    answered with (None when it did not answer from the help center)."""
    from storedesk.assistant.models import AssistantAnswer, AssistantSession

    session = AssistantSession.objects.filter(conversation_id=conversation_id).first()
    if session is None:
        return "silent", None
    if session.state == "handed_off":
        return "handed_off", None
    answer = AssistantAnswer.objects.filter(session=session).select_related("article").first()
    if answer is None:
        if session.awaiting == "order":
            return "asked_for_order", None
        return ("rephrase" if session.unsure_count else "other"), None
    if expected is None:
        return "answered", answer.score
    right = answer.article is not None and answer.article.key == expected
    return ("right_article" if right else "wrong_article"), answer.score


def floor_table(
    answers: list[tuple[bool, str, float]], answerable: int, unanswerable: int
) -> list[dict]:
    """For answer floors from 0.80 up: of the answerable queries, the share answered with
    the right article; of the unanswerable ones, the share answered anyway (from the
    similarities recorded at the product's floor, so exact for any higher floor)."""
    rows = []
    for floor in (0.80, 0.82, 0.84, 0.86, 0.88, 0.90):
        right = sum(1 for a, o, s in answers if a and o == "right_article" and s >= floor)
        wrong = sum(1 for a, o, s in answers if a and o == "wrong_article" and s >= floor)
        false = sum(1 for a, o, s in answers if not a and o == "answered" and s >= floor)
        rows.append(
            {
                "floor": floor,
                "right": round(right / answerable, 3),
                "wrong": round(wrong / answerable, 3),
                "unanswerable_answered": round(false / unanswerable, 3) if unanswerable else None,
            }
        )
    return rows


def run(queries: list[dict], inbox) -> tuple[dict, list[float]]:
    from storedesk.inboxes.adapters.webchat.service import visitor_message, visitor_start

    outcomes: dict[tuple[str, bool], Counter] = defaultdict(Counter)
    latencies, answers = [], []
    for n, query in enumerate(queries, 1):
        visitor, _token = visitor_start(inbox=inbox, locale="")
        started = time.perf_counter()
        message, _new = visitor_message(visitor=visitor, text=query["q"], client_key="k")
        latencies.append((time.perf_counter() - started) * 1000)
        answerable = query["expected"] is not None
        outcome, score = outcome_of(message.conversation_id, query["expected"])
        outcomes[(query["lang"], answerable)][outcome] += 1
        if score is not None:
            answers.append((answerable, outcome, score))
        if n % 50 == 0:
            log(f"{n}/{len(queries)}")
    return outcomes, latencies, answers


def mail_outcome_of(conversation_id: int, expected: str | None) -> str:
    """What the suggestions did for the query."""
    from storedesk.assistant.models import AssistantSession

    session = AssistantSession.objects.filter(conversation_id=conversation_id).first()
    if session is None:
        return "nothing_suggested"
    if expected is None:
        return "suggested"
    (step,) = session.tried
    keys = [_article_key(title) for title in step.get("articles", [])]
    if keys[:1] == [expected]:
        return "expected_first"
    return "expected_lower" if expected in keys else "without_expected"


def _article_key(title: str) -> str:
    from storedesk.helpcenter.models import ArticleTranslation

    found = ArticleTranslation.objects.filter(title=title).select_related("article").first()
    return found.article.key if found else ""


def run_mail(queries: list[dict], inbox) -> tuple[dict, list[float]]:
    from storedesk.conversations.services import message_receive
    from storedesk.core.testing import inbound

    outcomes: dict[tuple[str, bool], Counter] = defaultdict(Counter)
    latencies = []
    for n, query in enumerate(queries, 1):
        run_mail.count = getattr(run_mail, "count", 0) + 1
        started = time.perf_counter()
        message = message_receive(
            inbox=inbox,
            inbound=inbound(
                query["q"], email=f"customer{run_mail.count}@example.com", name="Customer"
            ),
        )
        latencies.append((time.perf_counter() - started) * 1000)
        answerable = query["expected"] is not None
        outcome = mail_outcome_of(message.conversation_id, query["expected"])
        outcomes[(query["lang"], answerable)][outcome] += 1
        if n % 50 == 0:
            log(f"{n}/{len(queries)}")
    return outcomes, latencies


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", action="append", choices=sorted(QUERY_SETS))
    parser.add_argument(
        "--mail", action="store_true", help="an email inbox's suggestions instead of a chat"
    )
    args = parser.parse_args(argv)
    names = args.queries or ["own", "heldout"]
    home = Path(tempfile.mkdtemp(prefix="storedesk-bench-turns-"))
    setup_django(home)
    from storedesk.assistant.understanding import default_model
    from storedesk.inboxes.services import inbox_create

    log("training or loading the intent model")
    default_model()
    evalset = load_own(argparse.Namespace())
    store = evalset.queries[0].store
    if args.mail:
        from django.conf import settings

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        inbox = inbox_create(
            store=store,
            kind="email",
            name="Mail",
            config={"address": "help@bench.example", "assistant": {"enabled": True}},
        )
    else:
        inbox = inbox_create(
            store=store, kind="webchat", name="Chat", config={"assistant": {"enabled": True}}
        )
    results = {}
    for name in names:
        queries = json.loads(QUERY_SETS[name].read_text(encoding="utf-8"))["queries"]
        if args.mail:
            results[name] = report_mail(name, queries, inbox)
            continue
        run(queries[:3], inbox)  # warm up caches (index matrices, model)
        outcomes, latencies, answers = run(queries, inbox)
        latencies.sort()
        table = outcome_table(outcomes)
        results[name] = {
            "outcomes": table,
            "answer_floors": floor_table(
                answers,
                sum(1 for q in queries if q["expected"] is not None),
                sum(1 for q in queries if q["expected"] is None),
            ),
            "latency_ms": {
                "p50": round(statistics.median(latencies), 1),
                "p95": round(latencies[int(len(latencies) * 0.95) - 1], 1),
            },
        }
        print(f"\n{name}: {len(queries)} queries")
        for row, values in table.items():
            print(f"  {row:24} {json.dumps(values)}")
        for row in results[name]["answer_floors"]:
            print(f"  floor {json.dumps(row)}")
        print(f"  latency ms {json.dumps(results[name]['latency_ms'])}")
    kind = "assistant_mail" if args.mail else "assistant_turns"
    out = BENCH_DIR / "results" / f"{kind}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps({"machine": platform.platform(), "results": results}, indent=2),
        encoding="utf-8",
    )
    log(f"wrote {out}")
    return 0


def outcome_table(outcomes: dict) -> dict:
    """Per language and answerability: how many queries, and the share of each outcome."""
    table = {}
    for (lang, answerable), counts in sorted(outcomes.items()):
        total = sum(counts.values())
        table[f"{lang} {'answerable' if answerable else 'unanswerable'}"] = {
            "queries": total,
            **{k: round(v / total, 3) for k, v in sorted(counts.items())},
        }
    return table


def report_mail(name: str, queries: list[dict], inbox) -> dict:
    run_mail(queries[:3], inbox)  # warm up caches (index matrices, model)
    outcomes, latencies = run_mail(queries, inbox)
    latencies.sort()
    table = outcome_table(outcomes)
    latency = {
        "p50": round(statistics.median(latencies), 1),
        "p95": round(latencies[int(len(latencies) * 0.95) - 1], 1),
    }
    print(f"\n{name} by mail: {len(queries)} queries")
    for row, values in table.items():
        print(f"  {row:24} {json.dumps(values)}")
    print(f"  latency ms {json.dumps(latency)}")
    return {"outcomes": table, "latency_ms": latency}


if __name__ == "__main__":
    sys.exit(main())
