"""Initialising a database: schema (Alembic) plus the reference data shipped with Lingqu.

Loading is an upsert on each table's natural key, so ``lingqu init`` run twice changes nothing,
and a newer Lingqu with corrected reference facts updates them (each change audited).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from importlib import resources

from sqlalchemy.orm import Session

from lingqu.audit.service import record_many
from lingqu.db.engine import unit_of_work
from lingqu.kit.normalize import clean_text
from lingqu.db.migrate import upgrade
from lingqu.reference import repository
from lingqu.reference.models import CatalogueCategory, City, District, ProductCategory, TestItem


def _rows(name: str) -> list[dict]:
    path = resources.files("lingqu") / "data" / name
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _date(s: str) -> dt.date | None:
    s = (s or "").strip()
    try:
        return dt.date.fromisoformat(s) if s else None
    except ValueError:
        return None


def _reference_records() -> dict[str, tuple[type, tuple[str, ...], list[dict]]]:
    """Each table: (model, natural-key columns, records as column→value)."""
    cities = [{"code": r["code"], "name_zh": r["name_zh"], "name_en": r["name_en"], "province": r["province"]} for r in _rows("cities.csv")]
    districts = [
        {"city_code": r["city_code"], "name_zh": r["name_zh"], "name_en": r.get("name_en", ""), "kind": r.get("kind", "")}
        for r in _rows("districts.csv")
    ]
    categories = [
        {"code": r["code"], "name_zh": r["name_zh"], "name_en": r["name_en"], "cluster": r["cluster"],
         "catalogue_code": r["catalogue_code"], "source": r["source"]}
        for r in _rows("product_categories.csv")
    ]
    items = [
        {
            # Stored in the importers' canonical form (NFKC, as kit.normalize.clean_text), so that
            # sampling rows naming "有效输出容量（常温/高温）" join to their reference item.
            "item_no": int(r["item_id"]), "cluster": "power_bank", "name_zh": clean_text(r["item_zh"]), "name_en": r["item_en"],
            "method_standard": r["method_standard"], "requirement": r["requirement_summary"], "limit_text": r["limit"],
            "source": r["source"], "verification": r["verification"],
        }
        for r in _rows("power_bank_test_items.csv")
    ]
    catalogue = [
        {"code": r["code"], "name_zh": r["name_zh"], "name_en": r["name_en_unofficial"], "source": r["source"]}
        for r in _rows("mdr_catalog_2017.csv")
    ]
    return {
        "city": (City, ("code",), cities),
        "district": (District, ("city_code", "name_zh"), districts),
        "product_category": (ProductCategory, ("code",), categories),
        "test_item": (TestItem, ("item_no",), items),
        "catalogue_category": (CatalogueCategory, ("code",), catalogue),
    }


@dataclass
class LoadReport:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    #: shipped rows the importer refused ("file:line column: reason"); a test keeps this empty
    rejected: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(self.inserted.values()) or any(self.updated.values())


def load_reference_data(session: Session, actor: str = "lingqu init") -> LoadReport:
    report = LoadReport()
    for table, (model, key_cols, records) in _reference_records().items():
        existing = {tuple(getattr(o, k) for k in key_cols): o for o in repository.all_of(session, model)}
        inserted, changes = 0, []
        for rec in records:
            key = tuple(rec[k] for k in key_cols)
            obj = existing.get(key)
            if obj is None:
                session.add(model(**rec))
                inserted += 1
                continue
            before = {c: getattr(obj, c) for c in rec if getattr(obj, c) != rec[c]}
            if before:
                for c in before:
                    setattr(obj, c, rec[c])
                changes.append(("/".join(map(str, key)), before, {c: rec[c] for c in before}))
        session.flush()
        if inserted:
            record_many(session, actor=actor, action="import", entity=table,
                        changes=[("reference", None, {"inserted": inserted})], note="reference data shipped with Lingqu")
        if changes:
            record_many(session, actor=actor, action="update", entity=table, changes=changes)
        report.inserted[table], report.updated[table] = inserted, len(changes)
    report.inserted["standard"], report.updated["standard"], report.rejected = load_standards(session, actor)
    return report


def standards_files() -> list:
    """The standards dataset: ``data/standards.csv`` and any further ``data/standards_*.csv``
    part (``standards_seed.csv``, the shared seed it was built from, is not loaded)."""
    folder = resources.files("lingqu") / "data"
    names = sorted(p.name for p in folder.iterdir() if p.name.startswith("standards") and p.name.endswith(".csv"))
    return [folder / n for n in names if n != "standards_seed.csv"]


def load_standards(session: Session, actor: str = "lingqu init") -> tuple[int, int, list[str]]:
    """Load the shipped standards through the ``lingqu import standards`` path (same rules, audited
    updates, applicability links). Returns (inserted, updated, rejected rows).

    A shipped row that does not validate is a data bug caught by
    ``test_shipped_standards_have_no_rejected_rows``; ``init`` reports it rather than refusing
    to start, so one bad row among hundreds never leaves a user without a database.
    """
    import tempfile
    from pathlib import Path

    from lingqu.ingest.service import import_file

    inserted = updated = 0
    rejected: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in standards_files():
            rejects = Path(tmp) / f"{path.name}.rejects.csv"
            report = import_file(session, "standards", Path(str(path)), rejects=rejects, actor=actor)
            inserted += report.inserted
            updated += report.updated
            if report.rejected:
                with rejects.open(encoding="utf-8-sig", newline="") as f:
                    rows = list(csv.reader(f))[1:]
                rejected += [f"{path.name}:{r[0]} {r[1]}: {r[2]}" for r in rows]
    return inserted, updated, rejected


def init_database(url: str | None = None) -> LoadReport:
    """Create or upgrade the schema, then load the reference data. Safe to run again."""
    from lingqu.config import get_settings

    url = url or get_settings().resolved_database_url()
    upgrade(url)
    with unit_of_work(url) as session:
        return load_reference_data(session)
