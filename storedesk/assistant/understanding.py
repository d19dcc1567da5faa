"""Understanding a customer's message: its language and its intent.

The intent model is trained from the bundled examples the first time a process needs it
(about 15 seconds on one core, most of it embedding the examples) and saved under
``STOREDESK_HOME/cache/``; later processes load it in milliseconds. A change of the
examples or of the embedder trains a new one.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from pathlib import Path

from storedesk.assistant.classifier import IntentModel, Prediction, training_key
from storedesk.assistant.intents import INTENTS

EXAMPLES_DIR = Path(__file__).resolve().parent / "data" / "examples"
# The languages the assistant has examples in; detection chooses among them (hr also
# stands for Serbian and Bosnian, which the detector folds into it).
LANGUAGES = ("en", "zh-hans", "hr")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    locale: str


@dataclass(frozen=True)
class Understanding:
    intent: str
    confidence: float
    language: str | None  # one of LANGUAGES, or None when too short to tell
    alternatives: tuple[tuple[str, float], ...]


def read_examples(path: Path, locale: str = "") -> list[Example]:
    """Examples from a TSV file with ``intent`` and ``text`` columns (a ``lang`` column, if
    present, gives each row's language)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            Example(row["text"].strip(), row["intent"].strip(), row.get("lang") or locale)
            for row in rows
            if (row.get("text") or "").strip() and (row.get("intent") or "").strip()
        ]


def bundled_examples() -> list[Example]:
    """The examples shipped with storedesk, every language."""
    examples = []
    for locale in LANGUAGES:
        examples += read_examples(EXAMPLES_DIR / f"{locale}.tsv", locale)
    unknown = {example.intent for example in examples} - set(INTENTS)
    if unknown:
        raise ValueError(f"bundled examples name unknown intents: {sorted(unknown)}")
    return examples


def train(examples: list[Example], embedder=None) -> IntentModel:
    """A model trained on ``examples`` (``embedder``: the search engine's, or None)."""
    embed = _batch_queries(embedder) if embedder is not None else None
    return IntentModel(embed).fit([e.text for e in examples], [e.intent for e in examples])


_model: IntentModel | None = None
_lock = threading.Lock()


def default_model() -> IntentModel:
    """The model of the bundled examples, trained once per installation (cached on disk)
    and loaded once per process."""
    global _model
    with _lock:
        if _model is None:
            _model = _load_or_train(bundled_examples())
        return _model


def _load_or_train(examples: list[Example]) -> IntentModel:
    from django.conf import settings

    from storedesk.search.embedders import get_embedder

    embedder = get_embedder()
    embed = _batch_queries(embedder) if embedder is not None else None
    name = embedder.name if embedder is not None else "none"
    key = training_key([e.text for e in examples], [e.intent for e in examples], name)
    path = Path(settings.HOME) / "cache" / f"intents-{key}.npz"
    if path.exists():
        try:
            return IntentModel.load(path, embed)
        except (OSError, ValueError, KeyError):
            pass  # unreadable or an older format: train again
    model = train(examples, embedder)
    model.save(path)
    return model


def _batch_queries(embedder):
    """Texts → query embeddings, as the search engine embeds a reader's question."""
    import numpy as np

    def embed(texts: list[str]):
        return np.stack([embedder.query(text) for text in texts])

    return embed


def understand(text: str, *, model: IntentModel | None = None) -> Understanding:
    """The intent and language of one customer message."""
    from storedesk.search.language import detect_language

    text = " ".join((text or "").split())
    prediction: Prediction = (model or default_model()).predict([text])[0]
    language = detect_language(text, candidates=LANGUAGES) if text else None
    return Understanding(
        intent=prediction.intent,
        confidence=prediction.confidence,
        language=language,
        alternatives=prediction.alternatives,
    )
