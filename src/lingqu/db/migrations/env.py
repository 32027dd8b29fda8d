"""Alembic environment: runs migrations on the URL given by ``lingqu.db.migrate``."""

from __future__ import annotations

from alembic import context

from lingqu.db.base import Base, load_all_models
from lingqu.db.engine import get_engine

load_all_models()
target_metadata = Base.metadata
url = context.config.get_main_option("sqlalchemy.url")


def run() -> None:
    engine = get_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
