"""``lingqu risk backtest``, ``lingqu risk grade`` and ``lingqu plan draw``.

- ``lingqu risk backtest --data FILE --out SCORES.csv [--cutoff DATE] [--json]``
- ``lingqu risk grade [--as-of DATE] [--monthly-since DATE] [--json]``
- ``lingqu risk calibration --from DATE --to DATE [--city CODE] [--json]``
- ``lingqu plan draw --budget N --period 2025Q1 --seed S [--as-of DATE] [--by-district] [--floor F] [--city CODE] [--json]``
"""

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
    register_grading(groups)

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


def _grade_summary(run: dict) -> None:
    d = run["distribution"]
    st = run["stored"]
    typer.echo(f"风险分级 risk grades as of {run['as_of']} · 政策 policy {run['policy_version']} · "
               f"训练 trained on {run['model']['training_rows']} batches")
    typer.echo("分布 distribution: " + " · ".join(f"{g} {d.get(g, 0)}" for g in "ABCD"))
    typer.echo(f"存储 stored: 新增 inserted {st['inserted']} · 更新 updated {st['updated']} · 未变 unchanged {st['unchanged']}")
    for g in run["grades"][:10]:
        why = "；".join(r["text_zh"] for r in g["reasons"] if r["direction"] == "up")
        typer.echo(f"  {g['grade']} {g['probability']:.3f} {g['uscc']} {g['name']} — {why}")


def _plan_summary(plan: dict) -> None:
    typer.echo(f"抽查计划 plan {plan['period']} · seed {plan['seed']} · budget {plan['budget']} of {plan['eligible']} · "
               f"as of {plan['as_of']} · {plan['policy_version']} · {plan['status']}")
    typer.echo(f"预期发现不合格 expected failing batches {plan['expected_failures']:.1f} "
               f"(均匀随机 uniform random {plan['expected_failures_uniform']:.1f})")
    for e in plan["enterprises"]:
        typer.echo(f"  {e['uscc']} {e['grade']} p={e['probability']:.3f} π={e['inclusion_probability']:.3f} {e['name']}")


def register_grading(groups: dict) -> None:
    risk, plan = groups["risk"], groups["plan"]

    @risk.command("grade")
    def grade(
        as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD: grade with information dated before it (default today)"),
        monthly_since: str = typer.Option(None, "--monthly-since", help="YYYY-MM-DD: also grade as of the first day "
                                          "of every month from this date up to the as-of date (a monthly regrade)"),
        as_json: bool = typer.Option(False, "--json", help="Print the grades with reasons as JSON"),
    ) -> None:
        """风险分级 Grade every enterprise A–D by the probability its next sampled batch fails, with reasons."""
        from lingqu.db.engine import unit_of_work
        from lingqu.risk.calibration import month_starts
        from lingqu.risk.service import grade_enterprises, parse_as_of

        day = parse_as_of(as_of)
        days = [day]
        if monthly_since:
            days = sorted(set(month_starts(parse_as_of(monthly_since, field="monthly_since"), day)) | {day})
        runs = []
        for d in days:  # one transaction per as-of date: a failure keeps the months already stored
            with unit_of_work() as session:
                runs.append(grade_enterprises(session, d).as_dict())
            if not as_json and len(days) > 1:
                st = runs[-1]["stored"]
                typer.echo(f"{d.isoformat()}: " + " · ".join(f"{g} {runs[-1]['distribution'].get(g, 0)}" for g in "ABCD")
                           + f" · 新增 inserted {st['inserted']} · 更新 updated {st['updated']} · 未变 unchanged {st['unchanged']}")
        run = runs[-1]
        if as_json:
            if len(runs) > 1:
                run = {**run, "monthly": [{k: r[k] for k in ("as_of", "distribution", "stored")} for r in runs]}
            typer.echo(json.dumps(run, ensure_ascii=False))
        else:
            _grade_summary(run)

    @risk.command("calibration")
    def calibration(
        start: str = typer.Option(..., "--from", help="YYYY-MM-DD: first sampling day to check"),
        end: str = typer.Option(..., "--to", help="YYYY-MM-DD: check batches sampled before this day"),
        city: str = typer.Option(None, "--city", help="City code (e.g. 440300): that city's batches only"),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
    ) -> None:
        """校准检验 Check the stored grades against the batches sampled after them (prequential)."""
        from lingqu.db.engine import unit_of_work
        from lingqu.risk.calibration import stored_grade_calibration
        from lingqu.risk.service import parse_as_of

        with unit_of_work() as session:
            rep = stored_grade_calibration(session, parse_as_of(start, field="from"), parse_as_of(end, field="to"),
                                           city_code=(city or "").strip() or None)
        if as_json:
            typer.echo(json.dumps(rep, ensure_ascii=False))
            return
        typer.echo(f"校准检验 calibration of stored grades ({rep['policy_version']}) for batches sampled "
                   f"{rep['from']} – {rep['to']}: {rep['graded_batches']} of {rep['batches']} batches had an earlier "
                   f"grade · grade dates used {len(rep['grade_dates'])}")
        m = rep["metrics"]
        if m is None:
            typer.echo("没有可检验的批次 no batch with an earlier stored grade: grade first (lingqu risk grade)")
            return
        typer.echo(f"观测 observed {m['observed_rate']:.3f} · 预测 predicted {m['mean_predicted']:.3f} · "
                   f"ECE {m['ece']:.4f} · AUC {_fmt(m['auc'])} · Brier {m['brier']:.4f} "
                   f"(上年比率 last year's rate {rep['reference_rate']:.3f}: {m['brier_reference']:.4f})")
        for r in rep["by_month"]:
            typer.echo(f"  {r['month']}: n={r['n']} 观测 observed {r['observed_rate']:.3f} "
                       f"预测 predicted {r['mean_predicted']:.3f} (grade of {r['latest_grade_date']})")
        for g in m["hit_rate_by_grade"]:
            typer.echo(f"  {g['grade']}: n={g['n']} 命中率 hit rate {_fmt(g['hit_rate'])} 预测 predicted {_fmt(g['mean_predicted'])}")

    @plan.command("draw")
    def draw(
        budget: int = typer.Option(..., "--budget", help="Number of enterprises to sample"),
        period: str = typer.Option(..., "--period", help="Period, e.g. 2025Q1 (as-of date defaults to its first day)"),
        seed: int = typer.Option(..., "--seed", help="Published random seed (anyone can re-draw the same list)"),
        as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD: grades as of this date (default: period start)"),
        by_district: bool = typer.Option(False, "--by-district", help="Stratify by district (proportional allocation)"),
        floor: float = typer.Option(None, "--floor", help="Minimum inclusion probability (default min(0.02, budget/2N))"),
        city: str = typer.Option(None, "--city", help="City code (e.g. 440300): draw among that city's enterprises only"),
        as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON"),
    ) -> None:
        """双随机抽查计划 Draw a risk-weighted, reproducible supervision sampling plan."""
        from lingqu.db.engine import unit_of_work
        from lingqu.risk.plan import draw as draw_plan
        from lingqu.risk.service import parse_as_of

        day = parse_as_of(as_of) if as_of else None
        with unit_of_work() as session:
            result = draw_plan(session, budget=budget, period=period, seed=seed, as_of=day,
                               by_district=by_district, floor=floor, city_code=(city or "").strip() or None).as_dict()
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
        else:
            _plan_summary(result)
