"""Which parts of a hit's code and titles the query matched, for highlighting on the search page.

The result is a list of ``(text, matched)`` pieces, never HTML: the template escapes each piece
and wraps the matched ones in ``<mark>``, so a title holding ``<script>`` stays text.
Matching follows the analyser: Chinese words and character bigrams of the query, English words
compared after the same light stemming, and standard numbers compared by their normalised tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lingqu.standard.analysis import _CJK, _EN_STOP, MAX_QUERY_CHARS, _stem, expand_synonyms, text_tokens
from lingqu.standard.numbers import CODE_IN_TEXT, code_root, code_tokens, codes_in_query

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@dataclass(frozen=True)
class QueryMarks:
    cjk: frozenset[str]
    stems: frozenset[str]
    codes: frozenset[str]


def query_marks(query: str) -> QueryMarks:
    """The pieces of a query to look for in a hit's text."""
    q = (query or "")[:MAX_QUERY_CHARS]
    codes: set[str] = set()
    for c in codes_in_query(q):
        codes.update(c.all())
    whole = code_tokens(q.strip()) if q.strip() else None
    if whole and any(ch.isdigit() for ch in q):
        codes.update(t for t in (whole.full, whole.base) if t)
    rest = CODE_IN_TEXT.sub(" ", q.upper()).lower() if codes else q
    rest = f"{rest} {expand_synonyms(q)}"
    toks = text_tokens(rest)
    cjk = {w for w in toks["words"] if _CJK.fullmatch(w)} | set(toks["bigrams"])
    if not toks["bigrams"]:
        cjk |= set(toks["chars"])
    stems = {_stem(w) for w in _WORD.findall(rest.lower()) if w.lower() not in _EN_STOP}
    return QueryMarks(frozenset(cjk), frozenset(stems), frozenset(codes))


def _pieces(text: str, on: list[bool]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or on[i] != on[start]:
            out.append((text[start:i], on[start]))
            start = i
    return out


def mark(text: str, marks: QueryMarks, *, is_code: bool = False) -> list[tuple[str, bool]]:
    """``text`` split into pieces, each flagged when the query matched it."""
    text = text or ""
    if not text:
        return []
    on = [False] * len(text)
    if is_code and marks.codes:
        own = code_tokens(text)
        if marks.codes & set(own.all() + code_root(own)):
            return [(text, True)]
    for term in marks.cjk:
        i = text.find(term)
        while i >= 0:
            on[i : i + len(term)] = [True] * len(term)
            i = text.find(term, i + 1)
    if marks.stems:
        for m in _WORD.finditer(text):
            if _stem(m.group(0).lower()) in marks.stems:
                on[m.start() : m.end()] = [True] * (m.end() - m.start())
    return _pieces(text, on)
