"""The zh-Hans and Croatian catalogs are complete and keep every placeholder."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

CATALOGS = sorted(Path(settings.LOCALE_SOURCE_DIR).glob("*/LC_MESSAGES/*.po"))
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")


def test_both_languages_have_both_catalogs():
    found = {(p.parts[-3], p.name) for p in CATALOGS}
    assert found == {
        (lang, name) for lang in ("hr", "zh_Hans") for name in ("django.po", "djangojs.po")
    }


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_every_message_is_translated_with_the_same_placeholders(path):
    with path.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(("untranslated", ids[0]))
            continue
        expected = sorted(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            if sorted(PLACEHOLDER.findall(string)) != expected:
                problems.append(("placeholders", ids[0]))
    assert problems == []


@pytest.mark.parametrize("language", ["zh-hans", "hr"])
def test_catalog_is_active_at_run_time(language):
    with translation.override(language):
        assert translation.gettext("Internal note") != "Internal note"
        assert translation.gettext("Snoozed") != "Snoozed"
