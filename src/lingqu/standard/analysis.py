"""Turning a standard and a query into the same weighted tokens, for every search backend.

Chinese text is segmented with jieba (search mode, with a small dictionary of standard terms),
plus CJK character bigrams so that any two-character word finds its documents even when the
segmenter kept it inside a longer word. English words are lower-cased and lightly stemmed.
Standard numbers become their own tokens (see :mod:`lingqu.standard.numbers`).

Segmentation dominates indexing time (jieba runs at roughly 0.7 M characters/s on one core), so
the segmentation of each distinct run of Chinese text is cached -- real catalogues repeat runs
such as 医用电气设备 or 通用要求 across hundreds of titles -- and :func:`analyse_many` spreads a large
build over worker processes.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
from dataclasses import dataclass, field

from lingqu.standard.numbers import CODE_IN_TEXT, CodeTokens, adopted_codes, code_root, code_tokens, codes_in_query, number_groups, regulation_numbers

#: Terms of the standards domain that jieba's general dictionary splits wrongly or not at all.
DOMAIN_TERMS = (
    "移动电源", "锂离子电池", "锂离子电池组", "电池组", "医用电气设备", "医用电气系统", "电磁兼容",
    "风险管理", "生物学评价", "医疗器械", "质量管理体系", "安全通用要求", "基本安全", "基本性能",
    "并列标准", "谐波电流", "发射限值", "无线电骚扰", "信息技术设备", "抽样检验", "接收质量限",
    "逐批检验", "软件生存周期", "化学表征", "强制性产品认证", "实施规则", "音视频", "多媒体设备",
    "安全技术规范", "安全要求", "通用规范", "便携式", "电子产品", "应用指南", "计数抽样",
)

#: Per-field weights shared by every backend: number matches dominate text matches.
FIELD_WEIGHTS = {
    "code_full": 8.0,
    "code_base": 5.0,
    "code_bare": 3.0,
    "code_root": 1.5,
    "code_marked": 1.0,
    "adopt_full": 6.0,
    "adopt_base": 4.0,
    "adopt_bare": 2.0,
    "adopt_root": 1.0,
    "words": 1.0,
    "bigrams": 0.5,
    "chars": 0.2,
}
FIELDS = tuple(FIELD_WEIGHTS)
MAX_QUERY_CHARS = 1000  # a longer query is cut here: the tail of a pasted page adds nothing

#: What users type for what the titles say (query side only, weight ``SYNONYM_WEIGHT``):
#: colloquial names, abbreviations and the English/Chinese names of the same thing.
SYNONYMS = {
    "充电宝": "移动电源 power bank",
    "锂电池": "锂离子电池",
    "3c": "强制性产品认证",
    "ccc": "强制性产品认证",
    "emc": "电磁兼容 electromagnetic compatibility",
    "质量体系": "质量管理体系",
    "医械": "医疗器械",
    "制氧机": "氧气浓缩器",
    "aql": "接收质量限",
}
SYNONYM_WEIGHT = 0.8
_SYN_WORD = re.compile(r"[a-z0-9]+")


def expand_synonyms(query: str) -> str:
    """The text the synonyms of a query add (empty if none): Chinese keys as substrings,
    Latin keys as whole words (``emc`` but not ``emcee``)."""
    q = (query or "").lower()
    words = set(_SYN_WORD.findall(q))
    return " ".join(v for k, v in SYNONYMS.items() if (k in words if k.isascii() else k in q))


_EN_STOP = {"a", "an", "and", "the", "of", "for", "in", "on", "to", "by", "with", "or", "part", "unofficial", "translation", "title", "unverified"}
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_EN = re.compile(r"[a-z][a-z0-9]*")
_lock = threading.Lock()
_jieba = None


def _segmenter():
    global _jieba
    with _lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            for term in DOMAIN_TERMS:
                jieba.add_word(term, freq=200000)
            _jieba = jieba
    return _jieba


@functools.lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@functools.lru_cache(maxsize=200_000)
def segment(run: str) -> tuple[str, ...]:
    """jieba search-mode words of one run of Chinese characters (cached: runs repeat a lot)."""
    return tuple(w for w in _segmenter().lcut_for_search(run) if w.strip())


def text_tokens(text: str) -> dict[str, list[str]]:
    """Words (jieba + English), CJK bigrams and CJK characters of a piece of text."""
    words: list[str] = []
    bigrams: list[str] = []
    chars: list[str] = []
    for run in _CJK.findall(text):
        words.extend(segment(run))
        bigrams.extend(map(str.__add__, run, run[1:]))
        chars.extend(run)
    words.extend(_stem(w) for w in _EN.findall(text.lower()) if w not in _EN_STOP)
    return {"words": words, "bigrams": bigrams, "chars": chars}


@dataclass
class Doc:
    """One standard as the backends see it: an id, display fields and its tokens per field."""

    id: int
    code: str
    title_zh: str
    title_en: str
    status: str
    tokens: dict[str, list[str]] = field(default_factory=dict)
    kind: str = ""
    domain: str = ""
    #: the rank factor (status, recency, general part), see :func:`rank_factor`
    factor: float = 1.0


def analyse_standard(id: int, code: str, title_zh: str, title_en: str, status: str, adopts: str,
                     kind: str = "", domain: str = "") -> Doc:
    own = code_tokens(code)
    toks: dict[str, list[str]] = {f: [] for f in FIELDS}
    toks["code_full"] += [t for t in (own.full, own.bare_full) if t]
    toks["code_base"].append(own.base)
    # a regulation's number (国务院令第739号) has no letter prefix to strip: its digit groups
    # stand in for the bare number, so 739号令 or 2017年第104号 find it
    toks["code_bare"] += [own.bare] if own.bare else number_groups(code)
    toks["code_root"] += code_root(own)
    toks["code_marked"] += [own.marked] if own.marked else []
    for adopted in adopted_codes(adopts):
        a = code_tokens(adopted)
        toks["adopt_full"] += [t for t in (a.full, a.bare_full) if t]
        toks["adopt_base"].append(a.base)
        toks["adopt_bare"] += [a.bare] if a.bare else []
        toks["adopt_root"] += code_root(a)
    # Chinese words in a number (国务院令, 公告) are searchable as text too
    code_text = "".join(_CJK.findall(code or ""))
    text = text_tokens(f"{code_text} {title_zh or ''} {title_en or ''}")
    toks["words"], toks["bigrams"], toks["chars"] = text["words"], text["bigrams"], text["chars"]
    return Doc(id=id, code=code, title_zh=title_zh or "", title_en=title_en or "", status=status or "", tokens=toks,
               kind=kind or "", domain=domain or "", factor=rank_factor(status, code, own))


def _analyse_row(row: tuple) -> Doc:
    return analyse_standard(*row)


def _analyse_row_joined(row: tuple) -> Doc:
    d = analyse_standard(*row)
    d.tokens = {f: " ".join(v) for f, v in d.tokens.items() if v}
    return d


def analyse_many(rows: list[tuple], processes: int | None = None, *, joined: bool = False) -> list[Doc]:
    """``analyse_standard`` over many rows; a large batch is spread over worker processes.

    Below 20,000 rows the start-up of workers costs more than it saves. Workers are forked after
    the segmenter is loaded, so each starts with jieba's dictionary already in memory.
    ``joined`` keeps each field's tokens as one space-separated string (what tantivy and FTS5
    take): at 300,000 standards the token lists would cost gigabytes of Python objects.
    """
    one = _analyse_row_joined if joined else _analyse_row
    procs = processes if processes is not None else (os.cpu_count() or 1)
    if procs <= 1 or len(rows) < 20_000 or "fork" not in _start_methods():
        return [one(r) for r in rows]
    import multiprocessing as mp

    _segmenter()
    with mp.get_context("fork").Pool(procs) as pool:
        return pool.map(one, rows, chunksize=2_000)


def _start_methods() -> list[str]:
    import multiprocessing as mp

    return mp.get_all_start_methods()


def analyse_query(query: str) -> list[tuple[str, str, float]]:
    """The distinct (field, token, weight) terms of a user's query; never raises."""
    q = (query or "")[:MAX_QUERY_CHARS]
    terms: dict[tuple[str, str], float] = {}

    def add(fld: str, tok: str | None) -> None:
        if tok:
            terms[(fld, tok)] = FIELD_WEIGHTS[fld]

    for c in codes_in_query(q):
        for prefix in ("code", "adopt"):
            add(f"{prefix}_full", c.full)
            add(f"{prefix}_full", c.bare_full)
            add(f"{prefix}_base", c.base)
            add(f"{prefix}_bare", c.bare)
            if c.base and not re.search(r"\d[.\-]\d", c.base):  # a number without parts: its family
                for root in {c.base, c.bare} - {None}:
                    add(f"{prefix}_root", root)
        add("code_marked", c.marked)
    whole = q.strip()
    if whole and len(whole) <= 60 and any(ch.isdigit() for ch in whole):
        # the whole query as one number: CNCA-C09-02:2025, 国务院令第739号
        w = code_tokens(whole)
        add("code_full", w.full)
        add("code_base", w.base)
    for n in regulation_numbers(q):  # 国务院令第739号, 2023年第10号
        add("code_bare", n)
    rest = CODE_IN_TEXT.sub(" ", q.upper()).lower() if terms else q
    text = text_tokens(rest)
    for w in text["words"]:
        add("words", w)
    for b in text["bigrams"]:
        add("bigrams", b)
    if not text["bigrams"]:  # a one-character Chinese query
        for ch in text["chars"]:
            add("chars", ch)
    syn = text_tokens(expand_synonyms(q))
    for fld in ("words", "bigrams"):
        for tok in syn[fld]:
            terms.setdefault((fld, tok), FIELD_WEIGHTS[fld] * SYNONYM_WEIGHT)
    return [(f, t, w) for (f, t), w in terms.items()]


