"""The ``lingqu`` command line.

The top-level groups live here; each domain adds its commands in its own ``cli.py`` through
``register(groups)``, so adding a domain never means editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

import lingqu
from lingqu.exceptions import LingquError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False, help="Lingqu (灵渠) quality-infrastructure platform")

GROUPS: dict[str, typer.Typer] = {"": app}
for _name, _help in [
    ("db", "Database schema (Alembic migrations)"),
    ("import", "Import records from CSV or XLSX files"),
    ("demo", "Generate and load the demo world"),
    ("audit", "The append-only audit log"),
    ("sampling", "Acceptance sampling (GB/T 2828.1)"),
    ("stats", "Statistics over the sampling records"),
    ("risk", "Risk grading and back-tests"),
    ("alerts", "Early warning"),
    ("plan", "Supervision sampling plans"),
    ("standards", "Standards and regulations"),
    ("user", "Users and roles"),
]:
    GROUPS[_name] = typer.Typer(no_args_is_help=True, help=_help)


def _register_domains() -> None:
    for mod in sorted(pkgutil.iter_modules(lingqu.__path__), key=lambda m: m.name):
        if not mod.ispkg:
            continue
        try:
            module = importlib.import_module(f"lingqu.{mod.name}.cli")
        except ModuleNotFoundError as e:
            if e.name == f"lingqu.{mod.name}.cli":
                continue
            raise
        module.register(GROUPS)
    for name, group in GROUPS.items():
        if name and group.registered_commands or name and group.registered_groups:
            app.add_typer(group, name=name)


_register_domains()


def main() -> None:
    """Entry point: run the app, turning platform errors into a message and exit code."""
    try:
        rv = app(standalone_mode=False)
        sys.exit(rv if isinstance(rv, int) else 0)
    except LingquError as e:
        typer.secho(f"错误 / error: {e.message}", fg="red", err=True)
        sys.exit(getattr(e, "exit_code", 2))
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        sys.exit(130)
    except Exception as e:  # click usage errors
        import click

        if isinstance(e, click.exceptions.ClickException):
            e.show()
            sys.exit(e.exit_code)
        raise
