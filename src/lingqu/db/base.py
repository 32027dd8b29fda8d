"""Declarative base shared by every domain's ``models.py``.

The naming convention gives constraints stable names so Alembic migrations are identical on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import JSON, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict: JSON}


def load_all_models() -> None:
    """Import every domain's models so ``Base.metadata`` knows all tables (Alembic, tests)."""
    import importlib
    import pkgutil

    import lingqu

    for mod in pkgutil.iter_modules(lingqu.__path__):
        if mod.ispkg:
            try:
                importlib.import_module(f"lingqu.{mod.name}.models")
            except ModuleNotFoundError as e:
                if e.name != f"lingqu.{mod.name}.models":
                    raise
