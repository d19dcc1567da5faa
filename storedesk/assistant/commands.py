"""``storedesk assistant classify`` and ``storedesk assistant eval`` (Django is set up by the
caller)."""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from storedesk.assistant.intents import OUT_OF_SCOPE


def classify_command(text: str, *, as_json: bool = False) -> int:
    from storedesk.assistant.understanding import understand

    result = understand(text)
    if as_json:
        payload = {
            "intent": result.intent,
            "confidence": result.confidence,
            "language": result.language,
        }
        print(json.dumps(payload, ensure_ascii=False))
    else:
        language = result.language or "?"
        print(f"{result.intent} ({result.confidence:.2f}, {language})")
        for intent, probability in result.alternatives:
            print(f"  then {intent} ({probability:.2f})")
    return 0


def eval_command(path: str) -> int:
    """Read a TSV with ``text`` and ``intent`` columns (others become groups) and print
    accuracy on in-scope rows and recall on out-of-scope rows, overall and per group.
    Exit status 2 when the file cannot be read."""
    from storedesk.assistant.understanding import default_model

    try:
        rows = _read_rows(Path(path))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"error: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    model = default_model()
    started = time.perf_counter()
    predictions = model.predict([row["text"] for row in rows])
    seconds = time.perf_counter() - started
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row, prediction in zip(rows, predictions, strict=True):
        pair = (row["intent"], prediction.intent)
        groups["overall"].append(pair)
        for column, value in row.items():
            if column not in ("text", "intent"):
                groups[f"{column}={value}"].append(pair)
    report = {name: _scores(pairs) for name, pairs in groups.items()}
    report["overall"]["ms_per_message"] = round(1000 * seconds / max(len(rows), 1), 2)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def _read_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = {"text", "intent"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"the header needs the columns {', '.join(sorted(missing))}")
        rows = [
            {key: (value or "").strip() for key, value in row.items() if key is not None}
            for row in reader
        ]
    rows = [row for row in rows if row["text"] and row["intent"]]
    if not rows:
        raise ValueError("no rows with a text and an intent")
    return rows


def _scores(pairs: list[tuple[str, str]]) -> dict:
    in_scope = [(gold, got) for gold, got in pairs if gold != OUT_OF_SCOPE]
    out_of_scope = [(gold, got) for gold, got in pairs if gold == OUT_OF_SCOPE]
    return {
        "rows": len(pairs),
        "in_scope_rows": len(in_scope),
        "accuracy": _share(sum(gold == got for gold, got in in_scope), len(in_scope)),
        "out_of_scope_rows": len(out_of_scope),
        "out_of_scope_recall": _share(
            sum(got == OUT_OF_SCOPE for _, got in out_of_scope), len(out_of_scope)
        ),
    }


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None
