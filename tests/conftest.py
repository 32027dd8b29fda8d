"""Shared fixtures. Every test that touches the database runs on SQLite and, when
``LINGQU_TEST_POSTGRES_URL`` is set, on PostgreSQL too (a fresh schema per test)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from lingqu.db.engine import dispose_engine

PG_URL = os.environ.get("LINGQU_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An initialised SQLite database (schema + reference data), copied for each test."""
    from lingqu.reference.service import init_database

    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    init_database(url)
    dispose_engine(url)
    return path


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, sqlite_template) -> str:
    """URL of a fresh database with the schema and the reference data, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "lingqu.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
        yield url
        dispose_engine(url)
        return
    from lingqu.reference.service import init_database

    schema = f"lq_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = _pg_schema_url(schema)
    try:
        init_database(url)
        yield url
    finally:
        dispose_engine(url)
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def cli_env(db_url, tmp_path) -> dict:
    """Environment for running ``lingqu`` as a subprocess against the test database."""
    env = dict(os.environ)
    env["LINGQU_DATABASE_URL"] = db_url
    return env


TEST_PASSWORD = "lingqu-test-password"


def make_user(db_url: str, username: str, role: str, **scope) -> None:
    from lingqu.auth.service import create_user
    from lingqu.db.engine import unit_of_work

    with unit_of_work(db_url) as s:
        create_user(s, username=username, password=TEST_PASSWORD, role=role, display_name=username, actor="test", **scope)


def log_in(client, username: str) -> None:
    """Log ``client`` in through the real login form (CSRF token included)."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"username": username, "password": TEST_PASSWORD, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text


@pytest.fixture
def anonymous_client(db_url, monkeypatch):
    """The web app (pages and API) on the test database, not logged in."""
    from fastapi.testclient import TestClient

    from lingqu.app import create_app
    from lingqu.config import get_settings

    monkeypatch.setenv("LINGQU_DATABASE_URL", db_url)
    get_settings.cache_clear()
    with TestClient(create_app()) as c:
        yield c
    get_settings.cache_clear()


@pytest.fixture
def app_client(db_url, anonymous_client):
    """The web app logged in as a provincial admin (sees everything): for content tests."""
    make_user(db_url, "test-admin", "admin")
    log_in(anonymous_client, "test-admin")
    return anonymous_client
