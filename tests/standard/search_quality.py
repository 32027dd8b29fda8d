"""The search query set (``search_queries.csv``) and the two figures computed from it.

Each row: section (``seed``: answered by the standards ``lingqu init`` ships; ``needs_dataset``:
answered once the full reference dataset is merged), category (number, intl, zh, en, mixed), the
query as a user types it, and the acceptable answers (``;``-separated codes; any one counts).

- recall@10: share of queries with an acceptable answer among the first 10 hits;
- MRR: mean over queries of 1 / rank of the first acceptable answer (0 when none in the top 10).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

QUERY_FILE = Path(__file__).with_name("search_queries.csv")


@dataclass(frozen=True)
class Query:
    section: str
    category: str
    text: str
    expected: frozenset[str]


@dataclass
class Quality:
    n: int = 0
    found: int = 0
    rr: float = 0.0
    misses: list[str] = field(default_factory=list)
    by_category: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    @property
    def recall(self) -> float:
        return self.found / self.n if self.n else 0.0

    @property
    def mrr(self) -> float:
        return self.rr / self.n if self.n else 0.0

    def summary(self) -> str:
        cats = ", ".join(f"{c} {sum(1 for r in v if r) }/{len(v)} MRR {sum(v) / len(v):.3f}" for c, v in sorted(self.by_category.items()))
        return f"{self.n} queries, recall@10 = {self.recall:.3f}, MRR = {self.mrr:.3f} ({cats})"


def load_queries(sections: tuple[str, ...] = ("seed",)) -> list[Query]:
    with QUERY_FILE.open(encoding="utf-8", newline="") as f:
        return [
            Query(r["section"], r["category"], r["query"], frozenset(c.strip() for c in r["expected"].split(";") if c.strip()))
            for r in csv.DictReader(f) if r["section"] in sections
        ]


def evaluate(search, queries: list[Query]) -> Quality:
    """``search(text) -> list of codes`` (best first) over ``queries``."""
    q = Quality()
    for query in queries:
        codes = list(search(query.text))[:10]
        ranks = [i for i, c in enumerate(codes, 1) if c in query.expected]
        rr = 1 / ranks[0] if ranks else 0.0
        q.n += 1
        q.found += bool(ranks)
        q.rr += rr
        q.by_category[query.category].append(rr)
        if rr < 1:
            q.misses.append(f"{query.text!r} -> {codes[:3]} (want {sorted(query.expected)})")
    return q
