"""Users: password hashing (argon2) and the demo accounts.

The demo logins are for the demo world only; their passwords are public by design and printed
by ``lingqu serve`` so that a newcomer can look around. They are created by ``lingqu init --demo``
and never in production (the settings refuse placeholder secrets there).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy.orm import Session

from lingqu.audit.service import record
from lingqu.auth import repository
from lingqu.auth.models import ROLES, ApiToken, User, UserSession
from lingqu.exceptions import LingquError, ValidationError
from lingqu.kit import normalize
from lingqu.kit.identifiers import uscc_problem

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except VerifyMismatchError:
        return False
    except Exception:  # malformed hash: never authenticate
        return False


def create_user(
    session: Session, *, username: str, password: str, role: str, display_name: str = "",
    city_code: str = "", uscc: str = "", institution_id: int | None = None, actor: str = "cli",
) -> User:
    """Create a user with a role and a scope; the scope is checked against the role:
    a regulator's city (any spelling, e.g. 深圳), an enterprise's valid USCC, an institution's id."""
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", field="role")
    if len(password) < 8:
        raise ValidationError("password must have at least 8 characters", field="password")
    if repository.by_username(session, username):
        raise ValidationError(f"user {username!r} exists already", field="username")
    try:
        city_code = normalize.city_code(city_code) if city_code else ""
    except normalize.FieldProblem as e:
        raise ValidationError(str(e), field="city") from e
    uscc = (uscc or "").strip().upper()
    if role == "enterprise" and (not uscc or uscc_problem(uscc)):
        raise ValidationError(uscc_problem(uscc) or "an enterprise user needs its USCC", field="uscc")
    if role == "institution" and institution_id is None:
        raise ValidationError("an institution user needs its institution id", field="institution_id")
    user = repository.add(session, User(
        username=username, password_hash=hash_password(password), role=role, display_name=display_name,
        city_code=city_code, uscc=uscc, institution_id=institution_id,
    ))
    record(session, actor=actor, action="insert", entity="app_user", key=username,
           after={"username": username, "role": role, "city_code": city_code, "uscc": uscc, "institution_id": institution_id})
    return user


#: How long a login lasts.
SESSION_HOURS = 12
#: Failed logins allowed before attempts are refused for a while (the wait doubles each time).
FREE_ATTEMPTS = 5
BASE_LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 15 * 60
#: A valid hash of a random password: unknown usernames are verified against it so that a
#: wrong username takes as long as a wrong password (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class LoginFailed(LingquError):
    code = "login_failed"
    status_code = 401


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(session: Session, username: str, password: str) -> User:
    """The user whose password this is; ``LoginFailed`` otherwise, with one message for every
    cause (unknown user, wrong password, disabled, throttled) so nothing is revealed."""
    failed = LoginFailed("用户名或密码错误；多次失败后需稍候再试 (wrong username or password; after repeated failures, wait and retry)")
    user = repository.by_username(session, username.strip())
    now = _now()
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise failed
    if user.locked_until is not None and user.locked_until > now:
        raise failed
    if not user.active or not verify_password(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        over = user.failed_logins - FREE_ATTEMPTS
        if over >= 0:
            user.locked_until = now + dt.timedelta(seconds=min(MAX_LOCK_SECONDS, BASE_LOCK_SECONDS * 2**over))
        session.flush()
        raise failed
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def start_session(session: Session, user: User) -> str:
    """Open a session for ``user``; returns the token for the cookie (stored only as its hash)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    repository.delete_expired_sessions(session, now)
    repository.add_session(session, UserSession(
        token_hash=token_hash(token), user_id=user.id, created_at=now, expires_at=now + dt.timedelta(hours=SESSION_HOURS),
    ))
    return token


def user_for_token(session: Session, token: str | None) -> User | None:
    if not token:
        return None
    return repository.user_for_token_hash(session, token_hash(token), _now())


def issue_api_token(session: Session, username: str, name: str = "", actor: str = "cli") -> str:
    """A new API token for ``username``; returned once, stored only as its hash."""
    user = repository.by_username(session, username)
    if user is None:
        raise ValidationError(f"no user {username!r}", field="username")
    token = "lq_" + secrets.token_urlsafe(32)
    repository.add_token(session, ApiToken(token_hash=token_hash(token), user_id=user.id, name=name, created_at=_now()))
    record(session, actor=actor, action="insert", entity="api_token", key=username, after={"name": name})
    return token


def user_for_api_token(session: Session, token: str | None) -> User | None:
    if not token:
        return None
    return repository.user_for_api_token_hash(session, token_hash(token))


def end_session(session: Session, token: str | None) -> None:
    if token:
        repository.delete_session(session, token_hash(token))


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    label: str


DEMO_LOGINS = (
    DemoLogin("sz-regulator", "lingqu-demo-regulator", "regulator", "深圳市市场监管局质量处 (regulator, Shenzhen)"),
    DemoLogin("demo-enterprise", "lingqu-demo-enterprise", "enterprise", "演示企业 (enterprise)"),
    DemoLogin("demo-institution", "lingqu-demo-institution", "institution", "演示检验机构 (institution)"),
    DemoLogin("admin", "lingqu-demo-admin", "admin", "平台管理员 (admin)"),
)


def ensure_demo_users(session: Session, *, uscc: str, institution_id: int | None) -> int:
    """Create the four demo accounts if missing; returns how many were created."""
    created = 0
    scope = {
        "regulator": {"city_code": "440300"},
        "enterprise": {"uscc": uscc},
        "institution": {"institution_id": institution_id},
        "admin": {},
    }
    for d in DEMO_LOGINS:
        if repository.by_username(session, d.username) is None:
            create_user(session, username=d.username, password=d.password, role=d.role, display_name=d.label,
                        actor="lingqu init --demo", **scope[d.role])
            created += 1
    return created


def demo_login_lines() -> list[str]:
    """Lines describing the demo logins that exist in the configured database."""
    from lingqu.db.engine import unit_of_work

    lines = []
    try:
        with unit_of_work() as session:
            present = [d for d in DEMO_LOGINS if repository.by_username(session, d.username) is not None]
    except Exception:  # no schema yet: nothing to show
        return lines
    if present:
        lines.append("演示账号 / demo logins:")
        for d in present:
            lines.append(f"  {d.label:<40} 用户名 {d.username:<18} 密码 {d.password}")
    return lines
