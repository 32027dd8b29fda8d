"""``lingqu import enterprises|sampling|institutions|complaints|certificates|assistance|standards|products FILE``.

Exit codes: 0 every row imported (or unchanged); 1 some rows rejected (they are in the rejects
file; the valid rows are imported — or, with --strict, nothing is); 2 the file is unusable.
"""

from __future__ import annotations

import getpass
import json
import sys
from contextlib import contextmanager
from pathlib import Path

import typer

HELP = {
    "enterprises": "企业名录 Enterprises: uscc, name, city, district, cluster, address, founded, size",
    "sampling": "抽检结果 Sampling results, one row per test item of a batch",
    "institutions": "机构 Institutions: name, kind, city, accreditation_no, scope, capacity, turnaround",
    "complaints": "投诉 Complaints: complaint_id, uscc, received_on, channel, category, description",
    "certificates": "证书 Certificates: certificate_no, uscc, kind, product, model, standard, dates, status",
    "assistance": "帮扶 Assistance: assistance_id, uscc, started_on, kind, provider",
    "standards": "标准 Standards: code, titles, kind, status, dates, replaces/replaced_by, adopts, categories, source",
    "products": "产品 Products: uscc, name, model, brand, category (PB, LIB, ADP, ITE, MD01..MD22, IVD)",
}


def _print(report, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    typer.echo(
        f"读取 read {report.read} · 导入 imported {report.imported} (新增 {report.inserted}, 更新 {report.updated}) · "
        f"未变 unchanged {report.unchanged} · 拒绝 rejected {report.rejected}"
    )
    if report.created_enterprises:
        typer.echo(f"由抽检记录新登记企业 enterprises registered from sampling rows: {report.created_enterprises}")
    if report.rejected:
        typer.echo(f"被拒绝的行见 rejected rows are in: {report.rejects_file}")


def run_import(kind: str, file: Path, rejects: Path | None, strict: bool, as_json: bool) -> int:
    from lingqu.db.engine import refresh_statistics, unit_of_work
    from lingqu.ingest.service import StrictRejected, import_file

    actor = f"cli:{getpass.getuser()}"
    try:
        with unit_of_work() as session, _progress(file) as progress:
            report = import_file(session, kind, file, rejects=rejects, strict=strict, actor=actor, progress=progress)
    except StrictRejected as e:
        _print(e.report, as_json)
        typer.echo(e.message, err=True)
        return 1
    if report.imported:
        refresh_statistics()
    _print(report, as_json)
    return 1 if report.rejected else 0


@contextmanager
def _progress(file: Path):
    """A live row counter on stderr when it is a terminal (long imports), nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("导入 importing {task.description}: {task.completed:,} rows"),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(file.name, total=None)
        yield lambda rows: bar.update(task, completed=rows)


def register(groups: dict) -> None:
    imp = groups["import"]
    for kind, help_text in HELP.items():

        def command(
            file: Path = typer.Argument(..., help="CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX file"),
            rejects: Path | None = typer.Option(None, "--rejects", help="Where to write rejected rows (default FILE.rejects.csv)"),
            strict: bool = typer.Option(False, "--strict", help="Import nothing if any row is bad"),
            as_json: bool = typer.Option(False, "--json", help='Print {"read", "imported", "unchanged", "rejected", ...}'),
            _kind: str = typer.Option(kind, hidden=True),
        ) -> None:
            sys.exit(run_import(_kind, file, rejects, strict, as_json))

        imp.command(kind, help=help_text)(command)
