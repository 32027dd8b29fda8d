"""The standards dataset's vocabulary and cell rules, shared by ``lingqu init``, ``lingqu import
standards``, ``lingqu import products`` and ``lingqu standards export``.

Plain functions over the shipped lookup files (``data/product_categories.csv``,
``data/sources.csv``), like ``lingqu.kit.normalize``: the importer calls them once per distinct
value of a column, and a value they cannot understand raises ``FieldProblem`` with a bilingual
reason that says what would have been accepted. Each parser returns the canonical spelling,
so that exporting and re-importing a dataset changes nothing.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from importlib import resources

from lingqu.kit.normalize import FieldProblem

#: The dataset's columns, in the order of data/standards.csv (and of ``lingqu standards export``).
HEADER = (
    "code", "title_zh", "title_en", "kind", "status", "issued", "effective", "withdrawn", "replaces",
    "replaced_by", "adopts", "categories", "domain", "source", "verification",
)

STATUSES: dict[str, tuple[str, ...]] = {
    "current": ("现行", "现行有效", "有效", "in force"),
    "superseded": ("被代替", "已被代替", "被替代", "已被替代", "replaced"),
    "withdrawn": ("废止", "已废止", "作废", "repealed"),
    "upcoming": ("即将实施", "待实施", "尚未实施", "未实施", "not yet in force"),
}
DOMAINS: dict[str, tuple[str, ...]] = {
    "power_bank": ("移动电源", "充电宝", "power bank"),
    "medical_device": ("医疗器械", "medical device"),
    "general": ("通用", "综合", "其他"),
}
#: Kinds that are a code prefix: the code must begin with it (GB/T 16886.1-2022 is kind GB/T).
PREFIX_KINDS = ("GB", "GB/T", "GB/Z", "YY", "YY/T", "ISO", "IEC")
OTHER_KINDS: dict[str, tuple[str, ...]] = {
    "CCC_rule": ("CCC", "认证实施规则", "强制性产品认证实施规则", "CCC规则"),
    "law": ("法律",),
    "regulation": ("行政法规", "国务院令"),
    "order": ("部门规章", "规章", "总局令", "局令"),
    "notice": ("规范性文件", "公告", "通告", "指导原则", "分类目录"),
}
#: Other industry standards as printed: SJ/T, QB/T, JB/T, GB/T is covered above.
_INDUSTRY_KIND = re.compile(r"^[A-Z]{2,4}(?:/[TZ])?$")

_DASHES = re.compile(r"[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]")
#: A standard number as printed: prefix (GB, GB/T, YY/T, ISO/TR, ISO/IEC, IEC, CISPR ...), a
#: number with parts and an optional year, optional amendments (IEC 60601-1:2005+A1:2012,
#: ISO 2859-1:1999/Amd 1:2011, GB 4943.1-2011/XG1-2014), guides (ISO/IEC Guide 65:1996).
_NUMBER = re.compile(
    r"^(?P<prefix>[A-Z]{2,6}(?:/[A-Z]{1,3})?)\s?(?:GUIDE\s)?(?P<number>\d+(?:\.\d+)*(?:-\d+)*)"
    r"(?:[-:](?P<year>(?:19|20)\d{2}))?(?:(?:\+|/)(?:A|AMD|XG)\s?\d+[-:](?:19|20)\d{2})*$"
)
#: rules of certification and accreditation bodies: CNCA-C09-02:2025, CNAS-CL01:2018
_BODY_RULE = re.compile(r"^[A-Z]{2,6}-[A-Z0-9]+(?:-[A-Z0-9]+)*(?::(?:19|20)\d{2})?$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_URL = re.compile(r"^https?://\S+$")
_SOURCE_ID = re.compile(r"^S\d{2,3}$")
_LIST_SPLIT = re.compile(r"\s*[;；]\s*")


def _rows(name: str) -> list[dict[str, str]]:
    with (resources.files("lingqu") / "data" / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _key(s: str) -> str:
    return re.sub(r"[\s_\-]", "", unicodedata.normalize("NFKC", s or "").casefold())


def _clean(s: str | None) -> str:
    s = _DASHES.sub("-", unicodedata.normalize("NFKC", s or ""))
    return re.sub(r"\s+", " ", s).strip()


# --------------------------------------------------------------------------- product categories

@lru_cache(maxsize=1)
def product_categories() -> tuple[dict[str, str], ...]:
    """The rows of ``data/product_categories.csv`` (code, name_zh, name_en, cluster, catalogue_code, source)."""
    return tuple(_rows("product_categories.csv"))


@lru_cache(maxsize=1)
def clusters() -> dict[str, tuple[str, ...]]:
    """Cluster name -> the category codes in it, in file order."""
    out: dict[str, list[str]] = {}
    for r in product_categories():
        out.setdefault(r["cluster"], []).append(r["code"])
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def _category_index() -> dict[str, str]:
    """Matching key -> category code: the code, its Chinese and English names, the 2017
    catalogue's two-digit code (07 -> MD07) and MD7 for MD07."""
    index: dict[str, str] = {}
    for r in product_categories():
        code = r["code"]
        spellings = [code, r["name_zh"], r["name_en"]]
        if r["catalogue_code"]:
            spellings += [r["catalogue_code"], f"MD{int(r['catalogue_code'])}"]
        for s in spellings:
            index.setdefault(_key(s), code)
    return index


