"""Standard search and the edition in force on a date.

The search index is built from the ``standard`` table on first use in the process and rebuilt
whenever the table's fingerprint changes, so search works on a database prepared by
``lingqu init`` alone.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from lingqu.exceptions import NotFound, ValidationError
from lingqu.standard import repository
from lingqu.standard.analysis import STATUSES, analyse_many
from lingqu.standard.highlight import mark, query_marks
from lingqu.standard.numbers import code_tokens, split_codes
from lingqu.standard.search import Hit, HitList, SearchBackend, make_backend, make_filters

_cache: dict[tuple[str, str], tuple[str, SearchBackend]] = {}
_cache_lock = threading.Lock()

#: Longest page a user may ask for (the API's ``limit``, the page's page size).
MAX_LIMIT = 100


def _backend_for(session: Session, backend: str) -> SearchBackend:
    key = (str(session.get_bind().url), backend)
    fp = repository.fingerprint(session)
    with _cache_lock:
        cached = _cache.get(key)
        if cached and cached[0] == fp:
            return cached[1]
        # a fresh engine, swapped in whole: a search running in another thread keeps the old one
        engine = make_backend(backend)
        engine.rebuild(analyse_many(repository.searchable_rows(session)))
        _cache[key] = (fp, engine)
        return engine


def search_standards(session: Session, query: str, *, limit: int = 10, status: str | None = None, backend: str = "tantivy",
                     kind: str | None = None, domain: str | None = None, offset: int = 0, count: bool = True) -> HitList:
    """Standards matching ``query`` best first; exact number matches first, current above superseded.

    ``status`` / ``kind`` / ``domain`` filter exactly (empty: any); the result carries ``total``
    unless ``count`` is False (counting visits every match; a caller that shows no total skips it).
    """
    if limit < 0:
        raise ValidationError("limit must be 0 or more", field="limit")
    if offset < 0:
        raise ValidationError("offset must be 0 or more", field="offset")
    filters = make_filters(status, kind, domain)
    return _backend_for(session, backend).search(query or "", limit=limit, offset=offset, filters=filters, count=count)


def hit_dict(h: Hit) -> dict:
    """A hit in the issue's JSON shape (CLI and API)."""
    return {"code": h.code, "title_zh": h.title_zh, "title_en": h.title_en, "status": h.status, "score": h.score}


def filter_choices(session: Session) -> dict[str, list[str]]:
    """What the search page offers in its filters: the statuses, and the kinds and domains present."""
    return {"status": list(STATUSES), "kind": repository.distinct_values(session, "kind"),
            "domain": repository.distinct_values(session, "domain")}


