"""Benchmark: the regulator portal's dashboard and enterprise list under 20 concurrent clients.

    .venv/bin/python bench/web_bench.py [--enterprises 13500] [--clients 20] [--requests 400] [--out bench/out-web]

1. A database of the demo world (seed 7): ``lingqu demo generate --enterprises N`` then
   ``lingqu demo load`` (13,500 enterprises give ~1.02 M test-item results and ~60 k batches),
   ``lingqu risk grade`` (so the grade chart has data) and ``ANALYZE`` (SQLite's planner needs its
   statistics to pick the partial index of failures). Built once and reused (``--rebuild``).
2. The real app under uvicorn (what ``lingqu serve`` runs, one process) on 127.0.0.1.
3. 20 asyncio httpx clients, each logged in through the login form as a province-wide
   regulator (session cookie), loop over a scenario's URLs until the scenario's request budget
   is spent; latency per request from send to full body.

Scenarios, all in the same run, on the same server:
- ``floor: static file`` -- /static/lingqu.css: the server's own cost per request;
- ``floor: auth only`` -- GET /login while logged in (session lookup, then a 303): the cost of the
  middleware every page pays;
- ``dashboard`` -- /, four cities and the province (warm: the figures are cached per data version);
- ``enterprise list`` -- six pages/filters (province, a city, a deep page, text search, a grade,
  a test-item drill-down);
- ``batch list`` -- four drill-downs.
And in-process, no HTTP: the dashboard's computation with the cache bypassed (cold) against the
cached path (warm), 5 times per city.

Loopback only; every loop is bounded by its request budget. Prints Markdown for docs/benchmarks.md
and writes results.json into --out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
USER, PASSWORD = "bench-province", "lingqu-bench-password"

SCENARIOS = {
    "floor: static file": ["/static/lingqu.css"],
    "floor: auth only": ["/login"],
    "dashboard": ["/?city=", "/?city=440300", "/?city=441900", "/?city=440100", "/?city=441300"],
    "enterprise list": [
        "/enterprises?city=", "/enterprises?city=440300", "/enterprises?city=440300&page=20",
        "/enterprises?city=&q=%E7%94%B5%E5%AD%90", "/enterprises?city=&grade=C",
        "/enterprises?city=440300&test_item=%E8%BD%AC%E6%8D%A2%E6%95%88%E7%8E%87&passed=0",
    ],
    "batch list": [
        "/batches?city=", "/batches?city=440300&year=2024&quarter=2",
        "/batches?city=441900&test_item=%E8%BD%AC%E6%8D%A2%E6%95%88%E7%8E%87&passed=0",
        "/batches?city=440300&district=%E5%AE%9D%E5%AE%89%E5%8C%BA&page=3",
    ],
}


def run(*args: str, env: dict) -> None:
    subprocess.run([str(BIN / "lingqu"), *args], env=env, check=True, stdout=subprocess.DEVNULL)


def build(out: Path, enterprises: int, rebuild: bool) -> str:
    db = out / f"web-{enterprises}.db"
    url = f"sqlite:///{db}"
    if db.exists() and not rebuild:
        return url
    db.unlink(missing_ok=True)
    env = dict(os.environ, LINGQU_DATABASE_URL=url)
    t0 = time.perf_counter()
    run("demo", "generate", "--seed", "7", "--enterprises", str(enterprises), "--out", str(out / "world"), env=env)
    run("init", env=env)
    run("demo", "load", str(out / "world"), env=env)
    run("risk", "grade", env=env)
    with sqlite3.connect(db) as c:
        c.execute("ANALYZE")
    print(f"built {db} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return url


def ensure_user(url: str) -> None:
    from lingqu.auth import repository
    from lingqu.auth.service import create_user
    from lingqu.db.engine import unit_of_work

    with unit_of_work(url) as s:
        if repository.by_username(s, USER) is None:
            create_user(s, username=USER, password=PASSWORD, role="regulator", display_name="bench", actor="bench")


def counts(url: str) -> dict:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as c:
        return {t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("enterprise", "batch", "test_result", "risk_grade")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, port: int, log: Path, workers: int = 1) -> subprocess.Popen:
    env = dict(os.environ, LINGQU_DATABASE_URL=url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "lingqu.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--workers", str(workers)], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/lingqu.css", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start: {log.read_text(errors='replace')}")


def login_cookies(base: str) -> dict:
    import httpx

    with httpx.Client(base_url=base) as c:
        page = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = c.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 303, r.text
        return dict(c.cookies)


async def load(base: str, cookies: dict, urls: list[str], clients: int, budget: int) -> list[float]:
    import httpx

    latencies: list[float] = []
    issued = 0

    async def worker(i: int) -> None:
        nonlocal issued
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=60) as c:
            for u in urls:  # warm-up, not measured
                (await c.get(u)).raise_for_status() if not u.startswith("/login") else await c.get(u)
            k = i
            while issued < budget:
                issued += 1
                u = urls[k % len(urls)]
                k += 1
                t0 = time.perf_counter()
                r = await c.get(u)
                latencies.append(time.perf_counter() - t0)
                if r.status_code not in (200, 303):
                    raise SystemExit(f"{u} answered {r.status_code}")

    await asyncio.gather(*(worker(i) for i in range(clients)))
    return latencies


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] * 1000


def cold_vs_warm(url: str) -> dict:
    from lingqu.auth.scope import Scope
    from lingqu.dashboard import service
    from lingqu.db.engine import unit_of_work

    out = {}
    with unit_of_work(url) as s:
        for city in (None, "440300", "441900"):
            cold, warm = [], []
            service.dashboard(s, city, Scope())
            for _ in range(5):
                t0 = time.perf_counter()
                service.dashboard(s, city, Scope(), use_cache=False)
                cold.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                service.dashboard(s, city, Scope())
                warm.append(time.perf_counter() - t0)
            out[city or "province"] = {"cold_ms": statistics.median(cold) * 1000, "warm_ms": statistics.median(warm) * 1000}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=13_500)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=400, help="measured requests per scenario")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out-web")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (1 = what `lingqu serve` runs)")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT / "src"))

    url = build(a.out, a.enterprises, a.rebuild)
    ensure_user(url)
    sizes = counts(url)
    port = free_port()
    proc = serve(url, port, a.out / "server.log", a.workers)
    base = f"http://127.0.0.1:{port}"
    results = {}
    try:
        cookies = login_cookies(base)
        for name, urls in SCENARIOS.items():
            t0 = time.perf_counter()
            lat = asyncio.run(load(base, cookies, urls, a.clients, a.requests))
            wall = time.perf_counter() - t0
            results[name] = {"requests": len(lat), "p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95),
                             "max_ms": max(lat) * 1000, "rps": len(lat) / wall}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    compute = cold_vs_warm(url)

    floor = results["floor: auth only"]["p95_ms"]
    print(f"\n{sizes['enterprise']:,} enterprises, {sizes['batch']:,} batches, {sizes['test_result']:,} test results, "
          f"{sizes['risk_grade']:,} grades; {a.clients} clients; {a.workers} worker(s); {platform.python_version()}; load avg {os.getloadavg()[0]:.1f}\n")
    print("| scenario | requests | p50 ms | p95 ms | max ms | req/s | p95 vs auth-only floor |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['requests']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['max_ms']:.0f} | {r['rps']:.0f} | "
              f"{r['p95_ms'] / floor:.1f}× |")
    print("\n| dashboard computation (in-process, median of 5) | cold (cache bypassed) ms | warm ms | ratio |")
    print("|---|---|---|---|")
    for city, r in compute.items():
        print(f"| {city} | {r['cold_ms']:.0f} | {r['warm_ms']:.1f} | {r['cold_ms'] / r['warm_ms']:.0f}× |")
    (a.out / "results.json").write_text(json.dumps({"sizes": sizes, "http": results, "compute": compute}, indent=2))


if __name__ == "__main__":
    main()
