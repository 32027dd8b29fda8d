"""``lingqu standards search`` and ``lingqu standards edition``."""

from __future__ import annotations

import datetime as dt
import json

import typer


def register(groups: dict) -> None:
    standards = groups["standards"]
    from lingqu.standard.kb_cli import register_knowledge_base

    register_knowledge_base(standards)

    @standards.command("search")
    def search(
        query: str = typer.Argument(..., help="Chinese or English words, or a standard number in any spelling"),
        status: str = typer.Option("", "--status", help="only this status: current, upcoming, superseded or withdrawn"),
        kind: str = typer.Option("", "--kind", help="only this kind, e.g. GB, GB/T, YY/T, ISO, regulation"),
        domain: str = typer.Option("", "--domain", help="only this domain, e.g. power_bank or medical_device"),
        limit: int = typer.Option(10, "--limit", min=0),
        backend: str = typer.Option("tantivy", "--backend", help="tantivy (default) or memory"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Search standards: exact number matches first, current editions above superseded ones."""
        from lingqu.db.engine import unit_of_work
        from lingqu.standard.service import hit_dict, search_standards

        with unit_of_work() as session:
            hits = search_standards(session, query, limit=limit, status=status, kind=kind, domain=domain, backend=backend, count=False)
        rows = [hit_dict(h) for h in hits]
        if as_json:
            typer.echo(json.dumps({"results": rows}, ensure_ascii=False))
            return
        if not rows:
            typer.echo("无结果 / no results")
        for r in rows:
            typer.echo(f"{r['score']:8.3f}  {r['code']:<22} {r['status']:<12} {r['title_zh']}")

    @standards.command("edition")
    def edition(
        code: str = typer.Argument(..., help="a standard number with or without year, e.g. 'GB 9706.1'"),
        on: str = typer.Option(..., "--on", help="the date, YYYY-MM-DD"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """The edition in force on a date, with the whole replacement chain."""
        from lingqu.db.engine import unit_of_work
        from lingqu.exceptions import ValidationError
        from lingqu.standard.service import edition_on

        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            raise ValidationError(f"--on must be a date YYYY-MM-DD, got {on!r}", field="on") from None
        with unit_of_work() as session:
            out = edition_on(session, code, day)
        if as_json:
            typer.echo(json.dumps(out, ensure_ascii=False))
            return
        typer.echo(f"{out['code'] or '—'}  ({out['reason']})")
        for c in out["chain"]:
            typer.echo(f"  {c['code']:<22} {c['status']:<12} effective {c['effective'] or 'unknown'}")
