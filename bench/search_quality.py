"""Search quality of the help center: hit@1, hit@3 and MRR per language, for lexical only,
semantic only and fused ranking.

Run from the storedesk virtualenv::

    python bench/search_quality.py                    # the project's own set
    python bench/search_quality.py --set tatoeba      # one public set
    python bench/search_quality.py --set all          # every set, one after the other
    python bench/search_quality.py --set atec --pairs 200 --limit 100 --show-misses

On 2 cores with ``--threads 1`` a set takes 1.5 minutes (own, bitext, atec) to 5 (tatoeba,
1,854 queries); ``--set all`` about 10. Most of it is embedding (import and the semantic
and fused modes) and the lexical mode's BM25 over every article sharing a query word. On a
busy machine the embedding engine's default (one OpenMP thread per core) waits for the
other core and can run several times slower; ``--threads 1`` avoids that.

Data sets (``--set``):

- ``own`` (default): ``bench/data/helpcenter_eval.json``, a help center in English, Chinese
  and Croatian (a third of the articles in English only) with 50 answerable queries per
  language written for this project, plus 10 per language that nothing answers (reported as
  the share that got no result).
- ``heldout``: the same help center queried by ``bench/data/helpcenter_eval_heldout.json``:
  40 answerable and 8 unanswerable queries per language written separately from the first
  set's and never used to choose anything in the ranking.
- ``bitext``: the Bitext customer-support sample (27 intents, English, synthetic) as an
  English help center: one article per intent, titled by the intent's name ("Track
  refund") with ``BITEXT_ANSWERS`` canned answers of training-split utterances as its body
  (``{{placeholders}}`` kept as plain words). Queries: test-split utterances, at most
  ``BITEXT_QUERIES_PER_INTENT`` per intent (seeded); expected: their intent's article.
- ``atec``: ATEC Chinese customer-service question pairs (Alipay) as a Chinese FAQ. The
  positive pairs are grouped into clusters of questions marked as meaning the same; from
  ``--pairs`` clusters (seeded) one positive pair each: its first question is an article
  (title and body), its second the query; expected: that article. One cluster per article,
  so no two articles are labelled duplicates, but the data holds many unlabelled near
  duplicates ("我想开通花呗" and "怎么开通花呗" in different clusters), which caps hit@1.
- ``tatoeba``: cross-language retrieval on the Tatoeba test sentences (LASER) for hr, zh,
  sr and bs (those present) against English: per language pair a store whose articles are
  ``--pairs`` English sentences (seeded; title and body the sentence), supported locales
  English and the other language; queries: the translations; expected: the parallel
  sentence's article. Printed beside the published accuracy of multilingual-e5-small on
  the full 1,000-pair sets (MTEB), which is the semantic mode's nearest equivalent (with
  fewer sentences than 1,000 the task is easier).

The public sets are read from ``--datasets`` (default ``$STOREDESK_BENCH_DATASETS`` or
``/work/shared/datasets``), a folder with ``bitext-customer-support/``
(``bitext_customer_support_4514.csv`` and ``split.tsv``), ``atec-zh/``
(``atec_nlp_sim_train.tsv``) and ``tatoeba/`` (``tatoeba.{hrv,cmn,srp,bos}-eng.*``); see
each folder's README for origin and license. Nothing of them is copied into this
repository: ATEC states no license (evaluation only) and Bitext is CDLA-Sharing-1.0.

The script builds a fresh SQLite database under a temporary directory (``--home`` keeps
it); each set imports its own store(s) through the product's services (``article_save``
with ``publish=True``, indexed inline as ``storedesk helpcenter import`` does) and runs
every query through ``storedesk.helpcenter.search.search_articles`` without a reader
locale, as the chat widget does. ``--limit`` caps the queries of each set (a seeded
sample). For each set it prints a table (hit@k: the expected article among the first k;
MRR over the first 10; median latency per query) and writes JSON to
``bench/results/search_quality-<set>-<time>.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
OWN_SET = BENCH_DIR / "data" / "helpcenter_eval.json"
HELDOUT_SET = BENCH_DIR / "data" / "helpcenter_eval_heldout.json"
DATASETS_DIR = Path(os.environ.get("STOREDESK_BENCH_DATASETS", "/work/shared/datasets"))
MODES = ("lexical", "semantic", "fused")

BITEXT_ANSWERS = 3  # canned answers in each intent's article
BITEXT_QUERIES_PER_INTENT = 20
PAIRS = 500  # ATEC articles, Tatoeba sentence pairs per language pair
# Tatoeba file code -> (store locale, query label, published accuracy of
# multilingual-e5-small on the 1,000 pairs; None where not given here).
REFERENCE = "MTEB Tatoeba, multilingual-e5-small, accuracy on the 1,000 pairs"
TATOEBA_PAIRS = {
    "hrv": ("hr", "hr→en", 0.895),
    "cmn": ("zh-hans", "zh→en", 0.914),
    "srp": ("sr", "sr→en", None),
    "bos": ("bs", "bs→en", None),
}


@dataclass(frozen=True)
class Query:
    store: Any
    q: str
    lang: str
    expected: str | None  # an article key; None: nothing answers it


@dataclass
class EvalSet:
    queries: list[Query]
    translations: int
    import_seconds: float
    about: dict  # what was built, for the report
    reference: dict[str, float] = field(default_factory=dict)  # per lang, published hit@1


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def setup_django(home: Path) -> None:
    os.environ["STOREDESK_HOME"] = str(home)
    for name in ("STOREDESK_DATABASE_URL", "STOREDESK_REDIS_URL"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "storedesk.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True  # index inline, as `storedesk helpcenter import` does


# Building the stores ------------------------------------------------------------------------


def store_for(slug: str, name: str, default_locale: str, locales: list[str]):
    from storedesk.stores.models import Store
    from storedesk.stores.services import store_create

    store = Store.objects.filter(slug=slug).first()
    if store is None:
        store = store_create(
            name=name, slug=slug, default_locale=default_locale, supported_locales=locales
        )
    return store


def import_articles(store, articles: list[dict]) -> tuple[int, float]:
    """Publish ``articles`` (``key``, ``locale``, ``title``, ``body``, optional ``slug`` and
    ``category``) through the help-center service; returns (translations, seconds)."""
    from storedesk.helpcenter.services import article_save

    started = time.monotonic()
    for n, article in enumerate(articles, 1):
        article_save(store=store, publish=True, **article)
        if n % 100 == 0:
            log(f"  {store.slug}: {n}/{len(articles)} in {time.monotonic() - started:.0f} s")
    seconds = time.monotonic() - started
    log(f"{store.slug}: imported {len(articles)} translations in {seconds:.1f} s")
    return len(articles), seconds


def load_own(args, queries_from: Path = OWN_SET) -> EvalSet:
    """The project's help center (``bench/data/helpcenter_eval.json``)."""
    from storedesk.helpcenter.services import category_save

    data = json.loads(OWN_SET.read_text(encoding="utf-8"))
    spec = data["store"]
    store = store_for(spec["slug"], spec["name"], spec["default_locale"], spec["locales"])
    categories = {
        c["slug"]: category_save(store=store, slug=c["slug"], names=c["names"])
        for c in data["categories"]
    }
    articles = [
        {
            "key": article["key"],
            "slug": t["slug"],
            "locale": locale,
            "title": t["title"],
            "body": t["body"],
            "category": categories.get(article.get("category")),
        }
        for article in data["articles"]
        for locale, t in article["translations"].items()
    ]
    translations, seconds = import_articles(store, articles)
    raw = json.loads(queries_from.read_text(encoding="utf-8"))["queries"]
    queries = [Query(store, q["q"], q["lang"], q["expected"]) for q in raw]
    about = {"articles": len(data["articles"]), "source": str(queries_from.relative_to(BENCH_DIR))}
    return EvalSet(queries, translations, seconds, about)


