"""``lingqu standards export`` and ``lingqu standards changes`` (the knowledge base's commands)."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path

import typer


def register_knowledge_base(standards: typer.Typer) -> None:
    @standards.command("export")
    def export(out: Path = typer.Option(..., "--out", help="CSV file to write (the dataset format of docs/import-formats.md)")) -> None:
        """Write every edition in the dataset format; `lingqu import standards` of it changes nothing."""
        from lingqu.db.engine import unit_of_work
        from lingqu.standard.catalog import export as export_rows

        with unit_of_work() as session:
            n = export_rows(session, out)
        typer.echo(f"已导出 {n} 条标准 / exported {n} standards: {out}")

    @standards.command("changes")
    def changes_cmd(
        as_of: str = typer.Option("", "--as-of", help="the date to look from, YYYY-MM-DD (default today)"),
        days: int = typer.Option(None, "--days", help="window in days (default LINGQU_STANDARD_CHANGE_DAYS, 180)"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Standards superseded, withdrawn or replaced within the window, the enterprises they affect and
        the certificates citing the old edition; stores one alert per edition and enterprise."""
        from lingqu.db.engine import unit_of_work
        from lingqu.exceptions import ValidationError
        from lingqu.standard import changes

        try:
            day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
        except ValueError:
            raise ValidationError(f"--as-of must be a date YYYY-MM-DD, got {as_of!r}", field="as_of") from None
        with unit_of_work() as session:
            stored = changes.scan(session, day, days, actor=f"cli:{getpass.getuser()}")
            found = changes.find_changes(session, day, stored["days"])
        found["alerts"] = {k: stored[k] for k in ("raised", "updated", "unchanged")}
        if as_json:
            typer.echo(json.dumps(found, ensure_ascii=False))
            return
        typer.echo(f"截至 {found['as_of']}（窗口 {found['days']} 天）/ as of {found['as_of']}, window {found['days']} days: "
                   f"{len(found['changes'])} 项变更 changes")
        for c in found["changes"]:
            succ = ", ".join(c["successors"]) or "—"
            typer.echo(f"{c['code']:<24} {c['change']:<14} {c['transition_on'] or 'date unknown':<12} → {succ}  "
                       f"企业 enterprises {len(c['enterprises'])} · 证书 certificates {c['certificates']}")
            for e in c["enterprises"][:20]:
                certs = ", ".join(e["certificates"]) or "—"
                typer.echo(f"    {e['uscc']} {e['name']}  证书 {certs}")
            if len(c["enterprises"]) > 20:
                typer.echo(f"    … {len(c['enterprises']) - 20} more (use --json for all)")
        a = found["alerts"]
        typer.echo(f"预警 alerts: 新增 raised {a['raised']} · 更新 updated {a['updated']} · 未变 unchanged {a['unchanged']}")
