"""UI language: Chinese first, English on request.

Templates write their text in Chinese and wrap it as ``{{ t("企业") }}``. The English
catalogue is every ``*.json`` file in this folder (Chinese text -> English text), merged, so
each part of the UI can keep its own file. The language is the ``lang`` cookie ("zh" or "en");
text with no English entry is shown in Chinese rather than going missing.

Text with values in it is written with named placeholders, ``{{ t("共 {n} 家企业", n=total) }}``:
the catalogue translates the pattern, then the values are filled in, so word order can differ
between the languages. ``tests/web/test_i18n.py`` checks that every literal ``t("...")`` in every
template has an English entry.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jinja2 import pass_context

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
COOKIE = "lang"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(Path(__file__).parent.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def language_of(request) -> str:
    lang = request.cookies.get(COOKIE, DEFAULT_LANGUAGE) if request is not None else DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def translate(text: str, lang: str) -> str:
    if lang == "en":
        return catalogue().get(text, text)
    return text


@pass_context
def t(context, text, **values) -> str:
    """The Jinja global ``t``: ``text`` in the request's language, placeholders filled in."""
    if text is None:
        return ""
    out = translate(str(text), language_of(context.get("request")))
    return out.format(**values) if values else out


@pass_context
def current_language(context) -> str:
    return language_of(context.get("request"))
