"""The translation catalogs are complete: every message has a Dutch, French and English text,
none is fuzzy, the placeholders match, and the compiled .mo files match the .po files.

A new string without translations fails here: run ``manage.py makemessages -l nl -l en -l fr``,
translate, then ``manage.py compilemessages``. English entries repeat the msgid, because an
empty entry would fall back to Dutch (the default language), not to the msgid.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import polib
import pytest
from django.core.management import call_command

from tests.conftest import require_service

LOCALE = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("nl", "fr", "en")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalog(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def texts(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    po = catalog(language)
    assert len(po) > 100
    missing = [e.msgid for e in po if not all(texts(e))]
    fuzzy = [e.msgid for e in po if e.fuzzy]
    assert missing == [], f"untranslated in {language}"
    assert fuzzy == [], f"fuzzy in {language}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language: str) -> None:
    wrong = [
        (e.msgid, text)
        for e in catalog(language)
        for text in texts(e)
        if sorted(set(PLACEHOLDER.findall(text))) != sorted(set(PLACEHOLDER.findall(e.msgid)))
    ]
    assert wrong == []


def test_english_repeats_the_source_text() -> None:
    differ = [e.msgid for e in catalog("en") if not e.msgid_plural and e.msgstr != e.msgid]
    assert differ == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_matches_the_po_file(language: str) -> None:
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    compiled = {e.msgid: texts(e) for e in mo if e.msgid}
    source = {e.msgid: texts(e) for e in catalog(language)}
    assert compiled == source, "run manage.py compilemessages"


def test_the_catalogs_hold_every_message_of_the_code(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """makemessages on a copy of the code finds no message the committed catalogs lack."""
    require_service("gettext (xgettext)", shutil.which("xgettext") is not None)
    root = LOCALE.parent
    for folder in ("backend", "bots", "realtime"):
        shutil.copytree(root / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.pyc"))
    (tmp_path / "locale/nl/LC_MESSAGES").mkdir(parents=True)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["nl"], verbosity=0)

    found = {e.msgid for e in polib.pofile(str(tmp_path / "locale/nl/LC_MESSAGES/django.po"))}
    known = {e.msgid for e in catalog("nl")}
    assert len(found) > 100
    assert sorted(found - known) == [], "run manage.py makemessages -l nl -l en -l fr"
