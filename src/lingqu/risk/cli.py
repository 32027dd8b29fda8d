"""``lingqu risk backtest --data FILE --out SCORES.csv [--cutoff DATE] [--json]``."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def _fmt(v, spec: str = ".3f") -> str:
    return "—" if v is None else format(v, spec)


def _summary(report) -> None:
    typer.echo(f"读取 read {report.rows} 行 rows · 训练 trained on {report.trained_on} · "
               f"评分 scored {report.scored} → {report.out}")
    feats = report.features
    typer.echo(f"特征 features: 数值 numeric {', '.join(feats['numeric']) or '—'}; "
               f"类别 categorical {', '.join(feats['categorical']) or '—'}; + 历史 history")
    if report.unscored:
        typer.echo(f"未评分 unscored (no earlier known outcomes): {report.unscored}")
    m = report.metrics
    if m is None:
        typer.echo("评分行的结果未知，无法评估 outcomes of the scored rows are unknown: nothing to evaluate")
    else:
        typer.echo(f"评估 evaluated {m['n']} ({m['positives']} 问题 problems): AUC {_fmt(m['auc'])} · "
                   f"Brier {_fmt(m['brier'], '.4f')} (基准 reference {_fmt(m['brier_reference'], '.4f')}) · "
                   f"ECE {_fmt(m['ece'], '.4f')} · 前半命中 top-half share {_fmt(m['top_half_share_of_positives'])}")
        for g in m["hit_rate_by_grade"]:
            typer.echo(f"  {g['grade']}: n={g['n']} 命中率 hit rate {_fmt(g['hit_rate'])} "
                       f"预测 predicted {_fmt(g['mean_predicted'])}")
    for w in report.warnings:
        typer.echo(f"注意 note: {w}", err=True)


def register(groups: dict) -> None:
    risk = groups["risk"]

    @risk.command("backtest")
    def backtest(
        data: Path = typer.Option(..., "--data", help="CSV/XLSX: inspection_id, entity_id, date, outcome (1/0/empty) + feature columns"),
        out: Path = typer.Option(..., "--out", help="Where to write inspection_id,score for the rows with unknown outcome"),
        cutoff: str = typer.Option(None, "--cutoff", help="YYYY-MM-DD: train only before it; later rows are scored as unknown"),
        as_json: bool = typer.Option(False, "--json", help="Print the report (AUC, Brier, calibration, hit rate by grade) as JSON"),
    ) -> None:
        """回测风险模型 Back-test the risk model on any inspection history, leakage-free."""
        from lingqu.risk.backtest import parse_cutoff, run_backtest

        report = run_backtest(data, out, parse_cutoff(cutoff))
        if as_json:
            typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            _summary(report)
