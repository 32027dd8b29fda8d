"""Loading a generated demo world through the ordinary importers (``lingqu demo load DIR``).

The demo goes through exactly the code path a regulator's own files take, so the demo world
also exercises the importers. Files are loaded in dependency order in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from lingqu.config import VAR_DIR
from lingqu.db.engine import unit_of_work
from lingqu.exceptions import LingquError

#: (file, import kind), in dependency order: enterprises before what refers to them.
ORDER = (
    ("institutions.csv", "institutions"),
    ("enterprises.csv", "enterprises"),
    ("products.csv", "products"),
    ("sampling.csv", "sampling"),
    ("complaints.csv", "complaints"),
    ("certificates.csv", "certificates"),
    ("assistance.csv", "assistance"),
)


def load_world(directory: str | Path, url: str | None = None, actor: str = "lingqu demo load",
               grade: bool = False) -> list:
    """Import a demo world's files; with ``grade`` (``lingqu init --demo``), also grade and scan."""
    from lingqu.auth.service import ensure_demo_users
    from lingqu.ingest.service import import_file
    from lingqu.simulate import repository

    directory = Path(directory)
    if not (directory / "enterprises.csv").is_file():
        raise LingquError(f"{directory} is not a demo world folder (no enterprises.csv)", field="DIR")
    reports = []
    with unit_of_work(url) as session:
        for name, kind in ORDER:
            path = directory / name
            if path.is_file():
                rejects = directory / "rejects" / f"{Path(name).stem}.rejects.csv"
                rejects.parent.mkdir(exist_ok=True)
                reports.append(import_file(session, kind, path, rejects=rejects, actor=actor))
        uscc, institution_id = repository.demo_account_targets(session)
        ensure_demo_users(session, uscc=uscc, institution_id=institution_id)
        # the portals should not open empty: structured institution scopes, a few service requests
        from lingqu.institution.service import sync_structured_scopes
        from lingqu.service_request.service import seed_demo

        sync_structured_scopes(session)
        seed_demo(session, uscc, institution_id)
        # the demo shows real standard-change alerts: certificates citing superseded editions
        from lingqu.standard.changes import scan

        scan(session, actor=actor)
        if grade:
            _grade_and_warn(session, actor)
    return reports


def _grade_and_warn(session, actor: str) -> None:
    """Risk grades as of the first day of each of the last twelve months and of the day after the last
    sampled batch (a monthly regrade, as the platform is meant to be run, so the risk trend, the risk
    card's history and the check of the stored grades at ``/risk/backtest`` have something to show),
    and a first early-warning scan, so the risk ranking, the alert inbox and the enterprise portal's
    grade are not empty. Loading again
    changes nothing: the same grades are found unchanged, and the scan runs only on a database that
    has never been scanned (a scan moves the watermark forward and is audited)."""
    import datetime as dt

    from sqlalchemy import func, select

    from lingqu.alert import repository as alert_repository
    from lingqu.alert.service import WATERMARK
    from lingqu.alert.service import scan as alert_scan
    from lingqu.risk.calibration import month_starts
    from lingqu.risk.service import grade_enterprises
    from lingqu.sampling.models import Batch

    latest = session.scalar(select(func.max(Batch.sampled_on)))
    if latest is None:
        return
    day = latest + dt.timedelta(days=1)
    for month in month_starts(day - dt.timedelta(days=365), day):
        if month != day:
            grade_enterprises(session, month, actor=actor)
    grade_enterprises(session, day, actor=actor)
    if not alert_repository.states(session, WATERMARK):
        alert_scan(session, actor=actor)


def ensure_demo_world(url: str, seed: int = 1) -> str:
    """Generate the demo world under var/ (once) and load it; loading again changes nothing."""
    from lingqu.simulate.world import generate_world

    out = VAR_DIR / f"demo-world-seed{seed}"
    if not (out / "manifest.json").is_file():
        generate_world(out, seed=seed)
    reports = load_world(out, url, grade=True)
    from lingqu.db.engine import refresh_statistics

    refresh_statistics(url)
    parts = [f"{r.kind} {r.imported}+/{r.unchanged}=/{r.rejected}x" for r in reports]
    return "演示数据 / demo world loaded (imported+/unchanged=/rejected x): " + ", ".join(parts)