def load_heldout(args) -> EvalSet:
    """The project's help center queried by the held-out set."""
    return load_own(args, queries_from=HELDOUT_SET)


def load_bitext(args) -> EvalSet:
    """Bitext customer support: an article per intent, test-split utterances as queries."""
    folder = args.datasets / "bitext-customer-support"
    with open(folder / "bitext_customer_support_4514.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(folder / "split.tsv", encoding="utf-8", newline="") as f:
        split = {int(r["row"]): r["split"] for r in csv.DictReader(f, delimiter="\t")}
    train, test = defaultdict(list), defaultdict(list)
    for index, row in enumerate(rows):
        (test if split[index] == "test" else train)[row["intent"]].append(row)
    rng = random.Random(args.seed)
    store = store_for("bitext", "Bitext sample shop", "en", ["en"])
    articles, queries = [], []
    for intent in sorted(train):
        answers = rng.sample(train[intent], min(BITEXT_ANSWERS, len(train[intent])))
        key = intent.replace("_", "-")
        articles.append(
            {
                "key": key,
                "locale": "en",
                "title": intent.replace("_", " ").capitalize(),
                "body": "\n\n".join(_without_placeholders(a["response"]) for a in answers),
            }
        )
        held_out = rng.sample(test[intent], min(BITEXT_QUERIES_PER_INTENT, len(test[intent])))
        queries += [Query(store, row["instruction"], "en", key) for row in held_out]
    translations, seconds = import_articles(store, articles)
    about = {
        "articles": len(articles),
        "answers_per_article": BITEXT_ANSWERS,
        "queries_per_intent": BITEXT_QUERIES_PER_INTENT,
        "source": "bitext-customer-support (answers: train split, queries: test split)",
    }
    return EvalSet(queries, translations, seconds, about)


def _without_placeholders(text: str) -> str:
    return re.sub(r"\{\{\s*(.*?)\s*\}\}", r"\1", text).strip()


def load_atec(args) -> EvalSet:
    """ATEC question pairs: one side of positive pairs as FAQ articles, the other as queries."""
    with open(
        args.datasets / "atec-zh" / "atec_nlp_sim_train.tsv", encoding="utf-8", newline=""
    ) as f:
        pairs = [
            (" ".join(r["question1"].split()), " ".join(r["question2"].split()))
            for r in csv.DictReader(f, delimiter="\t")
            if r["label"] == "1"
        ]
    pairs = [(a, b) for a, b in pairs if a and b and a != b]
    parent: dict[str, str] = {}

    def root(question: str) -> str:
        parent.setdefault(question, question)
        while parent[question] != question:
            parent[question] = parent[parent[question]]
            question = parent[question]
        return question

    for a, b in pairs:
        parent[root(a)] = root(b)
    clusters = defaultdict(list)  # root -> the positive pairs within it
    for a, b in pairs:
        clusters[root(a)].append((a, b))
    rng = random.Random(args.seed)
    chosen = rng.sample(sorted(clusters), min(args.pairs, len(clusters)))
    store = store_for("atec", "ATEC FAQ", "zh-hans", ["zh-hans"])
    articles, queries = [], []
    for n, cluster in enumerate(chosen, 1):
        article_question, query_question = rng.choice(clusters[cluster])
        key = f"q{n}"
        articles.append(
            {
                "key": key,
                "locale": "zh-hans",
                "title": _title(article_question),
                "body": article_question,
            }
        )
        queries.append(Query(store, query_question, "zh", key))
    translations, seconds = import_articles(store, articles)
    about = {
        "articles": len(articles),
        "positive_pairs": len(pairs),
        "clusters": len(clusters),
        "source": "atec-zh (label-1 pairs; question1 = article, question2 = query)",
    }
    return EvalSet(queries, translations, seconds, about)


def load_tatoeba(args) -> EvalSet:
    """Tatoeba: English sentences as articles, their translations as queries."""
    folder = args.datasets / "tatoeba"
    rng = random.Random(args.seed)
    queries, translations, seconds, about, reference = [], 0, 0.0, {}, {}
    for code, (locale, label, published) in TATOEBA_PAIRS.items():
        source = folder / f"tatoeba.{code}-eng.{code}"
        if not source.exists():
            log(f"tatoeba: no {source.name}, skipped")
            continue
        foreign = source.read_text(encoding="utf-8").splitlines()
        english = (folder / f"tatoeba.{code}-eng.eng").read_text(encoding="utf-8").splitlines()
        lines = sorted(rng.sample(range(len(english)), min(args.pairs, len(english))))
        store = store_for(f"tatoeba-{locale}", f"Tatoeba {label}", "en", ["en", locale])
        keys: dict[str, str] = {}  # an English sentence -> its article (one per sentence)
        articles = []
        for line in lines:
            sentence = " ".join(english[line].split())
            if sentence not in keys:
                keys[sentence] = f"s{line + 1}"
                articles.append(
                    {
                        "key": keys[sentence],
                        "locale": "en",
                        "title": _title(sentence),
                        "body": sentence,
                    }
                )
            queries.append(Query(store, foreign[line].strip(), label, keys[sentence]))
        n, s = import_articles(store, articles)
        translations, seconds = translations + n, seconds + s
        about[label] = {"pairs": len(lines), "articles": len(articles), "of": len(english)}
        if published is not None:
            reference[label] = published
    return EvalSet(queries, translations, seconds, about, reference)


def _title(text: str, limit: int = 300) -> str:
    """``text`` cut at a word to fit an article title (one Tatoeba sentence is longer)."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


LOADERS = {
    "own": load_own,
    "heldout": load_heldout,
    "bitext": load_bitext,
    "atec": load_atec,
    "tatoeba": load_tatoeba,
}


# Measuring ----------------------------------------------------------------------------------


def evaluate(queries: list[Query]) -> dict:
    from storedesk.helpcenter.search import search_articles

    results = {}
    for mode in MODES:
        started_mode = time.monotonic()
        per_lang: dict[str, dict] = {}
        for query in queries:
            stats = per_lang.setdefault(
                query.lang,
                {"answerable": 0, "hit1": 0, "hit3": 0, "rr": 0.0, "unanswerable": 0,
                 "unanswerable_empty": 0, "misses": [], "ms": []},
            )  # fmt: skip
            started = time.perf_counter()
            hits = search_articles(query.store, query.q, limit=10, mode=mode)
            stats["ms"].append(1000 * (time.perf_counter() - started))
            keys = [hit.article.key for hit in hits]
            if query.expected is None:
                stats["unanswerable"] += 1
                stats["unanswerable_empty"] += not keys
                continue
            stats["answerable"] += 1
            if query.expected in keys:
                rank = keys.index(query.expected) + 1
                stats["rr"] += 1 / rank
                stats["hit1"] += rank == 1
                stats["hit3"] += rank <= 3
            if not keys or keys[0] != query.expected:
                stats["misses"].append({"q": query.q, "expected": query.expected, "got": keys[:3]})
        results[mode] = {lang: _summary(s) for lang, s in sorted(per_lang.items())}
        log(f"{mode}: {len(queries)} queries in {time.monotonic() - started_mode:.1f} s")
    return results


def _summary(s: dict) -> dict:
    answerable = max(s["answerable"], 1)
    return {
        "queries": s["answerable"],
        "hit@1": round(s["hit1"] / answerable, 3),
        "hit@3": round(s["hit3"] / answerable, 3),
        "mrr": round(s["rr"] / answerable, 3),
        "unanswerable_with_no_result": f"{s['unanswerable_empty']}/{s['unanswerable']}",
        "ms_p50": round(sorted(s["ms"])[len(s["ms"]) // 2], 1),
        "misses": s["misses"],
    }


def print_table(name: str, results: dict, reference: dict[str, float]) -> None:
    langs = sorted({lang for mode in results.values() for lang in mode})
    unanswerable = any(
        not r["unanswerable_with_no_result"].endswith("/0")
        for mode in results.values()
        for r in mode.values()
    )
    header = (
        f"{'mode':9} {'lang':8} {'queries':>7} {'hit@1':>6} {'hit@3':>6} {'MRR':>6} {'p50 ms':>7}"
    )
    if reference:
        header += f"  published ({REFERENCE})"
    if unanswerable:
        header += "  no result for unanswerable"
    print(f"\n{name}")
    print(header)
    for mode in MODES:
        for lang in langs:
            r = results[mode][lang]
            line = (
                f"{mode:9} {lang:8} {r['queries']:7d} {r['hit@1']:6.3f} {r['hit@3']:6.3f} "
                f"{r['mrr']:6.3f} {r['ms_p50']:7.1f}"
            )
            if reference:  # the model's own accuracy: beside the semantic mode only
                published = reference.get(lang) if mode == "semantic" else None
                line += f"  {published:.3f}" if published is not None else ""
            if unanswerable:
                line += f"  {r['unanswerable_with_no_result']}"
            print(line.rstrip())
    sys.stdout.flush()


LEARNING_SETS = {"own": OWN_SET, "heldout": HELDOUT_SET}
LEARNING_READERS = 2  # different readers asking each learned query (LEARN_MIN_READERS)


def learn_from(store, path: Path) -> dict:
    """Readers ask the answerable queries of ``path`` on the help-center search page and,
    when the right article is among the ten results, open it: ``LEARNING_READERS`` readers
    each, through the product's own services (``search_record``, ``search_click``), so the
    help center learns those questions as it would in use."""
    from storedesk.helpcenter.models import ArticleQuestion, SearchSource
    from storedesk.helpcenter.search import search_articles
    from storedesk.helpcenter.services import search_click, search_record

    raw = json.loads(path.read_text(encoding="utf-8"))["queries"]
    asked = found = 0
    started = time.monotonic()
    for query in raw:
        if not query["expected"]:
            continue
        asked += 1
        for reader in range(LEARNING_READERS):
            hits = search_articles(store, query["q"], limit=10)
            article = next((h.article for h in hits if h.article.key == query["expected"]), None)
            search_id = search_record(
                store=store,
                source=SearchSource.HELP_CENTER,
                locale="",
                query=query["q"],
                hits=hits,
                reader=f"bench-reader-{reader}",
            )
            if article is not None:
                search_click(store=store, search_id=search_id, article_id=article.pk)
                found += reader == 0
    learned = ArticleQuestion.objects.filter(store=store, active=True).count()
    seconds = time.monotonic() - started
    log(f"learned {learned} questions from {asked} queries ({found} found) in {seconds:.0f} s")
    return {
        "source": str(path.relative_to(BENCH_DIR)),
        "asked": asked,
        "found": found,
        "learned": learned,
    }


def run_set(name: str, args) -> dict:
    from django.conf import settings

    log(f"{name}: building")
    started = time.monotonic()
    evalset = LOADERS[name](args)
    if args.learn_from:
        if name not in LEARNING_SETS:
            raise SystemExit("--learn-from applies to the own and heldout sets")
        evalset.about["learned"] = learn_from(
            evalset.queries[0].store, LEARNING_SETS[args.learn_from]
        )
        name = f"{name}-learned-from-{args.learn_from}"
    queries = evalset.queries
    if args.limit and len(queries) > args.limit:
        keep = set(random.Random(args.seed).sample(range(len(queries)), args.limit))
        queries = [query for n, query in enumerate(queries) if n in keep]
    results = evaluate(queries)
    seconds = time.monotonic() - started
    print_table(f"{name}: {len(queries)} queries", results, evalset.reference)
    if args.show_misses:
        for lang, r in results["fused"].items():
            for miss in r["misses"]:
                print(
                    f"  miss [{lang}] {miss['q']!r}: expected {miss['expected']}, got {miss['got']}"
                )
    report = {
        "benchmark": "search_quality",
        "set": name,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cores": os.cpu_count()},
        "embedder": settings.SEARCH_EMBEDDER,
        "options": {
            "seed": args.seed,
            "pairs": args.pairs,
            "limit": args.limit,
            "omp_threads": os.environ.get("OMP_NUM_THREADS"),
        },
        "data": evalset.about,
        "import": {
            "translations": evalset.translations,
            "seconds": round(evalset.import_seconds, 2),
        },
        "seconds": round(seconds, 1),
        "reference": {"source": REFERENCE, "hit@1": evalset.reference}
        if evalset.reference
        else None,
        "results": results,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"search_quality-{name}-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    log(f"{name}: {seconds:.0f} s in all; written to {out}")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--set", default="own", choices=[*LOADERS, "all"])
    parser.add_argument("--home", help="keep the database here (default: a temporary dir)")
    parser.add_argument(
        "--datasets",
        type=Path,
        default=DATASETS_DIR,
        help="folder of the public data sets (default: %(default)s)",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=PAIRS,
        help="atec: articles; tatoeba: sentence pairs per language pair (default: %(default)s)",
    )
    parser.add_argument("--limit", type=int, help="at most this many queries per set (seeded)")
    parser.add_argument("--seed", type=int, default=0, help="for every sample (default: 0)")
    parser.add_argument(
        "--threads",
        type=int,
        help="OpenMP threads of the embedding engine (default: the environment's, else all cores)",
    )
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument(
        "--learn-from",
        choices=sorted(LEARNING_SETS),
        help="own/heldout: first let readers teach the help center this set's questions",
    )
    args = parser.parse_args(argv)
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # read when the engine loads
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="storedesk-sq-"))
    try:
        setup_django(home)
        for name in LOADERS if args.set == "all" else [args.set]:
            run_set(name, args)
    finally:
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
