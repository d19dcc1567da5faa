"""The shipped model: bundled examples in three languages, trained once and cached, and the
``storedesk assistant`` commands."""

import csv
import json
from collections import Counter

import pytest

from storedesk.assistant import understanding
from storedesk.assistant.commands import classify_command, eval_command
from storedesk.assistant.intents import INTENTS, OUT_OF_SCOPE
from storedesk.assistant.understanding import (
    EXAMPLES_DIR,
    LANGUAGES,
    bundled_examples,
    default_model,
    understand,
)

MIN_EXAMPLES = 20  # per intent and language
MIN_OUT_OF_SCOPE = 60  # per language


@pytest.fixture
def model(intent_model):
    return intent_model


def test_every_intent_has_examples_in_every_language():
    examples = bundled_examples()
    counts = Counter((example.locale, example.intent) for example in examples)
    for locale in LANGUAGES:
        for intent in INTENTS:
            least = MIN_OUT_OF_SCOPE if intent == OUT_OF_SCOPE else MIN_EXAMPLES
            assert counts[(locale, intent)] >= least, (locale, intent)
    for locale in LANGUAGES:
        texts = [e.text for e in examples if e.locale == locale]
        assert len(texts) == len(set(texts)), f"duplicate examples in {locale}"
        assert all("\t" not in text and text.strip() == text for text in texts)


def test_the_example_files_are_plain_tsv():
    for locale in LANGUAGES:
        with (EXAMPLES_DIR / f"{locale}.tsv").open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle, delimiter="\t"))
        assert header == ["intent", "text"]


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("Hi, where is my order #10423? It was supposed to arrive on Monday", "track_order", "en"),
        ("I want to speak to a real person, not a bot", "contact_human_agent", "en"),
        ("gdje mi je paket, narucila sam prije tjedan dana", "track_order", "hr"),
        ("želim otkazati narudžbu koju sam jutros napravio", "cancel_order", "hr"),
        ("我的快递怎么还没到，都一个星期了", "track_order", "zh-hans"),
        ("我要退款，东西质量太差了", "get_refund", "zh-hans"),
        ("what will the weather be like in Paris tomorrow", OUT_OF_SCOPE, "en"),
    ],
)
def test_clear_messages_are_understood_in_each_language(model, text, intent, language):
    result = understand(text, model=model)
    assert (result.intent, result.language) == (intent, language)
    assert 0 < result.confidence <= 1


def test_the_model_is_cached_on_disk_and_reloaded(model, intent_model_home, settings):
    settings.HOME = intent_model_home
    path, _embedder = understanding._model_path(bundled_examples())
    assert path.parent == settings.HOME / "cache" and path.exists()
    cached = sorted((settings.HOME / "cache").glob("intents-*.npz"))
    understanding._model = None
    reloaded = default_model()
    texts = ["where is my parcel", "želim povrat novca"]
    assert (reloaded.probabilities(texts) == model.probabilities(texts)).all()
    assert sorted((settings.HOME / "cache").glob("intents-*.npz")) == cached
    understanding._model = model


def test_ready_only_once_loaded_or_cached(model, intent_model_home, settings, tmp_path):
    settings.HOME = tmp_path  # nothing cached here
    understanding._model = None
    try:
        assert not understanding.default_model_ready()
        settings.HOME = intent_model_home  # trained and cached
        assert understanding.default_model_ready()
    finally:
        understanding._model = model
    assert understanding.default_model_ready()


def test_classify_prints_json(model, capsys):
    assert classify_command("where is my parcel?", as_json=True) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"intent", "confidence", "language"}
    assert printed["intent"] == "track_order" and printed["language"] == "en"


def test_eval_reports_accuracy_and_out_of_scope_recall_per_group(model, tmp_path, capsys):
    path = tmp_path / "set.tsv"
    path.write_text(
        "lang\tintent\ttext\n"
        "en\ttrack_order\twhere is my parcel, it's been 10 days\n"
        "en\tget_refund\tI sent it back, I want my money back\n"
        "hr\ttrack_order\tdi je moj paket\n"
        "en\tout_of_scope\twho won the football match yesterday\n",
        encoding="utf-8",
    )
    assert eval_command(str(path)) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["overall"]["rows"] == 4
    assert report["overall"]["in_scope_rows"] == 3
    assert report["overall"]["out_of_scope_rows"] == 1
    assert report["lang=hr"]["rows"] == 1 and report["lang=en"]["rows"] == 3
    assert 0 <= report["overall"]["accuracy"] <= 1
    assert report["lang=hr"]["out_of_scope_recall"] is None


@pytest.mark.parametrize(
    "content",
    ["text\nwhere is it\n", "", "intent\ttext\n"],
)
def test_eval_refuses_a_file_it_cannot_use(tmp_path, capsys, content):
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    assert eval_command(str(path)) == 2
    assert "cannot read" in capsys.readouterr().err


def test_eval_of_a_missing_file_says_so(tmp_path, capsys):
    assert eval_command(str(tmp_path / "nope.tsv")) == 2
    assert "nope.tsv" in capsys.readouterr().err
