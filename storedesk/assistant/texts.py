"""What the assistant says, in the customer's language (gettext: the zh_Hans and hr
catalogs translate it; other languages get English). Call inside
``translation.override(language)``."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

ASK_FEEDBACK_MARK = "\n\n"


def ask_feedback() -> str:
    return _("Did this answer your question?")


def answer_intro() -> str:
    return _("This may help:")


def read_more(title: str, url: str) -> str:
    return _("Read more: %(title)s %(url)s") % {"title": title, "url": url}


def glad() -> str:
    return _("Glad I could help! Write again any time if you need anything else.")


def unsure() -> str:
    return _(
        "I'm not sure I understood. Could you say it in other words? You can also ask for "
        "a person at any time."
    )


def greeting_reply() -> str:
    return _("Hi! What can I help you with? You can ask about orders, delivery, returns and more.")


def ask_order_details(*, need_number: bool, need_email: bool) -> str:
    if need_number and need_email:
        return _(
            "I can look that up. Please send your order number and the email address you "
            "ordered with."
        )
    if need_number:
        return _("I can look that up. Please send your order number.")
    return _("Please also send the email address you ordered with, so I know it is you.")


def order_not_found() -> str:
    return _(
        "I could not find an order with that number and email address. Please check both "
        "and send them again."
    )


def order_change_collected(number: str) -> str:
    return _(
        "Thanks, I have noted your request for order %(number)s. A colleague will take care of it."
    ) % {"number": number}


def handing_off() -> str:
    return _(
        "I'm passing you to a colleague, who will see everything you wrote here. Please stay "
        "in the chat."
    )


def away_until(when: str) -> str:
    return _(
        "Our team is away right now and will answer from %(when)s. We will also reply by "
        "email if you leave."
    ) % {"when": when}


def away_no_hours() -> str:
    return _("Our team is away right now. We will answer as soon as we are back.")


def suggestions_intro() -> str:
    return _(
        "Thank you for your message. A member of our team will answer you soon. In the "
        "meantime, these articles may already answer your question:"
    )


def order_intro() -> str:
    return _("Thank you for your message. A member of our team will answer you soon. Your order:")


def suggestions_close(url: str) -> str:
    return _(
        "If this answered your question, you can close your request here: %(url)s\n"
        "Otherwise there is nothing you need to do: we will reply to you."
    ) % {"url": url}


def away_mail(when: str) -> str:
    return _("Our team is away right now and will answer from %(when)s.") % {"when": when}


def closed_by_customer(title: str) -> str:
    """The team's note when the customer closed the request with the suggestion's link."""
    if title:
        return _(
            "The customer closed the request: the suggested article “%(title)s” answered it."
        ) % {"title": title}
    return _("The customer closed the request: the assistant's reply answered it.")


# Answers to "Did this answer your question?" typed instead of clicked.
_YES = {
    "yes",
    "yep",
    "yeah",
    "yea",
    "y",
    "sure",
    "it did",
    "yes thanks",
    "yes thank you",
    "thanks",
    "thank you",
    "perfect",
    "great",
    "ok thanks",
    "da",
    "je",
    "jest",
    "naravno",
    "hvala",
    "da hvala",
    "je hvala",
    "super",
    "odlično",
    "是",
    "是的",
    "对",
    "对的",
    "有用",
    "有帮助",
    "好的",
    "谢谢",
    "解决了",
    "可以了",
    "明白了",
}
_NO = {
    "no",
    "nope",
    "not really",
    "no it did not",
    "it did not",
    "no thanks",
    "didnt help",
    "didn't help",
    "not helpful",
    "no it didn't",
    "ne",
    "nije",
    "ne bas",
    "ne baš",
    "nije pomoglo",
    "nažalost ne",
    "ne hvala",
    "不",
    "不是",
    "没有",
    "没用",
    "没有用",
    "不行",
    "没帮助",
    "没有帮助",
    "不对",
}


def typed_feedback(text: str) -> bool | None:
    """True/False when ``text`` is a yes/no answer on its own, else None."""
    plain = re.sub(r"[\s!.,?？！。，~]+", " ", text.lower()).strip()
    if plain in _YES:
        return True
    if plain in _NO:
        return False
    return None


def looks_like_greeting(text: str) -> bool:
    plain = re.sub(r"[\s!.,?？！。，~]+", " ", text.lower()).strip()
    return plain in {
        "hi",
        "hello",
        "hey",
        "hi there",
        "hello there",
        "good morning",
        "good evening",
        "bok",
        "pozdrav",
        "dobar dan",
        "dobro jutro",
        "dobra večer",
        "zdravo",
        "halo",
        "你好",
        "您好",
        "嗨",
        "在吗",
        "在不在",
        "哈喽",
        "早上好",
        "晚上好",
    }
