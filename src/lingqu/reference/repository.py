"""All SQL for reference data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lingqu.reference.models import CatalogueCategory, City, District, Standard, TestItem


def all_of(session: Session, model) -> list:
    return list(session.execute(select(model)).scalars())


def cities(session: Session) -> list[City]:
    return list(session.execute(select(City).order_by(City.code)).scalars())


def districts(session: Session, city_code: str | None = None) -> list[District]:
    q = select(District).order_by(District.city_code, District.name_zh)
    if city_code:
        q = q.where(District.city_code == city_code)
    return list(session.execute(q).scalars())


MODELS = {"city": City, "district": District, "standard": Standard, "test_item": TestItem, "catalogue": CatalogueCategory}
