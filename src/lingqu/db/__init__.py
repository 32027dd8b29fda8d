"""Database plumbing: engine, unit of work, declarative base, Alembic migrations."""
