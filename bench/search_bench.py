"""Standards search at scale: index build time and query latency, tantivy against SQLite FTS5.

    python bench/search_bench.py [--docs 300000] [--queries 1000] [--processes 2] [--json out.json]

Corpus: the real standards shipped with Lingqu (``src/lingqu/data/standards*.csv``) plus
generated ones that look like real standards -- plausible codes (GB, GB/T, YY, YY/T, SJ/T, QB/T
with part numbers and years, adopted IEC/ISO numbers) and Chinese/English titles composed from
a vocabulary of subjects, qualifiers and aspects, so that most title runs are distinct and the
segmentation cache gets no unfair help. Seeded: every run indexes the same corpus.

Both engines index the same analysed text (jieba search mode + CJK bigrams + number tokens,
:mod:`lingqu.standard.analysis`) and answer the same 1,000 mixed queries (numbers in several
spellings, international codes, Chinese terms of 2-8 characters, English words, mixed); the
measured latency includes segmenting the query. The peer is SQLite FTS5 with one column per
field, ``bm25()`` with the same field weights and the same status factor, top 10.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from lingqu.standard import analysis  # noqa: E402
from lingqu.standard.analysis import FIELD_WEIGHTS, FIELDS, analyse_many, analyse_query  # noqa: E402
from lingqu.standard.search import TantivyBackend  # noqa: E402

SUBJECTS = [
    ("医用电气设备", "Medical electrical equipment"), ("移动电源", "Power banks"), ("锂离子电池", "Lithium-ion batteries"),
    ("锂离子电池组", "Lithium-ion battery packs"), ("信息技术设备", "Information technology equipment"),
    ("音视频设备", "Audio/video equipment"), ("电源适配器", "Power adapters"), ("充电器", "Chargers"),
    ("一次性使用无菌注射器", "Sterile hypodermic syringes for single use"), ("医用口罩", "Medical face masks"),
    ("输液器", "Infusion sets"), ("心电图机", "Electrocardiographs"), ("血压计", "Sphygmomanometers"),
    ("体温计", "Clinical thermometers"), ("呼吸机", "Ventilators"), ("婴儿培养箱", "Baby incubators"),
    ("超声诊断设备", "Ultrasonic diagnostic equipment"), ("X射线计算机体层摄影设备", "X-ray computed tomography equipment"),
    ("手术显微镜", "Surgical microscopes"), ("牙科设备", "Dental equipment"), ("人工晶状体", "Intraocular lenses"),
    ("骨科植入物", "Orthopaedic implants"), ("外科植入物", "Implants for surgery"), ("医用手套", "Medical gloves"),
    ("体外诊断试剂", "In vitro diagnostic reagents"), ("血糖仪", "Blood glucose meters"), ("助听器", "Hearing aids"),
    ("家用电器", "Household electrical appliances"), ("电动工具", "Electric tools"), ("电动自行车", "Electric bicycles"),
    ("储能电池", "Energy storage batteries"), ("铅酸蓄电池", "Lead-acid batteries"), ("碱性锌锰电池", "Alkaline manganese batteries"),
    ("无线充电设备", "Wireless charging equipment"), ("便携式数字设备", "Portable digital devices"), ("电子产品", "Electronic products"),
    ("灯具", "Luminaires"), ("插头插座", "Plugs and socket-outlets"), ("电线电缆", "Electric cables"), ("开关电源", "Switch-mode power supplies"),
    ("医用导管", "Medical catheters"), ("麻醉机", "Anaesthetic workstations"), ("除颤器", "Defibrillators"), ("输液泵", "Infusion pumps"),
    ("内窥镜", "Endoscopes"), ("医用激光设备", "Medical laser equipment"), ("高频手术设备", "High frequency surgical equipment"),
    ("医用冷藏箱", "Medical refrigerators"), ("消毒器", "Disinfectors"), ("灭菌器", "Sterilizers"),
]
QUALIFIERS = [
    ("", ""), ("便携式", "portable"), ("家用", "household"), ("医用", "medical"), ("一次性使用", "single-use"),
    ("车载", "vehicle-mounted"), ("可充电", "rechargeable"), ("智能", "smart"), ("高压", "high-voltage"), ("低温", "low-temperature"),
    ("儿童用", "for children"), ("多参数", "multi-parameter"), ("数字化", "digital"), ("无线", "wireless"), ("有源", "active"),
]
ASPECTS = [
    ("安全要求", "Safety requirements"), ("通用规范", "General specification"), ("试验方法", "Test methods"),
    ("通用技术条件", "General technical conditions"), ("基本安全和基本性能的专用要求", "Particular requirements for basic safety and essential performance"),
    ("电磁兼容要求和试验", "Electromagnetic compatibility requirements and tests"), ("性能要求", "Performance requirements"),
    ("术语和定义", "Terms and definitions"), ("标志和标签", "Marking and labelling"), ("包装运输和贮存", "Packaging, transport and storage"),
    ("风险管理", "Risk management"), ("生物学评价", "Biological evaluation"), ("能效限定值及能效等级", "Minimum energy efficiency values and grades"),
    ("有害物质限量", "Limits of hazardous substances"), ("可靠性试验", "Reliability tests"), ("检验规则", "Inspection rules"),
    ("安全技术规范", "Safety technical specification"), ("使用寿命评价", "Service life evaluation"), ("软件要求", "Software requirements"),
    ("可用性工程", "Usability engineering"), ("环境要求", "Environmental requirements"), ("热失控试验", "Thermal runaway tests"),
    ("过充电保护", "Overcharge protection"), ("短路保护", "Short-circuit protection"), ("无线电骚扰限值", "Radio disturbance limits"),
]
PREFIXES = ["GB", "GB/T", "GB/T", "GB/T", "YY", "YY/T", "YY/T", "SJ/T", "QB/T", "GB/Z"]
CN_NUMS = "一二三四五六七八九十"


def real_rows() -> list[tuple]:
    """The shipped standards as (id, code, title_zh, title_en, status, adopts, kind, domain)."""
    data = ROOT / "src" / "lingqu" / "data"
    path = data / "standards.csv" if (data / "standards.csv").exists() else data / "standards_seed.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [(i, r["code"], r["title_zh"], r["title_en"], r["status"], r.get("adopts", ""), r.get("kind", ""), r.get("domain", ""))
                for i, r in enumerate(csv.DictReader(f), 1)]


def generated_rows(n: int, start_id: int, rng: random.Random) -> list[tuple]:
    rows, seen = [], set()
    while len(rows) < n:
        prefix = rng.choice(PREFIXES)
        number = str(rng.randint(1000, 45000)) if rng.random() < 0.7 else f"{rng.randint(1, 999):04d}"
        if rng.random() < 0.45:
            number += f".{rng.randint(1, 30)}" + (f"{rng.randint(1, 12):02d}" if rng.random() < 0.2 else "")
        code = f"{prefix} {number}-{rng.randint(1985, 2025)}"
        if code in seen:
            continue
        seen.add(code)
        (s_zh, s_en), (q_zh, q_en), (a_zh, a_en) = rng.choice(SUBJECTS), rng.choice(QUALIFIERS), rng.choice(ASPECTS)
        part = ""
        part_en = ""
        if "." in number and rng.random() < 0.8:
            k = rng.randint(1, 10)
            part, part_en = f" 第{k}部分：", f" - Part {k}: "
        # real titles: "subject aspect", "subject 第k部分：aspect" or one unbroken run
        title_zh = f"{q_zh}{s_zh}{part}{a_zh}" if part else (f"{q_zh}{s_zh} {a_zh}" if rng.random() < 0.6 else f"{q_zh}{s_zh}{a_zh}")
        title_en = f"{(q_en + ' ' + s_en.lower()).strip().capitalize()}{part_en or ' - '}{a_en}"
        status = rng.choices(["current", "superseded", "withdrawn", "upcoming"], [60, 32, 5, 3])[0]
        adopts = ""
        if rng.random() < 0.3:
            org = rng.choice(["IEC", "ISO"])
            adopts = f"{org} {rng.randint(1000, 81000)}-{rng.randint(1, 3)}:{rng.randint(1995, 2024)} {rng.choice(['IDT', 'MOD', 'NEQ'])}"
        kind = prefix
        domain = "medical_device" if prefix.startswith("YY") else rng.choice(["power_bank", "general", "medical_device"])
        rows.append((start_id + len(rows), code, title_zh, title_en, status, adopts, kind, domain))
    return rows


def mixed_queries(rows: list[tuple], n: int, rng: random.Random) -> list[str]:
    """Queries of the kinds users type, drawn from the corpus (so most have an answer)."""
    out = []
    for _ in range(n):
        r = rng.choice(rows)
        code = r[1]
        kind = rng.random()
        if kind < 0.12:
            out.append(code)                                     # GB/T 12345.6-2019
        elif kind < 0.22:
            out.append(code.rsplit("-", 1)[0].lower().replace(" ", "").replace("/t", ""))  # gb12345.6
        elif kind < 0.30:
            out.append(code.split(" ", 1)[-1].rsplit("-", 1)[0])  # 12345.6
        elif kind < 0.38:
            org = rng.choice(["IEC", "ISO"])
            out.append(f"{org} {rng.randint(1000, 81000)}-{rng.randint(1, 3)}" if rng.random() < 0.5 else f"{org} {rng.randint(1000, 81000)}")
        elif kind < 0.70:
            zh = rng.choice(SUBJECTS + ASPECTS)[0]
            if rng.random() < 0.3 and len(zh) > 4:
                i = rng.randint(0, len(zh) - 2)
                zh = zh[i : i + rng.randint(2, 4)]             # a 2-4 character term
            elif rng.random() < 0.3:
                zh = zh + " " + rng.choice(ASPECTS)[0][:4]
            out.append(zh)
        elif kind < 0.88:
            words = rng.choice(SUBJECTS + ASPECTS)[1].lower().split()
            out.append(" ".join(words[: rng.randint(1, min(4, len(words)))]))
        elif kind < 0.96:
            out.append(f"{rng.choice(SUBJECTS)[0]} {code.split('-')[0]}")  # mixed: term + number
        else:
            out.append(rng.choice(['"GB 9706', "电池*", "(医用 AND", "risk^3", "", "？？", "x" * 300]))
    return out


class Fts5Peer:
    """SQLite FTS5 over the same analysed tokens: one column per field, bm25() with the same weights."""

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:")
        cols = ", ".join(FIELDS)
        self.db.execute(f"CREATE VIRTUAL TABLE fts USING fts5({cols}, factor UNINDEXED, tokenize = \"unicode61 tokenchars '.-:/+'\")")
        self.weights = ", ".join(str(FIELD_WEIGHTS[f]) for f in FIELDS)

    def rebuild(self, docs) -> None:
        self.db.execute("DELETE FROM fts")
        ph = ", ".join("?" for _ in range(len(FIELDS) + 2))
        self.db.executemany(
            f"INSERT INTO fts(rowid, {', '.join(FIELDS)}, factor) VALUES ({ph})",
            ((d.id, *[d.tokens.get(f, "") for f in FIELDS], d.factor) for d in docs),
        )
        self.db.commit()

    def search(self, query: str, limit: int = 10) -> list[tuple[int, float]]:
        terms = analyse_query(query)
        if not terms:
            return []
        expr = " OR ".join(f'{fld} : "{tok.replace(chr(34), chr(34) * 2)}"' for fld, tok, _ in terms)
        try:
            return self.db.execute(
                f"SELECT rowid, bm25(fts, {self.weights}) * factor AS s FROM fts WHERE fts MATCH ? ORDER BY s LIMIT ?",
                (expr, limit),
            ).fetchall()
        except sqlite3.OperationalError:
            return []


def percentiles(xs: list[float]) -> dict:
    xs = sorted(xs)
    q = statistics.quantiles(xs, n=100, method="inclusive")
    return {"p50_ms": round(q[49] * 1000, 3), "p95_ms": round(q[94] * 1000, 3), "max_ms": round(xs[-1] * 1000, 3), "mean_ms": round(statistics.fmean(xs) * 1000, 3)}


def run_queries(fn, queries: list[str]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each query. On a shared machine the wall clock includes
    waiting for a core; the CPU time of the thread is the work the query itself costs."""
    analysis.segment.cache_clear()  # each engine pays for segmenting its queries
    for q in queries[:20]:  # warm-up
        fn(q)
    analysis.segment.cache_clear()
    wall, cpu = [], []
    for q in queries:
        c0, t0 = time.thread_time(), time.perf_counter()
        fn(q)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=300_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--processes", type=int, default=2, help="worker processes for segmentation")
    ap.add_argument("--threads", type=int, default=1, help="tantivy indexing threads")
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--cold", action="store_true", help="no segmentation cache: segment every run of every title (worst case)")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args()

    if args.cold:
        import functools

        analysis.segment = functools.lru_cache(maxsize=0)(analysis.segment.__wrapped__)
    load_before = _load()
    rng = random.Random(args.seed)
    real = real_rows()
    rows = real + generated_rows(max(0, args.docs - len(real)), len(real) + 1, rng)
    queries = mixed_queries(rows, args.queries, rng)
    print(f"corpus: {len(rows):,} standards ({len(real)} real), {sum(len(r[2]) for r in rows) / 1e6:.1f} M title characters (zh)")

    analysis._segmenter()  # load jieba's dictionary outside the timing (done once per process)
    analysis.segment.cache_clear()
    t0 = time.perf_counter()
    docs = analyse_many(rows, processes=args.processes, joined=True)
    t_analyse = time.perf_counter() - t0
    # the hit rate of the cache, measured in this process on a sample (workers keep their own)
    sample = [r[2] for r in rows[:: max(1, len(rows) // 20000)]]
    analysis.segment.cache_clear()
    for title in sample:
        analysis.text_tokens(title)
    cache = analysis.segment.cache_info()
    hit_rate = cache.hits / max(1, cache.hits + cache.misses)
    print(f"analysis (jieba + bigrams + numbers, {args.processes} processes{', no segmentation cache' if args.cold else ''}): "
          f"{t_analyse:.1f} s; segmentation cache hit rate {hit_rate:.0%} on a sample of {len(sample):,} titles")

    tantivy = TantivyBackend()
    t0 = time.perf_counter()
    tantivy.rebuild(docs, threads=args.threads)
    t_tantivy = time.perf_counter() - t0
    print(f"tantivy index: {t_tantivy:.1f} s  (full rebuild {t_analyse + t_tantivy:.1f} s)")

    peer = Fts5Peer()
    t0 = time.perf_counter()
    peer.rebuild(docs)
    t_fts = time.perf_counter() - t0
    print(f"FTS5 index: {t_fts:.1f} s  (full rebuild {t_analyse + t_fts:.1f} s)")
    del docs

    wall_t, cpu_t = run_queries(lambda q: tantivy.search(q, limit=10, count=False), queries)
    wall_f, cpu_f = run_queries(lambda q: peer.search(q, limit=10), queries)
    lat_t, lat_f = percentiles(wall_t), percentiles(wall_f)
    cpu_lat_t, cpu_lat_f = percentiles(cpu_t), percentiles(cpu_f)
    ratio_p95 = lat_f["p95_ms"] / lat_t["p95_ms"]
    ratio_p50 = lat_f["p50_ms"] / lat_t["p50_ms"]
    print(f"tantivy query latency: {lat_t}")
    print(f"FTS5    query latency: {lat_f}")
    print(f"FTS5 / tantivy: p50 x{ratio_p50:.1f}, p95 x{ratio_p95:.1f}")
    print(f"CPU time per query: tantivy {cpu_lat_t}; FTS5 {cpu_lat_f}; p95 ratio x{cpu_lat_f['p95_ms'] / cpu_lat_t['p95_ms']:.1f}")
    print(f"load average before {load_before}, after {_load()}")
    figures = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": f"{platform.machine()} {platform.processor() or ''} "
        f"{_cpu()}".strip(), "python": platform.python_version(), "docs": len(rows), "real_docs": len(real), "queries": len(queries),
        "processes": args.processes, "analysis_s": round(t_analyse, 2), "tantivy_index_s": round(t_tantivy, 2),
        "tantivy_rebuild_s": round(t_analyse + t_tantivy, 2), "fts5_index_s": round(t_fts, 2),
        "cold": args.cold, "segment_cache_hit_rate": round(hit_rate, 3),
        "load_average_before": load_before, "load_average_after": _load(),
        "tantivy": lat_t, "fts5": lat_f, "tantivy_cpu": cpu_lat_t, "fts5_cpu": cpu_lat_f, "ratio_p50": round(ratio_p50, 1), "ratio_p95": round(ratio_p95, 1),
    }
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))


def _load() -> list[float]:
    import os

    return [round(x, 2) for x in os.getloadavg()]


def _cpu() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


if __name__ == "__main__":
    main()
