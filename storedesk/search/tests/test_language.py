import threading

import pytest

from storedesk.search.language import MAX_SAMPLE, detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hello, where is my order? I paid a week ago and still nothing.", "en"),
        ("I would like to return the shoes, they are too small. Order #A-1042.", "en"),
        ("Pozdrav, gdje je moja narudžba? Platila sam prije tjedan dana.", "hr"),
        ("Molim vas povrat novca za narudžbu 1042, paket je stigao oštećen.", "hr"),
        ("Zdravo, gde je moja porudžbina? Želim povraćaj novca.", "sr"),
        ("Здраво, где је моја поруџбина?", "sr"),
        ("Здравствуйте, где мой заказ?", "ru"),
        ("Hallo, wo ist meine Bestellung? Ich warte seit einer Woche.", "de"),
        ("我想退货，订单号12345", "zh"),
        ("我想退貨，訂單號12345，請盡快處理", "zh"),  # Traditional: the model says "yue"
        ("我的iPhone坏了，可以换货吗？", "zh"),
        ("注文番号12345の商品が届きません", "ja"),
    ],
)
def test_sentences_without_candidates(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "candidates", "language"),
    [
        ("where is my package", ["hr", "en"], "en"),
        ("refund", ["hr", "en"], "en"),
        ("gdje je paket", ["hr", "en"], "hr"),
        ("dostava", ["hr", "en"], "hr"),
        ("povrat novca", ["en", "hr"], "hr"),
        ("narudžba", ["en", "hr"], "hr"),
        ("paket nije stigao", ["hr", "en", "de"], "hr"),
        ("Paket nicht angekommen", ["hr", "en", "de"], "de"),
        ("退货", ["en", "zh-Hans"], "zh-Hans"),
        ("退貨", ["en", "zh_Hant"], "zh_Hant"),
        ("訂單號12345", ["hr", "en", "zh-TW"], "zh-TW"),
        ("return", ["en", "zh-Hans"], "en"),
    ],
)
def test_short_queries_with_candidates(text, candidates, language):
    assert detect_language(text, candidates) == language


def test_hbs_answers_with_the_stores_code():
    croatian = "Pozdrav, gdje je moja narudžba? Želim povrat novca."
    serbian = "Zdravo, gde je moja porudžbina? Želim povraćaj novca."
    assert detect_language(croatian, ["sr", "en"]) == "sr"
    assert detect_language(serbian, ["bs", "en"]) == "bs"
    assert detect_language(serbian, ["en", "hr-HR"]) == "hr-HR"
    # With several hbs codes the store uses, the model's choice among them.
    assert detect_language(croatian, ["hr", "sr", "en"]) == "hr"
    assert detect_language(serbian, ["hr", "sr", "en"]) == "sr"


def test_cyrillic_is_serbian_unless_the_store_has_another_cyrillic_language():
    assert detect_language("Где је пакет", ["en", "sr"]) == "sr"
    assert detect_language("Где је пакет", ["en", "hr"]) == "hr"
    assert detect_language("Где је пакет", ["en", "hr", "sr-Cyrl"]) == "sr-Cyrl"
    assert detect_language("Здравствуйте, где мой заказ?", ["ru", "sr"]) == "ru"
    assert detect_language("Здраво, где је моја поруџбина?", ["ru", "sr"]) == "sr"


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("", None),
        ("ok", None),
        ("#1042", None),
        ("...!!!", ["hr", "en"]),
        ("好", ["en", "zh"]),
        ("refund", None),  # one word out of 140 languages
        ("iphone", ["hr", "en"]),  # a brand is in no language
        ("Hallo, wo ist meine Bestellung?", ["hr", "en"]),  # German, not a candidate
    ],
)
def test_too_short_or_ambiguous_is_none(text, candidates):
    assert detect_language(text, candidates) is None


def test_a_single_candidate_needs_no_model():
    assert detect_language("anything at all", ["hr"]) == "hr"
    assert detect_language("ok", ["hr"]) is None


def test_a_store_with_several_hbs_codes_gets_the_one_the_text_is_in():
    assert detect_language("Gdje je moja narudžba? Hvala lijepa.", ["hr", "sr"]) == "hr"
    assert detect_language("Gde je moja porudžbina? Hvala lepo.", ["hr", "sr"]) == "sr"
    assert detect_language("Где је моја поруџбина?", ["hr", "sr"]) == "sr"


def test_candidates_unknown_to_the_model():
    assert detect_language("Hello, where is my order?", ["xx", "en"]) == "en"
    assert detect_language("Hello, where is my order?", ["xx", "tlh"]) is None
    assert detect_language("Hello, where is my order?", []) == "en"
    assert detect_language("Hello, where is my order?", ["", " ", "en", "de"]) == "en"


def test_restricted_models_leave_the_full_model_alone():
    german = "Hallo, wo ist meine Bestellung? Ich warte seit einer Woche."
    # Restricted, the answer is the nearest candidate, however far.
    assert detect_language(german, ["en", "hr"]) == "en"
    assert detect_language(german, ("de", "fr")) == "de"
    assert detect_language(german) == "de"


@pytest.mark.parametrize(
    "text",
    [
        "ab\ud800cd\udfff efgh",
        "\x00\x00 order refund please \x00",
        "😀😀😀 🇭🇷 where is my order 😀",
        "\u200f\u202eשלום, איפה ההזמנה שלי?\u202c",
        "\u0301\u0301\u0301",
        "𠮷𠮷𠮷",
    ],
)
@pytest.mark.parametrize("candidates", [None, ["hr", "en", "zh"]])
def test_hostile_input_does_not_raise(text, candidates):
    result = detect_language(text, candidates)
    assert result is None or isinstance(result, str)


def test_long_text_reads_a_prefix():
    text = "Hello, where is my order? " * 5000 + "Pozdrav, gdje je moja narudžba? " * 50000
    assert len(text) > MAX_SAMPLE * 100
    assert detect_language(text) == "en"


def test_threads_agree():
    texts = [
        ("Hello, where is my order?", ["hr", "en"], "en"),
        ("Pozdrav, gdje je moja narudžba?", ["hr", "en"], "hr"),
        ("Hallo, wo ist meine Bestellung?", ["de", "en", "fr"], "de"),
        ("Hello, where is my order?", None, "en"),
    ]
    failures = []

    def work(text, candidates, expected):
        for _ in range(50):
            if detect_language(text, candidates) != expected:
                failures.append(text)

    threads = [threading.Thread(target=work, args=args) for args in texts * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
