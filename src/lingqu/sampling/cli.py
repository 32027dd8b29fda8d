"""``lingqu stats pass-rate --by district --period 2024 [--city 深圳] [--cluster power_bank] [--trend quarter] [--json]``."""

from __future__ import annotations

import json

import typer

BY_HELP = "city, district, enterprise, brand, channel, product, cluster, test_item, year or quarter"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _interval(lo: float | None, hi: float | None) -> str:
    return "—" if lo is None or hi is None else f"{lo * 100:.1f}–{hi * 100:.1f}%"


def _gap(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:+.1f}"


_STATUS_STYLE = {"meets_target": "green", "below_target": "red", "undetermined": "yellow"}


def _cells(s) -> list[str]:
    n = s.batches if s.unit == "batch" else s.tests
    return [
        str(n), str(s.failures), _pct(s.pass_rate), _interval(s.lower, s.upper), _gap(s.gap_to_target),
        f"[{_STATUS_STYLE[s.target_status]}]{s.target_status_label}[/]",
    ]


def _table(title: str, first: list[str], n_header: str):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for header in first:
        table.add_column(header, overflow="fold", min_width=6)
    for header in (n_header, "不合格", "合格率", "95%置信区间", "距目标"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("判定", no_wrap=True)
    return table


def _print_table(report) -> None:
    from rich.console import Console

    console = Console()
    scope = " · ".join(x for x in (report.period or "全部时间", report.city or "", report.cluster or "") if x)
    n_header = "批次" if report.unit == "batch" else "检验次数"
    table = _table(f"合格率 · 按{report.by_label} · {scope}", ["维度"], n_header)
    for r in report.rows:
        table.add_row(r.label, *_cells(r))
    table.add_section()
    table.add_row("合计", *_cells(report.overall))
    console.print(table)
    if report.trend:
        trend = _table(f"趋势（按{'季度' if report.trend == 'quarter' else '年度'}）", ["维度", "期间"], n_header)
        for r in report.rows:
            for i, p in enumerate(r.trend or []):
                trend.add_row(r.label if i == 0 else "", p.period, *_cells(p))
            trend.add_section()
        console.print(trend)
    notes = []
    if report.total_rows > len(report.rows):
        notes.append(f"仅显示前 {len(report.rows)} / {report.total_rows} 行")
    if report.overall.pending:
        notes.append(f"{report.overall.pending} 个批次尚无结论，未计入合格率")
    notes.append(f"距目标 = 合格率 − {report.target * 100:.0f}%（百分点）")
    notes.append("达标/未达标：Wilson 95% 置信区间整体高于/低于目标；跨过目标为不确定")
    for note in notes:
        console.print(note, style="dim")


def register(groups: dict) -> None:
    stats = groups["stats"]

    @stats.command("pass-rate")
    def pass_rate(
        by: str = typer.Option("year", "--by", help=f"Slice by: {BY_HELP} (default year)"),
        period: str | None = typer.Option(None, "--period", help="A year 2024, a quarter 2024Q3 or a range 2023..2024"),
        city: str | None = typer.Option(None, "--city", help="City code or name (440300, 深圳, Shenzhen)"),
        cluster: str | None = typer.Option(None, "--cluster", help="power_bank, medical_device or other"),
        trend: str | None = typer.Option(None, "--trend", help="quarter or year: a series per slice"),
        limit: int | None = typer.Option(None, "--limit", help="Show only the first N rows"),
        as_json: bool = typer.Option(False, "--json", help='Print {"by", "period", "target", "rows": [...], ...}'),
    ) -> None:
        """合格率 Pass rate per slice with a Wilson 95 % interval, against the 90 % target."""
        from lingqu.db.engine import unit_of_work
        from lingqu.sampling import passrate

        query = passrate.parse_query(by=by, period=period, city=city, cluster=cluster, trend=trend, limit=limit)
        with unit_of_work() as session:
            report = passrate.pass_rate(session, query)
        if as_json:
            typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
        else:
            _print_table(report)