def search_page(session: Session, query: str, *, status: str = "", kind: str = "", domain: str = "",
                page: int = 1, per_page: int = 20) -> dict:
    """One page of results for the search page, each title and code split into highlighted parts.

    Highlighting returns (text, matched) pieces rather than HTML, so the template escapes every
    piece and a title can never inject markup.
    """
    if page < 1:
        raise ValidationError("page must be 1 or more", field="page")
    if not 1 <= per_page <= MAX_LIMIT:
        raise ValidationError(f"per_page must be between 1 and {MAX_LIMIT}", field="per_page")
    hits = search_standards(session, query, limit=per_page, offset=(page - 1) * per_page,
                            status=status, kind=kind, domain=domain)
    marks = query_marks(query or "")
    results = [
        {**hit_dict(h), "kind": h.kind, "domain": h.domain,
         "code_parts": mark(h.code, marks, is_code=True), "title_zh_parts": mark(h.title_zh, marks),
         "title_en_parts": mark(h.title_en, marks)}
        for h in hits
    ]
    pages = max(1, -(-hits.total // per_page))
    return {"query": query or "", "results": results, "total": hits.total, "page": page, "pages": pages,
            "per_page": per_page, "filters": {"status": status, "kind": kind, "domain": domain}}


# --- editions ------------------------------------------------------------------------------


@dataclass
class _Edition:
    code: str
    status: str
    effective: dt.date | None
    title_zh: str
    replaces: list[str]
    replaced_by: list[str]
    successors: list[str] = field(default_factory=list)  # codes in the table that replace this one


def _year(code: str) -> int | None:
    tok = code_tokens(code)
    if tok.full:
        return int(tok.full[-4:])
    return None


def edition_on(session: Session, code: str, on: dt.date) -> dict:
    """The edition of ``code`` in force on ``on``, with its whole replacement chain (oldest first).

    Rule: an edition is in force on D if it took effect on or before D and no successor had
    taken effect by D. An unknown effective date is never invented: a superseded edition with an
    unknown date counts as in force until its successor took effect (but not before the year in
    its own number), and the reason says so.
    """
    want = code_tokens(code)
    rows = repository.all_standards(session)
    by_key = {code_tokens(s.code).full or code_tokens(s.code).base: s for s in rows}
    eds: dict[str, _Edition] = {}
    for s in rows:
        eds[s.code] = _Edition(s.code, s.status or "", s.effective, s.title_zh or "", split_codes(s.replaces), split_codes(s.replaced_by))

    def resolve(ref: str) -> str | None:
        t = code_tokens(ref)
        s = by_key.get(t.full or t.base)
        return s.code if s else None

    seeds = [s.code for s in rows if code_tokens(s.code).base == want.base and (not want.full or code_tokens(s.code).full == want.full)]
    if not seeds:
        seeds = [s.code for s in rows if code_tokens(s.code).base == want.base]
    if not seeds:
        raise NotFound(f"no standard numbered {code!r} in the standards table", field="code")

    # successor links: replaced_by / replaces columns, plus later editions with the same base number
    for e in eds.values():
        for ref in e.replaced_by:
            if (r := resolve(ref)) and r not in e.successors:
                e.successors.append(r)
        for ref in e.replaces:
            if (r := resolve(ref)) and e.code not in eds[r].successors:
                eds[r].successors.append(e.code)
    by_base: dict[str, list[str]] = {}
    for e in eds.values():
        by_base.setdefault(code_tokens(e.code).base, []).append(e.code)
    for same in by_base.values():
        same.sort(key=lambda c: _year(c) or 0)
        for older, newer in zip(same, same[1:]):
            if not eds[older].successors and (_year(older) or 0) < (_year(newer) or 0):
                eds[older].successors.append(newer)

    # the family: everything linked to the seeds, in either direction
    preds: dict[str, list[str]] = {}
    for e in eds.values():
        for s in e.successors:
            preds.setdefault(s, []).append(e.code)
    family, todo = set(), list(seeds)
    while todo:
        c = todo.pop()
        if c in family:
            continue
        family.add(c)
        todo += eds[c].successors + preds.get(c, [])

    def depth(c: str, seen=()) -> int:
        ps = [p for p in preds.get(c, []) if p in family and p not in seen]
        return 0 if not ps else 1 + max(depth(p, seen + (c,)) for p in ps)

    # oldest first: the year in the number (or the effective date) orders editions of parallel
    # branches (GB 9706.1-1995 before GB 9706.15-1999); depth breaks ties along one branch
    chain = sorted(family, key=lambda c: (_year(c) or (eds[c].effective.year if eds[c].effective else 0), depth(c),
                                          eds[c].effective or dt.date.min, c))

    # descendants of the seeds (the editions that can answer for the queried number)
    answerable, todo = set(), list(seeds)
    while todo:
        c = todo.pop()
        if c not in answerable:
            answerable.add(c)
            todo += eds[c].successors
    in_force = []
    for c in chain:
        if c not in answerable:
            continue
        e = eds[c]
        succ = [eds[s] for s in e.successors]
        succ_dates = [s.effective for s in succ if s.effective]
        if succ and not succ_dates:
            ended = False  # a successor exists but its date is unknown: we cannot say this one ended
        else:
            ended = bool(succ_dates) and min(succ_dates) <= on
        if e.effective:
            started = e.effective <= on
        else:
            y = _year(c)
            started = y is not None and on.year >= y and (bool(succ_dates) or not succ)
        if started and not ended:
            in_force.append(c)

    chain_out = [{"code": c, "status": eds[c].status, "effective": eds[c].effective.isoformat() if eds[c].effective else None, "replaced_by": eds[c].replaced_by} for c in chain]
    out = {"query": code, "on": on.isoformat(), "code": None, "title_zh": None, "status": None, "effective": None, "reason": "", "chain": chain_out}
    if in_force:
        best = max(in_force, key=lambda c: (eds[c].effective or dt.date.min, _year(c) or 0))
        e = eds[best]
        succ = [eds[s] for s in e.successors if eds[s].effective]
        until = f"; superseded from {min(s.effective for s in succ).isoformat()} by {', '.join(s.code for s in succ)}" if succ else ""
        since = f"in force since {e.effective.isoformat()}" if e.effective else "effective date not recorded"
        out.update(code=best, title_zh=e.title_zh, status=e.status, effective=e.effective.isoformat() if e.effective else None)
        reason = f"{best}: {since}{until}"
        if not e.effective:
            reason += "; counted as in force until its successor took effect"
        out["reason"] = reason
        return out
    first = [eds[c] for c in chain if c in answerable]
    dated = [e for e in first if e.effective]
    if dated and min(e.effective for e in dated) > on:
        e0 = min(dated, key=lambda e: e.effective)
        out["reason"] = f"no edition in force on {on.isoformat()}: the earliest recorded edition {e0.code} took effect on {e0.effective.isoformat()}"
    else:
        unknown = [e.code for e in first if not e.effective]
        out["reason"] = f"no edition known to be in force on {on.isoformat()}" + (f"; effective date unknown for {', '.join(unknown)}" if unknown else "")
    return out
