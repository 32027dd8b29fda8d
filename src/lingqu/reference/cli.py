"""``lingqu init``, ``lingqu db upgrade`` and ``lingqu serve``."""

from __future__ import annotations

import typer

from lingqu.db.engine import display_url


def register(groups: dict) -> None:
    app, db = groups[""], groups["db"]

    @app.command("init")
    def init(
        demo: bool = typer.Option(False, "--demo", help="Also generate and load the demo world (seed 1)"),
        seed: int = typer.Option(1, "--seed", help="Seed of the demo world"),
    ) -> None:
        """Create or upgrade the schema and load the reference data (and the demo world with --demo)."""
        from lingqu.config import get_settings
        from lingqu.reference.service import init_database

        url = get_settings().resolved_database_url()
        report = init_database(url)
        typer.echo(f"数据库已就绪 / database ready: {display_url(url)}")
        typer.echo("参考数据 / reference data: " + ", ".join(f"{k} +{v}" for k, v in report.inserted.items()))
        for line in report.rejected:
            typer.secho(f"未载入的标准行 / standard row not loaded: {line}", fg="yellow", err=True)
        if demo:
            from lingqu.simulate.loading import ensure_demo_world

            summary = ensure_demo_world(url, seed=seed)
            typer.echo(summary)

    @db.command("upgrade")
    def db_upgrade() -> None:
        """Create the schema or apply newer migrations (Alembic)."""
        from lingqu.config import get_settings
        from lingqu.db.migrate import current_revision, upgrade

        url = get_settings().resolved_database_url()
        upgrade(url)
        typer.echo(f"schema at revision {current_revision(url)}: {display_url(url)}")

    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", "--host"),
        port: int = typer.Option(8000, "--port"),
    ) -> None:
        """Serve the web app and the JSON API."""
        import uvicorn

        from lingqu.auth.service import demo_login_lines

        for line in demo_login_lines():
            typer.echo(line)
        typer.echo(f"Lingqu 灵渠: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
        uvicorn.run("lingqu.app:create_app", factory=True, host=host, port=port, log_level="warning")
