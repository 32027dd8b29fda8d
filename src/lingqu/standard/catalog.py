"""The standards knowledge base as people read it: the list, one edition with every fact and the
source of each, its replacement chain, applicability, and the export of the whole dataset.

The export writes exactly the dataset format (``dataset.HEADER``) in the canonical spellings the
importer produces, so ``lingqu standards export`` followed by ``lingqu import standards`` of the
file changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from sqlalchemy.orm import Session

from lingqu.auth.scope import Scope
from lingqu.exceptions import NotFound, ValidationError
from lingqu.standard import changes, dataset, repository
from lingqu.standard.numbers import code_tokens, split_codes

FACTS = (
    ("code", "编号"), ("title_zh", "中文名称"), ("title_en", "英文名称"), ("kind", "类型"), ("status", "状态"),
    ("issued", "发布日期"), ("effective", "实施日期"), ("withdrawn", "废止日期"), ("replaces", "代替"),
    ("replaced_by", "被代替"), ("adopts", "采用国际标准"), ("categories", "适用产品类别"), ("domain", "领域"),
)
STATUS_LABELS = {"current": "现行", "superseded": "已被代替", "withdrawn": "废止", "upcoming": "即将实施"}
KIND_LABELS = {
    "GB": "强制性国家标准", "GB/T": "推荐性国家标准", "GB/Z": "国家标准化指导性技术文件", "YY": "强制性行业标准",
    "YY/T": "推荐性行业标准", "ISO": "国际标准 ISO", "IEC": "国际标准 IEC", "CCC_rule": "CCC 认证实施规则",
    "law": "法律", "regulation": "行政法规", "order": "部门规章", "notice": "规范性文件",
}
#: words of a verification note that name facts (``dates unverified`` -> issued, effective)
_FACT_WORDS = (
    ("issue date", ("issued",)), ("effective date", ("effective",)), ("dates", ("issued", "effective")),
    ("title", ("title_zh", "title_en")), ("adoption", ("adopts",)), ("replacement", ("replaces", "replaced_by")),
)


def _iso(d) -> str:
    return d.isoformat() if d else ""


def find(session: Session, code: str):
    """The edition numbered ``code`` (exact, or the same number in another spelling)."""
    code = (code or "").strip()
    if not code:
        raise ValidationError("code is empty", field="code")
    s = repository.standard_by_code(session, code)
    if s is not None:
        return s
    want = code_tokens(code)
    for s in repository.all_standards(session):
        t = code_tokens(s.code)
        if want.full and t.full == want.full or not want.full and t.full is None and t.base == want.base:
            return s
    raise NotFound(f"未找到标准 {code} (no standard numbered {code!r})", field="code")


def unverified_facts(verification: str) -> set[str]:
    """Facts a verification note calls unverified (``issue date unverified`` -> {"issued"})."""
    out: set[str] = set()
    for segment in re.split(r"[;；]", verification or ""):
        seg = segment.lower()
        if "unverified" not in seg and "未核实" not in seg:
            continue
        for word, fields in _FACT_WORDS:
            if word in seg:
                out.update(fields)
                if word in ("issue date", "effective date"):
                    break
    return out


def _value(s, name: str):
    v = getattr(s, name)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v or ""


def list_standards(session: Session, *, q: str = "", kind: str = "", status: str = "", category: str = "",
                   domain: str = "") -> list[dict]:
    """Editions filtered by kind, status, applicable category and domain; ``q`` uses the search engine."""
    if status and status not in dataset.STATUSES:
        raise ValidationError(f"status must be one of {', '.join(dataset.STATUSES)}", field="status")
    rows = repository.all_standards(session)
    order = {s.id: i for i, s in enumerate(rows)}
    if q.strip():
        from lingqu.standard.service import search_standards

        codes = {h.code: i for i, h in enumerate(search_standards(session, q, limit=500))}
        rows = [s for s in rows if s.code in codes]
        order = {s.id: codes.get(s.code, 0) for s in rows}
    if category:
        cats = {category}
        linked = {sid for sid, c in repository.links(session) if c in cats}
        rows = [s for s in rows if s.id in linked]
    out = []
    for s in sorted(rows, key=lambda s: order[s.id] if q.strip() else (s.domain or "", s.code)):
        if kind and s.kind != kind or status and s.status != status or domain and s.domain != domain:
            continue
        out.append({"code": s.code, "title_zh": s.title_zh, "title_en": s.title_en, "kind": s.kind, "status": s.status,
                    "status_label": STATUS_LABELS.get(s.status, s.status), "issued": _iso(s.issued),
                    "effective": _iso(s.effective), "withdrawn": _iso(s.withdrawn), "domain": s.domain,
                    "categories": s.categories})
    return out


def filter_choices(session: Session) -> dict:
    rows = repository.all_standards(session)
    return {
        "kinds": sorted({s.kind for s in rows if s.kind}),
        "statuses": list(dataset.STATUSES),
        "domains": list(dataset.DOMAINS),
        "categories": [{"code": c.code, "name_zh": c.name_zh} for c in repository.product_categories(session)],
    }


def timeline(session: Session, s) -> list[dict]:
    """The family of ``s`` (every edition linked by replaces / replaced_by) as bars from effective
    date to the successor's effective date (or withdrawal), oldest first; dates are never invented,
    so an edition with no known start has ``start`` empty and is drawn from its successor backwards."""
    rows = repository.all_standards(session)
    succ = changes._successors(rows)
    by_id = {r.id: r for r in rows}
    preds: dict[int, list[int]] = {}
    for sid, items in succ.items():
        for t in items:
            if not isinstance(t, str):
                preds.setdefault(t.id, []).append(sid)
    family, todo = set(), [s.id]
    while todo:
        i = todo.pop()
        if i in family:
            continue
        family.add(i)
        todo += [t.id for t in succ[i] if not isinstance(t, str)] + preds.get(i, [])
    out = []
    for i in family:
        r = by_id[i]
        ends = sorted(t.effective for t in succ[i] if not isinstance(t, str) and t.effective)
        end = ends[0] if ends else r.withdrawn
        out.append({"code": r.code, "status": r.status, "start": _iso(r.effective), "end": _iso(end),
                    "successors": [t if isinstance(t, str) else t.code for t in succ[i]], "current": r.id == s.id})
    out.sort(key=lambda e: (e["start"] or e["end"] or "9999", e["code"]))
    return out


def detail(session: Session, code: str, scope: Scope, on: dt.date | None = None) -> dict:
    """Every fact of one edition with its sources, the edition in force on ``on``, the chain,
    applicable categories and (regulators and admins only) how many enterprises it reaches."""
    from lingqu.standard.service import edition_on

    s = find(session, code)
    links = dataset.source_links(s.source)
    doubtful = unverified_facts(s.verification)
    facts = []
    for name, label in FACTS:
        value = _value(s, name)
        note = ""
        if name in doubtful or "(unverified" in str(value):
            note = "未核实"
        elif name == "title_en" and "unofficial" in str(value):
            note = "非官方译名"
        facts.append({"name": name, "label": label, "value": value, "note": note, "sources": links if value else []})
    on = on or dt.date.today()
    # by number without year, so that the answer may be an earlier or a later edition of it
    edition = edition_on(session, code_tokens(s.code).base, on)
    cats = repository.categories_of(session, s.id)
    out = {
        "code": s.code, "title_zh": s.title_zh, "title_en": s.title_en, "kind": s.kind,
        "kind_label": KIND_LABELS.get(s.kind, s.kind), "status": s.status, "status_label": STATUS_LABELS.get(s.status, s.status),
        "facts": facts, "sources": links, "verification": s.verification,
        "replaces": split_codes(s.replaces), "replaced_by": split_codes(s.replaced_by),
        "categories": [{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, "cluster": c.cluster} for c in cats],
        "categories_as_written": s.categories, "on": on.isoformat(), "edition": edition, "timeline": timeline(session, s),
        "affected": None,
    }
    if not scope.no_enterprise_data and scope.uscc is None:  # regulators and admins
        makers = repository.enterprises_making(session, [c.code for c in cats], city_code=scope.city_code)
        alerts = changes.list_alerts(session, scope, code=s.code)
        out["affected"] = {"makers": makers, "alerts": len(alerts),
                           "certificates": sum(len(a["certificates"]) for a in alerts)}
    return out


def export(session: Session, out: str | Path) -> int:
    """Write every edition to ``out`` in the dataset format; returns the number of rows."""
    rows = repository.all_standards(session)
    path = Path(out)
    if path.parent and not path.parent.exists():
        raise ValidationError(f"folder {path.parent} does not exist", field="out")
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(dataset.HEADER)
        for s in rows:
            w.writerow([_value(s, c) for c in dataset.HEADER])
    return len(rows)


def applicable(session: Session, uscc: str, scope: Scope) -> dict:
    """The editions in force or upcoming that apply to an enterprise, through its products' categories."""
    e = repository.enterprise_by_uscc(session, (uscc or "").strip().upper())
    if e is None:
        raise NotFound(f"未找到统一社会信用代码为 {uscc} 的企业 (no such enterprise)", field="uscc")
    scope.check_enterprise(e.uscc, e.city_code)
    by_code: dict[str, dict] = {}
    for s, cat in repository.standards_for_enterprise(session, e.id):
        if s.status not in ("current", "upcoming"):
            continue
        item = by_code.setdefault(s.code, {"code": s.code, "title_zh": s.title_zh or s.title_en, "kind": s.kind,
                                           "status": s.status, "status_label": STATUS_LABELS.get(s.status, s.status),
                                           "effective": _iso(s.effective), "categories": []})
        item["categories"].append(cat)
    cats = sorted({c for i in by_code.values() for c in i["categories"]})
    return {"uscc": e.uscc, "name": e.name, "categories": cats,
            "standards": sorted(by_code.values(), key=lambda i: (i["status"] != "upcoming", i["code"]))}
