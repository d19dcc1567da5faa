"""Search quality of the help center: hit@1, hit@3 and MRR per language, for lexical only,
semantic only and fused ranking.

Data sets (``--set``):

- ``own`` (default): ``bench/data/helpcenter_eval.json``, a help center in English, Chinese
  and Croatian (a third of the articles in English only) with 50 answerable queries per
  language written for this project, plus 10 per language that nothing answers (reported as
  the share that got no result).

The script builds a fresh SQLite database under a temporary directory (``--home`` keeps
it), imports the help center through the product's services (indexing included) and runs
every query through ``storedesk.helpcenter.search.search_articles`` without a reader
locale, as the chat widget does. It prints a table and writes JSON to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
OWN_SET = BENCH_DIR / "data" / "helpcenter_eval.json"
MODES = ("lexical", "semantic", "fused")


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


def load_own_set(data: dict):
    """Import the evaluation help center; returns the store."""
    from storedesk.helpcenter.services import article_save, category_save
    from storedesk.stores.models import Store
    from storedesk.stores.services import store_create

    spec = data["store"]
    store = Store.objects.filter(slug=spec["slug"]).first()
    if store is None:
        store = store_create(
            name=spec["name"],
            slug=spec["slug"],
            default_locale=spec["default_locale"],
            supported_locales=spec["locales"],
        )
    categories = {
        c["slug"]: category_save(store=store, slug=c["slug"], names=c["names"])
        for c in data["categories"]
    }
    started = time.monotonic()
    translations = 0
    for article in data["articles"]:
        for locale, t in article["translations"].items():
            article_save(
                store=store,
                key=article["key"],
                slug=t["slug"],
                locale=locale,
                title=t["title"],
                body=t["body"],
                category=categories.get(article.get("category")),
                publish=True,
            )
            translations += 1
    seconds = time.monotonic() - started
    log(
        f"imported {len(data['articles'])} articles, {translations} translations in {seconds:.1f} s"
    )
    return store, translations, seconds


def evaluate(store, queries: list[dict]) -> dict:
    from storedesk.helpcenter.search import search_articles

    results = {}
    for mode in MODES:
        per_lang: dict[str, dict] = {}
        for query in queries:
            lang = query["lang"]
            stats = per_lang.setdefault(
                lang,
                {"answerable": 0, "hit1": 0, "hit3": 0, "rr": 0.0, "unanswerable": 0,
                 "unanswerable_empty": 0, "misses": [], "ms": []},
            )  # fmt: skip
            started = time.perf_counter()
            hits = search_articles(store, query["q"], limit=10, mode=mode)
            stats["ms"].append(1000 * (time.perf_counter() - started))
            keys = [hit.article.key for hit in hits]
            if query["expected"] is None:
                stats["unanswerable"] += 1
                stats["unanswerable_empty"] += not keys
                continue
            stats["answerable"] += 1
            if query["expected"] in keys:
                rank = keys.index(query["expected"]) + 1
                stats["rr"] += 1 / rank
                stats["hit1"] += rank == 1
                stats["hit3"] += rank <= 3
            if not keys or keys[0] != query["expected"]:
                stats["misses"].append(
                    {"q": query["q"], "expected": query["expected"], "got": keys[:3]}
                )
        results[mode] = {
            lang: {
                "queries": s["answerable"],
                "hit@1": round(s["hit1"] / s["answerable"], 3),
                "hit@3": round(s["hit3"] / s["answerable"], 3),
                "mrr": round(s["rr"] / s["answerable"], 3),
                "unanswerable_with_no_result": f"{s['unanswerable_empty']}/{s['unanswerable']}",
                "ms_p50": round(sorted(s["ms"])[len(s["ms"]) // 2], 1),
                "misses": s["misses"],
            }
            for lang, s in per_lang.items()
        }
    return results


def print_table(results: dict) -> None:
    langs = sorted({lang for mode in results.values() for lang in mode})
    print(f"{'mode':9} {'lang':8} {'hit@1':>6} {'hit@3':>6} {'MRR':>6}  no result for unanswerable")
    for mode in MODES:
        for lang in langs:
            r = results[mode][lang]
            print(
                f"{mode:9} {lang:8} {r['hit@1']:6.3f} {r['hit@3']:6.3f} {r['mrr']:6.3f}  "
                f"{r['unanswerable_with_no_result']}"
            )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="own", choices=["own"])
    parser.add_argument("--home", help="keep the database here (default: a temporary dir)")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="storedesk-sq-"))
    setup_django(home)
    data = json.loads(OWN_SET.read_text(encoding="utf-8"))
    store, translations, import_seconds = load_own_set(data)
    results = evaluate(store, data["queries"])
    print_table(results)
    if args.show_misses:
        for lang, r in results["fused"].items():
            for miss in r["misses"]:
                print(
                    f"  miss [{lang}] {miss['q']!r}: expected {miss['expected']}, got {miss['got']}"
                )
    from django.conf import settings

    report = {
        "benchmark": "search_quality",
        "set": args.set,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cores": os.cpu_count()},
        "embedder": settings.SEARCH_EMBEDDER,
        "import": {"translations": translations, "seconds": round(import_seconds, 2)},
        "results": results,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"search_quality-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    log(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
