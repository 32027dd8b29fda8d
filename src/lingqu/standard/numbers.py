"""Normalising standard numbers so that every spelling a user types meets the indexed form.

``GB/T 9706.1-2020``, ``gb9706.1`` and ``9706.1`` all reduce to tokens of three kinds:

- full: upper-case, no spaces, ``/T`` ``/Z`` markers removed, year kept  -> ``GB9706.1-2020``
- base: the full form without the year (``-YYYY`` or ``:YYYY``)          -> ``GB9706.1``
- bare: the base without its letter prefix                                -> ``9706.1``
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

_MARKER = re.compile(r"^([A-Z]{2,6})(?:/[TZ]|T|Z)(?=\d)")
_KNOWN_PLAIN = {"GB", "YY", "QB", "SJ", "HG", "JB", "WS", "SN", "DB"}
_YEAR = re.compile(r"[-:]((?:19|20)\d{2})$")
_BARE = re.compile(r"^[A-Z/]+(\d[\d.\-]*)$")

#: A standard number inside free text: optional letter prefix (GB, GB/T, YY, IEC, ISO/TR, ISO/IEC ...),
#: a number with parts (9706.1, 60601-1-2), optional year after ``-`` or ``:``.
CODE_IN_TEXT = re.compile(
    r"(?<![A-Z0-9])(?:([A-Z]{2,6}(?:/[A-Z]{1,3})?)\s*)?(\d+(?:\.\d+)*(?:-\d+)*)(?:\s*:\s*((?:19|20)\d{2}))?(?![\d.])"
)


@dataclass(frozen=True)
class CodeTokens:
    full: str | None
    base: str
    bare: str | None
    bare_full: str | None = None  # the bare number with its year: 9706.1-2020
    #: the base with its kind marker as written (GB/T9254.1, GB9254): typing "GB/T 13837" prefers
    #: the recommended edition and "GB 13837" the mandatory one among editions sharing a base
    marked: str | None = None

    def all(self) -> list[str]:
        return [t for t in (self.full, self.bare_full, self.base, self.bare) if t]


_SPACE = re.compile(r"\s+")
_DASH = re.compile(r"[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]")
_DIGIT = re.compile(r"\d")


def clean(text: str) -> str:
    """NFKC (full-width to half-width), dashes unified, upper-case, no whitespace."""
    return _SPACE.sub("", _dashes(unicodedata.normalize("NFKC", text or ""))).upper()


def _dashes(text: str) -> str:
    return _DASH.sub("-", text)


def _strip_marker(code: str) -> str:
    m = _MARKER.match(code)
    if m and (m.group(0).endswith(("/T", "/Z")) or m.group(1) in _KNOWN_PLAIN):
        return m.group(1) + code[m.end():]
    return code


def _marked(code: str) -> str:
    """The cleaned number with its marker spelled ``/T`` or ``/Z`` (``GBT9706.1`` -> ``GB/T9706.1``)."""
    m = _MARKER.match(code)
    if m and not m.group(0).endswith(("/T", "/Z")) and m.group(1) in _KNOWN_PLAIN:
        return m.group(1) + "/" + m.group(0)[len(m.group(1)):] + code[m.end():]
    return code


@functools.lru_cache(maxsize=100_000)
def code_tokens(code: str) -> CodeTokens:
    """The full, base and bare tokens of one standard number (``GB/T 9254.1-2021``).

    Cached: adopted international numbers repeat across standards, and queries repeat numbers."""
    c0 = _marked(clean(code))
    c = _strip_marker(c0)
    m = _YEAR.search(c)
    # a trailing four-digit segment is a year only when something precedes it that is a number
    if m and _DIGIT.search(c, 0, m.start()):
        full, base = c, c[: m.start()]
    else:
        full, base = None, c
    bm = _BARE.match(base)
    bare = bm.group(1) if bm else None
    bare_full = bare + c[len(base):] if bare and full else None
    marked = c0[: len(c0) - (len(c) - len(base))] if bare else None
    return CodeTokens(full=full, base=base, bare=bare, bare_full=bare_full, marked=marked)


def code_root(tok: CodeTokens) -> list[str]:
    """The family tokens of a number with parts: ``GB9706.1`` -> ``GB9706`` and ``9706``;
    ``IEC60601-1-2`` -> ``IEC60601`` and ``60601``. Empty for a number without parts."""
    if not tok.bare:
        return []
    m = re.match(r"^(\d+)[.\-]\d", tok.bare)
    if not m:
        return []
    root = m.group(1)
    return [tok.base[: len(tok.base) - len(tok.bare)] + root, root]


def number_groups(code: str) -> list[str]:
    """Digit groups (two or more digits) of a number that has no standard shape
    (``国家药监局公告2017年第104号`` -> ``2017``, ``104``)."""
    return re.findall(r"\d{2,}", unicodedata.normalize("NFKC", code or ""))


_REGULATION_NUMBER = re.compile(r"第\s*(\d+)\s*号|(\d{2,})\s*号令|((?:19|20)\d{2})\s*年")


def regulation_numbers(text: str) -> list[str]:
    """Numbers a query gives the way regulations are cited: 第739号, 739号令, 2023年(第10号)."""
    t = unicodedata.normalize("NFKC", text or "")
    return [g for m in _REGULATION_NUMBER.finditer(t) for g in m.groups() if g]


def split_codes(field: str) -> list[str]:
    """Codes listed in a ``replaces`` / ``replaced_by`` cell (``A; B (note)``), notes dropped."""
    out = []
    for part in re.split(r"[;；]", field or ""):
        part = re.sub(r"[(（].*$", "", part).strip()
        if part:
            out.append(part)
    return out


_INTL = re.compile(r"\b(ISO(?:/[A-Z]{2,3})?|IEC|CISPR|EN|ASTM|UL)\s*(\d+(?:\.\d+)*(?:-\d+)*)(?:\s*:\s*((?:19|20)\d{2}))?", re.I)


def adopted_codes(adopts: str) -> list[str]:
    """International codes named in an ``adopts`` cell (``IEC 60601-1:2012 MOD`` -> ``IEC 60601-1:2012``)."""
    out = []
    for m in _INTL.finditer(unicodedata.normalize("NFKC", adopts or "")):
        out.append(f"{m.group(1)} {m.group(2)}" + (f":{m.group(3)}" if m.group(3) else ""))
    return out


def codes_in_query(text: str) -> list[CodeTokens]:
    """Every standard number a query mentions, in any spelling (``gb9706.1``, ``YY 9706.102``, ``9706.1``)."""
    t = _dashes(unicodedata.normalize("NFKC", text or "")).upper()
    out = []
    for m in CODE_IN_TEXT.finditer(t):
        prefix, number, colon_year = m.group(1) or "", m.group(2), m.group(3)
        if not prefix and "." not in number and "-" not in number and (len(number) < 3 or re.fullmatch(r"(?:19|20)\d{2}", number)):
            continue  # "1" or "12" alone is not a standard number
        code = prefix + number + (f":{colon_year}" if colon_year else "")
        tok = code_tokens(code)
        if not prefix:  # a bare number: matches the bare tokens only
            tok = CodeTokens(full=None, base=tok.base, bare=tok.base, bare_full=tok.full)
        out.append(tok)
    return out
