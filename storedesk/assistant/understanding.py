"""Understanding a customer's message: its language and its intent.

The intent model is trained from the bundled examples the first time a process needs it
(about 15 seconds on one core, most of it embedding the examples) and saved under
``STOREDESK_HOME/cache/``; later processes load it in milliseconds. A change of the
examples or of the embedder trains a new one.
"""

from __future__ import annotations

import csv
import os
import threading
import zipfile
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
    """A model trained on ``examples`` (``embedder``: the search engine's, or None). The
    examples' embeddings are remembered for the next training; customers' messages later
    given to the model are not."""
    embed = _batch_queries(embedder, remember=True) if embedder is not None else None
    model = IntentModel(embed).fit([e.text for e in examples], [e.intent for e in examples])
    if embedder is not None:
        model.featurizer.embed = _batch_queries(embedder)
    return model


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


def default_model_ready() -> bool:
    """Whether ``default_model()`` answers without training first (loaded in this process,
    or trained and cached on disk already): background work that can wait for it asks
    first instead of blocking for the minute a first training takes."""
    if _model is not None:
        return True
    path, _embedder = _model_path(bundled_examples())
    return path.exists()


def _load_or_train(examples: list[Example]) -> IntentModel:
    path, embedder = _model_path(examples)
    model = _load(path, embedder)
    if model is None:
        model = train(examples, embedder)
        model.save(path)
        _save_vectors(embedder)
    return model


def _model_path(examples: list[Example]):
    """Where the model of ``examples`` is cached, and the embedder it uses."""
    from django.conf import settings

    from storedesk.search.embedders import get_embedder

    embedder = get_embedder()
    name = embedder.name if embedder is not None else "none"
    key = training_key([e.text for e in examples], [e.intent for e in examples], name)
    return Path(settings.HOME) / "cache" / f"intents-{key}.npz", embedder


def _load(path: Path, embedder) -> IntentModel | None:
    if not path.exists():
        return None
    embed = _batch_queries(embedder) if embedder is not None else None
    try:
        return IntentModel.load(path, embed)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # unreadable, damaged or an older format: train again


# --- The shop's own intents and examples ------------------------------------------------------

_store_models: dict[Path, IntentModel] = {}


def store_examples(store_id: int) -> list[Example]:
    """The examples a shop added (its own intents, or more for built-in ones)."""
    from storedesk.assistant.models import ShopIntent

    return [
        Example(text, intent.name, "")
        for intent in ShopIntent.objects.filter(store_id=store_id).order_by("name")
        for text in intent.example_lines
    ]


def model_for_store(store_id: int) -> IntentModel:
    """The intent model of a store: the default one, or, when the shop added intents or
    examples, the one trained with them (until that is trained, in a task after the
    change, the default one)."""
    extra = store_examples(store_id)
    if not extra:
        return default_model()
    path, embedder = _model_path(bundled_examples() + extra)
    with _lock:
        model = _store_models.get(path)
    if model is None:
        model = _load(path, embedder)
        if model is None:
            return default_model()
        with _lock:
            if len(_store_models) > 50:
                _store_models.clear()
            _store_models[path] = model
    return model


def train_store_model(store_id: int) -> bool:
    """Train (and cache) the store's model with its shop's examples; False when the shop
    has none. Embeddings of the bundled examples are reused, so this takes seconds."""
    extra = store_examples(store_id)
    if not extra:
        return False
    examples = bundled_examples() + extra
    path, embedder = _model_path(examples)
    if not path.exists():
        _load_vectors(embedder)
        train(examples, embedder).save(path)
    return True


# Query embeddings of example texts, by embedder: training a shop's model embeds only its
# own examples. Kept on disk next to the models (``example-vectors-<embedder>.npz``).
_vectors: dict[tuple[str, str], object] = {}
MAX_REMEMBERED_VECTORS = 20_000
_vectors_lock = threading.Lock()


def _vectors_path(embedder) -> Path:
    import hashlib

    from django.conf import settings

    name = hashlib.sha256(embedder.name.encode()).hexdigest()[:16]
    return Path(settings.HOME) / "cache" / f"example-vectors-{name}.npz"


def _save_vectors(embedder) -> None:
    import numpy as np

    if embedder is None:
        return
    with _vectors_lock:
        texts = [text for (name, text) in _vectors if name == embedder.name]
        if not texts:
            return
        matrix = np.stack([_vectors[(embedder.name, text)] for text in texts])
    path = _vectors_path(embedder)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    with partial.open("wb") as handle:
        np.savez_compressed(handle, texts=np.array(texts), vectors=matrix)
    partial.replace(path)  # readers never see half a file


def _load_vectors(embedder) -> None:
    import numpy as np

    if embedder is None:
        return
    path = _vectors_path(embedder)
    if not path.exists():
        return
    try:
        with np.load(path, allow_pickle=False) as data:
            texts, matrix = [str(t) for t in data["texts"]], data["vectors"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        path.unlink(missing_ok=True)  # damaged: the examples are embedded again
        return
    with _vectors_lock:
        for text, vector in zip(texts, matrix, strict=True):
            _vectors.setdefault((embedder.name, text), vector)


def _batch_queries(embedder, remember: bool = False):
    """Texts → query embeddings, as the search engine embeds a reader's question. Known
    example texts are not embedded again; with ``remember`` new ones become known."""
    import numpy as np

    def embed(texts: list[str]):
        rows = []
        for text in texts:
            key = (embedder.name, text)
            with _vectors_lock:
                vector = _vectors.get(key)
            if vector is None:
                vector = embedder.query(text)
                if remember:
                    with _vectors_lock:
                        if len(_vectors) < MAX_REMEMBERED_VECTORS:
                            _vectors[key] = vector
            rows.append(vector)
        return np.stack(rows)

    return embed


def understand(
    text: str, *, model: IntentModel | None = None, store_id: int | None = None
) -> Understanding:
    """The intent and language of one customer message."""
    from storedesk.search.language import detect_language

    text = " ".join((text or "").split())
    if model is None:
        model = model_for_store(store_id) if store_id is not None else default_model()
    prediction: Prediction = model.predict([text])[0]
    language = detect_language(text, candidates=LANGUAGES) if text else None
    return Understanding(
        intent=prediction.intent,
        confidence=prediction.confidence,
        language=language,
        alternatives=prediction.alternatives,
    )
