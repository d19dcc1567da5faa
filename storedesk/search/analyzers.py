"""Language analyzers: text in, index terms out.

The search index stores each document as its analyzed terms joined by spaces (SQLite FTS5
with ``unicode61 remove_diacritics 0``, PostgreSQL ``to_tsvector('simple', ...)``), and a
query is analyzed the same way before it is matched. So every term is:

- casefolded, NFKC-normalised, stemmed where a stemmer exists, without combining marks;
- made of letters only or of digits only (``iphone15`` gives ``iphone``, ``15``), so neither
  FTS5 nor PostgreSQL's parser splits it again and the stored text round-trips;
- at most ``MAX_TERM_LENGTH`` characters.

Analyzer groups (see ``language_group``):

- ``"zh"``: Chinese, Simplified and Traditional. Traditional is folded to Simplified
  (OpenCC's ``t2s``) before segmentation with jieba, so either script finds the other.
- ``"hbs"``: Croatian, Serbian and Bosnian as one language. Cyrillic is transliterated to
  Latin, then diacritics are folded the way customers type without them (č, ć → c, š → s,
  ž → z, and đ and its spelling "dj" → d), then the Snowball ``serbian`` stemmer runs. Folding
  comes first because the stemmer has separate rules for words without diacritics: stemming
  first would give "dostavljača" and "dostavljaca" different terms.
- every language with a Snowball stemmer in PyStemmer (``"en"``, ``"de"``, ...): stemmed,
  then diacritics are removed ("resume" finds "résumé").
- ``"simple"`` for the rest: NFKC, casefold, no combining marks. Scripts written without
  spaces (Thai, Lao, Khmer, Myanmar, Han and Hiragana outside Chinese text) give one term per
  character, runs of Katakana one term, as Unicode word boundaries (UAX #29) do.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache, lru_cache
from types import SimpleNamespace

import Stemmer

ZH = "zh"
HBS = "hbs"
SIMPLE = "simple"

MAX_TERM_LENGTH = 64
"""Longer words (pasted hashes, base64) are cut to this many characters before analysis."""

# ISO 639-1 code -> PyStemmer (Snowball) algorithm. Serbian is the "hbs" group.
SNOWBALL_ALGORITHMS = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "eo": "esperanto",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "st": "sesotho",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
_ALIASES = {"nb": "no", "nn": "no", "in": "id", "iw": "he", "ji": "yi"}
_HBS_CODES = frozenset({"hbs", "sh", "hr", "sr", "bs", "cnr", "hrv", "srp", "bos"})
_ZH_CODES = frozenset({"zh", "zho", "chi", "cmn", "yue", "wuu"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Short lists: words that carry no meaning for a customer-service search.
_EN_STOPWORDS = _words(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with"
)
# Folded spelling (no diacritics), compared before stemming.
_HBS_STOPWORDS = _words(
    "a ali bi biti ce cu da do ga i ih ili im iz ja je jer joj k ka kao li me mi mu na nas ne "
    "ni o od on ona oni ono pa po s sa se si sam smo ste su ta taj te ti to u uz vi za"
)
_ZH_STOPWORDS = _words(
    "的 了 吗 呢 吧 啊 呀 哦 嘛 么 着 过 得 地 是 在 和 与 及 或 也 都 就 而 之 把 被 给 对 从 于 "
    "这 那 我 你 您 他 她 它 们 我们 你们 他们 她们 它们"
)

_SERBIAN_CYRILLIC = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž",
        "з": "z", "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n",
        "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u",
        "ф": "f", "х": "h", "ц": "c", "ч": "č", "џ": "dž", "ш": "š",
    }
)  # fmt: skip
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, as typed with Chinese input
# methods; jieba would split full-width digits one by one.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_NO_SPACE = _HAN + "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u309f"
_KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
HAN_RE = re.compile(f"[{_HAN}]")
_HAN_RUN_RE = re.compile(f"[{_HAN}]{{2,}}")
_HAN_ONLY_RE = re.compile(f"[{_HAN}]+")
_NO_SPACE_RE = re.compile(f"[{_NO_SPACE}{_KATAKANA}]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_TERM_RE = re.compile(r"[^\W_]+")

_local = threading.local()
_converter_lock = threading.Lock()
_converter = None


def base_language(code: str) -> str:
    """The primary language subtag of a locale code, lowercased: "zh_Hant" → "zh"."""
    return code.strip().lower().replace("_", "-").split("-", 1)[0]


def language_group(code: str) -> str:
    """The analyzer key for a language or locale code.

    "hr", "sr-Latn", "bs" → "hbs"; "zh-Hans", "zh_Hant", "zh-TW" → "zh"; "en-GB" → "en";
    "nb" → "no"; a language without a stemmer (and anything unparsable) → "simple". Group keys
    map to themselves, so ``analyze(text, language_group(code))`` equals ``analyze(text, code)``.
    """
    base = base_language(code)
    base = _ALIASES.get(base, base)
    if base in _HBS_CODES:
        return HBS
    if base in _ZH_CODES:
        return ZH
    if base in SNOWBALL_ALGORITHMS:
        return base
    return SIMPLE


def analyze(text: str, language: str) -> list[str]:
    """The index terms of ``text`` in order, for a language code or analyzer key.

    Stopwords (en, hbs, zh) are left out. Numbers and order references stay searchable:
    "#A-1042" gives "a" (an English stopword), "1042"; "SO-2024-118" gives "so", "2024", "118".
    Chinese is indexed with jieba's search mode: each word and the dictionary words inside
    longer ones ("订单号" → "订单", "单号", "订单号"), so a query for a part finds the whole.
    Never raises on odd strings (empty, lone surrogates, NUL, emoji, direction marks).
    """
    return [term for term, _, _ in tokens_with_offsets(text, language)]


def analyze_query(text: str, language: str) -> list[str]:
    """The terms to look up for a search query typed in ``language``.

    The same as ``analyze`` except for Chinese, where the query is segmented in jieba's
    precise mode, each word of three or more Han characters is looked up as its pairs of
    adjacent characters ("信用卡" → 信用, 用卡) and a lone character as the pair it forms
    with its neighbour ("快递柜", cut 快递 + 柜, → 快递, 递柜): the index holds those pairs
    for every sentence (:func:`index_tokens`), however jieba cut it there. Search mode here
    would only add terms that every match must also contain.
    """
    return [term for _, terms in query_words(text, language) for term in terms]


def query_words(text: str, language: str) -> list[tuple[str, list[str]]]:
    """Each word of a query with the terms it is looked up as (:func:`analyze_query` is
    their concatenation). The words are stable keys (a Chinese word as jieba's precise mode
    cuts it, else the analyzed term); several terms only for Chinese words looked up as
    character pairs."""
    text = _clean(text)
    group = language_group(language)
    if group == ZH:
        return _chinese_query_words(text)
    return [(term, [term]) for term, _, _ in _word_tokens(text, group)]


def _chinese_query_words(text: str) -> list[tuple[str, list[str]]]:
    simplified = _to_simplified(text.translate(_FULLWIDTH))
    found = []
    for term, start, _ in _chinese_tokens(text, search_mode=False):
        if not _HAN_ONLY_RE.fullmatch(term):
            found.append((term, [term]))
        elif len(term) > 2:
            found.append((term, _han_bigrams(term)))
        elif len(term) == 1:
            # A lone character jieba split off a word it does not know (快递|柜): looked up
            # as the pair it forms with its neighbour, which the index holds.
            found.append((term, [_pair_around(simplified, start) or term]))
        else:
            found.append((term, [term]))
    return found


def _pair_around(text: str, index: int) -> str | None:
    for start in (index, index - 1):
        pair = text[max(start, 0) : start + 2]
        if len(pair) == 2 and _HAN_ONLY_RE.fullmatch(pair) and not _has_stopword_character(pair):
            return pair
    return None


def index_tokens(text: str, language: str) -> list[tuple[str, int, int]]:
    """What the search index stores of ``text``: :func:`tokens_with_offsets`, plus for
    Chinese every pair of adjacent Han characters that is not already a word there.

    jieba segments a sentence and a short query differently where a word is not in its
    dictionary: "快递柜自提" gives 快递 + 柜自提, "还没收到" gives 还 + 没收 + 到. Pairs of
    characters bridge that, as in other CJK search engines: a query's long words are looked
    up as their pairs (:func:`analyze_query`), so 快递柜 (快递 + 递柜) and 收到 match those
    sentences. Pairs holding a stopword (的, 了, 我...) are left out."""
    tokens = tokens_with_offsets(text, language)
    if language_group(language) != ZH:
        return tokens
    text = _to_simplified(_clean(text).translate(_FULLWIDTH))
    spans = {(start, end) for _, start, end in tokens}
    for run in _HAN_RUN_RE.finditer(text):
        for start in range(run.start(), run.end() - 1):
            pair = text[start : start + 2]
            if (start, start + 2) not in spans and not _has_stopword_character(pair):
                tokens.append((pair, start, start + 2))
    return tokens


def index_terms(text: str, language: str) -> list[str]:
    """The terms of :func:`index_tokens`: what the search index stores for ``text``."""
    return [term for term, _, _ in index_tokens(text, language)]


def _han_bigrams(word: str) -> list[str]:
    pairs = [word[i : i + 2] for i in range(len(word) - 1)]
    kept = [pair for pair in pairs if not _has_stopword_character(pair)]
    return kept or [word]


def _has_stopword_character(pair: str) -> bool:
    return pair[0] in _ZH_STOPWORDS or pair[1] in _ZH_STOPWORDS


def tokens_with_offsets(text: str, language: str) -> list[tuple[str, int, int]]:
    """Each term of ``analyze(text, language)`` with its ``(start, end)`` in ``text``.

    ``text[start:end]`` is the word the term came from (for a word split in several terms,
    each term gets its own part when normalisation kept the length, else the whole word), so
    callers can highlight matches in the original text. Chinese parts overlap their word.
    """
    text = _clean(text)
    group = language_group(language)
    if group == ZH:
        return _chinese_tokens(text, search_mode=True)
    return _word_tokens(text, group)


def _clean(text: str) -> str:
    # Lone surrogates cannot be encoded for the C and Rust libraries below; one replacement
    # character per surrogate keeps every offset.
    if _SURROGATE_RE.search(text):
        return _SURROGATE_RE.sub("\ufffd", text)
    return text


def _word_tokens(text: str, group: str) -> list[tuple[str, int, int]]:
    tokens = []
    for match in _patterns().word(group).finditer(text):
        start = match.start()
        for term, term_start, term_end in _piece_terms(match.group(), group):
            tokens.append((term, start + term_start, start + term_end))
    return tokens


def _chinese_tokens(text: str, search_mode: bool) -> list[tuple[str, int, int]]:
    import rjieba  # loads its dictionary: only when Chinese is analyzed

    text = _to_simplified(text.translate(_FULLWIDTH))
    words = rjieba.tokenize(text)
    if search_mode:
        # Search mode adds dictionary words found inside longer words. Keep those for Han
        # only: Latin words ("e-mail", "SO-2024-118") are split into their parts below anyway.
        whole = {(start, end) for _, start, end in words}
        words = [
            (word, start, end)
            for word, start, end in rjieba.tokenize(text, mode="search")
            if (start, end) in whole or HAN_RE.search(word)
        ]
    tokens = []
    for word, start, _ in words:
        for term, term_start, term_end in _piece_terms(word, ZH):
            tokens.append((term, start + term_start, start + term_end))
    return tokens


def _to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese, character for character (every offset kept)."""
    global _converter
    if not HAN_RE.search(text):
        return text
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s.json")
    converted = _converter.convert(text)
    # OpenCC's t2s tables map every phrase to one of the same length; should a future table
    # not, the text is segmented as it is rather than with wrong offsets.
    return converted if len(converted) == len(text) else text


