"""The assistant's small parts: negative sentiment, order numbers and addresses in free
text, typed yes/no answers and greetings."""

import pytest

from storedesk.assistant.orders import email_in, order_numbers_in
from storedesk.assistant.sentiment import sentiment_of
from storedesk.assistant.texts import looks_like_greeting, typed_feedback


@pytest.mark.parametrize(
    "text",
    [
        "This is a SCAM, I want my money back!!!",
        "you are thieves and liars",
        "Užasno, nikad više ne naručujem kod vas",
        "prevaranti ste, zvat ću odvjetnika",
        "你们这是什么破服务，垃圾",
        "骗子！我要投诉你们",
    ],
)
def test_angry_messages_are_strongly_negative(text):
    assert sentiment_of(text).strongly_negative


@pytest.mark.parametrize(
    "text",
    [
        "Where is my parcel?",
        "I'm a bit disappointed the colour is different",
        "Kada stiže moja narudžba?",
        "我想退货",
        "HELLO!!! ANYONE THERE???",
        "The discussion was a joke, haha",
    ],
)
def test_ordinary_messages_are_not(text):
    assert not sentiment_of(text).strongly_negative


def test_diacritics_are_optional_and_a_longer_term_counts_once():
    assert sentiment_of("uzasno").terms == sentiment_of("užasno").terms == ("užasno",)
    assert sentiment_of("užasno").score == 2  # not "užas" and "užasno"


def test_shouting_adds_to_anger_only():
    assert sentiment_of("THIS IS RIDICULOUS AND UNACCEPTABLE").score > (
        sentiment_of("this is ridiculous and unacceptable").score
    )
    assert sentiment_of("WHERE IS MY PARCEL!!!").score == 0


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("where is my order #1042", ["1042"]),
        ("VO1234567 please", ["VO1234567"]),
        ("narudžba SH-2024-1042 kasni", ["SH-2024-1042"]),
        ("我的订单号是VO2233445，谢谢", ["VO2233445"]),
        ("Order number: NW1234567\nand NW1234567 again", ["NW1234567"]),
        ("ana.k@example2024.com", []),
        ("it costs 12 EUR", []),
    ],
)
def test_order_numbers_in_text(text, numbers):
    assert order_numbers_in(text) == numbers


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("mail: Ana.K@Example.com.", "ana.k@example.com"),
        ("邮箱li@qq.com，订单VO1", "li@qq.com"),
        ("no address here @ all", ""),
    ],
)
def test_email_in_text(text, email):
    assert email_in(text) == email


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Yes!", True),
        ("da, hvala", True),
        ("是的", True),
        ("no", False),
        ("Nažalost ne.", False),
        ("没有用", False),
        ("yes but where is my order?", None),
        ("Which payment methods do you accept?", None),
    ],
)
def test_typed_feedback(text, answer):
    assert typed_feedback(text) is answer


def test_greetings():
    assert all(looks_like_greeting(t) for t in ("Hi!", "Dobar dan", "你好", "在吗？"))
    assert not looks_like_greeting("hi, where is my order?")


# --- Whose turn: the event handler -------------------------------------------------------


@pytest.mark.django_db
def test_the_handler_skips_other_channels_without_reading_the_message(
    django_assert_num_queries,
):
    from storedesk.assistant.handlers import enqueue_reply
    from storedesk.conversations.events import MessageCreated

    event = MessageCreated(
        conversation_id=1, store_id=1, message_id=1, kind="inbound", channel="api"
    )
    with django_assert_num_queries(0):
        enqueue_reply(event)


@pytest.mark.django_db
def test_without_a_channel_the_handler_reads_the_messages_inbox(django_assert_num_queries):
    from storedesk.assistant.handlers import enqueue_reply
    from storedesk.conversations.events import MessageCreated

    event = MessageCreated(conversation_id=1, store_id=1, message_id=999_999, kind="inbound")
    with django_assert_num_queries(1):
        enqueue_reply(event)
