"""Benchmark: importing a 1,000,000-row sampling CSV end to end, against a per-row Pydantic peer.

    .venv/bin/python bench/import_bench.py [--rows 1000000] [--postgres URL] [--out bench/out]

Each measurement runs in its own process so that its peak memory (VmHWM) is its own:
- ``lingqu-sqlite``: ``lingqu import sampling`` into a fresh SQLite database (read, validate,
  write, rejects file, audit; one transaction);
- ``lingqu-postgres``: the same into a fresh PostgreSQL schema (when --postgres or
  LINGQU_TEST_POSTGRES_URL is given);
- ``lingqu-validate``: Lingqu's reader and validator alone (no database), for a like-for-like
  comparison with the peer;
- ``pydantic-peer``: csv.DictReader + one Pydantic v2 model per row, using the same normalisers
  (``lingqu.kit``) as validators, reading and validating only — the usual way such an importer is
  written, and what DESIGN.md §3 measured (9.2 s for 1 M rows).

The file comes from the demo-world generator (real test items, realistic cardinalities), cut to
exactly ``--rows`` data rows. It prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from pathlib import Path

from _memory import peak_rss_mib

ROOT = Path(__file__).resolve().parents[1]


def make_file(out: Path, rows: int) -> Path:
    target = out / f"sampling_{rows}.csv"
    if target.exists():
        return target
    world = out / "world"
    if not (world / "sampling.csv").exists():
        from lingqu.simulate.world import generate_world

        generate_world(world, seed=7, enterprises=max(200, rows // 40))
    with (world / "sampling.csv").open("rb") as src, target.open("wb") as dst:
        dst.write(src.readline())
        n = 0
        for line in src:
            if n >= rows:
                break
            dst.write(line)
            n += 1
    if n < rows:
        raise SystemExit(f"the generated world has only {n} sampling rows; raise the enterprise count")
    return target


def child(mode: str, path: str, url: str) -> None:
    """Run one measurement in this process and print its figures as JSON."""
    t0 = time.perf_counter()
    if mode == "lingqu":
        os.environ["LINGQU_DATABASE_URL"] = url
        from lingqu.db.engine import unit_of_work
        from lingqu.ingest.service import import_file
        from lingqu.reference.service import init_database

        init_database(url)
        t0 = time.perf_counter()
        with unit_of_work(url) as session:
            report = import_file(session, "sampling", path, rejects=path + ".rejects.csv")
        rows, imported = report.read, report.imported
    elif mode == "validate":
        from lingqu.ingest.specs import SAMPLING, map_header
        from lingqu.ingest.validate import validate_chunk
        from lingqu.kit.tabular import column_names, open_table

        table = open_table(path)
        mapping, extras = map_header(SAMPLING, column_names(table.header))
        rows = imported = 0
        for chunk in table.chunks(200_000):
            v = validate_chunk(chunk.frame, SAMPLING, mapping, extras)
            rows += chunk.frame.height
            imported += v.good.height
    else:
        rows, imported = _pydantic_peer(path)
    seconds = time.perf_counter() - t0
    peak_mib = peak_rss_mib()
    print(json.dumps({"mode": mode, "rows": rows, "valid": imported, "seconds": seconds, "peak_mib": peak_mib}))


def _pydantic_peer(path: str) -> tuple[int, int]:
    import csv
    import datetime as dt

    from pydantic import BaseModel, field_validator

    from lingqu.kit import identifiers, normalize

    class Row(BaseModel):
        batch_id: str
        uscc: str
        enterprise_name: str | None = None
        product_name: str | None = None
        brand: str | None = None
        model: str | None = None
        cluster: str | None = None
        sampled_on: dt.date
        city: str
        district: str | None = None
        channel: str | None = None
        lab: str | None = None
        standard_code: str | None = None
        test_item: str
        verdict: bool
        measured_value: float | None = None
        unit: str | None = None
        limit: str | None = None
        severity: str | None = None

        @field_validator("uscc")
        @classmethod
        def _uscc(cls, v):
            if identifiers.uscc_problem(v):
                raise ValueError("bad uscc")
            return v

        @field_validator("sampled_on", mode="before")
        @classmethod
        def _date(cls, v):
            return normalize.parse_date(v)

        @field_validator("verdict", mode="before")
        @classmethod
        def _verdict(cls, v):
            return normalize.parse_verdict(v)

        @field_validator("city", mode="before")
        @classmethod
        def _city(cls, v):
            return normalize.city_code(v)

        @field_validator("channel", mode="before")
        @classmethod
        def _channel(cls, v):
            return normalize.parse_choice(v, "channel", normalize.CHANNELS) if v else None

        @field_validator("measured_value", mode="before")
        @classmethod
        def _num(cls, v):
            return normalize.parse_number(v)

    rows = valid = 0
    with open(path, encoding="utf-8-sig", newline="") as f:
        for rec in csv.DictReader(f):
            rows += 1
            try:
                Row(**{k: (v if v != "" else None) for k, v in rec.items()})
                valid += 1
            except Exception:
                pass
    return rows, valid


def run(mode: str, path: Path, url: str = "") -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(path), url], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--postgres", default=os.environ.get("LINGQU_TEST_POSTGRES_URL", ""))
    ap.add_argument("--skip-peer", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = make_file(out, args.rows)
    results = []
    db = out / f"bench-{uuid.uuid4().hex[:8]}.db"
    results.append(run("lingqu", path, f"sqlite:///{db}") | {"target": "SQLite"})
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    if args.postgres:
        import sqlalchemy as sa

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql(f"CREATE SCHEMA {schema}")
        sep = "&" if "?" in args.postgres else "?"
        try:
            results.append(run("lingqu", path, f"{args.postgres}{sep}options=-csearch_path%3D{schema}") | {"target": "PostgreSQL"})
        finally:
            with admin.connect() as c:
                c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    results.append(run("validate", path) | {"target": "(no database)"})
    if not args.skip_peer:
        results.append(run("peer", path) | {"target": "(no database)"})
    print(f"\nfile: {path} ({path.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows); "
          f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print("\n| what | into | seconds | rows/s | peak RSS MiB |\n|---|---|---|---|---|")
    names = {"lingqu": "lingqu import sampling (read, validate, write, rejects, audit)",
             "validate": "Lingqu reader + validator only", "peer": "per-row Pydantic peer (read + validate only)"}
    for r in results:
        print(f"| {names[r['mode']]} | {r['target']} | {r['seconds']:.2f} | {r['rows'] / r['seconds']:,.0f} | {r['peak_mib']:.0f} |")
    peer = next((r for r in results if r["mode"] == "peer"), None)
    if peer:
        for r in results:
            if r["mode"] != "peer":
                print(f"- {names[r['mode']]} into {r['target']}: {peer['seconds'] / r['seconds']:.1f}× the peer's speed")


if __name__ == "__main__":
    main()
