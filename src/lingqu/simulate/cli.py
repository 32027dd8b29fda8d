"""``lingqu demo generate``: write the seeded demo world as import-ready CSV files."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer


def register(groups: dict) -> None:
    demo = groups["demo"]

    @demo.command("generate")
    def generate(
        seed: int = typer.Option(..., "--seed", help="Random seed; the same seed and arguments give the same files byte for byte"),
        enterprises: int | None = typer.Option(None, "--enterprises", help="Number of enterprises (default 600: 450 power bank, 150 medical device)"),
        out: Path = typer.Option(..., "--out", help="Output folder (CSV files, manifest.json and truth/)"),
    ) -> None:
        """Generate the demo world (enterprises, sampling, complaints, certificates, assistance,
        institutions) with its ground truth kept apart in OUT/truth/."""
        from lingqu.simulate.world import BLOCK_SIZE, generate_world

        started = time.perf_counter()
        if sys.stderr.isatty() and (enterprises or 0) > BLOCK_SIZE:  # a bar only for long runs
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(
                TextColumn("生成演示数据 / generating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            ) as bar:
                task = bar.add_task("enterprises", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                manifest = generate_world(out, seed, enterprises, progress=progress)
        else:
            manifest = generate_world(out, seed, enterprises)
        elapsed = time.perf_counter() - started

        clusters = manifest["enterprises"]
        typer.echo(
            f"demo world (seed {manifest['seed']}) written to {out} in {elapsed:.1f} s: "
            f"{clusters['power_bank']} power-bank + {clusters['medical_device']} medical-device enterprises"
        )
        for name, rows in manifest["rows"].items():
            typer.echo(f"  {name:<32} {rows:>12,} rows")
        rates = ", ".join(f"{y} {r:.1%}" for y, r in manifest["power_bank_pass_rate_by_year"].items() if r is not None)
        typer.echo(f"  power-bank batch pass rate by year: {rates}")

    @demo.command("load")
    def load(
        directory: Path = typer.Argument(..., help="A folder written by `lingqu demo generate`"),
        as_json: bool = typer.Option(False, "--json", help="Print the import report of each file as JSON"),
    ) -> None:
        """Import a generated demo world through the ordinary importers (in one transaction)."""
        import json

        from lingqu.simulate.loading import load_world

        reports = load_world(directory)
        if as_json:
            typer.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False))
        else:
            for r in reports:
                typer.echo(f"  {r.kind:<14} read {r.read:>10,}  imported {r.imported:>10,}  unchanged {r.unchanged:>10,}  rejected {r.rejected:>6,}")
        raise typer.Exit(1 if any(r.rejected for r in reports) else 0)