@lru_cache(maxsize=1)
def _cluster_index() -> dict[str, str]:
    index = {}
    for name in clusters():
        for s in (name, *DOMAINS.get(name, ())):
            index[_key(s)] = name
    return index


def _category_hint() -> str:
    codes = [r["code"] for r in product_categories()]
    return f"expected codes such as {', '.join(codes[:4])}, MD01–MD22, IVD or a cluster {' / '.join(clusters())}"


def parse_category(raw: str | None) -> str:
    """One product category code (a product belongs to exactly one category)."""
    text = _clean(raw)
    if not text:
        raise FieldProblem(f"产品类别为空 (product category is empty; {_category_hint()})")
    code = _category_index().get(_key(text))
    if code is None:
        raise FieldProblem(f"未知的产品类别 \"{text}\" (unknown product category; {_category_hint()})")
    return code


def parse_categories(raw: str | None) -> str:
    """Applicability of a standard: category codes and cluster names, ``;``-separated, canonical order kept."""
    out: list[str] = []
    for part in _LIST_SPLIT.split(_clean(raw).replace("、", ";").replace(",", ";")):
        if not part:
            continue
        name = _category_index().get(_key(part)) or _cluster_index().get(_key(part))
        if name is None:
            raise FieldProblem(f"未知的产品类别 \"{part}\" (unknown product category; {_category_hint()})")
        if name not in out:
            out.append(name)
    return ";".join(out)


def expand_categories(categories: str) -> list[str]:
    """Category codes a ``categories`` cell covers (a cluster name stands for all its categories)."""
    out: list[str] = []
    for part in (categories or "").split(";"):
        part = part.strip()
        for code in clusters().get(part, (part,) if part else ()):
            if code not in out:
                out.append(code)
    return out


# --------------------------------------------------------------------------- sources

@lru_cache(maxsize=1)
def sources() -> dict[str, dict[str, object]]:
    """S-id -> {"urls": [...], "note": str} from ``data/sources.csv`` (copied from SOURCES.md)."""
    return {r["id"]: {"urls": r["urls"].split(), "note": r["note"]} for r in _rows("sources.csv")}


def parse_sources(raw: str | None) -> str:
    """Where the row's facts come from: S-ids of data/sources.csv or http(s) URLs, ``;``-separated."""
    text = (raw or "").strip()
    parts = [p for p in re.split(r"\s*[;；]\s*|\s+", text) if p]
    if not parts:
        raise FieldProblem("来源为空 (source is empty; give S-ids such as S24 or the URLs of the pages that state the facts)")
    out = []
    for p in parts:
        if _SOURCE_ID.match(p):
            if p not in sources():
                raise FieldProblem(f"未知的来源编号 {p} (unknown source id; known ids are in data/sources.csv)")
        elif not _URL.match(p):
            raise FieldProblem(f"来源 \"{p[:60]}\" 不是来源编号或网址 (a source is an S-id such as S24 or an http(s) URL)")
        if p not in out:
            out.append(p)
    return ";".join(out)


