"""``lingqu audit verify``."""

from __future__ import annotations

import json

import typer


def register(groups: dict) -> None:
    audit = groups["audit"]

    @audit.command("verify")
    def verify(as_json: bool = typer.Option(False, "--json")) -> None:
        """Check the hash chain of the audit log; exit 1 if any entry was altered, removed or reordered."""
        from lingqu.audit.service import verify as verify_chain
        from lingqu.db.engine import unit_of_work

        with unit_of_work() as session:
            report = verify_chain(session)
        if as_json:
            typer.echo(json.dumps({"entries": report.entries, "ok": report.ok, "first_bad_id": report.first_bad_id, "reason": report.reason}))
        elif report.ok:
            typer.echo(f"审计链完整 / audit chain intact: {report.entries} entries")
        else:
            typer.echo(f"审计链被破坏 / audit chain BROKEN: {report.reason}", err=True)
        raise typer.Exit(0 if report.ok else 1)
