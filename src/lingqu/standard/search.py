"""One ``SearchBackend`` interface and its two implementations.

Both take the same analysed documents and the same weighted query terms
(:mod:`lingqu.standard.analysis`); they differ only in the engine that scores them:

- :class:`TantivyBackend` (default): a RAM-only tantivy index; queries are built from terms
  programmatically (term, boost and boolean queries), user text is never parsed as tantivy syntax.
  Filters are ``Must`` clauses on raw fields and the status factor is applied inside tantivy
  (``weight_by_field``), so the engine returns the exact top of the final ranking and never has
  to score-and-sort every match in Python.
- :class:`MemoryBackend`: pure Python, BM25 over the same fields, for tests and as a fallback.

The ranking rule is one formula for both: BM25 per field x field weight, summed, x the status
factor (current above superseded); ties break on the code.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from lingqu.standard.analysis import FIELDS, STATUS_FACTOR, STATUSES, Doc, analyse_query, status_class

K1, B = 1.2, 0.75
#: The lowest rank factor; tantivy multiplies a score by log2(2 + w), so w is chosen per document
#: such that log2(2 + w) = factor / MIN_FACTOR, and the engine's score times MIN_FACTOR is the
#: BM25 score times the rank factor (:func:`lingqu.standard.analysis.rank_factor`).
MIN_FACTOR = min(STATUS_FACTOR.values())
TIE_BREAK = 1e-5


def _weight(factor: float) -> float:
    return 2 ** (factor / MIN_FACTOR) - 2


@dataclass(frozen=True)
class Hit:
    code: str
    title_zh: str
    title_en: str
    status: str
    score: float
    kind: str = ""
    domain: str = ""


class HitList(list):
    """One page of hits, best first, with ``total``: how many standards matched in all (``None``
    when the caller did not ask for the count)."""

    def __init__(self, hits=(), total: int | None = 0) -> None:
        super().__init__(hits)
        self.total = total


@dataclass(frozen=True)
class Filters:
    """Exact filters; an empty value means "any". ``status`` is a status class (see ``STATUSES``)."""

    status: str = ""
    kind: str = ""
    domain: str = ""

    def keeps(self, d: Doc) -> bool:
        return ((not self.status or status_class(d.status) == self.status)
                and (not self.kind or d.kind == self.kind)
                and (not self.domain or d.domain == self.domain))


def make_filters(status: str | None = None, kind: str | None = None, domain: str | None = None) -> Filters:
    """Filters from user input; an unknown status is an error that lists the choices."""
    from lingqu.exceptions import ValidationError

    st = (status or "").strip().lower()
    if st and st not in STATUSES:
        raise ValidationError(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}", field="status")
    return Filters(st, (kind or "").strip(), (domain or "").strip())


@runtime_checkable
class SearchBackend(Protocol):
    name: str

    def rebuild(self, docs: list[Doc]) -> None:
        """Replace the whole index with ``docs``."""

    def search(self, query: str, limit: int = 10, status: str | None = None, *,
               offset: int = 0, filters: Filters | None = None, count: bool = True) -> HitList:
        """Hits ``offset`` .. ``offset + limit`` best first, with the total count (``count=False``
        skips counting, which lets an engine stop early); never raises on any query text
        (empty, punctuation, very long, query syntax)."""


def _filters(status: str | None, filters: Filters | None) -> Filters:
    f = filters or Filters()
    if status:
        f = Filters(make_filters(status).status, f.kind, f.domain)
    return f


def _hit(d: Doc, score: float) -> Hit:
    return Hit(d.code, d.title_zh, d.title_en, d.status, round(score, 4), d.kind, d.domain)


def _light(d: Doc) -> Doc:
    """The document without its tokens: what a hit needs, and all an index keeps in Python."""
    return Doc(d.id, d.code, d.title_zh, d.title_en, d.status, {}, d.kind, d.domain, d.factor)


def _as_lists(d: Doc) -> Doc:
    if any(isinstance(v, str) for v in d.tokens.values()):
        toks = {f: v.split() if isinstance(v, str) else v for f, v in d.tokens.items()}
        return Doc(d.id, d.code, d.title_zh, d.title_en, d.status, toks, d.kind, d.domain, d.factor)
    return d


class MemoryBackend:
    """Pure-Python BM25 over the analysed fields (weights per field, as in tantivy)."""

    name = "memory"

    def __init__(self) -> None:
        self.rebuild([])

    def rebuild(self, docs: list[Doc]) -> None:
        docs = [_as_lists(d) for d in docs]
        self._docs = {d.id: _light(d) for d in docs}
        self._tf = {d.id: {f: Counter(d.tokens.get(f, [])) for f in FIELDS} for d in docs}
        self._len = {d.id: {f: len(d.tokens.get(f, [])) for f in FIELDS} for d in docs}
        n = max(1, len(docs))
        self._avg = {f: (sum(self._len[i][f] for i in self._docs) / n) or 1.0 for f in FIELDS}
        self._postings: dict[tuple[str, str], list[int]] = {}
        for d in docs:
            for f in FIELDS:
                for tok in set(d.tokens.get(f, [])):
                    self._postings.setdefault((f, tok), []).append(d.id)

    def search(self, query: str, limit: int = 10, status: str | None = None, *,
               offset: int = 0, filters: Filters | None = None, count: bool = True) -> HitList:
        flt = _filters(status, filters)
        terms = analyse_query(query)
        if not terms or not self._docs:
            return HitList(total=0 if count else None)
        n = len(self._docs)
        raw: dict[int, float] = {}
        for fld, tok, weight in terms:
            ids = self._postings.get((fld, tok), [])
            if not ids:
                continue
            df = len(ids)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            for doc_id in ids:
                tf = self._tf[doc_id][fld][tok]
                norm = K1 * (1 - B + B * self._len[doc_id][fld] / self._avg[fld])
                raw[doc_id] = raw.get(doc_id, 0.0) + weight * idf * tf * (K1 + 1) / (tf + norm)
        hits = [
            _hit(d, score * d.factor)
            for doc_id, score in raw.items()
            if score > 0 and flt.keeps(d := self._docs[doc_id])
        ]
        hits.sort(key=lambda h: (-h.score, h.code))
        start = max(0, int(offset))
        return HitList(hits[start : start + max(0, int(limit))], total=len(hits) if count else None)


class TantivyBackend:
    """tantivy in RAM; every text field holds pre-analysed tokens joined by spaces (whitespace
    tokenizer), filters are raw fields and the status factor a fast field."""

    name = "tantivy"

    def __init__(self) -> None:
        import tantivy

        self._t = tantivy
        sb = tantivy.SchemaBuilder()
        sb.add_integer_field("id", stored=True, indexed=False, fast=True)
        sb.add_float_field("status_weight", stored=False, indexed=False, fast=True)
        for f in ("f_status", "f_kind", "f_domain"):
            sb.add_text_field(f, stored=False, tokenizer_name="raw", index_option="basic")
        for f in FIELDS:
            sb.add_text_field(f, stored=False, tokenizer_name="whitespace", index_option="freq")
        self._schema = sb.build()
        self.rebuild([])

    def rebuild(self, docs: list[Doc], threads: int = 1) -> None:
        t = self._t
        index = t.Index(self._schema)  # no path: the index lives in RAM
        writer = index.writer(heap_size=max(15_000_000, 100_000_000 * threads), num_threads=threads)
        # tie-break: a relative 1e-5 at most, larger for an earlier code, far below any real
        # score difference but enough for tantivy to order equal scores by code
        order = {code: i for i, code in enumerate(sorted(d.code for d in docs))}
        n = max(1, len(order))
        for d in docs:
            cls = status_class(d.status)
            fields = {f: v if isinstance(v := d.tokens.get(f, ""), str) else " ".join(v) for f in FIELDS}
            writer.add_document(t.Document(
                id=d.id, status_weight=_weight(d.factor * (1 + TIE_BREAK * (n - order[d.code]) / n)), f_status=cls, f_kind=d.kind or "", f_domain=d.domain or "",
                **{f: v for f, v in fields.items() if v},
            ))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self._index = index
        self._searcher = index.searcher()
        self._docs = {d.id: _light(d) for d in docs}

    def search(self, query: str, limit: int = 10, status: str | None = None, *,
               offset: int = 0, filters: Filters | None = None, count: bool = True) -> HitList:
        flt = _filters(status, filters)
        terms = analyse_query(query)
        limit, offset = max(0, int(limit)), max(0, int(offset))
        if not terms or not self._docs:
            return HitList(total=0 if count else None)
        t = self._t
        Q, Occur = t.Query, t.Occur
        should = [
            Q.boost_query(Q.term_query(self._schema, fld, tok, index_option="freq"), weight)
            for fld, tok, weight in terms
        ]
        text = should[0] if len(should) == 1 else Q.boolean_query([(Occur.Should, q) for q in should])
        must = [(Occur.Must, text)]
        for fld, value in (("f_status", flt.status), ("f_kind", flt.kind), ("f_domain", flt.domain)):
            if value:
                # a filter must match but adds nothing to the score
                must.append((Occur.Must, Q.const_score_query(Q.term_query(self._schema, fld, value), 0.0)))
        q = text if len(must) == 1 else Q.boolean_query(must)
        searcher = self._searcher
        if limit == 0:
            return HitList(total=searcher.search(q, limit=1, count=True).count if count else None)
        # Equal scores are ordered by the code inside tantivy (the weight carries a tiny
        # code-rank term, see ``rebuild``), so the engine's order is total and pages neither
        # repeat nor skip a hit; the page is then sorted as in the memory backend.
        result = searcher.search(q, limit=limit, offset=offset, count=count, weight_by_field="status_weight")
        hits = [_hit(self._docs[searcher.doc(addr)["id"][0]], score * MIN_FACTOR) for score, addr in result.hits]
        hits.sort(key=lambda h: (-h.score, h.code))
        return HitList(hits, total=result.count if count else None)


BACKENDS = {"tantivy": TantivyBackend, "memory": MemoryBackend}


def make_backend(name: str = "tantivy") -> SearchBackend:
    from lingqu.exceptions import ValidationError

    if name not in BACKENDS:
        raise ValidationError(f"unknown search backend {name!r}; choose one of {sorted(BACKENDS)}", field="backend")
    return BACKENDS[name]()
