"""All SQL about institutions and the reference tables their scope is checked against."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lingqu.institution.models import Institution
from lingqu.reference.models import City, Standard, TestItem


def get(session: Session, institution_id: int, *, for_update: bool = False) -> Institution | None:
    stmt = select(Institution).where(Institution.id == institution_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def all_institutions(session: Session) -> list[Institution]:
    return list(session.execute(select(Institution).order_by(Institution.city_code, Institution.name)).scalars())


def city_name(session: Session, code: str) -> str:
    return session.execute(select(City.name_zh).where(City.code == code)).scalar() or code


def standard_codes(session: Session) -> list[str]:
    return list(session.execute(select(Standard.code).order_by(Standard.code)).scalars())


def test_item_names(session: Session) -> list[str]:
    return list(session.execute(select(TestItem.name_zh).order_by(TestItem.item_no)).scalars())
