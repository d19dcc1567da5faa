"""Optional: a language model phrases the assistant's answer from help-center passages.

Any OpenAI-compatible chat endpoint (OpenAI, a local Ollama or vLLM), set by
``STOREDESK_ASSISTANT_LLM=openai:<base URL>#<model>``. The model sees only the numbered
passages and the customer's question, must answer in the customer's language and cite the
passages it used as [1], [2]. An answer that cites nothing, cites a passage it was not
given, is empty or too long is not used, and neither is one that comes too late or with an
error: the assistant then quotes the best passage, as it does without a model.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)
MAX_ANSWER_CHARS = 1200
_CITATION = re.compile(r"\[(\d{1,2})\]")
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)

LANGUAGE_NAMES = {"en": "English", "hr": "Croatian", "zh-hans": "Simplified Chinese"}

SYSTEM_PROMPT = (
    "You are the customer-service assistant of the online shop {store}. Answer the "
    "customer's question using ONLY the numbered help-center passages below. Write in "
    "{language}, in at most four short sentences, friendly and direct. After each fact, "
    "cite the passage it comes from as [1], [2], ... If the passages do not answer the "
    "question, reply exactly NO_ANSWER. Never invent order details, prices, dates or "
    "policies that are not in the passages."
)


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    text: str


@dataclass(frozen=True)
class PhrasedAnswer:
    text: str
    cited: tuple[int, ...]  # 1-based numbers of the sources it cites


@dataclass(frozen=True)
class ChatEndpoint:
    url: str
    model: str
    api_key: str = ""
    timeout: float = 8.0


def configured_endpoint() -> ChatEndpoint | None:
    """The endpoint ``STOREDESK_ASSISTANT_LLM`` names, or None when it is off."""
    spec = (settings.ASSISTANT_LLM or "").strip()
    if spec in {"", "off", "none"}:
        return None
    kind, _, rest = spec.partition(":")
    base, _, model = rest.partition("#")
    if kind != "openai" or not base.startswith(("http://", "https://")) or not model:
        raise ValueError("STOREDESK_ASSISTANT_LLM: expected openai:https://host/v1#model")
    return ChatEndpoint(
        url=base.rstrip("/") + "/chat/completions",
        model=model,
        api_key=settings.ASSISTANT_LLM_KEY,
        timeout=settings.ASSISTANT_LLM_TIMEOUT,
    )


def phrase_answer(
    *, question: str, sources: list[Source], language: str, store_name: str, endpoint=None
) -> PhrasedAnswer | None:
    """The model's grounded answer, or None (no model, no answer, or one not to be used)."""
    endpoint = endpoint or configured_endpoint()
    if endpoint is None or not sources:
        return None
    numbered = "\n\n".join(
        f"[{n}] {source.title}\n{source.text}" for n, source in enumerate(sources, 1)
    )
    messages = [
        {
            "role": "system",
            "content": SYSTEM_PROMPT.format(
                store=store_name, language=LANGUAGE_NAMES.get(language, language or "English")
            ),
        },
        {"role": "user", "content": f"Passages:\n\n{numbered}\n\nQuestion: {question}"},
    ]
    try:
        content = _complete(endpoint, messages)
    except Exception as exc:  # noqa: BLE001 - any failure means: answer without the model
        logger.warning("assistant language model failed: %s", exc)
        return None
    return grounded(content, len(sources))


def grounded(content: str | None, source_count: int) -> PhrasedAnswer | None:
    """``content`` if it is a usable answer citing only given sources, else None."""
    text = (content or "").strip()
    if not text or "NO_ANSWER" in text or len(text) > MAX_ANSWER_CHARS:
        return None
    cited = tuple(dict.fromkeys(int(n) for n in _CITATION.findall(text)))
    if not cited or any(n < 1 or n > source_count for n in cited):
        return None
    if _URL.search(text):  # links come from the cited sources only, listed after it
        return None
    return PhrasedAnswer(text=text, cited=cited)


def _complete(endpoint: ChatEndpoint, messages: list[dict]) -> str | None:
    import httpx

    headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
    response = httpx.post(
        endpoint.url,
        json={
            "model": endpoint.model,
            "messages": messages,
            "temperature": 0.2,
            "max_tokens": 400,
            "stream": False,
        },
        headers=headers,
        timeout=endpoint.timeout,
    )
    response.raise_for_status()
    choices = response.json().get("choices") or []
    if not choices:
        return None
    message = choices[0].get("message") or {}
    return message.get("content")
