"""The shop's own intents and examples: saved here; ``ShopIntentsChanged`` then has the
store's intent model retrained in a task."""

from __future__ import annotations

import re

from django.db import transaction

from storedesk.accounts.services import audit_log
from storedesk.assistant.events import ShopIntentsChanged
from storedesk.assistant.intents import INTENTS, OUT_OF_SCOPE
from storedesk.assistant.models import IntentAction, ShopIntent
from storedesk.core.errors import ValidationError
from storedesk.core.events import emit

NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MIN_EXAMPLES = 5
MAX_EXAMPLES = 300
MAX_EXAMPLE_CHARS = 300
MAX_ANSWER_CHARS = 2000


def shop_intent_save(
    *,
    actor,
    store,
    name: str,
    action: str,
    examples: str,
    answers: dict[str, str] | None = None,
    description: str = "",
    intent: ShopIntent | None = None,
) -> ShopIntent:
    """Create (``intent=None``) or update a shop intent. A built-in intent's name adds
    examples to it (action ``built_in``); a new name needs its own action. Errors name the
    field."""
    name = name.strip().lower()
    if not NAME.match(name):
        raise ValidationError(
            "Use 2-40 lowercase letters, digits and underscores, starting with a letter.",
            field="name",
        )
    if name == OUT_OF_SCOPE:
        raise ValidationError("out_of_scope cannot be changed.", field="name")
    built_in = name in INTENTS
    if action not in IntentAction.values:
        raise ValidationError("Choose what the assistant does.", field="action")
    if built_in != (action == IntentAction.BUILT_IN):
        raise ValidationError(
            "A built-in intent keeps its behaviour; a new intent answers or hands over.",
            field="action",
        )
    lines = list(dict.fromkeys(line.strip() for line in examples.splitlines() if line.strip()))
    if len(lines) < MIN_EXAMPLES:
        raise ValidationError(
            f"Give at least {MIN_EXAMPLES} examples, one per line.", field="examples"
        )
    if len(lines) > MAX_EXAMPLES:
        raise ValidationError(f"At most {MAX_EXAMPLES} examples.", field="examples")
    if any(len(line) > MAX_EXAMPLE_CHARS for line in lines):
        raise ValidationError(
            f"An example has more than {MAX_EXAMPLE_CHARS} characters.", field="examples"
        )
    answers = {
        locale: text.strip() for locale, text in (answers or {}).items() if (text or "").strip()
    }
    if any(len(text) > MAX_ANSWER_CHARS for text in answers.values()):
        raise ValidationError(f"At most {MAX_ANSWER_CHARS} characters.", field="answers")
    if action == IntentAction.ANSWER and not answers:
        raise ValidationError("Write the answer in at least one language.", field="answers")
    clash = ShopIntent.objects.filter(store=store, name=name)
    if intent is not None:
        clash = clash.exclude(pk=intent.pk)
    if clash.exists():
        raise ValidationError("This store already has an intent with this name.", field="name")
    with transaction.atomic():
        previous_store_id = intent.store_id if intent is not None else None
        if intent is None:
            intent = ShopIntent(created_by=actor)
        intent.store, intent.name, intent.action = store, name, action
        intent.description = description.strip()[:300]
        intent.answers = answers if action == IntentAction.ANSWER else {}
        intent.examples = "\n".join(lines)
        intent.save()
        audit_log(actor=actor, action="shop_intent.saved", target=intent)
        emit(ShopIntentsChanged(store_id=store.pk))
        if previous_store_id not in (None, store.pk):  # moved: the old store retrains too
            emit(ShopIntentsChanged(store_id=previous_store_id))
    return intent


def shop_intent_delete(*, actor, intent: ShopIntent) -> None:
    with transaction.atomic():
        audit_log(actor=actor, action="shop_intent.deleted", target=intent)
        store_id = intent.store_id
        intent.delete()
        emit(ShopIntentsChanged(store_id=store_id))