#: The statuses a filter can ask for (the dataset's vocabulary) and the rank factor of each:
#: current editions rank above upcoming ones, those above free-text statuses ("no longer applies
#: to ..."), and superseded or withdrawn editions last, for the same match.
STATUS_FACTOR = {"current": 1.0, "upcoming": 0.9, "other": 0.85, "superseded": 0.7, "withdrawn": 0.7}
STATUSES = ("current", "upcoming", "superseded", "withdrawn")


#: Among equal matches, a newer edition ranks a little higher (up to +3 % for a 2030 edition
#: against a 1950 one): "GB 9706.15" puts the 2008 edition above the 1999 one, both superseded.
RECENCY = 0.03
#: Part 1 of a series (GB 9706.1, IEC 60601-1) is its general part, which applies to every
#: product the series covers: among equally good matches it answers first (+5 %), so "GB 9706"
#: or 医用电气设备 lead with GB 9706.1 rather than one of sixty particular standards.
GENERAL_PART = 0.05


_YEAR_END = re.compile(r"((?:19|20)\d{2})$")
_FIRST_PART = re.compile(r"\d+[.\-]1")


def rank_factor(status: str, code: str, tok: CodeTokens | None = None) -> float:
    """The factor a standard's text score is multiplied by: status, recency, general part."""
    tok = tok or code_tokens(code)
    m = _YEAR_END.search(tok.full or "")
    recency = min(1.0, max(0.0, (int(m.group(1)) - 1950) / 80)) if m else 0.0
    general = GENERAL_PART if tok.bare and _FIRST_PART.fullmatch(tok.bare) else 0.0
    return STATUS_FACTOR[status_class(status)] * (1 + RECENCY * recency + general)


def status_class(status: str) -> str:
    """``current`` / ``upcoming`` / ``superseded`` / ``withdrawn`` / ``other`` from a status cell
    (the seed data still has free text such as "current (international)")."""
    s = (status or "").strip().lower()
    if s.startswith(("current", "现行")):
        return "current"
    if s.startswith(("superseded", "replaced", "被代替")):
        return "superseded"
    if s.startswith(("withdrawn", "废止")):
        return "withdrawn"
    if s.startswith(("upcoming", "即将实施")):
        return "upcoming"
    return "other"