def _piece_terms(piece: str, group: str) -> tuple[tuple[str, int, int], ...]:
    if len(piece) > MAX_TERM_LENGTH * 2:
        return _piece_terms_uncached(piece, group)
    return _piece_terms_cached(piece, group)


def _piece_terms_uncached(piece: str, group: str) -> tuple[tuple[str, int, int], ...]:
    """The terms of one word (a jieba token for Chinese) with offsets inside it."""
    patterns = _patterns()
    if group == ZH:
        parts = [(m.group(), m.start()) for m in patterns.word(ZH).finditer(piece)]
    elif _NO_SPACE_RE.search(piece):
        parts = [(m.group(), m.start()) for m in patterns.no_space_split.finditer(piece)]
    else:
        parts = [(piece, 0)]
    terms = []
    for part, offset in parts:
        if part.isascii():
            normal = part.lower()
        else:
            # Casefolding gives "i" + a combining dot for the Turkish "İ": keep the plain "i".
            normal = unicodedata.normalize("NFKC", part).casefold().replace("i\u0307", "i")
        if group == "en":
            normal = normal.translate(_APOSTROPHES)
        same_length = len(normal) == len(part)
        for match in patterns.word(group).finditer(normal):
            if same_length:
                start, end = offset + match.start(), offset + match.end()
            else:
                start, end = offset, offset + len(part)
            for term in _finish(match.group(), group):
                terms.append((term, start, end))
    return tuple(terms)


