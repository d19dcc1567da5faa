"""Language detection for customer messages and search queries.

``detect_language`` answers with a language code, or ``None`` when the text does not say.
Text that is mostly Han characters is Chinese without asking the model; everything else goes
to py3langid's naive Bayes model (loaded on first use: about 1.3 s and 75 MB per process),
restricted to the store's languages when the caller names them. Croatian, Serbian and Bosnian
are one language here, as they are for the analyzers.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterable
from functools import cached_property, lru_cache

from storedesk.search.analyzers import HAN_RE, HBS, SIMPLE, ZH, base_language, language_group

MAX_SAMPLE = 1000
"""Only the first characters are read: more text does not change the answer, only the time."""

MIN_LETTERS = 3
"""Fewer letters than this ("ok", "#1042") say nothing about the language; two Han
characters ("退货") are a word, and enough."""

MIN_CONFIDENCE = 0.7
"""Below this probability (after joining hr/sr/bs and the Chinese labels) the answer is None."""

# Languages the model knows that are written in Cyrillic: when a store has one of these,
# Cyrillic text is not necessarily Serbian.
_CYRILLIC_LANGUAGES = frozenset({"ru", "uk", "be", "bg", "mk", "kk", "ky", "mn", "tg", "tt", "ba"})

_KANA_HANGUL_RE = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f\uac00-\ud7af\u1100-\u11ff]")
_CYRILLIC_RE = re.compile("[\u0400-\u04ff]")
_LETTERS_RE = re.compile(r"[^\W\d_]+")

_model_lock = threading.Lock()
_model = None


def detect_language(text: str, candidates: Iterable[str] | None = None) -> str | None:
    """The language ``text`` is written in, or None when it is too short or ambiguous.

    ``candidates`` (a store's language codes, e.g. ``["hr", "en"]``) restricts the answer to
    them, and the answer is then the candidate as given ("zh-Hant", not "zh"). hr, sr and bs
    count as one language: if any is a candidate, text in any of the three is that candidate
    (the one the model names when several are candidates). Cyrillic text is "sr" (or the
    store's hbs code) when the store has an hbs language and no other Cyrillic one. With a
    single candidate there is nothing to decide: it is returned for any text with letters.
    An empty ``candidates`` means no restriction; the answer is then the model's label ("hr",
    "de", "yue", ...) or "zh" for Han text. Safe to call from any thread.
    """
    sample = text[:MAX_SAMPLE]
    letters = sum(map(len, _LETTERS_RE.findall(sample)))
    han = len(HAN_RE.findall(sample))
    if letters < MIN_LETTERS and han < 2:
        return None
    choices = _Choices.of(candidates)

    other_words = len(_LETTERS_RE.findall(HAN_RE.sub(" ", sample)))
    # A Han character weighs as much as a word of another script ("我的iPhone坏了" is Chinese).
    if han > other_words and not _KANA_HANGUL_RE.search(sample):
        if choices is None:
            return ZH
        if ZH in choices.by_key:
            return choices.pick(ZH, ZH)
    if choices is None:
        return _classify(sample, None)
    if len(choices.by_key) == 1 and len(codes := next(iter(choices.by_key.values()))) == 1:
        return codes[0]
    if (
        HBS in choices.by_key
        and not _CYRILLIC_LANGUAGES & choices.by_key.keys()
        and len(_CYRILLIC_RE.findall(sample)) * 2 > letters
    ):
        return choices.pick(HBS, "sr")
    if not choices.labels:
        return None
    label = _classify(sample, choices.labels)
    return choices.pick(_key(label), label) if label else None


@lru_cache(maxsize=1024)
def _key(code: str) -> str:
    """What counts as one language: hr/sr/bs → "hbs", zh/yue/wuu → "zh", nb/nn → "no"."""
    group = language_group(code)
    return base_language(code) if group == SIMPLE else group


class _Choices:
    """A candidate list resolved once: candidate codes by key and the model labels to use."""

    def __init__(self, candidates: tuple[str, ...]):
        self.by_key: dict[str, list[str]] = {}
        for code in candidates:
            self.by_key.setdefault(_key(code), []).append(code)

    @cached_property
    def labels(self) -> frozenset[str]:
        """The model labels of the candidates (reading them loads the model)."""
        known = _identifier(None).nb_classes
        return frozenset(label for label in known if _key(label) in self.by_key)

    @staticmethod
    def of(candidates: Iterable[str] | None) -> _Choices | None:
        codes = tuple(dict.fromkeys(c for c in candidates or () if c and c.strip()))
        return _choices(codes) if codes else None

    def pick(self, key: str, label: str) -> str:
        """The candidate for ``key``: the one naming ``label`` if there is one, else the first."""
        codes = self.by_key[key]
        for code in codes:
            if base_language(code) == label:
                return code
        return codes[0]


@lru_cache(maxsize=256)
def _choices(codes: tuple[str, ...]) -> _Choices:
    return _Choices(codes)


def _classify(sample: str, labels: frozenset[str] | None) -> str | None:
    """The model's label for ``sample`` among ``labels`` (None: all), if confident enough."""
    scores: dict[str, float] = {}
    best: dict[str, str] = {}
    for label, probability in _identifier(labels).rank(sample):
        key = _key(label)
        scores[key] = scores.get(key, 0.0) + probability
        best.setdefault(key, label)  # rank() is ordered: the first label of a key is its best
    key = max(scores, key=scores.__getitem__)
    if scores[key] < MIN_CONFIDENCE or key == "zxx":  # zxx: "no linguistic content"
        return None
    return best[key]


@lru_cache(maxsize=64)
def _identifier(labels: frozenset[str] | None):
    """A py3langid identifier restricted to ``labels``, one per label set.

    Restricted identifiers are shallow copies of the full one: they share its 75 MB byte
    automaton and only get their own slice of the class table. Classifying only reads, so
    one identifier serves every thread.
    """
    global _model
    with _model_lock:
        if _model is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if labels is None:
        return _model
    identifier = copy.copy(_model)
    identifier.set_languages(sorted(labels))
    return identifier


def detected_locale(text: str, locales) -> str | None:
    """The one of ``locales`` that ``text`` is written in (detected among them, hr/sr/bs as
    one), or ``None`` when the text is too short or ambiguous."""
    locales = tuple(locales)
    detected = detect_language(text, candidates=locales)
    return matching_locale(detected, locales) if detected else None


def matching_locale(language: str, locales) -> str | None:
    """The first of ``locales`` in ``language``'s analyzer group ("sr" matches "hr",
    "zh-TW" matches "zh-hans"), or ``None``."""
    from storedesk.search.analyzers import language_group

    group = language_group(language)
    return next((locale for locale in locales if language_group(locale) == group), None)
