"""One ``SearchBackend`` interface and its two implementations.

Both take the same analysed documents and the same weighted query terms
(:mod:`lingqu.standard.analysis`); they differ only in the engine that scores them:

- :class:`TantivyBackend` (default): a RAM-only tantivy index; queries are built from terms
  programmatically (term, boost and boolean queries), user text is never parsed as tantivy syntax.
- :class:`MemoryBackend`: pure Python, BM25 over the same fields, for tests and as a fallback.

After the engine scores, the shared :func:`finish` applies the status factor (current above
superseded), the status filter and the limit, so the ranking rule lives in one place.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from lingqu.standard.analysis import FIELDS, STATUS_FACTOR, Doc, analyse_query, status_class

K1, B = 1.2, 0.75


@dataclass(frozen=True)
class Hit:
    code: str
    title_zh: str
    title_en: str
    status: str
    score: float


@runtime_checkable
class SearchBackend(Protocol):
    name: str

    def rebuild(self, docs: list[Doc]) -> None:
        """Replace the whole index with ``docs``."""

    def search(self, query: str, limit: int = 10, status: str | None = None) -> list[Hit]:
        """Best first; never raises on any query text (empty, punctuation, very long, syntax)."""


def finish(docs: dict[int, Doc], raw: dict[int, float], limit: int, status: str | None) -> list[Hit]:
    """Status factor, status filter, deterministic order (score, then code), limit."""
    want = status_class(status) if status else None
    hits = []
    for doc_id, score in raw.items():
        d = docs[doc_id]
        cls = status_class(d.status)
        if want and cls != want and d.status != status:
            continue
        if score > 0:
            hits.append(Hit(d.code, d.title_zh, d.title_en, d.status, round(score * STATUS_FACTOR[cls], 4)))
    hits.sort(key=lambda h: (-h.score, h.code))
    return hits[: max(0, int(limit))]


class MemoryBackend:
    """Pure-Python BM25 over the analysed fields (weights per field, as in tantivy)."""

    name = "memory"

    def __init__(self) -> None:
        self.rebuild([])

    def rebuild(self, docs: list[Doc]) -> None:
        self._docs = {d.id: d for d in docs}
        self._tf = {d.id: {f: Counter(d.tokens.get(f, [])) for f in FIELDS} for d in docs}
        self._len = {d.id: {f: len(d.tokens.get(f, [])) for f in FIELDS} for d in docs}
        n = max(1, len(docs))
        self._avg = {f: (sum(self._len[i][f] for i in self._docs) / n) or 1.0 for f in FIELDS}
        self._df = {f: Counter(t for d in docs for t in set(d.tokens.get(f, []))) for f in FIELDS}

    def search(self, query: str, limit: int = 10, status: str | None = None) -> list[Hit]:
        terms = analyse_query(query)
        if not terms or not self._docs:
            return []
        n = len(self._docs)
        raw: dict[int, float] = {}
        for fld, tok, weight in terms:
            df = self._df[fld].get(tok, 0)
            if not df:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            for doc_id, tfs in self._tf.items():
                tf = tfs[fld].get(tok, 0)
                if tf:
                    norm = K1 * (1 - B + B * self._len[doc_id][fld] / self._avg[fld])
                    raw[doc_id] = raw.get(doc_id, 0.0) + weight * idf * tf * (K1 + 1) / (tf + norm)
        return finish(self._docs, raw, limit, status)


class TantivyBackend:
    """tantivy in RAM; every field holds pre-analysed tokens (raw tokenizer, one value per token)."""

    name = "tantivy"

    def __init__(self) -> None:
        import tantivy

        self._t = tantivy
        sb = tantivy.SchemaBuilder()
        sb.add_integer_field("id", stored=True, indexed=True, fast=True)
        for f in FIELDS:
            sb.add_text_field(f, stored=False, tokenizer_name="raw", index_option="freq")
        self._schema = sb.build()
        self.rebuild([])

    def rebuild(self, docs: list[Doc]) -> None:
        t = self._t
        index = t.Index(self._schema)  # no path: the index lives in RAM
        writer = index.writer(heap_size=15_000_000, num_threads=1)
        for d in docs:
            doc = t.Document()
            doc.add_integer("id", d.id)
            for f in FIELDS:
                for tok in d.tokens.get(f, []):
                    doc.add_text(f, tok)
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self._index = index
        self._docs = {d.id: d for d in docs}

    def search(self, query: str, limit: int = 10, status: str | None = None) -> list[Hit]:
        terms = analyse_query(query)
        if not terms or not self._docs:
            return []
        t = self._t
        clauses = [
            (t.Occur.Should, t.Query.boost_query(t.Query.term_query(self._schema, fld, tok, index_option="freq"), weight))
            for fld, tok, weight in terms
        ]
        q = t.Query.boolean_query(clauses)
        searcher = self._index.searcher()
        result = searcher.search(q, limit=len(self._docs))
        raw: dict[int, float] = {}
        for score, address in result.hits:
            doc_id = searcher.doc(address)["id"][0]
            raw[doc_id] = float(score)
        return finish(self._docs, raw, limit, status)


BACKENDS = {"tantivy": TantivyBackend, "memory": MemoryBackend}


def make_backend(name: str = "tantivy") -> SearchBackend:
    from lingqu.exceptions import ValidationError

    if name not in BACKENDS:
        raise ValidationError(f"unknown search backend {name!r}; choose one of {sorted(BACKENDS)}", field="backend")
    return BACKENDS[name]()