_piece_terms_cached = lru_cache(maxsize=16384)(_piece_terms_uncached)


def _finish(word: str, group: str) -> list[str]:
    """Stopwords, stemming and folding of one casefolded word (letters only or digits only)."""
    word = word[:MAX_TERM_LENGTH]
    if word.isdecimal():
        if not word.isascii():  # Arabic-Indic, Devanagari, ... digits find ASCII ones
            word = "".join(str(unicodedata.decimal(digit)) for digit in word)
        return [word]
    if group == HBS:
        word = _fold_hbs(word.translate(_SERBIAN_CYRILLIC))
        if word in _HBS_STOPWORDS:
            return []
        word = _fold_hbs(_stemmer("serbian").stemWord(word))
    elif group == "en":
        if word in _EN_STOPWORDS:
            return []
        word = _strip_marks(_stemmer("english").stemWord(word).replace("'", ""))
    elif group in SNOWBALL_ALGORITHMS:
        word = _strip_marks(_stemmer(SNOWBALL_ALGORITHMS[group]).stemWord(word))
    elif group == ZH:
        if word in _ZH_STOPWORDS:
            return []
        word = _strip_marks(word)
    else:
        word = _strip_marks(word)
    # Whatever the steps above left, a term is one unbroken run of letters or digits.
    return _TERM_RE.findall(word)


