"""``lingqu sampling ...``: plans, OC tables, product lines and lot records (GB/T 2828.1)."""

from __future__ import annotations

import datetime as dt
import json

import typer

from lingqu.exceptions import ValidationError


def _emit(data, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json else text)


def _plan_text(p: dict) -> str:
    lines = [f"GB/T 2828.1 {p['table']} · {p['stage']} · {p['scheme_used']}",
             f"批量 lot size {p['lot_size']} · 检验水平 level {p['level']} · AQL {p['aql']}",
             f"样本量字码 code letter {p['code_letter']} -> plan row {p['plan_code_letter']}"
             + (f" (arrow {p['arrow']})" if p["arrow"] else "")]
    if p["scheme_used"] == "single":
        lines.append(f"n = {p['n']}, Ac = {p['ac']}, Re = {p['re']}")
    else:
        lines.append(f"first:  n1 = {p['n1']}, Ac1 = {p['ac1']}, Re1 = {p['re1']}")
        lines.append(f"second: n2 = {p['n2']} (cumulative; second sample {p['second_sample_size']}), "
                     f"Ac2 = {p['ac2']}, Re2 = {p['re2']}")
    if p["hundred_percent_inspection"]:
        lines.append("全检 100 % inspection: sample size >= lot size")
    lines.extend(f"note: {n}" for n in p["notes"])
    return "\n".join(lines)


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"date must be YYYY-MM-DD (got {value!r})", field="date") from None


