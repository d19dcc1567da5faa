"""The intent model: a multinomial logistic regression over ``features.Featurizer`` rows.

Trained from examples (text, intent), one of which may be ``out_of_scope``; a message whose
best intent is less likely than ``threshold`` is out of scope as well, which is how requests
unlike any example are caught. The model keeps weights only for the features seen in
training, so a model over 2,000 examples takes a few megabytes, and it is saved as plain
arrays (``.npz``, no pickle).
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from storedesk.assistant.features import Featurizer

OUT_OF_SCOPE = "out_of_scope"
# Inverse regularisation strength. Between 20 and 100 Banking77 moved by 0.4 points; on
# the project's own set (1,800 examples) 50 beat 20 by 0.6-1.8 points (docs/benchmarks.md).
C = 50.0
DEFAULT_THRESHOLD = 0.3
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float  # the model's probability of ``intent`` (of the best intent when OOS)
    alternatives: tuple[tuple[str, float], ...]  # the next likeliest intents


class IntentModel:
    """``fit`` on examples, then ``predict``. ``embed`` turns a list of texts into
    normalised vectors (``None``: words and character n-grams only)."""

    def __init__(self, embed=None, *, threshold: float = DEFAULT_THRESHOLD):
        self.featurizer = Featurizer(embed)
        self.threshold = threshold
        self.classes: np.ndarray = np.array([])
        self.columns: np.ndarray = np.array([], dtype=np.int64)
        self.coef: np.ndarray = np.zeros((0, 0), dtype=np.float32)
        self.intercept: np.ndarray = np.zeros(0, dtype=np.float32)

    def fit(self, texts: list[str], intents: list[str]) -> IntentModel:
        if len(texts) != len(intents) or not texts:
            raise ValueError("need as many intents as texts, and at least one")
        if len(set(intents)) < 2:
            raise ValueError("need examples of at least two intents")
        matrix = self.featurizer.fit(texts).transform(texts)
        self.columns = np.unique(matrix.indices)
        regression = LogisticRegression(C=C, max_iter=2000)
        regression.fit(matrix[:, self.columns], intents)
        self.classes = regression.classes_
        self.coef = regression.coef_.astype(np.float32)
        self.intercept = regression.intercept_.astype(np.float32)
        if len(self.classes) == 2:  # scikit-learn keeps one row for two classes
            self.coef = np.vstack([-self.coef, self.coef])
            self.intercept = np.concatenate([-self.intercept, self.intercept])
        return self

    def probabilities(self, texts: list[str], vectors=None) -> np.ndarray:
        """(texts, classes) probabilities, classes in ``self.classes`` order. ``vectors``:
        the texts' query embeddings when the caller has them (see ``Featurizer``)."""
        matrix = self.featurizer.transform(texts, vectors)[:, self.columns]
        scores = np.asarray(matrix @ self.coef.T) + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, texts: list[str], vectors=None) -> list[Prediction]:
        predictions = []
        for row in self.probabilities(texts, vectors):
            order = np.argsort(-row)
            best = str(self.classes[order[0]])
            confidence = float(row[order[0]])
            intent = best if confidence >= self.threshold else OUT_OF_SCOPE
            alternatives = tuple(
                (str(self.classes[i]), round(float(row[i]), 4)) for i in order[1:4]
            )
            predictions.append(Prediction(intent, round(confidence, 4), alternatives))
        return predictions

    # --- Saving ---------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        word_idf, char_idf = self.featurizer.idf
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of this writer's own: two processes training the same model never write
        # into one file.
        partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.partial.npz")
        np.savez_compressed(
            partial,
            version=np.array(FORMAT_VERSION),
            classes=self.classes.astype(str),
            columns=self.columns,
            coef=self.coef,
            intercept=self.intercept,
            word_idf=word_idf,
            char_idf=char_idf,
            threshold=np.array(self.threshold),
        )
        partial.replace(path)  # readers never see half a file

    @classmethod
    def load(cls, path: Path, embed=None) -> IntentModel:
        with np.load(path, allow_pickle=False) as data:
            if int(data["version"]) != FORMAT_VERSION:
                raise ValueError(f"{path}: model format {int(data['version'])}")
            model = cls(embed, threshold=float(data["threshold"]))
            model.classes = data["classes"]
            model.columns = data["columns"]
            model.coef = data["coef"]
            model.intercept = data["intercept"]
            model.featurizer.idf = (data["word_idf"], data["char_idf"])
        return model


def training_key(texts: list[str], intents: list[str], embedder_name: str) -> str:
    """A digest naming a model trained on exactly these examples with this embedder."""
    digest = hashlib.sha256(f"{FORMAT_VERSION}|{embedder_name}|{C}".encode())
    for text, intent in zip(texts, intents, strict=True):
        digest.update(f"{intent}\t{text}\n".encode())
    return digest.hexdigest()[:24]