def _fold_hbs(word: str) -> str:
    word = _strip_marks(word)
    # "dj" is how đ is typed without diacritics ("djordje"); "d" the other way ("dorde").
    return word.replace("dj", "d") if "dj" in word else word


def _strip_marks(word: str) -> str:
    """Without combining marks, and "đ" (which has none: hbs, Vietnamese) as "d"."""
    if word.isascii():
        return word
    stripped = _patterns().marks.sub("", unicodedata.normalize("NFD", word))
    return unicodedata.normalize("NFC", stripped).replace("đ", "d")


def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    # PyStemmer's stemmers are not thread-safe: one per thread.
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    stemmer = stemmers.get(algorithm)
    if stemmer is None:
        stemmer = stemmers[algorithm] = Stemmer.Stemmer(algorithm)
    return stemmer


@cache
def _patterns() -> SimpleNamespace:
    """The regular expressions that need the combining marks' class (built on first use)."""
    marks = _combining_marks_class()
    letter = rf"(?:[^\W\d_]|[{marks}])"
    words = {
        "default": re.compile(rf"\d+|{letter}+"),
        # English keeps contractions and possessives together for its stemmer ("don't").
        "en": re.compile(rf"\d+|{letter}+(?:['\u2019\u2018]{letter}+)*"),
    }
    return SimpleNamespace(
        marks=re.compile(f"[{marks}]+"),
        # A word: digits, or letters with their marks. Also run again after normalisation.
        word=lambda group: words.get(group, words["default"]),
        no_space_split=re.compile(
            rf"[{_NO_SPACE}][{marks}]*"
            rf"|[{_KATAKANA}](?:[{_KATAKANA}]|[{marks}])*"
            rf"|(?:(?![{_NO_SPACE}{_KATAKANA}]){letter})+"
        ),
    )


def _combining_marks_class() -> str:
    """A regex character class body of every combining mark (general category M*).

    Python's ``re`` has no ``\\p{M}``; marks only exist in planes 0, 1 and 14.
    """
    ranges = []
    code_points = [*range(0x20000), *range(0xE0000, 0xE0200)]
    for cp in code_points:
        if unicodedata.category(chr(cp))[0] == "M":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return "".join(f"{chr(low)}-{chr(high)}" for low, high in ranges)
