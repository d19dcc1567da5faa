"""The optional language model: requests to an OpenAI-compatible chat endpoint (a real HTTP
server on loopback answering with recorded response shapes), grounding checks, and the
fallback to the quoted passage whenever the model's answer is not usable."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from storedesk.assistant.llm import (
    ChatEndpoint,
    Source,
    configured_endpoint,
    grounded,
    phrase_answer,
)

RECORDED = Path(__file__).parent / "data" / "llm"
SOURCES = [
    Source(
        title="Payment methods",
        url="/help/northwind/en/a/payment-methods/",
        text="We accept Visa, Mastercard, PayPal and bank transfer.",
    ),
    Source(title="Shipping costs", url="/help/northwind/en/a/shipping-costs/", text="3.50 EUR."),
]


class StubEndpoint:
    """A chat-completions endpoint on loopback: answers every POST with a recorded body
    (or an error status, or late) and keeps the requests it got."""

    def __init__(self):
        self.requests: list[dict] = []
        self.body = (RECORDED / "ollama_chat_completion.json").read_bytes()
        self.status = 200
        self.delay = 0.0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                stub.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "json": json.loads(self.rfile.read(length)),
                    }
                )
                time.sleep(stub.delay)
                self.send_response(stub.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(stub.body)))
                self.end_headers()
                self.wfile.write(stub.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer_with(self, name: str, status: int = 200):
        self.body, self.status = (RECORDED / name).read_bytes(), status

    def endpoint(self, timeout=5.0) -> ChatEndpoint:
        return ChatEndpoint(
            url=f"{self.base}/chat/completions", model="llama3.1", api_key="k", timeout=timeout
        )


@pytest.fixture
def stub():
    endpoint = StubEndpoint()
    yield endpoint
    endpoint.server.shutdown()


def ask(stub, **overrides):
    arguments = {
        "question": "Koje načine plaćanja prihvaćate?",
        "sources": SOURCES,
        "language": "hr",
        "store_name": "Northwind",
        "endpoint": stub.endpoint(),
    }
    return phrase_answer(**{**arguments, **overrides})


@pytest.mark.parametrize("recorded", ["openai_chat_completion.json", "ollama_chat_completion.json"])
def test_an_answer_in_either_providers_shape_is_read(stub, recorded):
    stub.answer_with(recorded)
    answer = ask(stub)
    expected = json.loads((RECORDED / recorded).read_text())["choices"][0]["message"]["content"]
    assert answer.text == expected and answer.cited == (1,)


def test_the_request_carries_the_numbered_passages_and_the_language(stub):
    ask(stub)
    (request,) = stub.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["authorization"] == "Bearer k"
    body = request["json"]
    assert body["model"] == "llama3.1" and body["stream"] is False
    system, user = body["messages"]
    assert system["role"] == "system" and "Croatian" in system["content"]
    assert "Northwind" in system["content"] and "ONLY the numbered" in system["content"]
    assert "[1] Payment methods\nWe accept Visa" in user["content"]
    assert "[2] Shipping costs" in user["content"]
    assert user["content"].endswith("Question: Koje načine plaćanja prihvaćate?")


@pytest.mark.parametrize(
    ("recorded", "status"),
    [
        ("no_answer.json", 200),
        ("uncited.json", 200),
        ("openai_error.json", 404),
        ("openai_error.json", 500),
    ],
)
def test_an_unusable_answer_gives_none(stub, recorded, status):
    stub.answer_with(recorded, status)
    assert ask(stub) is None


def test_a_slow_model_is_not_waited_for(stub):
    stub.delay = 1.0
    started = time.monotonic()
    assert ask(stub, endpoint=stub.endpoint(timeout=0.2)) is None
    assert time.monotonic() - started < 0.9


def test_grounding_rules():
    assert grounded("Yes [1] and [2].", 2).cited == (1, 2)
    assert grounded("Yes [3].", 2) is None  # a passage it was not given
    assert grounded("Yes.", 2) is None  # cites nothing
    assert grounded("x [1] " * 400, 2) is None  # too long
    assert grounded("", 2) is None and grounded(None, 2) is None
    # Links come from the cited articles only, never from the model's text.
    assert grounded("Refund confirmed [1], see https://evil.example", 2) is None


def test_the_setting(settings):
    settings.ASSISTANT_LLM = ""
    assert configured_endpoint() is None
    settings.ASSISTANT_LLM = "openai:http://127.0.0.1:11434/v1#llama3.1"
    settings.ASSISTANT_LLM_KEY = "secret"
    endpoint = configured_endpoint()
    assert (endpoint.url, endpoint.model, endpoint.api_key) == (
        "http://127.0.0.1:11434/v1/chat/completions",
        "llama3.1",
        "secret",
    )
    settings.ASSISTANT_LLM = "ollama:llama3"
    with pytest.raises(ValueError, match="openai:"):
        configured_endpoint()


# --- In a conversation ----------------------------------------------------------------------


@pytest.fixture
def chat_with_model(stub, settings, intent_model, db):
    from storedesk.core.testing import StoreFactory, committed_events, make_inbox
    from storedesk.helpcenter.services import article_save
    from storedesk.helpcenter.tests.conftest import ARTICLES

    settings.ASSISTANT_LLM = f"openai:{stub.base}#llama3.1"
    store = StoreFactory(name="Northwind", slug="northwind", supported_locales=["en", "hr"])
    with committed_events():
        for key, locale, title, body in ARTICLES:
            if locale != "zh-hans":
                article_save(
                    store=store, key=key, locale=locale, title=title, body=body, publish=True
                )
    return make_inbox(store, "webchat", "Chat", config={"assistant": {"enabled": True}})


def chat_reply(inbox, text):
    from storedesk.conversations.models import Message
    from storedesk.core.testing import committed_events
    from storedesk.inboxes.adapters.webchat.service import visitor_message, visitor_start

    visitor, _token = visitor_start(inbox=inbox, locale="hr")
    with committed_events():
        message, _new = visitor_message(visitor=visitor, text=text, client_key="k1")
    return Message.objects.filter(conversation_id=message.conversation_id, kind="outbound").get()


def test_the_model_phrases_the_answer_with_its_sources(stub, chat_with_model):
    from storedesk.assistant.models import AssistantAnswer

    stub.answer_with("openai_chat_completion.json")
    reply = chat_reply(chat_with_model, "Koje načine plaćanja prihvaćate?")
    assert reply.text.startswith("Možete platiti karticom Visa ili Mastercard")
    assert "[1] Payment methods /help/northwind/en/a/payment-methods/" in reply.text
    assert reply.text.endswith("Je li ovo odgovorilo na vaše pitanje?")
    assert AssistantAnswer.objects.get(message=reply).title == "Payment methods"
    (request,) = stub.requests
    assert "[1] Payment methods" in request["json"]["messages"][1]["content"]


def test_without_a_usable_answer_the_passage_is_quoted(stub, chat_with_model):
    stub.answer_with("uncited.json")
    reply = chat_reply(chat_with_model, "Koje načine plaćanja prihvaćate?")
    assert "crypto" not in reply.text
    assert reply.text.startswith("Ovo bi vam moglo pomoći:")
    assert "We accept Visa, Mastercard, PayPal" in reply.text
