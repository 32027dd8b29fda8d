"""Append-only, hash-chained audit log.

Each entry's hash covers its own content and the previous entry's hash, so changing, removing or
reordering any entry breaks every hash after it; ``verify`` walks the chain and says where.

Bulk imports write one ``import`` entry for the run (file name, SHA-256 of the file, counts) plus
one ``update`` entry per record whose values changed (with before and after): inserts of new
rows are covered by the run entry, whose file hash identifies exactly what was inserted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lingqu.audit import repository
from lingqu.audit.models import AuditEntry

GENESIS = "0" * 64


def _canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, at: str, actor: str, action: str, entity: str, key: str, before, after, note: str) -> str:
    payload = _canonical([prev_hash, at, actor, action, entity, key, before, after, note])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _jsonable(d):
    return None if d is None else json.loads(_canonical(d))


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    key: str,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one entry. Call inside the unit of work that makes the change, so both commit together."""
    return record_many(session, actor=actor, action=action, entity=entity, changes=[(key, before, after)], note=note)[0]


def record_many(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    changes: list[tuple[str, dict | None, dict | None]],
    note: str = "",
) -> list[AuditEntry]:
    """Append one entry per ``(key, before, after)``, chained in order."""
    repository.lock_chain(session)
    prev = repository.last_hash(session) or GENESIS
    at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
    entries = []
    for key, before, after in changes:
        before, after = _jsonable(before), _jsonable(after)
        h = entry_hash(prev, at, actor, action, entity, key, before, after, note)
        entries.append(
            AuditEntry(at=at, actor=actor, action=action, entity=entity, entity_key=key,
                       before=before, after=after, prev_hash=prev, hash=h, note=note)
        )
        prev = h
    repository.add_all(session, entries)
    return entries


@dataclass(frozen=True)
class ChainReport:
    entries: int
    ok: bool
    first_bad_id: int | None = None
    reason: str = ""


def verify(session: Session) -> ChainReport:
    """Recompute every hash in order; report the first entry that does not match."""
    prev = GENESIS
    n = 0
    for e in repository.iter_entries(session):
        n += 1
        if e.prev_hash != prev:
            return ChainReport(n, False, e.id, f"entry {e.id}: previous-hash link broken (an entry before it was changed or removed)")
        h = entry_hash(e.prev_hash, e.at, e.actor, e.action, e.entity, e.entity_key, e.before, e.after, e.note)
        if h != e.hash:
            return ChainReport(n, False, e.id, f"entry {e.id}: content does not match its hash (the entry was altered)")
        prev = e.hash
    return ChainReport(n, True)
