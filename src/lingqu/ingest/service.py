"""Importing a file: read in chunks, validate, write, report — in one transaction.

The caller runs ``import_file`` inside one unit of work: either every valid row is written and
the run is audited, or (a crash, a kill, ``--strict`` with a bad row) nothing is.
Counting rule, checked by tests: read = imported + unchanged + rejected, where imported counts
inserted and updated records, and every rejected row is a line of the rejects file.
"""

from __future__ import annotations

import csv
import hashlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from lingqu.audit.service import record
from lingqu.config import get_settings
from lingqu.exceptions import LingquError, UnusableFile
from lingqu.ingest import handlers
from lingqu.ingest.handlers import STATUS, ImportState
from lingqu.ingest.sampling import finish as finish_sampling
from lingqu.ingest.sampling import sampling
from lingqu.ingest.specs import SPECS, Spec, map_header
from lingqu.ingest.validate import BAD_COLUMNS, REASON, Validated, validate_chunk
from lingqu.kit.tabular import LINE, Chunk, column_names, open_table

HANDLERS = {
    "enterprises": handlers.enterprises,
    "sampling": sampling,
    "institutions": handlers.institutions,
    "complaints": handlers.complaints,
    "certificates": handlers.certificates,
    "assistance": handlers.assistance,
    "standards": handlers.standards,
    "products": handlers.products,
}
KINDS = tuple(HANDLERS)


@dataclass
class ImportReport:
    kind: str
    file: str
    encoding: str = ""
    read: int = 0
    imported: int = 0
    unchanged: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    created_enterprises: int = 0
    rejects_file: str = ""
    sha256: str = ""
    extra_columns: list[str] = field(default_factory=list)
    strict_rolled_back: bool = False

    def counts(self) -> dict:
        return {"read": self.read, "imported": self.imported, "unchanged": self.unchanged, "rejected": self.rejected}

    def as_dict(self) -> dict:
        return {**self.counts(), **{k: v for k, v in asdict(self).items() if k not in self.counts()}}


class StrictRejected(LingquError):
    """``--strict`` import with at least one bad row: the transaction is rolled back."""

    code = "strict_rejected"
    exit_code = 1

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{report.rejected} 行被拒绝，--strict 模式下未导入任何数据 (strict: nothing imported)")
        self.report = report


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


class RejectsWriter:
    """The rejects file: line, column, reason, then the row as it was in the file."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.file = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow(["行号 line", "列 column", "原因 reason", *header])
        self.count = 0

    def write(self, bad: pl.DataFrame, raw: pl.DataFrame) -> None:
        if bad.is_empty():
            return
        rows = bad.select(LINE, BAD_COLUMNS, REASON).join(raw, on=LINE, how="left").sort(LINE)
        raw_cols = [c for c in raw.columns if c != LINE]
        for r in rows.select([LINE, BAD_COLUMNS, REASON, *raw_cols]).iter_rows():
            self.writer.writerow(["" if v is None else v for v in r])
        self.count += rows.height

    def close(self) -> None:
        self.file.close()


def default_rejects_path(path: Path) -> Path:
    return path.with_name(path.stem + ".rejects.csv")


def import_file(
    session: Session, kind: str, path: str | Path, *, rejects: str | Path | None = None,
    strict: bool = False, actor: str = "cli", progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import ``path`` as ``kind`` in the caller's transaction; ``progress`` gets the rows read so far."""
    if kind not in SPECS:
        raise LingquError(f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}", field="kind")
    spec: Spec = SPECS[kind]
    path = Path(path)
    table = open_table(path)
    names = column_names(table.header)
    mapping, extras = map_header(spec, names)
    _check_header(spec, mapping, table.header)
    report = ImportReport(kind=kind, file=str(path), encoding=table.encoding, extra_columns=extras)
    rejects_path = Path(rejects) if rejects else default_rejects_path(path)
    writer = RejectsWriter(rejects_path, table.header)
    report.rejects_file = str(rejects_path)
    state = ImportState(actor=actor)
    handler = HANDLERS[kind]
    try:
        for chunk, checked in _validated_chunks(table, spec, mapping, extras):
            raw = chunk.frame.drop("_overflow")
            report.read += chunk.frame.height
            if progress is not None:
                progress(report.read)
            writer.write(checked.bad, raw)
            outcome = handler(session, checked.good, state) if checked.good.height else None
            if outcome is not None:
                writer.write(outcome.rejected, raw)
                counts = outcome.rows[STATUS].value_counts()
                by = dict(zip(counts[STATUS].to_list(), counts["count"].to_list()))
                report.inserted += by.get("inserted", 0)
                report.updated += by.get("updated", 0)
                report.unchanged += by.get("unchanged", 0)
                report.created_enterprises += outcome.created_enterprises
        report.sha256 = table.sha256 or _sha256(path)
        report.encoding = table.encoding
        if kind == "sampling":
            finish_sampling(session, state)
    finally:
        writer.close()
    report.rejected = writer.count
    report.imported = report.inserted + report.updated
    if strict and report.rejected:
        report.imported = report.inserted = report.updated = report.unchanged = 0
        report.strict_rolled_back = True
        raise StrictRejected(report)
    if report.imported:
        record(session, actor=actor, action="import", entity=kind, key=path.name, after=report.as_dict(),
               note=f"sha256 {report.sha256}")
    session.flush()
    return report


def _validated_chunks(table, spec: Spec, mapping: dict, extras: list[str]) -> Iterator[tuple[Chunk, Validated]]:
    """Read and validate the next chunk in a second thread while this one writes the last.

    Polars releases the GIL and SQLite releases it while stepping, so on two cores the reading
    and the writing overlap. The queue holds at most two chunks: memory stays bounded.
    """
    q: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for chunk in table.chunks(get_settings().import_chunk_rows):
                item = (chunk, validate_chunk(chunk.frame, spec, mapping, extras))
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as e:  # handed to the consumer, which re-raises it
            q.put(e)

    worker = threading.Thread(target=produce, name="lingqu-import-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                worker.join(0.05)


def _check_header(spec: Spec, mapping: dict[str, str], header: list[str]) -> None:
    found = set(mapping.values())
    if not found:
        raise UnusableFile(
            f"没有可识别的表头 (no recognised header) for {spec.label_zh} {spec.kind}: "
            f"found {', '.join(header[:12])}; expected columns such as "
            + ", ".join(f"{c.name} ({c.aliases[0]})" if c.aliases else c.name for c in spec.columns if c.required)
        )
    missing = [c for c in spec.columns if c.required and c.name not in found]
    if missing:
        raise UnusableFile(
            "缺少必需的列 (missing required columns): "
            + ", ".join(f"{c.name} / {c.aliases[0]}" if c.aliases else c.name for c in missing)
        )
