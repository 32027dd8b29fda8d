"""Search quality on the query set: recall@10 and MRR per section and category.

    python bench/search_quality.py [--extra standards_part1.csv ...] [--sections seed needs_dataset] [--misses]

Builds a scratch SQLite database with ``lingqu init``'s reference data, adds the rows of any
``--extra`` CSV (the dataset format: code, title_zh, title_en, status, adopts, domain ...; codes
already present are skipped), and runs every query of ``tests/standard/search_queries.csv`` in
the chosen sections through ``search_standards`` on each backend. Used to measure the
``needs_dataset`` queries before the full dataset is merged.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "standard"))

from search_quality import evaluate, load_queries  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--extra", nargs="*", type=Path, default=[])
    ap.add_argument("--sections", nargs="*", default=["seed", "needs_dataset"])
    ap.add_argument("--backends", nargs="*", default=["tantivy", "memory"])
    ap.add_argument("--misses", action="store_true", help="list the queries not answered at rank 1")
    args = ap.parse_args()

    from lingqu.db.engine import unit_of_work
    from lingqu.reference.models import Standard
    from lingqu.reference.service import init_database
    from lingqu.standard.service import search_standards

    url = f"sqlite:///{tempfile.mkdtemp()}/quality.db"
    init_database(url)
    with unit_of_work(url) as s:
        have = {c for (c,) in s.query(Standard.code)}
        cols = {c.key for c in Standard.__table__.columns} - {"id", "issued", "effective", "withdrawn"}
        added = 0
        for path in args.extra:
            with path.open(encoding="utf-8-sig", newline="") as f:
                for r in csv.DictReader(f):
                    if r["code"] in have:
                        continue
                    have.add(r["code"])
                    s.add(Standard(**{k: v for k, v in r.items() if k in cols}))
                    added += 1
        total = s.query(Standard).count()
    print(f"{total} standards ({added} added from {len(args.extra)} extra files)")
    for backend in args.backends:
        for section in args.sections:
            queries = load_queries((section,))

            def search(text: str) -> list[str]:
                with unit_of_work(url) as s:
                    return [h.code for h in search_standards(s, text, limit=10, backend=backend)]

            q = evaluate(search, queries)
            print(f"{backend:8s} {section:14s} {q.summary()}")
            if args.misses:
                for m in q.misses:
                    print("    ", m)


if __name__ == "__main__":
    main()
