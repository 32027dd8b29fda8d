"""All SQL of the standard domain: the ``standard`` reference table, applicability, change alerts."""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from lingqu.enterprise.models import Certificate, Enterprise, Product
from lingqu.reference.models import ProductCategory, Standard, StandardCategory
from lingqu.standard.models import StandardChangeAlert


def all_standards(session: Session) -> list[Standard]:
    return list(session.scalars(select(Standard).order_by(Standard.id)))


def _searched_columns() -> list:
    """The columns search reads; ``kind`` only once the model has it."""
    cols = [Standard.id, Standard.code, Standard.status, Standard.title_zh, Standard.title_en, Standard.adopts, Standard.domain]
    kind = getattr(Standard, "kind", None)
    return cols + ([kind] if kind is not None else [])


def searchable_rows(session: Session) -> list[tuple]:
    """(id, code, title_zh, title_en, status, adopts, kind, domain) of every standard, by id."""
    out = []
    for row in session.execute(select(*_searched_columns()).order_by(Standard.id)):
        kind = row[7] if len(row) > 7 else ""
        out.append((row[0], row[1], row[3], row[4], row[2], row[5], kind or "", row[6] or ""))
    return out


def distinct_values(session: Session, column: str) -> list[str]:
    """The distinct non-empty values of a standard column (for filter choices); [] if no such column."""
    col = getattr(Standard, column, None)
    if col is None:
        return []
    return [v for v in session.scalars(select(col).distinct().order_by(col)) if v]


def fingerprint(session: Session) -> str:
    """Changes whenever a standard is added, removed or edited in a way search sees."""
    count, max_id = session.execute(select(func.count(Standard.id), func.max(Standard.id))).one()
    h = hashlib.sha256(f"{count}|{max_id}".encode())
    rows = session.execute(select(*_searched_columns()).order_by(Standard.id))
    for row in rows:
        h.update("\x1f".join("" if v is None else str(v) for v in row).encode())
        h.update(b"\x1e")
    return h.hexdigest()


# --- applicability, products, certificates, change alerts (the standards knowledge base) ---------


def replace_categories(session: Session, rows) -> None:
    """Rewrite the applicability links of the standards in ``rows`` (a frame of ``id``, ``categories``)."""
    from lingqu.standard.dataset import expand_categories

    if rows.is_empty():
        return
    ids = rows["id"].to_list()
    for i in range(0, len(ids), 500):
        session.execute(delete(StandardCategory).where(StandardCategory.standard_id.in_(ids[i:i + 500])))
    links = [{"standard_id": sid, "category_code": code}
             for sid, cats in rows.select("id", "categories").iter_rows() for code in expand_categories(cats or "")]
    if links:
        session.execute(insert(StandardCategory), links)


def standard_by_code(session: Session, code: str) -> Standard | None:
    return session.scalars(select(Standard).where(Standard.code == code)).one_or_none()


def categories_of(session: Session, standard_id: int) -> list[ProductCategory]:
    stmt = (select(ProductCategory).join(StandardCategory, StandardCategory.category_code == ProductCategory.code)
            .where(StandardCategory.standard_id == standard_id).order_by(ProductCategory.code))
    return list(session.scalars(stmt))


def product_categories(session: Session) -> list[ProductCategory]:
    return list(session.scalars(select(ProductCategory).order_by(ProductCategory.code)))


def links(session: Session) -> list[tuple[int, str]]:
    return [tuple(r) for r in session.execute(select(StandardCategory.standard_id, StandardCategory.category_code))]


def enterprises_making(session: Session, categories: list[str], city_code: str | None = None,
                       uscc: str | None = None) -> int:
    """How many enterprises (in the city / with this USCC, when given) make products of these categories."""
    if not categories:
        return 0
    stmt = (select(func.count(func.distinct(Product.enterprise_id))).join(Enterprise, Enterprise.id == Product.enterprise_id)
            .where(Product.category.in_(categories)))
    if city_code:
        stmt = stmt.where(Enterprise.city_code == city_code)
    if uscc:
        stmt = stmt.where(Enterprise.uscc == uscc)
    return int(session.scalar(stmt) or 0)


def product_categories_by_enterprise(session: Session) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for eid, cat in session.execute(select(Product.enterprise_id, Product.category).distinct()):
        out.setdefault(eid, set()).add(cat)
    return out


def certificates(session: Session) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.standard_code != "").order_by(Certificate.id)))


def enterprises_by_id(session: Session, ids) -> dict[int, Enterprise]:
    ids = sorted(set(ids))
    out: dict[int, Enterprise] = {}
    for i in range(0, len(ids), 500):
        for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(ids[i:i + 500]))):
            out[e.id] = e
    return out


def change_alerts(session: Session) -> dict[tuple[int, int], StandardChangeAlert]:
    return {(a.standard_id, a.enterprise_id): a for a in session.scalars(select(StandardChangeAlert))}


def add(session: Session, obj) -> None:
    session.add(obj)


def flush(session: Session) -> None:
    session.flush()


def list_change_alerts(session: Session, *, city_code: str | None = None, uscc: str | None = None,
                       status: str | None = None, standard_id: int | None = None, limit: int = 5000):
    """(alert, enterprise, standard) rows, newest transition first, filtered by the caller's scope."""
    stmt = (select(StandardChangeAlert, Enterprise, Standard)
            .join(Enterprise, Enterprise.id == StandardChangeAlert.enterprise_id)
            .join(Standard, Standard.id == StandardChangeAlert.standard_id))
    if city_code:
        stmt = stmt.where(Enterprise.city_code == city_code)
    if uscc:
        stmt = stmt.where(Enterprise.uscc == uscc)
    if status:
        stmt = stmt.where(StandardChangeAlert.status == status)
    if standard_id:
        stmt = stmt.where(StandardChangeAlert.standard_id == standard_id)
    stmt = stmt.order_by(StandardChangeAlert.transition_on.desc().nulls_last(), Standard.code, Enterprise.uscc).limit(limit)
    return list(session.execute(stmt))


def change_alert(session: Session, alert_id: int, *, for_update: bool = False):
    stmt = (select(StandardChangeAlert, Enterprise, Standard)
            .join(Enterprise, Enterprise.id == StandardChangeAlert.enterprise_id)
            .join(Standard, Standard.id == StandardChangeAlert.standard_id)
            .where(StandardChangeAlert.id == alert_id))
    if for_update:
        stmt = stmt.with_for_update(of=StandardChangeAlert)
    return session.execute(stmt).one_or_none()


def enterprise_by_uscc(session: Session, uscc: str) -> Enterprise | None:
    return session.scalars(select(Enterprise).where(Enterprise.uscc == uscc)).one_or_none()


def standards_for_enterprise(session: Session, enterprise_id: int) -> list[tuple[Standard, str]]:
    """(edition, category) for every category of the enterprise's products the edition applies to."""
    stmt = (select(Standard, StandardCategory.category_code)
            .join(StandardCategory, StandardCategory.standard_id == Standard.id)
            .join(Product, Product.category == StandardCategory.category_code)
            .where(Product.enterprise_id == enterprise_id).distinct()
            .order_by(Standard.code, StandardCategory.category_code))
    return [(s, c) for s, c in session.execute(stmt)]
