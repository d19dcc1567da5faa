"""The intent model on its own: features, training, thresholds, saving."""

import numpy as np
import pytest

from storedesk.assistant import classifier
from storedesk.assistant.classifier import OUT_OF_SCOPE, IntentModel, training_key
from storedesk.assistant.features import normalised, words

TRAIN = [
    ("where is my parcel", "track_order"),
    ("my package has not arrived yet", "track_order"),
    ("tracking number does not work", "track_order"),
    ("gdje je moj paket", "track_order"),
    ("快递到哪了", "track_order"),
    ("I want my money back", "get_refund"),
    ("please refund order 10423", "get_refund"),
    ("želim povrat novca", "get_refund"),
    ("我要退款", "get_refund"),
    ("let me talk to a real person", "contact_human_agent"),
    ("can I speak to a human agent", "contact_human_agent"),
    ("trebam razgovarati s osobom", "contact_human_agent"),
    ("转人工", "contact_human_agent"),
    ("what's the weather in Paris", OUT_OF_SCOPE),
    ("tell me a joke", OUT_OF_SCOPE),
    ("tko je osvojio utakmicu", OUT_OF_SCOPE),
]


def fit(threshold=0.0):
    return IntentModel(None, threshold=threshold).fit(
        [text for text, _ in TRAIN], [intent for _, intent in TRAIN]
    )


def test_text_is_normalised_the_way_customers_type():
    assert normalised("Narudžba  #10423 NIJE stigla") == "narudzba #00000 nije stigla"
    assert normalised("Đak, ČEKAM") == "dak, cekam"
    assert normalised("order 1234567890") == "order 000000"  # at most six digits


def test_chinese_is_segmented_into_words():
    assert words(normalised("我的快递到哪了")) == ("我", "的", "快递", "到", "哪", "了")
    assert words("order 00000 快递 late") == ("order", "00000", "快递", "late")


def test_a_fitted_model_recognises_new_wordings():
    model = fit()
    texts = ["where is my package?", "refund please", "i want a human", "gdje mi je paket"]
    assert [p.intent for p in model.predict(texts)] == [
        "track_order",
        "get_refund",
        "contact_human_agent",
        "track_order",
    ]
    best = model.predict(["where is my parcel"])[0]
    assert best.confidence > dict(best.alternatives).get("get_refund", 0)
    assert len(best.alternatives) == 3


def test_below_the_threshold_a_message_is_out_of_scope():
    unsure = "zzqx"  # nothing in common with any example
    model = fit(threshold=0.0)
    confidence = model.predict([unsure])[0].confidence
    assert confidence < 0.9  # unlike every example: no intent is sure
    model.threshold = confidence + 0.01
    prediction = model.predict([unsure])[0]
    assert prediction.intent == OUT_OF_SCOPE
    assert prediction.confidence == pytest.approx(confidence, abs=1e-4)
    assert model.predict(["where is my parcel"])[0].intent == "track_order"


def test_probabilities_sum_to_one_per_message():
    probabilities = fit().probabilities(["refund", "paket", "天气"])
    assert probabilities.shape == (3, 4)
    assert np.allclose(probabilities.sum(axis=1), 1)


def test_two_intents_are_enough():
    model = IntentModel(None).fit(["refund me", "where is it"], ["get_refund", "track_order"])
    assert model.coef.shape[0] == 2
    assert model.predict(["refund"])[0].intent == "get_refund"
    assert model.predict(["where is it now"])[0].intent == "track_order"


@pytest.mark.parametrize(
    ("texts", "intents"),
    [([], []), (["a", "b"], ["x"]), (["a", "b"], ["x", "x"])],
)
def test_fit_refuses_what_it_cannot_learn_from(texts, intents):
    with pytest.raises(ValueError):
        IntentModel(None).fit(texts, intents)


def test_a_saved_model_predicts_the_same_after_loading(tmp_path):
    model = fit(threshold=0.25)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = IntentModel.load(path)
    texts = ["where is my parcel", "povrat novca", "人工客服", "weather"]
    assert np.allclose(model.probabilities(texts), loaded.probabilities(texts), atol=1e-6)
    assert loaded.threshold == 0.25
    assert list(path.parent.iterdir()) == [path]  # no partial file left behind


def test_a_model_of_another_format_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    fit().save(path)
    monkeypatch.setattr(classifier, "FORMAT_VERSION", classifier.FORMAT_VERSION + 1)
    with pytest.raises(ValueError, match="model format"):
        IntentModel.load(path)


def test_the_embedding_is_part_of_the_features():
    calls = []

    def embed(texts):
        calls.append(list(texts))
        return np.tile(np.eye(1, 384, dtype=np.float32), (len(texts), 1))

    model = IntentModel(embed).fit([t for t, _ in TRAIN], [i for _, i in TRAIN])
    assert calls and calls[0] == [t for t, _ in TRAIN]
    assert len(model.columns) > 0 and (model.columns >= 2 * 2**18).any()
    model.predict(["hello"])
    assert calls[-1] == ["hello"]


def test_the_training_key_changes_with_the_examples_and_the_embedder():
    texts, intents = ["a", "b"], ["x", "y"]
    key = training_key(texts, intents, "e5")
    assert key == training_key(texts, intents, "e5")
    assert key != training_key(texts, ["x", "x"], "e5")
    assert key != training_key(["a", "c"], intents, "e5")
    assert key != training_key(texts, intents, "none")