def source_links(source: str) -> list[dict[str, str]]:
    """Each source of a row as ``{"label", "url", "note"}``: an S-id expands to its URLs."""
    out = []
    for p in (source or "").split(";"):
        p = p.strip()
        if not p:
            continue
        if p in sources():
            s = sources()[p]
            for i, url in enumerate(s["urls"]):
                out.append({"label": p if len(s["urls"]) == 1 else f"{p}.{i + 1}", "url": url, "note": str(s["note"])})
        else:
            out.append({"label": re.sub(r"^https?://", "", p).split("/")[0], "url": p, "note": ""})
    return out


# --------------------------------------------------------------------------- codes and kinds

def parse_code(raw: str | None) -> str:
    """A standard, rule or regulation number as printed, with spacing and dashes made canonical.

    Standard numbers need a letter prefix and a number (``GB/T 16886.1-2011``, ``IEC 60601-1:2012``);
    certification and accreditation rules look like ``CNCA-C09-02:2025`` or ``CNAS-CL01:2018``; regulations are written in Chinese
    (``国务院令第739号``). Anything else, or text with list separators, is malformed.
    """
    text = _clean(raw)
    if not text:
        raise FieldProblem("编号为空 (code is empty)")
    if re.search(r"[;,，、]", text):
        raise FieldProblem(f"编号 \"{text[:60]}\" 含有分隔符，一行只能写一个编号 (one code per row, without ; or ,)")
    if _CJK.search(text):
        return text  # regulations, orders and notices by their official number
    m = _NUMBER.match(text.upper())
    if m:  # the prefix in capitals and one space after it; the rest as printed (ISO ...:1999/Amd 1:2011)
        prefix = m.group("prefix")
        return f"{prefix} {text[len(prefix):].lstrip()}"
    if _BODY_RULE.match(text.upper()):
        return text.upper()
    raise FieldProblem(
        f"编号格式不正确 \"{text[:60]}\" (malformed code; expected e.g. GB/T 16886.1-2011, IEC 60601-1:2012, "
        "CNCA-C09-02:2025 or a regulation number such as 国务院令第739号)"
    )


def parse_codes(raw: str | None) -> str:
    """A ``replaces`` / ``replaced_by`` cell: codes separated by ``;`` (each as ``parse_code``)."""
    out = []
    for part in _LIST_SPLIT.split(_clean(raw)):
        if part:
            code = parse_code(part)
            if code not in out:
                out.append(code)
    return ";".join(out)


def parse_kind(raw: str | None) -> str:
    """GB, GB/T, GB/Z, YY, YY/T, another industry prefix as printed (SJ/T, QB/T), ISO, IEC,
    CCC_rule, law, regulation, order or notice."""
    text = _clean(raw)
    if not text:
        raise FieldProblem("类型为空 (kind is empty)")
    upper = text.upper().replace(" ", "")
    if upper in PREFIX_KINDS:
        return upper
    k = _key(text)
    for kind, aliases in OTHER_KINDS.items():
        if k in {_key(kind), *(_key(a) for a in aliases)}:
            return kind
    if _INDUSTRY_KIND.match(upper):
        return upper
    raise FieldProblem(
        f"未知的类型 \"{text[:40]}\" (unknown kind; expected GB, GB/T, GB/Z, YY, YY/T, another industry prefix such as "
        "SJ/T, ISO, IEC, CCC_rule, law, regulation, order or notice)"
    )


def kind_mismatch(kind: str, code: str) -> str | None:
    """Why a code cannot be of this kind (GB/T code with kind GB), or ``None``."""
    if _CJK.search(code) or kind in OTHER_KINDS:
        return None
    m = _NUMBER.match(code.upper())
    if not m:
        return None
    prefix = m.group("prefix")
    if kind == "ISO":
        ok = prefix.startswith("ISO")
    elif kind == "IEC":
        ok = prefix.startswith("IEC") or prefix == "CISPR"
    else:
        ok = prefix == kind
    return None if ok else f"编号前缀 {prefix} 与类型 {kind} 不符 (the code's prefix {prefix} does not match kind {kind})"