def register(groups: dict) -> None:
    sampling = groups["sampling"]
    line_app = typer.Typer(no_args_is_help=True, help="Product lines / suppliers under acceptance sampling")
    lot_app = typer.Typer(no_args_is_help=True, help="Lots inspected on a product line")
    sampling.add_typer(line_app, name="line")
    sampling.add_typer(lot_app, name="lot")

    @sampling.command("plan")
    def plan_cmd(
        lot_size: str = typer.Option(..., "--lot-size", help="Number of items in the lot"),
        level: str = typer.Option("II", "--level", help="S-1, S-2, S-3, S-4, I, II or III"),
        aql: str = typer.Option(..., "--aql", help="Preferred AQL, 0.010 to 1000"),
        stage: str = typer.Option("normal", "--stage", help="normal, tightened or reduced"),
        scheme: str = typer.Option("single", "--scheme", help="single or double"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
    ) -> None:
        """The sampling plan for a lot: code letter, plan row after the arrows, n/Ac/Re (or double)."""
        from lingqu.acceptance import service

        p = service.plan(lot_size, level, aql, stage, scheme)
        _emit(p, as_json, _plan_text(p))

    @sampling.command("oc")
    def oc_cmd(
        lot_size: str = typer.Option(..., "--lot-size"),
        level: str = typer.Option("II", "--level"),
        aql: str = typer.Option(..., "--aql"),
        stage: str = typer.Option("normal", "--stage"),
        scheme: str = typer.Option("single", "--scheme"),
        measure: str = typer.Option("", "--measure",
                                    help="percent_nonconforming (binomial) or nonconformities_per_100 (Poisson); "
                                         "default by AQL"),
        points: int = typer.Option(21, "--points", help="Number of quality values in the table"),
        as_json: bool = typer.Option(True, "--json/--text", help="JSON (default) or a text table"),
    ) -> None:
        """OC table of the plan: Pa, AOQ and ASN by quality, with the producer's and consumer's risk points."""
        from lingqu.acceptance import service

        out = service.oc_table(lot_size, level, aql, stage, scheme, measure or None, points)
        q = out["quality"]
        rows = [f"{pt['quality']:10.4f} {pt['pa']:8.4f} {pt['aoq']:8.4f} {pt['asn']:8.1f}" for pt in out["points"]]
        text = "\n".join([_plan_text(out["plan"]), f"measure: {out['measure']}",
                          f"Pa at AQL {q['aql']}: {q['pa_at_aql']:.4f} (producer's risk {q['producer_risk']:.4f})",
                          f"quality at Pa 95 % / 50 % / 10 %: {q['quality_95']:.4g} / {q['quality_50']:.4g} / "
                          f"{q['quality_10']:.4g}", f"AOQL {q['aoql']:.4g} at {q['aoql_quality']:.4g}",
                          "   quality       Pa      AOQ      ASN", *rows, *(f"caveat: {c}" for c in out["caveats"])])
        _emit(out, as_json, text)

    @line_app.command("create")
    def line_create(
        line: str = typer.Option(..., "--line", help="Code of the product line / supplier"),
        level: str = typer.Option("II", "--level"),
        aql: str = typer.Option(..., "--aql"),
        scheme: str = typer.Option("single", "--scheme"),
        name: str = typer.Option("", "--name"),
        supplier: str = typer.Option("", "--supplier"),
        measure: str = typer.Option("", "--measure"),
        start: str = typer.Option("normal", "--start", help="Severity at the start (normal unless the authority says)"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Register a product line with its inspection level, AQL and plan type."""
        from lingqu.acceptance import service
        from lingqu.db.engine import unit_of_work

        with unit_of_work() as session:
            out = service.create_line(session, line, level, aql, scheme, name=name, supplier=supplier,
                                      measure=measure or None, start_stage=start, actor="cli")
        _emit(out, as_json, f"line {out['code']}: level {out['level']}, AQL {out['aql']}, {out['scheme']} sampling, "
                            f"{out['stage']} inspection — {out['reason']}")

    @line_app.command("status")
    def line_status(
        line: str = typer.Option(..., "--line"),
        lot_size: str = typer.Option("", "--lot-size", help="Size of the next lot (default: the last lot's)"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Which plan applies to the next lot of a line, and why."""
        from lingqu.acceptance import service
        from lingqu.db.engine import unit_of_work

        with unit_of_work() as session:
            out = service.line_status(session, line, lot_size or None)
        nxt = out["next"]
        text = [f"line {line}: {nxt['stage']} inspection, switching score {nxt['switching_score']}",
                f"why: {nxt['reason']}", f"progress: {nxt['progress']}"]
        if nxt["plan"]:
            text.append(_plan_text(nxt["plan"]))
        if nxt.get("note"):
            text.append(f"note: {nxt['note']}")
        _emit(out, as_json, "\n".join(text))

    @line_app.command("list")
    def line_list(as_json: bool = typer.Option(False, "--json")) -> None:
        """All product lines with their current severity and switching score."""
        from lingqu.acceptance import service
        from lingqu.db.engine import unit_of_work

        with unit_of_work() as session:
            out = service.list_lines(session)
        _emit(out, as_json, "\n".join(f"{x['code']}\t{x['level']}\tAQL {x['aql']}\t{x['scheme']}\t{x['stage']}\t"
                                      f"score {x['switching_score']}\t{x['lot_count']} lots" for x in out))

    @line_app.command("resume")
    def line_resume(line: str = typer.Option(..., "--line"), as_json: bool = typer.Option(False, "--json")) -> None:
        """Resume a discontinued line on tightened inspection after the supplier's corrective action."""
        from lingqu.acceptance import service
        from lingqu.db.engine import unit_of_work

        with unit_of_work() as session:
            out = service.resume_line(session, line, actor="cli")
        _emit(out, as_json, f"line {line}: {out['stage']} — {out['reason']}")

    @lot_app.command("record")
    def lot_record(
        line: str = typer.Option(..., "--line"),
        lot_size: str = typer.Option(..., "--lot-size"),
        nonconforming: int = typer.Option(..., "--nonconforming", help="Nonconforming items (or nonconformities) "
                                                                       "in the (first) sample"),
        second: int | None = typer.Option(None, "--second", help="Count in the second sample (double sampling)"),
        date: str = typer.Option("", "--date", help="Inspection date YYYY-MM-DD (default today)"),
        lot_no: str = typer.Option("", "--lot-no"),
        irregular: bool = typer.Option(False, "--irregular-production", help="Production is irregular or delayed"),
        no_reduced: bool = typer.Option(False, "--no-reduced-approval",
                                        help="The responsible authority does not approve reduced inspection"),
        reinstate: bool = typer.Option(False, "--reinstate-normal",
                                       help="The responsible authority reinstates normal inspection"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Record a lot's inspection result; prints the verdict and the plan for the next lot."""
        from lingqu.acceptance import service
        from lingqu.db.engine import unit_of_work

        with unit_of_work() as session:
            out = service.record_lot(session, line, lot_size, nonconforming, second, inspected_on=_date(date),
                                     lot_no=lot_no, production_steady=not irregular,
                                     reduced_desirable=not no_reduced, normal_required=reinstate, actor="cli")
        verdict = "接收 accepted" if out["accepted"] else "不接收 not accepted"
        nxt = out["next"]
        _emit(out, as_json, "\n".join([
            f"lot #{out['seq']} on {out['stage']} inspection: {verdict} (sample {out['sample_inspected']}, "
            f"nonconforming {out['nonconforming_first']}"
            + (f" + {out['nonconforming_second']}" if out["nonconforming_second"] is not None else "") + ")",
            f"next lot: {nxt['stage']} inspection, switching score {nxt['switching_score']} — {nxt['reason']}"]))
