"""The assistant's settings of one inbox (part of the inbox's config, validated with it).

``{"enabled": true, "human_only_intents": ["payment_issue"]}``: in a chat inbox the
assistant answers the customers first; in an email or web-form inbox it replies to a new
request with the help-center articles that may answer it (``suggestions``). Messages with
a human-only intent go straight to a person.
"""

from __future__ import annotations

import pydantic

from storedesk.assistant.intents import INTENTS, OUT_OF_SCOPE

# Intents a person handles by default: money that went wrong is not a bot's to explain.
DEFAULT_HUMAN_ONLY = ["payment_issue"]


class AssistantInboxConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    enabled: bool = False
    human_only_intents: list[str] = pydantic.Field(default_factory=lambda: list(DEFAULT_HUMAN_ONLY))

    @pydantic.field_validator("human_only_intents")
    @classmethod
    def _known(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in INTENTS or v == OUT_OF_SCOPE]
        if unknown:
            raise ValueError(f"unknown intents: {', '.join(unknown)}")
        return list(dict.fromkeys(values))


# The inbox kinds where the assistant converses: answers first, asks, hands off.
ASSISTANT_CHANNELS = frozenset({"webchat"})
# The inbox kinds where it suggests articles once, in reply to a new request: mail is not a
# chat (a question back would wait hours for its answer), and people answer the request.
SUGGEST_CHANNELS = frozenset({"email", "webform"})


def assistant_config_of(inbox) -> AssistantInboxConfig | None:
    """The chat inbox's assistant settings when the assistant is on for it, else None."""
    return _enabled_config(inbox, ASSISTANT_CHANNELS)


def suggest_config_of(inbox) -> AssistantInboxConfig | None:
    """The email or web-form inbox's assistant settings when it suggests articles there,
    else None."""
    return _enabled_config(inbox, SUGGEST_CHANNELS)


def _enabled_config(inbox, kinds: frozenset[str]) -> AssistantInboxConfig | None:
    if inbox.kind not in kinds:
        return None
    try:
        config = AssistantInboxConfig.model_validate(inbox.config.get("assistant") or {})
    except pydantic.ValidationError:
        return None
    return config if config.enabled else None
