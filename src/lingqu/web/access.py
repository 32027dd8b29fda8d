"""Who may call what: role policies on every route, and the row scope of each user.

Every route declares a policy with ``dependencies=[allow(...)]`` (or ``PUBLIC``). The policy
object is attached to the dependency so that the authorization-matrix test can find the rule of
every route the app serves, and fail on a route that has none.

Row scope (what records) is the domain rule in ``lingqu.auth.scope``; ``ScopeDep`` hands the
current user's scope to adapters, which pass it to services.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request

from lingqu.auth.models import User
from lingqu.auth.scope import Forbidden, NotAuthenticated, Scope, scope_of

ROLES = ("regulator", "enterprise", "institution", "admin")


@dataclass(frozen=True)
class Policy:
    roles: frozenset[str]
    public: bool = False
    #: only users without a city restriction (admins, province-wide regulators)
    province_only: bool = False


def _dependency(policy: Policy):
    def check(request: Request) -> User | None:
        user = getattr(request.state, "user", None)
        if policy.public:
            return user
        if user is None:
            raise NotAuthenticated("请先登录 (please log in)")
        if user.role not in policy.roles:
            raise Forbidden("您的角色无权访问此页面 (your role may not use this)")
        if policy.province_only and scope_of(user).city_code is not None:
            raise Forbidden("此功能目前仅对省级监管人员开放 (open to province-wide regulators only for now)")
        return user

    check.policy = policy  # read by the authorization-matrix test
    return check


def allow(*roles: str):
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")
    return Depends(_dependency(Policy(frozenset(roles))))


def allow_province(*roles: str):
    """Like ``allow``, but for records not yet split by city: a city-bound regulator gets 403."""
    return Depends(_dependency(Policy(frozenset(roles), province_only=True)))


PUBLIC = Depends(_dependency(Policy(frozenset(ROLES), public=True)))


def policy_of(route) -> Policy | None:
    for dep in getattr(route, "dependencies", []):
        policy = getattr(dep.dependency, "policy", None)
        if policy is not None:
            return policy
    return None


def current_scope(request: Request) -> Scope:
    return scope_of(getattr(request.state, "user", None))


ScopeDep = Depends(current_scope)
