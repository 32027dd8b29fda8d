"""Engine and unit of work.

Services flush, never commit; the adapter (a request, a CLI command) wraps its work in one
``unit_of_work()`` so that everything it did commits together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from lingqu.config import get_settings


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL: readers (the web app) do not block the writer (an import) and vice versa.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-200000")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (pysqlite's implicit
        # BEGIN would otherwise defer the start and break SAVEPOINT/atomicity guarantees).
        @event.listens_for(engine, "connect")
        def _no_pysqlite_tx(dbapi_conn, _rec):  # noqa: ANN001
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn):  # noqa: ANN001
            conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


_ENGINES: dict[str, Engine] = {}


def get_engine(url: str | None = None) -> Engine:
    """One engine (and connection pool) per database URL for the life of the process."""
    url = url or get_settings().resolved_database_url()
    if url not in _ENGINES:
        from lingqu.db.base import load_all_models

        load_all_models()  # every mapper configured, whichever domain this process imported first
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]


def dispose_engine(url: str) -> None:
    """Close the pool of ``url`` (tests that create many databases call this)."""
    engine = _ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


def get_sessionmaker(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def unit_of_work(url: str | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    session = get_sessionmaker(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def display_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def refresh_statistics(url: str | None = None) -> None:
    """Refresh the query planner's statistics after a bulk write (an import, the demo load).

    Without them SQLite's planner ignores the partial index of failed results and the dashboard's
    failing-item Pareto scans every result (282 ms against 28 ms on 1 M results, bench/web_bench.py).
    On SQLite ``analysis_limit`` keeps ANALYZE to a sample of each index, so it stays well under a
    second at millions of rows; PostgreSQL's ANALYZE samples by itself."""
    engine = get_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
        conn.exec_driver_sql("ANALYZE")
