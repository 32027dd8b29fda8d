"""``lingqu alerts ...``: scan for early warnings, list them, acknowledge and close them."""

from __future__ import annotations

import datetime as dt
import json

import typer

from lingqu.exceptions import ValidationError


def _emit(data, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str) if as_json else text)


def _line(a: dict) -> str:
    return (f"#{a['id']}\t{a['status']}\t{a['kind']}\t{a['scope']}:{a['scope_key']}\t{a['raised_at']}\t"
            f"{a['statistic']:.3g} / {a['threshold']:.3g}")


def register(groups: dict) -> None:
    alerts = groups["alerts"]

    @alerts.command("scan")
    def scan_cmd(as_of: str = typer.Option("", "--as-of", help="Scan up to this date YYYY-MM-DD (default: latest data)"),
                 as_json: bool = typer.Option(False, "--json")) -> None:
        """Run the detectors on what arrived since the last scan and raise alerts."""
        from lingqu.alert import service
        from lingqu.db.engine import unit_of_work

        day = None
        if as_of:
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError:
                raise ValidationError(f"--as-of must be YYYY-MM-DD (got {as_of!r})", field="as_of") from None
        with unit_of_work() as session:
            out = service.scan(session, day, actor="cli")
        _emit(out, as_json, "\n".join([f"scan as of {out['as_of']}: {out['raised']} raised, {out['updated']} updated",
                                       *(_line(a) for a in out["alerts"])]))

    @alerts.command("list")
    def list_cmd(status: str = typer.Option("", "--status", help="new, acknowledged or closed"),
                 kind: str = typer.Option("", "--kind", help="cusum, ewma or complaint_surge"),
                 scope: str = typer.Option("", "--scope", help="enterprise, test_item or city"),
                 as_json: bool = typer.Option(False, "--json")) -> None:
        """Every alert matching the filters, newest first."""
        from lingqu.alert import service
        from lingqu.db.engine import unit_of_work

        with unit_of_work() as session:
            out = service.list_alerts(session, status or None, None, kind=kind or None, scope=scope or None)
        _emit(out, as_json, "\n".join(_line(a) for a in out) or "no alerts")

    @alerts.command("ack")
    def ack_cmd(alert_id: int = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
        """Acknowledge an alert (new -> acknowledged)."""
        from lingqu.alert import service
        from lingqu.db.engine import unit_of_work

        with unit_of_work() as session:
            out = service.acknowledge(session, alert_id, actor="cli")
        _emit(out, as_json, _line(out))

    @alerts.command("close")
    def close_cmd(alert_id: int = typer.Argument(...), note: str = typer.Option(..., "--note"),
                  as_json: bool = typer.Option(False, "--json")) -> None:
        """Close an alert with a note saying what was found or done."""
        from lingqu.alert import service
        from lingqu.db.engine import unit_of_work

        with unit_of_work() as session:
            out = service.close(session, alert_id, note, actor="cli")
        _emit(out, as_json, _line(out))
